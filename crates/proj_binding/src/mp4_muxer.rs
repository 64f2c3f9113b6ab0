use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_gstreamer as gs;

use crate::entry::{entry, on_thread};
use crate::error::{from_gstreamer, invalid_argument, Code};
use crate::timestamp::nanoseconds;

#[napi(object)]
#[derive(Debug, Default)]
pub struct Mp4MuxerOptions {
    pub fps_num: Option<u32>,
    pub fps_den: Option<u32>,
    /// Media time per fragment in ms (default 500); 0 disables crash safety.
    pub fragment_duration_ms: Option<u32>,
    /// Queued bytes from which `push` returns false (default 16 MiB).
    pub high_water_bytes: Option<f64>,
    /// Queued bytes a frame may never take the queue past (default 64 MiB).
    pub max_queued_bytes: Option<f64>,
    /// How long `finish()` waits for a stalled output before it rejects
    /// with `ERR_PROJ_TIMEOUT` (default 60 000).
    pub finish_timeout_ms: Option<u32>,
}

/// Options of `drained()`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct DrainedOptions {
    /// Give up with `ERR_PROJ_TIMEOUT` after this long (default: never; a
    /// warning is logged every 5 s of waiting).
    pub timeout_ms: Option<f64>,
}

fn byte_count(name: &str, value: Option<f64>, default: u64) -> Result<u64, Code> {
    match value {
        None => Ok(default),
        Some(v) if v.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&v) =>
        {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a whole number below 2^53, checked above"
            )]
            Ok(v as u64)
        }
        Some(v) => Err(invalid_argument(format!(
            "{name} must be a positive whole number of bytes, got {v}"
        ))),
    }
}

#[napi(object)]
#[derive(Debug)]
pub struct Mp4MuxerStats {
    pub frames: i64,
    pub bytes: i64,
    pub queued_bytes: i64,
}

fn muxer_options(options: Option<Mp4MuxerOptions>) -> Result<gs::Mp4MuxerOptions, Code> {
    let options = options.unwrap_or_default();
    let defaults = gs::Mp4MuxerOptions::default();
    Ok(gs::Mp4MuxerOptions {
        fps_num: options.fps_num.unwrap_or(defaults.fps_num),
        fps_den: options.fps_den.unwrap_or(defaults.fps_den),
        fragment_duration_ms: options
            .fragment_duration_ms
            .unwrap_or(defaults.fragment_duration_ms),
        high_water_bytes: byte_count(
            "highWaterBytes",
            options.high_water_bytes,
            defaults.high_water_bytes,
        )?,
        max_queued_bytes: byte_count(
            "maxQueuedBytes",
            options.max_queued_bytes,
            defaults.max_queued_bytes,
        )?,
        finish_timeout: options
            .finish_timeout_ms
            .map_or(defaults.finish_timeout, |ms| {
                std::time::Duration::from_millis(u64::from(ms))
            }),
    })
}

/// Encoded frames → MP4 (fragmented, so the file survives a crash).
#[napi]
#[derive(Debug)]
pub struct Mp4Muxer {
    inner: Arc<gs::Mp4Muxer>,
}

#[napi]
impl Mp4Muxer {
    #[napi(constructor)]
    pub fn new(
        codec: String,
        output_path: String,
        options: Option<Mp4MuxerOptions>,
    ) -> Result<Self, Code> {
        entry("Mp4Muxer::new", || {
            let codec = gs::Codec::from_name(&codec).map_err(from_gstreamer)?;
            let options = muxer_options(options)?;
            let inner = gs::Mp4Muxer::new(codec, output_path, &options).map_err(from_gstreamer)?;
            Ok(Self {
                inner: Arc::new(inner),
            })
        })
    }

    /// The constructor's work on a thread of its own: opening the output
    /// can block (a FIFO until its reader comes, a hung network
    /// filesystem), which must not happen on the JS thread.
    #[napi(ts_return_type = "Promise<Mp4Muxer>")]
    pub fn open<'env>(
        env: &'env Env,
        codec: String,
        output_path: String,
        options: Option<Mp4MuxerOptions>,
    ) -> Result<PromiseRaw<'env, Mp4Muxer>, Code> {
        entry("Mp4Muxer::open", || {
            let codec = gs::Codec::from_name(&codec).map_err(from_gstreamer)?;
            let options = muxer_options(options)?;
            on_thread(
                env,
                "Mp4Muxer::open",
                move || gs::Mp4Muxer::new(codec, output_path, &options).map_err(from_gstreamer),
                |inner| {
                    Ok(Self {
                        inner: Arc::new(inner),
                    })
                },
            )
        })
    }

    #[napi]
    pub fn push(
        &self,
        data: Uint8Array,
        pts_ns: BigInt,
        dts_ns: Option<BigInt>,
        duration_ns: Option<BigInt>,
    ) -> Result<bool, Code> {
        entry("Mp4Muxer::push", || {
            let pts = nanoseconds("ptsNs", &pts_ns)?;
            let dts = dts_ns
                .as_ref()
                .map(|v| nanoseconds("dtsNs", v))
                .transpose()?;
            let duration = duration_ns
                .as_ref()
                .map(|v| nanoseconds("durationNs", v))
                .transpose()?;
            self.inner
                .push(&data, pts, dts, duration)
                .map_err(from_gstreamer)
        })
    }

    /// Resolves when the queue is down to half the high-water mark (or
    /// the stream ended); rejects on a pipeline error or after `timeoutMs`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn drained<'env>(
        &self,
        env: &'env Env,
        options: Option<DrainedOptions>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Mp4Muxer::drained", || {
            let timeout = match options.and_then(|o| o.timeout_ms) {
                None => None,
                Some(ms) if ms.is_finite() && ms >= 0.0 => {
                    Some(std::time::Duration::from_secs_f64(ms / 1000.0))
                }
                Some(ms) => {
                    return Err(invalid_argument(format!(
                        "timeoutMs must be a non-negative number, got {ms}"
                    )))
                }
            };
            let muxer = Arc::clone(&self.inner);
            on_thread(
                env,
                "Mp4Muxer::drained",
                move || muxer.wait_drained(timeout).map_err(from_gstreamer),
                Ok,
            )
        })
    }

    /// Ends the stream at once (a later `push` throws), then completes the
    /// file on a thread of its own (never libuv's pool: it can take up to
    /// a minute on a stalled disk).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn finish<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Mp4Muxer::finish", || {
            self.inner.end_stream();
            let muxer = Arc::clone(&self.inner);
            on_thread(
                env,
                "Mp4Muxer::finish",
                move || muxer.finish().map_err(from_gstreamer),
                Ok,
            )
        })
    }

    #[napi(getter)]
    pub fn is_finished(&self) -> Result<bool, Code> {
        entry("Mp4Muxer::is_finished", || Ok(self.inner.is_finished()))
    }

    #[napi(getter)]
    pub fn codec(&self) -> Result<String, Code> {
        entry("Mp4Muxer::codec", || {
            Ok(self.inner.codec().name().to_owned())
        })
    }

    #[napi]
    pub fn stats(&self) -> Result<Mp4MuxerStats, Code> {
        entry("Mp4Muxer::stats", || {
            Ok({
                let stats = self.inner.stats();
                let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                Mp4MuxerStats {
                    frames: clamp(stats.frames),
                    bytes: clamp(stats.bytes),
                    queued_bytes: clamp(stats.queued_bytes),
                }
            })
        })
    }
}

impl Drop for Mp4Muxer {
    /// Collected without `finish()`: the library finishes the file when the
    /// last reference goes; do that on a thread of its own, not in the
    /// garbage collector on the JS thread.
    fn drop(&mut self) {
        let inner = Arc::clone(&self.inner);
        if !inner.is_finished() {
            inner.end_stream();
            let spawned = std::thread::Builder::new()
                .name("mp4-muxer-drop".into())
                .spawn(move || drop(inner));
            if let Err(error) = spawned {
                tracing::warn!(%error, "finishing a dropped MP4 muxer on the JS thread");
            }
        }
    }
}
