//! `ChunkedWriter` for JS: each stream's writes go through an ordered
//! queue of its own, served by a thread (a write waits there while its
//! encoder or chunk is behind, never on the JS thread; a stalled stream
//! holds up only its own queue) and resolve on admission. Events come back
//! through a threadsafe function, `stopped` last.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_recording as pr;
use proj_recording::chunked as ck;

use crate::entry::{entry, on_thread, Outcome};
use crate::error::{from_recording, invalid_argument, recording_code, Code};
use crate::held::{Held, OutputTsfn};
use crate::queue::Queue;
use crate::timestamp::nanoseconds;

fn pairs(map: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = map.unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

/// One stream of a chunked recording (`kind` says which fields count).
#[napi(object)]
#[derive(Default)]
pub struct ChunkedStreamConfig {
    pub name: String,
    /// `video`, `audio`, `data` or `packets`.
    pub kind: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    /// Video: FFmpeg's encoder name; data: `ass`/`json`/`bytes`/`text`;
    /// packets: `h264`/`hevc`/`aac`/`opus`; audio: the encoder (`aac`, `opus`…).
    pub codec: Option<String>,
    pub bitrate: Option<f64>,
    pub input_pixel_format: Option<String>,
    pub output_pixel_format: Option<String>,
    pub stream_options: Option<HashMap<String, String>>,
    pub metadata: Option<HashMap<String, String>>,
    pub sample_rate: Option<u32>,
    pub num_channels: Option<u32>,
    /// Audio sample format (`f32`, `s16`…).
    pub format: Option<String>,
    pub codec_data: Option<Buffer>,
}

impl std::fmt::Debug for ChunkedStreamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedStreamConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl ChunkedStreamConfig {
    fn into_model(self) -> Outcome<(String, ck::StreamConfig)> {
        let defaults = ck::VideoStreamConfig::default();
        let config = match self.kind.as_str() {
            "video" => ck::StreamConfig::Video(ck::VideoStreamConfig {
                width: self.width.unwrap_or(0),
                height: self.height.unwrap_or(0),
                fps: self.fps.unwrap_or(defaults.fps),
                codec: self.codec.unwrap_or(defaults.codec),
                bitrate: match self.bitrate {
                    None => defaults.bitrate,
                    Some(b) if b.is_finite() && b >= 1.0 && b <= f64::from(u32::MAX) => {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "checked range"
                        )]
                        let b = b.round() as u32;
                        b
                    }
                    Some(b) => {
                        return Err(invalid_argument(format!("bitrate {b} is not a bit rate")))
                    }
                },
                input_pixel_format: self
                    .input_pixel_format
                    .unwrap_or(defaults.input_pixel_format),
                output_pixel_format: self
                    .output_pixel_format
                    .unwrap_or(defaults.output_pixel_format),
                stream_options: pairs(self.stream_options),
                metadata: pairs(self.metadata),
            }),
            "data" => ck::StreamConfig::Data(ck::DataStreamConfig {
                codec: self.codec.unwrap_or_else(|| "ass".into()),
                metadata: pairs(self.metadata),
            }),
            "audio" => ck::StreamConfig::Audio(pr::AudioStreamSpec {
                sample_rate: self.sample_rate.unwrap_or(0),
                num_channels: self.num_channels.unwrap_or(0),
                format: self.format,
                encoder: self.codec,
                encoder_option: pairs(self.stream_options),
                ..pr::AudioStreamSpec::default()
            }),
            "packets" => ck::StreamConfig::Packets(pr::PacketStreamSpec {
                codec: self.codec.unwrap_or_default(),
                width: self.width.unwrap_or(0),
                height: self.height.unwrap_or(0),
                sample_rate: self.sample_rate.unwrap_or(0),
                channels: self.num_channels.unwrap_or(0),
                codec_data: self.codec_data.map(|b| b.to_vec()),
            }),
            other => {
                return Err(invalid_argument(format!(
                    "stream kind {other:?}: video, audio, data or packets"
                )))
            }
        };
        Ok((self.name, config))
    }
}

/// `new ChunkedWriter(...)`'s options.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ChunkedWriterOptions {
    pub chunk_length_s: Option<f64>,
    /// `matroska` (default) or `mp4`.
    pub container: Option<String>,
    pub stall_ms: Option<u32>,
    pub fsync_interval_ms: Option<u32>,
    pub max_chunks: Option<u32>,
    pub max_bytes: Option<f64>,
    pub max_age_s: Option<f64>,
    pub close_timeout_ms: Option<u32>,
    pub max_queued_bytes: Option<f64>,
    pub origin_ns: Option<BigInt>,
    /// Chunk names come from `setChunkId` (the TS `startChunkCallback`).
    pub chunk_ids: Option<bool>,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct ChunkFrames {
    pub stream: String,
    pub frames: f64,
}

/// What the event callback gets; `kind` says which fields are set:
/// `opened`, `closed`, `durable`, `failed`, `stalled`, `resumed`,
/// `waiting` (a write stuck on its chunk), `dropped`, `salvaged`, `salvage-failed`, `deleted`, `error`, `stopped`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct ChunkedWriterEvent {
    pub kind: String,
    pub seq: Option<f64>,
    pub path: Option<String>,
    pub part: Option<String>,
    pub start_ns: Option<BigInt>,
    pub duration_ns: Option<f64>,
    pub bytes: Option<f64>,
    pub frames: Option<Vec<ChunkFrames>>,
    pub tracks: Option<Vec<String>>,
    pub fsync_ms: Option<f64>,
    pub stream: Option<String>,
    pub since_ns: Option<BigInt>,
    pub silent_ms: Option<f64>,
    pub count: Option<f64>,
    pub reason: Option<String>,
    pub truncated: Option<bool>,
    pub code: Option<String>,
    pub message: Option<String>,
}

#[expect(clippy::cast_precision_loss, reason = "counters far below 2^53")]
fn f(v: u64) -> f64 {
    v as f64
}

fn frames(list: ck::Frames) -> Option<Vec<ChunkFrames>> {
    Some(
        list.into_iter()
            .map(|(stream, n)| ChunkFrames {
                stream,
                frames: f(n),
            })
            .collect(),
    )
}

fn kind(kind: &str) -> ChunkedWriterEvent {
    ChunkedWriterEvent {
        kind: kind.into(),
        ..ChunkedWriterEvent::default()
    }
}

fn error_fields(e: &pr::RecordingError) -> (Option<String>, Option<String>) {
    (Some(recording_code(e).0.into()), Some(e.to_string()))
}

fn to_js(e: ck::ChunkEvent) -> ChunkedWriterEvent {
    use ck::ChunkEvent as E;
    match e {
        E::Opened {
            seq,
            path,
            start_ns,
            tracks,
        } => ChunkedWriterEvent {
            seq: Some(f(seq)),
            path: Some(path),
            start_ns: Some(BigInt::from(start_ns)),
            tracks: Some(tracks),
            ..kind("opened")
        },
        E::Closed {
            seq,
            path,
            start_ns,
            duration_ns,
            bytes,
            frames: list,
        } => ChunkedWriterEvent {
            seq: Some(f(seq)),
            path: Some(path),
            start_ns: Some(BigInt::from(start_ns)),
            duration_ns: Some(f(duration_ns)),
            bytes: Some(f(bytes)),
            frames: frames(list),
            ..kind("closed")
        },
        E::Durable {
            seq,
            path,
            start_ns,
            duration_ns,
            bytes,
            frames: list,
            fsync_ms,
        } => ChunkedWriterEvent {
            seq: Some(f(seq)),
            path: Some(path),
            start_ns: Some(BigInt::from(start_ns)),
            duration_ns: Some(f(duration_ns)),
            bytes: Some(f(bytes)),
            frames: frames(list),
            fsync_ms: Some(fsync_ms),
            ..kind("durable")
        },
        E::Failed { seq, path, error } => {
            let (code, message) = error_fields(&error);
            ChunkedWriterEvent {
                seq: Some(f(seq)),
                part: Some(path),
                code,
                message,
                ..kind("failed")
            }
        }
        E::Stalled {
            stream,
            since_ns,
            silent_ms,
        } => ChunkedWriterEvent {
            stream: Some(stream),
            since_ns: since_ns.map(BigInt::from),
            silent_ms: Some(f(silent_ms)),
            ..kind("stalled")
        },
        E::Resumed { stream, at_ns } => ChunkedWriterEvent {
            stream: Some(stream),
            start_ns: Some(BigInt::from(at_ns)),
            ..kind("resumed")
        },
        E::Waiting { what, seconds } => ChunkedWriterEvent {
            message: Some(what),
            silent_ms: Some(f(seconds.saturating_mul(1000))),
            ..kind("waiting")
        },
        E::Dropped {
            stream,
            count,
            reason,
        } => ChunkedWriterEvent {
            stream: Some(stream),
            count: Some(f(count)),
            reason: Some(reason),
            ..kind("dropped")
        },
        E::Salvaged {
            part,
            path,
            frames: list,
            truncated,
        } => ChunkedWriterEvent {
            part: Some(part),
            path: Some(path),
            frames: frames(list),
            truncated: Some(truncated),
            ..kind("salvaged")
        },
        E::SalvageFailed { part, error } => {
            let (code, message) = error_fields(&error);
            ChunkedWriterEvent {
                part: Some(part),
                code,
                message,
                ..kind("salvage-failed")
            }
        }
        E::Deleted { path, reason } => ChunkedWriterEvent {
            path: Some(path),
            reason: Some(reason),
            ..kind("deleted")
        },
        E::Error(error) => {
            let (code, message) = error_fields(&error);
            ChunkedWriterEvent {
                code,
                message,
                ..kind("error")
            }
        }
    }
}

pub type ChunkedEventFn = OutputTsfn<ChunkedWriterEvent>;

#[napi(object)]
#[derive(Debug, Clone)]
pub struct ChunkedStreamStats {
    pub name: String,
    pub written: f64,
    pub dropped: f64,
    pub stalled: bool,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct ChunkedWriterStats {
    pub chunks_open: f64,
    pub chunks_durable: f64,
    pub chunks_failed: f64,
    pub streams: Vec<ChunkedStreamStats>,
    pub origin_ns: BigInt,
}

/// What a merge copied.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct MergeReport {
    pub tracks: Vec<MergedTrack>,
    pub truncated: Vec<String>,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct MergedTrack {
    pub name: String,
    pub media: String,
    pub packets: f64,
}

fn report(r: ck::RemuxReport) -> MergeReport {
    MergeReport {
        tracks: r
            .tracks
            .into_iter()
            .map(|t| MergedTrack {
                name: t.name,
                media: t.media,
                packets: f(t.packets),
            })
            .collect(),
        truncated: r
            .truncated
            .into_iter()
            .map(|p| p.display().to_string())
            .collect(),
    }
}

/// omgrab's `ChunkedWriter` (the TS class in `@proj/gstreamer` wraps it).
#[napi]
pub struct NativeChunkedWriter {
    inner: Arc<ck::ChunkedWriter>,
    queues: Vec<Queue>,
    events: Held<ChunkedEventFn>,
}

impl std::fmt::Debug for NativeChunkedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeChunkedWriter")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

fn gone() -> Error<Code> {
    from_recording(pr::RecordingError::Closed)
}

fn stopped_event(events: &Held<ChunkedEventFn>) {
    events.close_with(kind("stopped"));
}

impl Drop for NativeChunkedWriter {
    fn drop(&mut self) {
        for q in &self.queues {
            q.close();
        }
        let (inner, events) = (Arc::clone(&self.inner), self.events.clone());
        let stop = move || {
            inner.abort();
            stopped_event(&events);
        };
        if crate::entry::spawn_thread("chunked-drop", stop).is_err() {
            self.inner.abort();
            stopped_event(&self.events);
        }
    }
}

impl NativeChunkedWriter {
    fn queue(&self, stream: u32) -> Outcome<&Queue> {
        self.queues.get(stream as usize).ok_or_else(|| {
            invalid_argument(format!(
                "no stream {stream} (there are {})",
                self.queues.len()
            ))
        })
    }

    fn write<'env>(
        &self,
        env: &'env Env,
        name: &'static str,
        stream: u32,
        call: impl FnOnce(&ck::ChunkedWriter) -> Outcome<()> + Send + 'static,
    ) -> Outcome<PromiseRaw<'env, ()>> {
        let inner = Arc::clone(&self.inner);
        crate::queue::queued(env, name, self.queue(stream)?, move || call(&inner), gone)
    }
}

/// A writer method that takes a stream's bytes at a timestamp.
type WriteBytes = fn(&ck::ChunkedWriter, usize, &[u8], u64) -> pr::Result<()>;

impl NativeChunkedWriter {
    /// Queues `method` with `bytes` (read in place on the stream's thread).
    fn write_bytes<'env>(
        &self,
        env: &'env Env,
        name: &'static str,
        stream: u32,
        bytes: Uint8Array,
        ts_ns: &BigInt,
        method: WriteBytes,
    ) -> Outcome<PromiseRaw<'env, ()>> {
        let ts = nanoseconds("timestamp", ts_ns)?;
        self.write(env, name, stream, move |w| {
            method(w, stream as usize, &bytes, ts).map_err(from_recording)
        })
    }
}

fn duration_ns(seconds: f64, name: &str) -> Outcome<Duration> {
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 1e7 {
        return Err(invalid_argument(format!(
            "{name} {seconds} is not a duration in seconds"
        )));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[napi]
impl NativeChunkedWriter {
    #[napi(
        constructor,
        ts_args_type = "name: string, outputDirectory: string, streams: ChunkedStreamConfig[], options: ChunkedWriterOptions, callback: (event: ChunkedWriterEvent) => void"
    )]
    pub fn new(
        name: String,
        output_directory: String,
        streams: Vec<ChunkedStreamConfig>,
        options: ChunkedWriterOptions,
        callback: ChunkedEventFn,
    ) -> Result<Self, Code> {
        entry("ChunkedWriter::new", || {
            let defaults = ck::ChunkedOptions::default();
            let container = match options.container.as_deref() {
                None => defaults.container,
                Some(c) => pr::Container::from_name(c).map_err(from_recording)?,
            };
            let native = ck::ChunkedOptions {
                chunk_length: options
                    .chunk_length_s
                    .map(|s| duration_ns(s, "chunkLengthS"))
                    .transpose()?
                    .unwrap_or(defaults.chunk_length),
                container,
                stall_after: options.stall_ms.map_or(defaults.stall_after, |ms| {
                    Duration::from_millis(u64::from(ms))
                }),
                fsync_interval: options
                    .fsync_interval_ms
                    .filter(|ms| *ms > 0)
                    .map(|ms| Duration::from_millis(u64::from(ms))),
                retention: ck::Retention {
                    max_chunks: options.max_chunks,
                    max_bytes: match options.max_bytes {
                        None => None,
                        Some(b) if b.is_finite() && b >= 1.0 && b <= 2f64.powi(60) => {
                            #[expect(
                                clippy::cast_possible_truncation,
                                clippy::cast_sign_loss,
                                reason = "checked range"
                            )]
                            let b = b as u64;
                            Some(b)
                        }
                        Some(b) => {
                            return Err(invalid_argument(format!(
                                "maxBytes {b} is not a byte count"
                            )))
                        }
                    },
                    max_age: options
                        .max_age_s
                        .map(|s| duration_ns(s, "maxAgeS"))
                        .transpose()?,
                },
                close_timeout: options
                    .close_timeout_ms
                    .map_or(defaults.close_timeout, |ms| {
                        Duration::from_millis(u64::from(ms))
                    }),
                max_queued_bytes: match options.max_queued_bytes {
                    None => defaults.max_queued_bytes,
                    Some(b) if b.is_finite() && b >= 65_536.0 && b <= 2f64.powi(40) => {
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            reason = "checked range"
                        )]
                        let b = b as u64;
                        b
                    }
                    Some(b) => {
                        return Err(invalid_argument(format!(
                            "maxQueuedBytes {b}: 64 KiB to 1 TiB"
                        )))
                    }
                },
                origin_ns: options
                    .origin_ns
                    .as_ref()
                    .map(|o| nanoseconds("originNs", o))
                    .transpose()?,
            };
            let streams = streams
                .into_iter()
                .map(ChunkedStreamConfig::into_model)
                .collect::<Outcome<Vec<_>>>()?;
            let count = streams.len();
            let events = Held::new(callback);
            let sink = events.clone();
            let inner = ck::ChunkedWriter::new(
                &name,
                &PathBuf::from(output_directory),
                streams,
                native,
                Arc::new(move |e| sink.deliver(to_js(e), "a chunked writer")),
            )
            .map_err(from_recording)?;
            if options.chunk_ids == Some(true) {
                inner.expect_chunk_ids();
            }
            Ok(Self {
                inner: Arc::new(inner),
                queues: (0..count)
                    .map(|i| Queue::new(format!("chunked-{i}")))
                    .collect(),
                events,
            })
        })
    }

    /// Salvages what a crash left, then records (on a thread of its own).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::start", || {
            let inner = Arc::clone(&self.inner);
            on_thread(
                env,
                "ChunkedWriter::start",
                move || inner.start().map_err(from_recording),
                Ok,
            )
        })
    }

    /// One frame (read in place: leave it alone until this settles).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_frame<'env>(
        &self,
        env: &'env Env,
        stream: u32,
        frame: Uint8Array,
        ts_ns: BigInt,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::write_frame", || {
            self.write_bytes(
                env,
                "ChunkedWriter::write_frame",
                stream,
                frame,
                &ts_ns,
                ck::ChunkedWriter::write_frame,
            )
        })
    }

    /// One payload of a data stream, stored byte for byte.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_data<'env>(
        &self,
        env: &'env Env,
        stream: u32,
        payload: Uint8Array,
        ts_ns: BigInt,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::write_data", || {
            self.write_bytes(
                env,
                "ChunkedWriter::write_data",
                stream,
                payload,
                &ts_ns,
                ck::ChunkedWriter::write_data,
            )
        })
    }

    /// Interleaved samples of an audio stream, the first at `tsNs`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_audio<'env>(
        &self,
        env: &'env Env,
        stream: u32,
        samples: Uint8Array,
        ts_ns: BigInt,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::write_audio", || {
            self.write_bytes(
                env,
                "ChunkedWriter::write_audio",
                stream,
                samples,
                &ts_ns,
                ck::ChunkedWriter::write_audio,
            )
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn write_packet<'env>(
        &self,
        env: &'env Env,
        stream: u32,
        data: Uint8Array,
        pts_ns: BigInt,
        dts_ns: Option<BigInt>,
        keyframe: bool,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::write_packet", || {
            let pts = nanoseconds("ptsNs", &pts_ns)?;
            let dts = dts_ns
                .as_ref()
                .map(|d| nanoseconds("dtsNs", d))
                .transpose()?;
            self.write(env, "ChunkedWriter::write_packet", stream, move |w| {
                w.write_packet(stream as usize, &data, pts, dts, keyframe)
                    .map_err(from_recording)
            })
        })
    }

    /// Names the chunk `seq` (the TS `startChunkCallback`'s answer).
    #[napi]
    pub fn set_chunk_id(&self, seq: f64, id: String) -> Result<(), Code> {
        entry("ChunkedWriter::set_chunk_id", || {
            if !(seq.is_finite() && seq >= 0.0 && seq <= 2f64.powi(52)) {
                return Err(invalid_argument("seq is a chunk number"));
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked range"
            )]
            let seq = seq as u64;
            self.inner.set_chunk_id(seq, &id).map_err(from_recording)
        })
    }

    /// Items the caller dropped by its policy (counted and reported).
    #[napi]
    pub fn count_dropped(&self, stream: u32, count: u32, reason: String) -> Result<(), Code> {
        entry("ChunkedWriter::count_dropped", || {
            self.queue(stream)?;
            self.inner
                .count_dropped(stream as usize, u64::from(count), &reason);
            Ok(())
        })
    }

    /// Waits for every stream's queued writes, ends the streams, finalizes
    /// the chunks in flight; resolves with the manifest (JSON).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn stop<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
    ) -> Result<PromiseRaw<'env, String>, Code> {
        entry("ChunkedWriter::stop", || {
            let timeout = Duration::from_millis(u64::from(timeout_ms.unwrap_or(60_000)));
            for q in &self.queues {
                q.close();
            }
            let (inner, events) = (Arc::clone(&self.inner), self.events.clone());
            let waits: Vec<_> = self.queues.iter().map(Queue::waiter).collect();
            on_thread(
                env,
                "ChunkedWriter::stop",
                move || {
                    for wait in waits {
                        wait();
                    }
                    let result = inner.stop(timeout).map_err(from_recording);
                    stopped_event(&events);
                    Ok(result?.to_json())
                },
                Ok,
            )
        })
    }

    /// Stops at once; chunks in flight stay as `.part` for the next start.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn abort<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("ChunkedWriter::abort", || {
            for q in &self.queues {
                q.close();
            }
            let (inner, events) = (Arc::clone(&self.inner), self.events.clone());
            on_thread(
                env,
                "ChunkedWriter::abort",
                move || {
                    inner.abort();
                    stopped_event(&events);
                    Ok(())
                },
                Ok,
            )
        })
    }

    #[napi(getter)]
    pub fn stats(&self) -> Result<ChunkedWriterStats, Code> {
        entry("ChunkedWriter::stats", || {
            let s = self.inner.stats();
            Ok(ChunkedWriterStats {
                chunks_open: f(s.chunks_open),
                chunks_durable: f(s.chunks_durable),
                chunks_failed: f(s.chunks_failed),
                streams: s
                    .streams
                    .into_iter()
                    .map(|(name, written, dropped, stalled)| ChunkedStreamStats {
                        name,
                        written: f(written),
                        dropped: f(dropped),
                        stalled,
                    })
                    .collect(),
                origin_ns: BigInt::from(s.origin_ns),
            })
        })
    }
}

/// omgrab's `merge_stream_files`: single-stream files into one multi-track
/// file, atomically and durably, without an ffmpeg binary.
#[napi(ts_return_type = "Promise<MergeReport>")]
pub fn merge_stream_files<'env>(
    env: &'env Env,
    parts: Vec<String>,
    output: String,
) -> Result<PromiseRaw<'env, MergeReport>, Code> {
    entry("merge_stream_files", || {
        on_thread(
            env,
            "merge_stream_files",
            move || {
                let parts: Vec<PathBuf> = parts.into_iter().map(PathBuf::from).collect();
                ck::merge_stream_files(&parts, &PathBuf::from(output))
                    .map(report)
                    .map_err(from_recording)
            },
            Ok,
        )
    })
}

/// omgrab's `merge_recording_chunks`: a recording's chunks, in order, into
/// one file (the chunks are kept).
#[napi(ts_return_type = "Promise<MergeReport>")]
pub fn merge_recording_chunks<'env>(
    env: &'env Env,
    recording_dir: String,
    output: String,
) -> Result<PromiseRaw<'env, MergeReport>, Code> {
    entry("merge_recording_chunks", || {
        on_thread(
            env,
            "merge_recording_chunks",
            move || {
                ck::merge_recording_chunks(&PathBuf::from(recording_dir), &PathBuf::from(output))
                    .map(report)
                    .map_err(from_recording)
            },
            Ok,
        )
    })
}
