//! `StreamingMediaEncoder` for JS: every call that writes or waits goes
//! through an ordered queue served by a thread of its own (a write waits
//! there while the muxer is behind, never on the JS thread) and resolves
//! once the encoder has admitted it; events (a Writable's bytes, stalls,
//! backend changes, the first error) come back through a threadsafe
//! function, then `closed`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;
use proj_encoders as pe;
use proj_recording as pr;

use crate::buffers::SharedBuffer;
use crate::encoders::{with_frame_data, BackendChange};
use crate::entry::{entry, on_thread, Outcome};
use crate::error::{consumed, from_buffers, from_encoders, from_recording, recording_code, Code};
use crate::held::{Held, OutputTsfn};
use crate::queue::Queue;
use crate::timestamp::nanoseconds;

/// `new StreamingMediaEncoder(dst, options)`.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct StreamingEncoderOptions {
    /// FFmpeg's muxer name: `mp4`, `mov`, `matroska`, `mpegts`, `flv`.
    pub format: Option<String>,
    /// A Writable's chunk size (torio's `buffer_size`, default 4096).
    pub buffer_size: Option<u32>,
    /// MP4/MOV fragment length (default 500; 0: a regular MP4, files only).
    pub fragment_duration_ms: Option<u32>,
    /// Bytes of writes waiting to be admitted before a write is refused
    /// (`ERR_PROJ_QUEUE_FULL`; default 256 MiB).
    pub max_waiting_bytes: Option<f64>,
    /// Bytes each stream's queue into the muxer holds (default 8 MiB).
    pub max_queued_bytes: Option<f64>,
    /// Bytes handed to a Writable and not yet written before the encoder
    /// waits (default 8 MiB).
    pub max_pending_bytes: Option<f64>,
    /// A wait this long is reported as a `stall` event (default 5000).
    pub stall_ms: Option<u32>,
}

/// torio's `CodecConfig` (`undefined` or -1 leaves the default).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct CodecConfig {
    pub bit_rate: Option<f64>,
    pub compression_level: Option<i32>,
    pub qscale: Option<i32>,
    pub gop_size: Option<i32>,
    pub max_b_frames: Option<i32>,
}

impl CodecConfig {
    fn into_model(self) -> Outcome<pr::CodecConfig> {
        let unset = |v: Option<i32>| v.filter(|v| *v != -1);
        let non_negative = |name: &str, v: Option<i32>| -> Outcome<Option<u32>> {
            unset(v)
                .map(|v| {
                    u32::try_from(v).map_err(|_| {
                        crate::error::invalid_argument(format!(
                            "codecConfig.{name} must be ≥ 0 or -1"
                        ))
                    })
                })
                .transpose()
        };
        let bit_rate = match self.bit_rate.filter(|b| *b != -1.0) {
            None => None,
            Some(b) if b.is_finite() && b >= 1.0 && b <= f64::from(u32::MAX) =>
            {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked range"
                )]
                Some(b.round() as u32)
            }
            Some(b) => {
                return Err(crate::error::invalid_argument(format!(
                    "codecConfig.bitRate {b} is not a bit rate"
                )))
            }
        };
        Ok(pr::CodecConfig {
            bit_rate,
            compression_level: unset(self.compression_level),
            qscale: self.qscale,
            gop_size: non_negative("gopSize", self.gop_size)?,
            max_b_frames: non_negative("maxBFrames", self.max_b_frames)?,
        })
    }
}

fn pairs(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = map.unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

/// `addVideoStream`'s arguments (torio's, camelCase).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct VideoStreamOptions {
    pub frame_rate: f64,
    pub width: u32,
    pub height: u32,
    pub format: Option<String>,
    pub encoder: Option<String>,
    pub encoder_option: Option<HashMap<String, String>>,
    pub encoder_frame_rate: Option<f64>,
    pub encoder_width: Option<u32>,
    pub encoder_height: Option<u32>,
    pub encoder_format: Option<String>,
    pub codec_config: Option<CodecConfig>,
    pub filter_desc: Option<String>,
    pub hw_accel: Option<String>,
}

/// `addAudioStream`'s arguments.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct AudioStreamOptions {
    pub sample_rate: u32,
    pub num_channels: u32,
    pub format: Option<String>,
    pub encoder: Option<String>,
    pub encoder_option: Option<HashMap<String, String>>,
    pub encoder_sample_rate: Option<u32>,
    pub encoder_num_channels: Option<u32>,
    pub encoder_format: Option<String>,
    pub codec_config: Option<CodecConfig>,
    pub filter_desc: Option<String>,
}

impl std::fmt::Debug for PacketStreamOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketStreamOptions")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

/// `addPacketStream`'s arguments (a `MediaSource` stream's info fits).
#[napi(object)]
#[derive(Default)]
pub struct PacketStreamOptions {
    pub codec: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    pub codec_data: Option<Buffer>,
}

/// What the event callback gets: `data` (a Writable's next bytes),
/// `stall` (`message`, `seconds`), `backend` (`stream`, `change`),
/// `error` (`code`, `message`), `closed` (nothing follows).
#[napi(object)]
pub struct StreamingEncoderEvent {
    pub kind: String,
    pub data: Option<Buffer>,
    pub message: Option<String>,
    pub code: Option<String>,
    pub stream: Option<u32>,
    pub seconds: Option<f64>,
    pub change: Option<BackendChange>,
}

impl std::fmt::Debug for StreamingEncoderEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingEncoderEvent")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn event(kind: &str) -> StreamingEncoderEvent {
    StreamingEncoderEvent {
        kind: kind.into(),
        data: None,
        message: None,
        code: None,
        stream: None,
        seconds: None,
        change: None,
    }
}

fn to_js(e: pr::Event) -> StreamingEncoderEvent {
    match e {
        pr::Event::Data(bytes) => StreamingEncoderEvent {
            data: Some(bytes.into()),
            ..event("data")
        },
        pr::Event::Stalled { what, seconds } => {
            #[expect(clippy::cast_precision_loss, reason = "seconds")]
            let seconds = Some(seconds as f64);
            StreamingEncoderEvent {
                message: Some(what),
                seconds,
                ..event("stall")
            }
        }
        pr::Event::BackendChanged { stream, change } => StreamingEncoderEvent {
            stream: Some(stream),
            change: Some(change.into()),
            ..event("backend")
        },
        pr::Event::Error(error) => StreamingEncoderEvent {
            code: Some(recording_code(&error).0.into()),
            message: Some(error.to_string()),
            ..event("error")
        },
    }
}

pub type EventFn = OutputTsfn<StreamingEncoderEvent>;

/// One stream's counters.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct StreamingStreamStats {
    pub index: u32,
    pub kind: String,
    /// Frames, samples, payloads or packets written.
    pub units: f64,
    pub bytes: f64,
    /// Encoded frames out of a video stream's encoder.
    pub encoded: f64,
    pub queued_bytes: f64,
    /// Writes that waited for room, and their total wait.
    pub waits: f64,
    pub wait_ms: f64,
}

/// The encoder's counters.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct StreamingEncoderStats {
    pub streams: Vec<StreamingStreamStats>,
    pub output_bytes: f64,
    pub pending_output_bytes: f64,
    /// Bytes of writes not yet admitted.
    pub waiting_bytes: f64,
    pub media_time_ns: BigInt,
}

/// A packet's timestamps (ns).
#[napi(object)]
#[derive(Debug)]
pub struct PacketTimes {
    pub pts_ns: BigInt,
    pub dts_ns: Option<BigInt>,
    pub duration_ns: Option<BigInt>,
}

/// A name and what it is (listing helpers).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct NamedEntry {
    pub name: String,
    pub description: String,
}

#[expect(clippy::cast_precision_loss, reason = "counters far below 2^53")]
fn f(v: u64) -> f64 {
    v as f64
}

fn bytes_option(name: &str, value: Option<f64>, default: u64) -> Outcome<u64> {
    match value {
        None => Ok(default),
        Some(v) if v.is_finite() && v >= 1.0 && v <= 2f64.powi(48) =>
        {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked range"
            )]
            Ok(v as u64)
        }
        Some(v) => Err(crate::error::invalid_argument(format!(
            "{name} {v} is not a byte count"
        ))),
    }
}

/// torio's `StreamingMediaEncoder`: video, audio, data and packet streams
/// to a file, a Writable (`dst` undefined: bytes come as `data` events) or
/// an `rtmp://`/`srt://` server.
#[napi]
pub struct StreamingMediaEncoder {
    inner: Arc<pr::StreamingMediaEncoder>,
    queue: Queue,
    events: Held<EventFn>,
    waiting: Arc<AtomicU64>,
    max_waiting: u64,
}

impl std::fmt::Debug for StreamingMediaEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingMediaEncoder")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

fn close_events(events: &Held<EventFn>) {
    events.close_with(event("closed"));
}

impl Drop for StreamingMediaEncoder {
    fn drop(&mut self) {
        self.queue.close();
        let (inner, events) = (Arc::clone(&self.inner), self.events.clone());
        let stop = move || {
            inner.abort();
            close_events(&events);
        };
        if let Err(e) = crate::entry::spawn_thread("recorder-drop", stop) {
            tracing::warn!("{}; stopping the encoder on the JS thread", e.reason);
            self.inner.abort();
            close_events(&self.events);
        }
    }
}

fn gone() -> Error<Code> {
    from_recording(pr::RecordingError::Closed)
}

impl StreamingMediaEncoder {
    /// Queues `call` holding `bytes` of the caller's data; refused past
    /// `maxWaitingBytes` so a caller that never awaits cannot grow memory
    /// without bound.
    fn write<'env>(
        &self,
        env: &'env Env,
        name: &'static str,
        bytes: u64,
        call: impl FnOnce(&pr::StreamingMediaEncoder) -> Outcome<()> + Send + 'static,
    ) -> Outcome<PromiseRaw<'env, ()>> {
        let waiting = self.waiting.load(Ordering::Acquire);
        if waiting > 0 && waiting.saturating_add(bytes) > self.max_waiting {
            return Err(from_recording(pr::RecordingError::QueueFull {
                queued: waiting,
                limit: self.max_waiting,
            }));
        }
        self.waiting.fetch_add(bytes, Ordering::AcqRel);
        let (inner, counter) = (Arc::clone(&self.inner), Arc::clone(&self.waiting));
        let result = crate::queue::queued(
            env,
            name,
            &self.queue,
            move || {
                let out = call(&inner);
                counter.fetch_sub(bytes, Ordering::AcqRel);
                out
            },
            gone,
        );
        if result.is_err() {
            self.waiting.fetch_sub(bytes, Ordering::AcqRel);
        }
        result
    }
}

#[napi]
impl StreamingMediaEncoder {
    #[napi(
        constructor,
        ts_args_type = "dst: string | undefined | null, options: StreamingEncoderOptions, callback: (event: StreamingEncoderEvent) => void"
    )]
    pub fn new(
        dst: Option<String>,
        options: StreamingEncoderOptions,
        callback: EventFn,
    ) -> Result<Self, Code> {
        entry("StreamingMediaEncoder::new", || {
            let defaults = pr::EncoderOptions::default();
            let native_options = pr::EncoderOptions {
                buffer_size: options
                    .buffer_size
                    .map_or(defaults.buffer_size, |b| b as usize),
                fragment_ms: options.fragment_duration_ms.unwrap_or(defaults.fragment_ms),
                max_queued_bytes: bytes_option(
                    "maxQueuedBytes",
                    options.max_queued_bytes,
                    defaults.max_queued_bytes,
                )?,
                max_pending_bytes: bytes_option(
                    "maxPendingBytes",
                    options.max_pending_bytes,
                    defaults.max_pending_bytes,
                )?,
                stall_after: options.stall_ms.map_or(defaults.stall_after, |ms| {
                    Duration::from_millis(u64::from(ms.max(1)))
                }),
            };
            let max_waiting =
                bytes_option("maxWaitingBytes", options.max_waiting_bytes, 256 << 20)?;
            let events = Held::new(callback);
            let sink = events.clone();
            let inner = pr::StreamingMediaEncoder::new(
                dst.as_deref(),
                options.format.as_deref(),
                native_options,
                Arc::new(move |e| sink.deliver(to_js(e), "a streaming encoder")),
            )
            .map_err(from_recording)?;
            Ok(Self {
                inner: Arc::new(inner),
                queue: Queue::new("recorder".into()),
                events,
                waiting: Arc::new(AtomicU64::new(0)),
                max_waiting,
            })
        })
    }

    /// The container written (`mp4`, `matroska`…).
    #[napi(getter)]
    pub fn container(&self) -> Result<String, Code> {
        entry("StreamingMediaEncoder::container", || {
            Ok(self.inner.container().name().into())
        })
    }

    #[napi]
    pub fn add_video_stream(&self, options: VideoStreamOptions) -> Result<u32, Code> {
        entry("StreamingMediaEncoder::add_video_stream", || {
            let spec = pr::VideoStreamSpec {
                frame_rate: options.frame_rate,
                width: options.width,
                height: options.height,
                format: options.format,
                encoder: options.encoder,
                encoder_option: pairs(options.encoder_option),
                encoder_frame_rate: options.encoder_frame_rate,
                encoder_width: options.encoder_width,
                encoder_height: options.encoder_height,
                encoder_format: options.encoder_format,
                codec_config: options
                    .codec_config
                    .map(CodecConfig::into_model)
                    .transpose()?,
                filter_desc: options.filter_desc,
                hw_accel: options.hw_accel,
            };
            self.inner.add_video_stream(&spec).map_err(from_recording)
        })
    }

    #[napi]
    pub fn add_audio_stream(&self, options: AudioStreamOptions) -> Result<u32, Code> {
        entry("StreamingMediaEncoder::add_audio_stream", || {
            let spec = pr::AudioStreamSpec {
                sample_rate: options.sample_rate,
                num_channels: options.num_channels,
                format: options.format,
                encoder: options.encoder,
                encoder_option: pairs(options.encoder_option),
                encoder_sample_rate: options.encoder_sample_rate,
                encoder_num_channels: options.encoder_num_channels,
                encoder_format: options.encoder_format,
                codec_config: options
                    .codec_config
                    .map(CodecConfig::into_model)
                    .transpose()?,
                filter_desc: options.filter_desc,
            };
            self.inner.add_audio_stream(&spec).map_err(from_recording)
        })
    }

    #[napi]
    pub fn add_data_stream(&self) -> Result<u32, Code> {
        entry("StreamingMediaEncoder::add_data_stream", || {
            self.inner.add_data_stream().map_err(from_recording)
        })
    }

    #[napi]
    pub fn add_packet_stream(&self, options: PacketStreamOptions) -> Result<u32, Code> {
        entry("StreamingMediaEncoder::add_packet_stream", || {
            let spec = pr::PacketStreamSpec {
                codec: options.codec,
                width: options.width.unwrap_or(0),
                height: options.height.unwrap_or(0),
                sample_rate: options.sample_rate.unwrap_or(0),
                channels: options.channels.unwrap_or(0),
                codec_data: options.codec_data.map(|b| b.to_vec()),
            };
            self.inner.add_packet_stream(&spec).map_err(from_recording)
        })
    }

    #[napi]
    pub fn set_metadata(&self, metadata: HashMap<String, String>) -> Result<(), Code> {
        entry("StreamingMediaEncoder::set_metadata", || {
            self.inner
                .set_metadata(pairs(Some(metadata)))
                .map_err(from_recording)
        })
    }

    /// Builds the pipeline and opens the output (a network connect runs
    /// on the encoder's thread).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn open<'env>(
        &self,
        env: &'env Env,
        options: Option<HashMap<String, String>>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::open", || {
            let options = pairs(options);
            self.write(env, "StreamingMediaEncoder::open", 0, move |e| {
                e.open(&options).map_err(from_recording)
            })
        })
    }

    /// Whole frames of the stream's pixel format; resolves once admitted.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_video_chunk<'env>(
        &self,
        env: &'env Env,
        index: u32,
        chunk: Uint8Array,
        pts: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::write_video_chunk", || {
            // Read where it is, on the encoder's thread (no copy on the JS
            // thread): the caller leaves the chunk alone until this settles.
            let length = chunk.len() as u64;
            self.write(
                env,
                "StreamingMediaEncoder::write_video_chunk",
                length,
                move |e| {
                    e.write_video_chunk(index, &chunk, pts)
                        .map_err(from_recording)
                },
            )
        })
    }

    /// One frame from a pool buffer (slot 0: RGBA, NV12 or I420 at the
    /// stream's size; in GPU memory it is converted to I420 on its GPU).
    /// The buffer may be released once this resolves.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_video_buffer<'env>(
        &self,
        env: &'env Env,
        index: u32,
        buffer: &SharedBuffer,
        pts: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::write_video_buffer", || {
            let buffer = buffer.get().map_err(|_| consumed())?;
            self.write(
                env,
                "StreamingMediaEncoder::write_video_buffer",
                0,
                move |e| {
                    let frame = i420_of(&buffer)?;
                    e.write_video_i420(index, frame, pts)
                        .map_err(from_recording)
                },
            )
        })
    }

    /// Interleaved samples of the stream's format; resolves once admitted.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_audio_chunk<'env>(
        &self,
        env: &'env Env,
        index: u32,
        chunk: Uint8Array,
        pts: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::write_audio_chunk", || {
            let bytes = chunk.to_vec();
            self.write(
                env,
                "StreamingMediaEncoder::write_audio_chunk",
                bytes.len() as u64,
                move |e| {
                    e.write_audio_chunk(index, &bytes, pts)
                        .map_err(from_recording)
                },
            )
        })
    }

    /// One payload of a data stream.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_data<'env>(
        &self,
        env: &'env Env,
        index: u32,
        payload: Uint8Array,
        pts: Option<f64>,
        duration: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::write_data", || {
            let bytes = payload.to_vec();
            self.write(
                env,
                "StreamingMediaEncoder::write_data",
                bytes.len() as u64,
                move |e| {
                    e.write_data(index, &bytes, pts, duration)
                        .map_err(from_recording)
                },
            )
        })
    }

    /// One encoded packet to remux.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_packet<'env>(
        &self,
        env: &'env Env,
        index: u32,
        data: Uint8Array,
        times: PacketTimes,
        keyframe: bool,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::write_packet", || {
            let pts = nanoseconds("ptsNs", &times.pts_ns)?;
            let dts = times
                .dts_ns
                .as_ref()
                .map(|d| nanoseconds("dtsNs", d))
                .transpose()?;
            let duration = times
                .duration_ns
                .as_ref()
                .map(|d| nanoseconds("durationNs", d))
                .transpose()?;
            let bytes = data.to_vec();
            self.write(
                env,
                "StreamingMediaEncoder::write_packet",
                bytes.len() as u64,
                move |e| {
                    e.write_packet(index, &bytes, pts, dts, duration, keyframe)
                        .map_err(from_recording)
                },
            )
        })
    }

    /// Resolves once everything written so far has reached the output.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::flush", || {
            let timeout = Duration::from_millis(u64::from(timeout_ms.unwrap_or(60_000)));
            self.write(env, "StreamingMediaEncoder::flush", 0, move |e| {
                e.flush(timeout).map_err(from_recording)
            })
        })
    }

    /// Ends one stream (the muxer stops waiting for it). Runs at once, not
    /// behind queued writes: those may be waiting for exactly this.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn end_stream<'env>(
        &self,
        env: &'env Env,
        index: u32,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::end_stream", || {
            let inner = Arc::clone(&self.inner);
            on_thread(
                env,
                "StreamingMediaEncoder::end_stream",
                move || inner.end_stream(index).map_err(from_recording),
                Ok,
            )
        })
    }

    /// Encodes what is queued, completes the output, then says `closed`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::close", || {
            let timeout = Duration::from_millis(u64::from(timeout_ms.unwrap_or(60_000)));
            let events = self.events.clone();
            let promise = self.write(env, "StreamingMediaEncoder::close", 0, move |e| {
                let result = e.close(timeout).map_err(from_recording);
                close_events(&events);
                result
            })?;
            self.queue.close();
            Ok(promise)
        })
    }

    /// Stops at once (ahead of queued writes, which then fail).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn abort<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("StreamingMediaEncoder::abort", || {
            self.queue.close();
            let (inner, events) = (Arc::clone(&self.inner), self.events.clone());
            on_thread(
                env,
                "StreamingMediaEncoder::abort",
                move || {
                    inner.abort();
                    close_events(&events);
                    Ok(())
                },
                Ok,
            )
        })
    }

    /// The Writable has written `bytes` more of what `data` events gave it.
    #[napi]
    pub fn ack(&self, bytes: f64) -> Result<(), Code> {
        entry("StreamingMediaEncoder::ack", || {
            if !(bytes.is_finite() && bytes >= 0.0) {
                return Err(crate::error::invalid_argument("ack takes a byte count"));
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked ≥ 0; saturates"
            )]
            self.inner.ack(bytes as u64);
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn stats(&self) -> Result<StreamingEncoderStats, Code> {
        entry("StreamingMediaEncoder::stats", || {
            let s = self.inner.stats();
            Ok(StreamingEncoderStats {
                streams: s
                    .streams
                    .into_iter()
                    .map(|t| StreamingStreamStats {
                        index: t.index,
                        kind: t.kind.into(),
                        units: f(t.units),
                        bytes: f(t.bytes),
                        encoded: f(t.encoded),
                        queued_bytes: f(t.queued_bytes),
                        waits: f(t.waits),
                        wait_ms: f(t.wait_ms),
                    })
                    .collect(),
                output_bytes: f(s.output_bytes),
                pending_output_bytes: f(s.pending_output_bytes),
                waiting_bytes: f(self.waiting.load(Ordering::Acquire)),
                media_time_ns: BigInt::from(s.media_time_ns),
            })
        })
    }
}

/// A pool buffer's first slot as I420 at its size: RGBA in GPU memory
/// converted on its GPU, host pictures converted here.
fn i420_of(buffer: &pb::SharedBuffer) -> Outcome<pr::I420> {
    buffer
        .with_surface(0, |surface| -> Outcome<pr::I420> {
            let (width, height) = (surface.width(), surface.height());
            if let Some(i420) = surface.download_i420(false) {
                return Ok(pr::I420 {
                    width,
                    height,
                    data: i420.map_err(from_buffers)?,
                });
            }
            with_frame_data(surface, |frame| {
                Ok(pr::I420 {
                    width,
                    height,
                    data: pe::to_i420(frame).map_err(from_encoders)?,
                })
            })
        })
        .map_err(from_buffers)?
}

fn entries(list: Vec<(&'static str, &'static str)>) -> Vec<NamedEntry> {
    list.into_iter()
        .map(|(n, d)| NamedEntry {
            name: n.into(),
            description: d.into(),
        })
        .collect()
}

/// torio's `get_muxers`: the formats written here.
#[napi]
pub fn streaming_muxers() -> Result<Vec<NamedEntry>, Code> {
    entry("streaming_muxers", || Ok(entries(pr::muxers())))
}

/// torio's `get_video_encoders`: FFmpeg's names we map, with the element
/// each runs here.
#[napi]
pub fn streaming_video_encoders() -> Result<Vec<NamedEntry>, Code> {
    entry("streaming_video_encoders", || {
        Ok(entries(pr::video_encoders()))
    })
}

/// torio's `get_audio_encoders`.
#[napi]
pub fn streaming_audio_encoders() -> Result<Vec<NamedEntry>, Code> {
    entry("streaming_audio_encoders", || {
        Ok(entries(pr::audio_encoders()))
    })
}
