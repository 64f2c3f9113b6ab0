//! `Encoder` for JS: submits go through an ordered queue served by a thread
//! of its own (a push waits while the encoder is behind, never on the JS
//! thread); encoded frames come back on the JS thread through a threadsafe
//! function, then a `closed` output once no frame follows.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;
use proj_encoders as pe;

use crate::buffers::{id_from_bigint, id_to_bigint, SharedBuffer};
use crate::encoders::config::EncoderConfig;
use crate::entry::{entry, on_thread, Outcome};
use crate::error::{consumed, from_buffers, from_encoders, Code};
use crate::held::{Held, OutputTsfn};
use crate::queue::Queue;
use crate::timestamp::nanoseconds;

/// One encoded frame (the timestamps and id it was submitted with).
#[napi(object)]
pub struct EncodedFrame {
    pub data: Buffer,
    pub pts_ns: BigInt,
    pub dts_ns: Option<BigInt>,
    pub duration_ns: Option<BigInt>,
    pub keyframe: bool,
    pub codec: String,
    pub frame_id: Option<BigInt>,
}

impl std::fmt::Debug for EncodedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedFrame")
            .field("bytes", &self.data.len())
            .field("keyframe", &self.keyframe)
            .finish_non_exhaustive()
    }
}

/// Another backend took over (`nvh264enc` → `x264enc`…).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct BackendChange {
    pub from: String,
    pub to: String,
    /// Why `from` did not encode.
    pub reason: String,
    /// Fields of the config's property set `to` cannot honour.
    pub unmapped: Vec<String>,
    /// Frames `from` had taken that `to` encoded again.
    pub replayed: u32,
}

impl From<pe::BackendChange> for BackendChange {
    fn from(c: pe::BackendChange) -> Self {
        Self {
            from: c.from.into(),
            to: c.to.into(),
            reason: c.reason,
            unmapped: c.unmapped.into_iter().map(Into::into).collect(),
            replayed: u32::try_from(c.replayed).unwrap_or(u32::MAX),
        }
    }
}

/// What the encoder's callback gets: `frame`, `backend` (another backend
/// took over: `change`), `error` (the pipeline failed; `message`), or
/// `closed` (nothing follows).
#[napi(object)]
#[derive(Debug)]
pub struct EncoderOutput {
    pub kind: String,
    pub frame: Option<EncodedFrame>,
    pub change: Option<BackendChange>,
    pub message: Option<String>,
}

pub type EncoderOutputFn = OutputTsfn<EncoderOutput>;

fn to_js(output: pe::EncoderOutput) -> EncoderOutput {
    match output {
        pe::EncoderOutput::Frame(f) => EncoderOutput {
            kind: "frame".into(),
            frame: Some(EncodedFrame {
                data: f.data.into(),
                pts_ns: BigInt::from(f.pts_ns),
                dts_ns: f.dts_ns.map(BigInt::from),
                duration_ns: f.duration_ns.map(BigInt::from),
                keyframe: f.keyframe,
                codec: f.codec.name().into(),
                frame_id: f.frame_id.map(id_to_bigint),
            }),
            change: None,
            message: None,
        },
        pe::EncoderOutput::BackendChanged(change) => EncoderOutput {
            kind: "backend".into(),
            frame: None,
            change: Some(change.into()),
            message: None,
        },
        pe::EncoderOutput::Error(message) => EncoderOutput {
            kind: "error".into(),
            frame: None,
            change: None,
            message: Some(message),
        },
    }
}

/// Says `closed` after every earlier output and lets the callback go.
fn close(outputs: &Held<EncoderOutputFn>) {
    outputs.close_with(EncoderOutput {
        kind: "closed".into(),
        frame: None,
        change: None,
        message: None,
    });
}

/// Encodes frames with the best backend that opens here (NVENC, a
/// Jetson's encoder, the CPU), falling back without losing a frame.
#[napi]
pub struct Encoder {
    inner: Arc<pe::Encoder>,
    queue: Queue,
    outputs: Held<EncoderOutputFn>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.queue.close();
        // Off the JS thread: the GC must not tear GStreamer down there.
        let (inner, outputs) = (Arc::clone(&self.inner), self.outputs.clone());
        let stop = move || {
            inner.shutdown();
            close(&outputs);
        };
        if let Err(e) = crate::entry::spawn_thread("encoder-drop", stop) {
            tracing::warn!("{}; shutting the encoder down on the JS thread", e.reason);
            self.inner.shutdown();
            close(&self.outputs);
        }
    }
}

/// Settles a queued call's Promise with its outcome (`ERR_PROJ_FINISHED`
/// for a call the closed queue dropped).
fn queued<'env>(
    env: &'env Env,
    name: &'static str,
    queue: &Queue,
    call: impl FnOnce() -> Outcome<()> + Send + 'static,
) -> Outcome<PromiseRaw<'env, ()>> {
    crate::queue::queued(env, name, queue, call, || {
        from_encoders(pe::EncodersError::Finished)
    })
}

struct Stamp {
    pts_ns: u64,
    duration_ns: Option<u64>,
    frame_id: Option<u128>,
}

fn stamp(
    pts_ns: &BigInt,
    duration_ns: Option<&BigInt>,
    frame_id: Option<&BigInt>,
) -> Outcome<Stamp> {
    Ok(Stamp {
        pts_ns: nanoseconds("ptsNs", pts_ns)?,
        duration_ns: duration_ns
            .map(|d| nanoseconds("durationNs", d))
            .transpose()?,
        frame_id: frame_id
            .map(|id| id_from_bigint("frameId", id))
            .transpose()?,
    })
}

#[napi]
impl Encoder {
    #[napi(
        constructor,
        ts_args_type = "config: EncoderConfig, callback: (output: EncoderOutput) => void"
    )]
    pub fn new(config: EncoderConfig, callback: EncoderOutputFn) -> Result<Self, Code> {
        entry("Encoder::new", || {
            let config = config.into_model()?;
            let outputs = Held::new(callback);
            let sink = outputs.clone();
            let inner = pe::Encoder::new(
                config,
                Arc::new(move |o| sink.deliver(to_js(o), "an encoder")),
            )
            .map_err(from_encoders)?;
            Ok(Self {
                inner: Arc::new(inner),
                queue: Queue::new("encoder".into()),
                outputs,
            })
        })
    }

    /// The element that encodes now (`x264enc`, `nvh264enc`…).
    #[napi(getter)]
    pub fn backend(&self) -> Result<String, Code> {
        entry("Encoder::backend", || Ok(self.inner.backend().into()))
    }

    /// Whether each frame's output comes before its `submit` resolves
    /// (x264, libaom realtime, JPEG, PNG; x265 may hold one frame).
    #[napi(getter)]
    pub fn zero_delay(&self) -> Result<bool, Code> {
        entry("Encoder::zero_delay", || Ok(self.inner.zero_delay()))
    }

    /// Fields of the config's property set the backend cannot honour.
    #[napi(getter)]
    pub fn unmapped(&self) -> Result<Vec<String>, Code> {
        entry("Encoder::unmapped", || {
            Ok(self.inner.unmapped().into_iter().map(Into::into).collect())
        })
    }

    /// Every change of backend so far, oldest first.
    #[napi(getter)]
    pub fn backend_changes(&self) -> Result<Vec<BackendChange>, Code> {
        entry("Encoder::backend_changes", || {
            Ok(self
                .inner
                .backend_changes()
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// Queues a frame given as bytes (the config's format, tightly packed);
    /// resolves when the encoder has taken it.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn submit<'env>(
        &self,
        env: &'env Env,
        data: Uint8Array,
        pts_ns: BigInt,
        duration_ns: Option<BigInt>,
        frame_id: Option<BigInt>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Encoder::submit", || {
            let s = stamp(&pts_ns, duration_ns.as_ref(), frame_id.as_ref())?;
            let bytes = data.to_vec();
            let encoder = Arc::clone(&self.inner);
            queued(env, "Encoder::submit", &self.queue, move || {
                let c = encoder.config();
                let layout =
                    pe::Layout::tight(c.format, c.width, c.height).map_err(from_encoders)?;
                if bytes.len() != layout.size {
                    return Err(crate::error::invalid_argument(format!(
                        "{} bytes for a {}x{} {} frame, which has {}",
                        bytes.len(),
                        c.width,
                        c.height,
                        c.format.name(),
                        layout.size
                    )));
                }
                let frame =
                    pe::FrameData::new(c.format, c.width, c.height, &bytes, &layout.strides)
                        .map_err(from_encoders)?;
                encoder
                    .submit(&frame, s.pts_ns, s.duration_ns, s.frame_id)
                    .map_err(from_encoders)
            })
        })
    }

    /// Queues a frame from a pool buffer (slot 0); the buffer is read on
    /// the encoder's thread and may be released once this resolves.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn submit_buffer<'env>(
        &self,
        env: &'env Env,
        buffer: &SharedBuffer,
        pts_ns: BigInt,
        duration_ns: Option<BigInt>,
        frame_id: Option<BigInt>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Encoder::submit_buffer", || {
            let s = stamp(&pts_ns, duration_ns.as_ref(), frame_id.as_ref())?;
            let buffer = buffer.get().map_err(|_| consumed())?;
            let encoder = Arc::clone(&self.inner);
            queued(env, "Encoder::submit_buffer", &self.queue, move || {
                submit_surface(&encoder, &buffer, &s)
            })
        })
    }

    /// The next frame is encoded as a keyframe; `false` where the backend
    /// cannot force one (AV1 on the CPU).
    #[napi]
    pub fn request_keyframe(&self) -> Result<bool, Code> {
        entry("Encoder::request_keyframe", || {
            Ok(self.inner.request_keyframe())
        })
    }

    /// Encodes every queued frame out (their outputs come first), then
    /// says `closed`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn finish<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Encoder::finish", || {
            let (encoder, outputs) = (Arc::clone(&self.inner), self.outputs.clone());
            let timeout = Duration::from_millis(u64::from(timeout_ms.unwrap_or(60_000)));
            let promise = queued(env, "Encoder::finish", &self.queue, move || {
                let result = encoder.finish(timeout).map_err(from_encoders);
                close(&outputs);
                result
            })?;
            self.queue.close();
            Ok(promise)
        })
    }

    /// Stops at once (ahead of queued frames, which then fail).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("Encoder::shutdown", || {
            self.queue.close();
            let (encoder, outputs) = (Arc::clone(&self.inner), self.outputs.clone());
            on_thread(
                env,
                "Encoder::shutdown",
                move || {
                    encoder.shutdown();
                    close(&outputs);
                    Ok(())
                },
                Ok,
            )
        })
    }
}

/// A picture as the encoders read it: host memory in place (its own
/// pitches), anything else downloaded tightly packed.
pub(crate) fn with_frame_data<T>(
    surface: &pb::Surface,
    read: impl FnOnce(&pe::FrameData<'_>) -> Outcome<T>,
) -> Outcome<T> {
    let (format, width, height) = (surface.format(), surface.width(), surface.height());
    let (bytes, pitches): (std::borrow::Cow<'_, [u8]>, Vec<usize>) = match surface.host_data() {
        Some(bytes) => (
            bytes.into(),
            surface.planes().iter().map(|p| p.pitch).collect(),
        ),
        None => (
            surface.download().map_err(from_buffers)?.into(),
            pe::Layout::tight(format, width, height)
                .map_err(from_encoders)?
                .strides,
        ),
    };
    let frame =
        pe::FrameData::new(format, width, height, &bytes, &pitches).map_err(from_encoders)?;
    read(&frame)
}

/// A pool buffer's first slot into the encoder: converted while the
/// buffer's lock is held (host memory read in place; RGBA in device memory
/// converted to I420 on its GPU and 1.5 bytes per pixel copied down; NV12
/// and I420 copied down as they are), pushed once it is let go, so a full
/// encoder queue never holds the buffer's lock.
fn submit_surface(encoder: &pe::Encoder, buffer: &pb::SharedBuffer, s: &Stamp) -> Outcome<()> {
    let c = encoder.config();
    let prepared = buffer
        .with_surface(0, |surface| -> Outcome<pe::Prepared> {
            let (format, width, height) = (surface.format(), surface.width(), surface.height());
            if (format, width, height) != (c.format, c.width, c.height) {
                return Err(crate::error::invalid_argument(format!(
                    "a {width}x{height} {} buffer for a {}x{} {} encoder",
                    format.name(),
                    c.width,
                    c.height,
                    c.format.name()
                )));
            }
            let tight = |format| {
                pe::Layout::tight(format, width, height)
                    .map(|l| l.strides)
                    .map_err(from_encoders)
            };
            if encoder.backend() != "pngenc" {
                let full = encoder.wants_full_range();
                if let Some(i420) = surface.download_i420(full) {
                    let i420 = i420.map_err(from_buffers)?;
                    let strides = tight(pb::VideoFormat::I420)?;
                    let frame =
                        pe::FrameData::new(pb::VideoFormat::I420, width, height, &i420, &strides)
                            .map_err(from_encoders)?;
                    return encoder.prepare_i420(&frame, full).map_err(from_encoders);
                }
            }
            with_frame_data(surface, |frame| {
                encoder.prepare(frame).map_err(from_encoders)
            })
        })
        .map_err(from_buffers)??;
    encoder
        .submit_prepared(prepared, s.pts_ns, s.duration_ns, s.frame_id)
        .map_err(from_encoders)
}
