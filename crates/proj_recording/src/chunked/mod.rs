//! `ChunkedWriter`: omgrab's multi-stream chunked recorder, on one muxer
//! per chunk (see ARCHITECTURE.md, "Chunked recording").
//!
//! ```text
//! video s:  frames → I420 → Encoder (kept across chunks; keyframe forced
//!           at each chunk's first frame) → packets ─┐
//! audio s:  samples ────────────────────────────────┤ routed by timestamp
//! data s:   payloads ───────────────────────────────┤ (timeline.rs) into
//! packets s: a camera's access units ───────────────┘ the chunk in flight:
//!           a StreamingMediaEncoder → <seq>.mkv.part (unbuffered)
//! watchdog: a stream silent for `stall_after` is ended in the chunks in
//!           flight (they close on time without it)
//! finalizer: close → fsync(file) → rename → fsync(dir) → manifest → retention
//! ```

mod chunk;
mod config;
mod durable;
mod ebml;
mod events;
mod finalize;
mod manifest;
mod merge;
mod remux;
mod routing;
mod salvage;
mod timeline;
mod watchdog;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proj_encoders as pe;

pub use chunk::TrackCount;
use chunk::{Chunk, Item};
pub use config::{
    ChunkedOptions, DataStreamConfig, Retention, StreamConfig, VideoStreamConfig, DATA_CODECS,
    VIDEO_CODECS,
};
pub use events::{ChunkEvent, ChunkEventCallback, Frames};
pub use manifest::{ChunkEntry, Manifest, StreamEntry, TrackEntry};
pub use merge::{merge_recording_chunks, merge_stream_files};
pub use remux::{remux, RemuxReport, RemuxedTrack};
use timeline::{Route, Slot, Timeline};

use crate::error::{invalid, unknown};
use crate::pixels::to_i420;
use crate::video::VideoPlan;
use crate::{RecordingError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Created,
    Running,
    Stopping,
    Stopped,
}

#[derive(Debug, Default)]
struct Feed {
    /// The stream's last item (recording ns).
    last_ts: Option<u64>,
    /// The chunk of its last video frame.
    last_seq: Option<u64>,
}

struct Lane {
    name: String,
    plan: Option<VideoPlan>,
    /// An ffv1 stream (encoded in each chunk, no encoder of ours).
    lossless: Option<crate::LosslessSpec>,
    encoder: Mutex<Option<Arc<pe::Encoder>>>,
    feed: Mutex<Feed>,
    /// Recording ns of the last item, and ms (writer clock) it came at.
    last_ts: AtomicU64,
    last_wall_ms: AtomicU64,
    seen: AtomicBool,
    stalled: AtomicBool,
    items: AtomicU64,
    dropped: AtomicU64,
}

/// A chunk every stream is done with, and its end (recording ns).
type Closing = (Arc<Chunk>, u64);

struct State {
    phase: Phase,
    origin: Option<u64>,
    timeline: Timeline,
    chunks: BTreeMap<u64, Arc<Chunk>>,
}

/// Counters of a writer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkedStats {
    pub chunks_open: u64,
    pub chunks_durable: u64,
    pub chunks_failed: u64,
    /// Per stream: (name, items written, items dropped, stalled now).
    pub streams: Vec<(String, u64, u64, bool)>,
    /// Epoch ns of the origin (0 before the first item).
    pub origin_ns: u64,
}

struct Inner {
    name: String,
    dir: PathBuf,
    streams: Vec<(String, StreamConfig)>,
    options: ChunkedOptions,
    events: ChunkEventCallback,
    state: Mutex<State>,
    lanes: Vec<Lane>,
    to_finalize: Mutex<Option<Sender<Closing>>>,
    finalizing: Mutex<u64>,
    finalized: Condvar,
    threads: Mutex<Vec<JoinHandle<()>>>,
    manifest: Mutex<Manifest>,
    ids: Mutex<HashMap<u64, String>>,
    expects_ids: AtomicBool,
    started: Instant,
    /// Writer-clock ms of the first chunk's opening.
    first_wall_ms: AtomicU64,
    durable: AtomicU64,
    failed: AtomicU64,
    /// For `stats` (which never waits for a lock).
    open_chunks: AtomicU64,
    origin: AtomicU64,
}

/// omgrab's `ChunkedWriter` (see the module documentation).
pub struct ChunkedWriter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ChunkedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedWriter")
            .field("name", &self.inner.name)
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn epoch_now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A name safe as a file name (chunk ids come from the user's callback).
fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 200 || id.starts_with('.') || id.contains(['/', '\\', '\0']) {
        return Err(invalid(
            "chunkId",
            format!("{id:?} is not a file name (no slashes, not empty, not starting with a dot)"),
        ));
    }
    Ok(())
}

impl ChunkedWriter {
    /// `streams`: each stream's name and config, in the order of the
    /// files' tracks. Nothing is opened until `start`.
    pub fn new(
        name: &str,
        dir: &Path,
        streams: Vec<(String, StreamConfig)>,
        options: ChunkedOptions,
        events: ChunkEventCallback,
    ) -> Result<Self> {
        proj_gstreamer::init()?;
        options.check()?;
        if streams.is_empty() {
            return Err(invalid("streamConfigs", "at least one stream"));
        }
        if streams.len() > 64 {
            return Err(invalid("streamConfigs", "at most 64 streams"));
        }
        let mut lanes = Vec::new();
        for (i, (stream, config)) in streams.iter().enumerate() {
            if stream.is_empty() || streams[..i].iter().any(|(n, _)| n == stream) {
                return Err(invalid(
                    "streamConfigs",
                    format!("stream names must be unique and not empty ({stream:?})"),
                ));
            }
            let lossless = match config {
                StreamConfig::Video(v) => v.lossless()?,
                _ => None,
            };
            if lossless.is_some() && options.container != crate::Container::Matroska {
                return Err(RecordingError::Unsupported {
                    reason: "ffv1 in MP4 chunks: mp4mux does not take it; record ffv1 in Matroska (the default)".into(),
                });
            }
            let plan = match config {
                StreamConfig::Video(_) if lossless.is_some() => None,
                StreamConfig::Video(v) => Some(v.plan()?),
                StreamConfig::Data(d) => {
                    let codec = d.codec.trim().to_ascii_lowercase();
                    if !codec.is_empty() && !DATA_CODECS.contains(&codec.as_str()) {
                        return Err(unknown("data codec", &codec, DATA_CODECS));
                    }
                    if options.container.is_mp4() {
                        return Err(RecordingError::Unsupported {
                            reason: "data streams in MP4 chunks: MP4 text samples lose bytes that are not UTF-8 and cut payloads past 65535 bytes; record data in Matroska chunks (the default)".into(),
                        });
                    }
                    None
                }
                _ => None,
            };
            lanes.push(Lane {
                name: stream.clone(),
                plan,
                lossless,
                encoder: Mutex::new(None),
                feed: Mutex::new(Feed::default()),
                last_ts: AtomicU64::new(0),
                last_wall_ms: AtomicU64::new(0),
                seen: AtomicBool::new(false),
                stalled: AtomicBool::new(false),
                items: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            });
        }
        let manifest = Manifest {
            name: name.to_owned(),
            container: options.container.name().to_owned(),
            chunk_length_ns: ns(options.chunk_length),
            streams: streams
                .iter()
                .map(|(n, c)| StreamEntry {
                    name: n.clone(),
                    kind: c.kind().to_owned(),
                    codec: match c {
                        StreamConfig::Video(v) => v.codec.clone(),
                        StreamConfig::Audio(a) => a.encoder.clone().unwrap_or_default(),
                        StreamConfig::Data(d) => d.codec.clone(),
                        StreamConfig::Packets(p) => p.codec.clone(),
                    },
                    metadata: c.metadata().to_vec(),
                })
                .collect(),
            chunks: Vec::new(),
        };
        let length = ns(options.chunk_length);
        let count = streams.len();
        Ok(Self {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                dir: dir.to_path_buf(),
                streams,
                options,
                events,
                state: Mutex::new(State {
                    phase: Phase::Created,
                    origin: None,
                    timeline: Timeline::new(length, count, 0),
                    chunks: BTreeMap::new(),
                }),
                lanes,
                to_finalize: Mutex::new(None),
                finalizing: Mutex::new(0),
                finalized: Condvar::new(),
                threads: Mutex::new(Vec::new()),
                manifest: Mutex::new(manifest),
                ids: Mutex::new(HashMap::new()),
                expects_ids: AtomicBool::new(false),
                started: Instant::now(),
                first_wall_ms: AtomicU64::new(0),
                durable: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                open_chunks: AtomicU64::new(0),
                origin: AtomicU64::new(0),
            }),
        })
    }

    /// Chunk names come from [`set_chunk_id`](Self::set_chunk_id) (omgrab's
    /// `start_chunk_callback`): finalizing waits up to 2 s for each.
    pub fn expect_chunk_ids(&self) {
        self.inner.expects_ids.store(true, Ordering::Release);
    }

    pub fn set_chunk_id(&self, seq: u64, id: &str) -> Result<()> {
        check_id(id)?;
        lock(&self.inner.ids).insert(seq, id.to_owned());
        self.inner.finalized.notify_all();
        Ok(())
    }

    /// Creates the directory, salvages `.part` files a crash left, and
    /// starts the watchdog and finalizer. Blocks (salvage): not on the JS
    /// thread.
    pub fn start(&self) -> Result<()> {
        let inner = &self.inner;
        {
            let state = lock(&inner.state);
            if state.phase != Phase::Created {
                return Err(RecordingError::AlreadyOpen { what: "start" });
            }
        }
        std::fs::create_dir_all(&inner.dir).map_err(|e| RecordingError::Io {
            what: "creating",
            path: inner.dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut first_seq = 0;
        if let Some(old) = Manifest::load(&inner.dir)? {
            first_seq = old.next_seq();
            lock(&inner.manifest).chunks = old.chunks;
        }
        first_seq = first_seq.max(inner.salvage()?);
        if inner.options.retention != Retention::default() {
            inner.retain();
        }
        let (tx, rx) = channel::<Closing>();
        *lock(&inner.to_finalize) = Some(tx);
        let finalizer = Arc::clone(inner);
        let watchdog = Arc::clone(inner);
        let mut threads = lock(&inner.threads);
        threads.push(spawn("chunk-finalizer", move || {
            while let Ok((chunk, end)) = rx.recv() {
                finalizer.finalize(&chunk, end);
                *lock(&finalizer.finalizing) -= 1;
                finalizer.finalized.notify_all();
            }
        })?);
        threads.push(spawn("chunk-watchdog", move || watchdog.watch())?);
        drop(threads);
        let mut state = lock(&inner.state);
        state.timeline = Timeline::new(
            ns(inner.options.chunk_length),
            inner.streams.len(),
            first_seq,
        );
        state.origin = inner.options.origin_ns;
        state.phase = Phase::Running;
        Ok(())
    }

    /// Ends every stream, closes and finalizes the chunks in flight, and
    /// writes the manifest. Blocks: not on the JS thread.
    pub fn stop(&self, timeout: Duration) -> Result<Manifest> {
        let inner = &self.inner;
        {
            let mut state = lock(&inner.state);
            match state.phase {
                Phase::Running => state.phase = Phase::Stopping,
                Phase::Created => {
                    state.phase = Phase::Stopped;
                    return Ok(lock(&inner.manifest).clone());
                }
                _ => return Err(RecordingError::Closed),
            }
        }
        // Each stream ends in its chunks as soon as its encoder has handed
        // over its last packet (at once for streams without one), all side
        // by side: one encoder's last packet may be waiting for the muxer,
        // which waits for another stream to end.
        let errors: Vec<RecordingError> = std::thread::scope(|scope| {
            let end = move |s: usize| {
                let encoder = lock(&inner.lanes[s].encoder).clone();
                let finished = encoder.map(|e| e.finish(timeout)).transpose();
                inner.end_stream(s);
                finished.err().map(RecordingError::from)
            };
            let mut errors = Vec::new();
            let mut threads = Vec::new();
            for s in 0..inner.lanes.len() {
                match std::thread::Builder::new()
                    .name("chunk-stop".into())
                    .spawn_scoped(scope, move || end(s))
                {
                    Ok(t) => threads.push(t),
                    // No thread to be had: this stream ends here, in turn.
                    Err(_) => errors.extend(end(s)),
                }
            }
            errors.extend(threads.into_iter().filter_map(|t| t.join().ok().flatten()));
            errors
        });
        let mut first_error = errors.into_iter().next();
        // Every chunk has left the timeline; wait for the finalizer.
        let deadline = Instant::now() + timeout;
        {
            let mut pending = lock(&inner.finalizing);
            while *pending > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    first_error.get_or_insert(RecordingError::Timeout {
                        what: "finalizing the last chunks",
                        seconds: timeout.as_secs(),
                    });
                    break;
                }
                pending = inner
                    .finalized
                    .wait_timeout(pending, left.min(Duration::from_millis(100)))
                    .map_or_else(|e| e.into_inner().0, |(g, _)| g);
            }
        }
        lock(&inner.state).phase = Phase::Stopped;
        *lock(&inner.to_finalize) = None;
        inner.finalized.notify_all();
        let threads = std::mem::take(&mut *lock(&inner.threads));
        for t in threads {
            if first_error.is_none() {
                let _ = t.join();
            }
        }
        let manifest = lock(&inner.manifest).clone();
        if let Err(e) = manifest.save(&inner.dir) {
            first_error.get_or_insert(e);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(manifest),
        }
    }

    /// Stops at once: chunks in flight are left as `.part` (salvaged by the
    /// next `start` in this directory).
    pub fn abort(&self) {
        let inner = &self.inner;
        let chunks: Vec<_> = {
            let mut state = lock(&inner.state);
            state.phase = Phase::Stopped;
            inner.open_chunks.store(0, Ordering::Relaxed);
            std::mem::take(&mut state.chunks).into_values().collect()
        };
        // Chunks first: a packet an encoder is pushing into one then fails
        // at once, so the encoder's thread is free when it is shut down.
        for chunk in chunks {
            chunk.abort();
        }
        for lane in &inner.lanes {
            if let Some(e) = lock(&lane.encoder).take() {
                e.shutdown();
            }
        }
        *lock(&inner.to_finalize) = None;
        inner.finalized.notify_all();
    }

    pub fn stats(&self) -> ChunkedStats {
        let inner = &self.inner;
        ChunkedStats {
            chunks_open: inner.open_chunks.load(Ordering::Relaxed),
            chunks_durable: inner.durable.load(Ordering::Relaxed),
            chunks_failed: inner.failed.load(Ordering::Relaxed),
            streams: inner
                .lanes
                .iter()
                .map(|l| {
                    (
                        l.name.clone(),
                        l.items.load(Ordering::Relaxed),
                        l.dropped.load(Ordering::Relaxed),
                        l.stalled.load(Ordering::Relaxed),
                    )
                })
                .collect(),
            origin_ns: inner.origin.load(Ordering::Relaxed),
        }
    }

    /// Counts items a caller dropped by its policy (reported once).
    pub fn count_dropped(&self, s: usize, count: u64, reason: &str) {
        self.inner.drop_items(s, count, reason);
    }
}

impl Drop for ChunkedWriter {
    fn drop(&mut self) {
        let running = lock(&self.inner.state).phase != Phase::Stopped;
        if running {
            self.abort();
        }
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| RecordingError::Pipeline {
            reason: format!("cannot start a thread: {e}"),
        })
}

impl Inner {
    fn lane(&self, s: usize) -> Result<&Lane> {
        let phase = lock(&self.state).phase;
        match phase {
            Phase::Running => {}
            Phase::Created => return Err(RecordingError::NotOpen),
            _ => return Err(RecordingError::Closed),
        }
        self.lanes.get(s).ok_or_else(|| {
            invalid(
                "stream",
                format!("no stream {s} (there are {})", self.lanes.len()),
            )
        })
    }

    /// `ts` in recording time; the first item sets the origin.
    fn relative(&self, ts: u64) -> Result<u64> {
        let mut state = lock(&self.state);
        let origin = *state.origin.get_or_insert(ts);
        self.origin.store(origin, Ordering::Relaxed);
        ts.checked_sub(origin).ok_or_else(|| {
            invalid(
                "timestamp",
                format!(
                    "{ts} is {} ns before the recording's origin {origin} (the first item's timestamp, or originNs)",
                    origin - ts
                ),
            )
        })
    }

    fn now_ms(&self) -> u64 {
        ms(self.started.elapsed())
    }

    fn drop_items(&self, s: usize, count: u64, reason: &str) {
        let lane = &self.lanes[s];
        lane.dropped.fetch_add(count, Ordering::Relaxed);
        (self.events)(ChunkEvent::Dropped {
            stream: lane.name.clone(),
            count,
            reason: reason.to_owned(),
        });
    }
}
