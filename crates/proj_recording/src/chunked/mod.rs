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
mod manifest;
mod remux;
mod timeline;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use proj_buffers::VideoFormat;
use proj_encoders as pe;

pub use chunk::TrackCount;
use chunk::{Chunk, Item};
pub use config::{
    ChunkedOptions, DataStreamConfig, Retention, StreamConfig, VideoStreamConfig, DATA_CODECS,
    VIDEO_CODECS,
};
pub use events::{ChunkEvent, ChunkEventCallback, Frames};
pub use manifest::{ChunkEntry, Manifest, StreamEntry, TrackEntry};
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
    /// Chunk seq → its end (recording ns) once it left the timeline.
    ends: HashMap<u64, u64>,
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
                    ends: HashMap::new(),
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
            }),
        })
    }

    pub fn stream_index(&self, name: &str) -> Option<usize> {
        self.inner.lanes.iter().position(|l| l.name == name)
    }

    pub fn stream_names(&self) -> Vec<String> {
        self.inner.lanes.iter().map(|l| l.name.clone()).collect()
    }

    pub fn is_data_stream(&self, name: &str) -> bool {
        self.inner
            .streams
            .iter()
            .any(|(n, c)| n == name && matches!(c, StreamConfig::Data(_)))
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

    /// One video frame (the stream's input pixel format, width × height) at
    /// `ts_ns` (epoch ns). Returns once the encoder took it.
    pub fn write_frame(&self, s: usize, frame: &[u8], ts_ns: u64) -> Result<()> {
        let inner = &self.inner;
        let lane = inner.lane(s)?;
        if let Some(spec) = lane.lossless {
            let expected = spec.input.frame_bytes(spec.width, spec.height);
            if frame.len() != expected {
                return Err(invalid(
                    "frame",
                    format!(
                        "{} bytes; a {}x{} {} frame is {expected}",
                        frame.len(),
                        spec.width,
                        spec.height,
                        spec.input.name
                    ),
                ));
            }
            let (n, d) = spec.rate;
            let duration_ns = u64::from(d) * 1_000_000_000 / u64::from(n.max(1));
            return self.write_item(
                s,
                "video",
                ts_ns,
                true,
                Item::Raw {
                    data: frame,
                    duration_ns,
                },
            );
        }
        let Some(plan) = &lane.plan else {
            return Err(invalid(
                "stream",
                format!("{} is not a video stream", lane.name),
            ));
        };
        let expected = plan.format.frame_bytes(plan.width, plan.height);
        if frame.len() != expected {
            return Err(invalid(
                "frame",
                format!(
                    "{} bytes; a {}x{} {} frame is {expected}",
                    frame.len(),
                    plan.width,
                    plan.height,
                    plan.format.name()
                ),
            ));
        }
        let rel = inner.relative(ts_ns)?;
        let mut feed = lock(&lane.feed);
        if let Some(last) = feed.last_ts.filter(|&l| rel <= l) {
            return Err(invalid(
                "timestamp",
                format!(
                    "{} does not increase on stream {} (its last frame was {} ns later in the recording)",
                    ts_ns,
                    lane.name,
                    last - rel
                ),
            ));
        }
        let i420 = to_i420(plan.format, plan.width, plan.height, frame)?;
        let encoder = inner.encoder(s, plan)?;
        let layout = pe::Layout::tight(VideoFormat::I420, i420.width, i420.height)?;
        let data = pe::FrameData::new(
            VideoFormat::I420,
            i420.width,
            i420.height,
            &i420.data,
            &layout.strides,
        )?;
        let prepared = encoder.prepare(&data)?;
        inner.came(s, rel);
        let seq = inner.route(s, rel, true, false)?;
        if feed.last_seq.is_some_and(|l| l != seq) {
            encoder.request_keyframe();
        }
        let (n, d) = plan.rate;
        let duration = u64::from(d) * 1_000_000_000 / u64::from(n.max(1));
        encoder.submit_prepared(prepared, rel, Some(duration), Some(u128::from(seq)))?;
        feed.last_ts = Some(rel);
        feed.last_seq = Some(seq);
        lane.items.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// One payload of a data stream at `ts_ns` (epoch ns), stored byte for byte.
    pub fn write_data(&self, s: usize, payload: &[u8], ts_ns: u64) -> Result<()> {
        self.write_item(s, "data", ts_ns, true, Item::Data(payload))
    }

    /// Interleaved samples of an audio stream starting at `ts_ns`.
    pub fn write_audio(&self, s: usize, samples: &[u8], ts_ns: u64) -> Result<()> {
        self.write_item(s, "audio", ts_ns, true, Item::Audio(samples))
    }

    /// One encoded access unit of a packet stream (a camera's H.264).
    pub fn write_packet(
        &self,
        s: usize,
        data: &[u8],
        pts_ns: u64,
        dts_ns: Option<u64>,
        keyframe: bool,
    ) -> Result<()> {
        let dts_rel = match dts_ns {
            Some(d) => Some(self.inner.relative(d)?),
            None => None,
        };
        self.write_item(
            s,
            "packets",
            pts_ns,
            keyframe,
            Item::Packet {
                data,
                dts_ns: dts_rel,
                duration_ns: None,
                keyframe,
            },
        )
    }

    fn write_item(
        &self,
        s: usize,
        kind: &'static str,
        ts_ns: u64,
        may_start: bool,
        item: Item<'_>,
    ) -> Result<()> {
        let inner = &self.inner;
        let lane = inner.lane(s)?;
        let config = &inner.streams[s].1;
        if config.kind() != kind {
            return Err(invalid(
                "stream",
                format!("{} is a {} stream, not {kind}", lane.name, config.kind()),
            ));
        }
        let rel = inner.relative(ts_ns)?;
        // Packets come in decode order: their DTS increases, not their PTS.
        let order = match &item {
            Item::Packet {
                dts_ns: Some(dts), ..
            } => *dts,
            _ => rel,
        };
        let mut feed = lock(&lane.feed);
        let strictly = kind != "data";
        if let Some(last) = feed
            .last_ts
            .filter(|&l| order < l || (strictly && order == l))
        {
            return Err(invalid(
                "timestamp",
                format!(
                    "{ts_ns} goes back on stream {} (its last item was {} ns later in the recording)",
                    lane.name,
                    last - order
                ),
            ));
        }
        inner.came(s, rel);
        let seq = inner.route(s, rel, may_start, true)?;
        let chunk = lock(&inner.state).chunks.get(&seq).cloned();
        let Some(chunk) = chunk else {
            inner.drop_items(
                s,
                1,
                "its chunk had closed (the stream was ended as stalled)",
            );
            return Ok(());
        };
        match chunk.write(s, rel, item) {
            Ok(()) => {}
            Err(RecordingError::Closed)
            | Err(RecordingError::InvalidArgument { name: "i", .. }) => {
                inner.drop_items(s, 1, "its track had been ended (the stream stalled)");
            }
            Err(e) => return Err(e),
        }
        feed.last_ts = Some(order);
        lane.items.fetch_add(1, Ordering::Relaxed);
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
        let mut first_error = None;
        for lane in &inner.lanes {
            let encoder = lock(&lane.encoder).clone();
            if let Some(encoder) = encoder {
                if let Err(e) = encoder.finish(timeout) {
                    first_error.get_or_insert(RecordingError::from(e));
                }
            }
        }
        for s in 0..inner.lanes.len() {
            inner.end_stream(s);
        }
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
            std::mem::take(&mut state.chunks).into_values().collect()
        };
        for lane in &inner.lanes {
            if let Some(e) = lock(&lane.encoder).take() {
                e.shutdown();
            }
        }
        for chunk in chunks {
            chunk.abort();
        }
        *lock(&inner.to_finalize) = None;
        inner.finalized.notify_all();
    }

    pub fn stats(&self) -> ChunkedStats {
        let inner = &self.inner;
        let (open, origin) = inner
            .state
            .try_lock()
            .map(|s| (s.chunks.len() as u64, s.origin.unwrap_or(0)))
            .unwrap_or((0, 0));
        ChunkedStats {
            chunks_open: open,
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
            origin_ns: origin,
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

    /// Stream `s` gave an item at `rel`: a stalled stream comes back.
    fn came(&self, s: usize, rel: u64) {
        let lane = &self.lanes[s];
        lane.last_ts.store(rel, Ordering::Release);
        lane.last_wall_ms.store(self.now_ms(), Ordering::Release);
        lane.seen.store(true, Ordering::Release);
        if lane.stalled.swap(false, Ordering::AcqRel) {
            let origin = lock(&self.state).origin.unwrap_or(0);
            (self.events)(ChunkEvent::Resumed {
                stream: lane.name.clone(),
                at_ns: origin + rel,
            });
        }
    }

    fn encoder(self: &Arc<Self>, s: usize, plan: &VideoPlan) -> Result<Arc<pe::Encoder>> {
        let mut slot = lock(&self.lanes[s].encoder);
        if let Some(e) = slot.as_ref() {
            return Ok(Arc::clone(e));
        }
        let owner = Arc::downgrade(self);
        let callback: pe::OutputCallback = Arc::new(move |output| {
            let Some(inner) = owner.upgrade() else {
                return;
            };
            match output {
                pe::EncoderOutput::Frame(f) => inner.packet(s, f),
                pe::EncoderOutput::BackendChanged(c) => tracing::info!(
                    stream = s,
                    from = c.from,
                    to = c.to,
                    "a chunked video stream's encoder changed backend: {}",
                    c.reason
                ),
                pe::EncoderOutput::Error(reason) => {
                    (inner.events)(ChunkEvent::Error(RecordingError::Pipeline {
                        reason: format!("stream {}'s encoder: {reason}", inner.lanes[s].name),
                    }));
                }
            }
        });
        let encoder = Arc::new(pe::Encoder::new(plan.config.clone(), callback)?);
        *slot = Some(Arc::clone(&encoder));
        Ok(encoder)
    }

    /// An encoded frame of video stream `s` for chunk `frame_id`.
    fn packet(&self, s: usize, f: pe::EncodedFrame) {
        let seq = f
            .frame_id
            .and_then(|id| u64::try_from(id).ok())
            .unwrap_or(0);
        let (chunk, done) = {
            let mut state = lock(&self.state);
            state.timeline.went(s, seq, f.pts_ns);
            let chunk = state.chunks.get(&seq).cloned();
            (chunk, self.take_complete(&mut state))
        };
        self.send(done);
        let Some(chunk) = chunk else {
            self.drop_items(
                s,
                1,
                "its chunk had closed (the stream was ended as stalled)",
            );
            return;
        };
        let item = Item::Packet {
            data: &f.data,
            dts_ns: f.dts_ns,
            duration_ns: f.duration_ns,
            keyframe: f.keyframe,
        };
        match chunk.write(s, f.pts_ns, item) {
            Ok(()) => {}
            Err(RecordingError::Closed | RecordingError::InvalidArgument { name: "i", .. }) => {
                self.drop_items(s, 1, "its track had been ended (the stream stalled)");
            }
            Err(e) => (self.events)(ChunkEvent::Error(e)),
        }
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

    /// Where stream `s`'s item at `rel` goes, opening a chunk if needed.
    /// `went`: the item is written now (not through an encoder).
    fn route(&self, s: usize, rel: u64, may_start: bool, went: bool) -> Result<u64> {
        let mut state = lock(&self.state);
        let route = state.timeline.route(s, rel, may_start);
        let seq = match route {
            Route::To(seq) => seq,
            Route::Open {
                seq, start, split, ..
            } => {
                let present: Vec<bool> = self
                    .lanes
                    .iter()
                    .enumerate()
                    .map(|(i, l)| i == s || !l.stalled.load(Ordering::Acquire))
                    .collect();
                let part = self
                    .dir
                    .join(format!("{seq:05}.{}.part", self.options.extension()));
                // Building a pipeline takes milliseconds; no push waits here.
                let chunk = Chunk::open(
                    seq,
                    part,
                    start,
                    &self.streams,
                    &present,
                    &self.options,
                    &self.name,
                    self.error_sink(),
                )?;
                let origin = state.origin.unwrap_or(0);
                if state.timeline.is_empty() && state.chunks.is_empty() {
                    let _ = self.first_wall_ms.compare_exchange(
                        0,
                        self.now_ms().max(1),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                }
                state.timeline.open(route, &present);
                let chunk = Arc::new(chunk);
                state.chunks.insert(seq, Arc::clone(&chunk));
                let tracks = self
                    .lanes
                    .iter()
                    .zip(&present)
                    .filter(|(_, p)| **p)
                    .map(|(l, _)| l.name.clone())
                    .collect();
                if let Some(old) = split {
                    tracing::info!(old, seq, "a stream came back: chunk {old} ends early");
                }
                (self.events)(ChunkEvent::Opened {
                    seq,
                    path: chunk.part.display().to_string(),
                    start_ns: origin + start,
                    tracks,
                });
                seq
            }
        };
        if went {
            state.timeline.went(s, seq, rel);
        } else {
            state.timeline.saw(rel);
        }
        let done = self.take_complete(&mut state);
        let high = state.timeline.high();
        drop(state);
        self.send(done);
        if let Some(high) = high {
            self.stall_behind(high, Some(s));
        }
        Ok(seq)
    }

    /// Ends every stream whose last item is more than the stall time of
    /// media behind `high` (fed faster than real time, a silent stream
    /// shows here long before the wall clock says so).
    fn stall_behind(&self, high: u64, except: Option<usize>) {
        let stall = ns(self.options.stall_after);
        for (s, lane) in self.lanes.iter().enumerate() {
            if Some(s) == except || lane.stalled.load(Ordering::Acquire) {
                continue;
            }
            let seen = lane.seen.load(Ordering::Acquire);
            let last = if seen {
                lane.last_ts.load(Ordering::Acquire)
            } else {
                0
            };
            let silent = high.saturating_sub(last);
            if silent > stall {
                self.stall(s, silent / 1_000_000);
            }
        }
    }

    fn stall(&self, s: usize, silent_ms: u64) {
        let lane = &self.lanes[s];
        if lane.stalled.swap(true, Ordering::AcqRel) {
            return;
        }
        let seen = lane.seen.load(Ordering::Acquire);
        let origin = lock(&self.state).origin.unwrap_or(0);
        (self.events)(ChunkEvent::Stalled {
            stream: lane.name.clone(),
            since_ns: seen.then(|| origin + lane.last_ts.load(Ordering::Acquire)),
            silent_ms,
        });
        self.end_stream(s);
    }

    fn error_sink(&self) -> crate::EventCallback {
        let events = Arc::clone(&self.events);
        Arc::new(move |e| {
            if let crate::Event::Error(e) = e {
                events(ChunkEvent::Error(e));
            }
        })
    }

    fn take_complete(&self, state: &mut State) -> Vec<Closing> {
        let done: Vec<Slot> = state.timeline.complete();
        done.into_iter()
            .filter_map(|slot| {
                state.ends.insert(slot.seq, slot.end);
                state.chunks.remove(&slot.seq).map(|c| (c, slot.end))
            })
            .collect()
    }

    fn send(&self, done: Vec<Closing>) {
        if done.is_empty() {
            return;
        }
        let tx = lock(&self.to_finalize).clone();
        for item in done {
            match &tx {
                Some(tx) => {
                    *lock(&self.finalizing) += 1;
                    if tx.send(item).is_err() {
                        *lock(&self.finalizing) -= 1;
                    }
                }
                None => item.0.abort(),
            }
        }
    }

    /// Ends stream `s` in every chunk in flight.
    fn end_stream(&self, s: usize) {
        let (chunks, done) = {
            let mut state = lock(&self.state);
            let seqs = state.timeline.end(s);
            let chunks: Vec<_> = seqs
                .iter()
                .filter_map(|q| state.chunks.get(q).cloned())
                .collect();
            (chunks, self.take_complete(&mut state))
        };
        for chunk in chunks {
            chunk.end(s);
        }
        self.send(done);
    }

    /// The watchdog: ends silent streams, fsyncs periodically.
    fn watch(self: Arc<Self>) {
        let stall = self.options.stall_after;
        let tick = (stall / 4).clamp(Duration::from_millis(10), Duration::from_millis(100));
        let mut last_sync = Instant::now();
        loop {
            std::thread::sleep(tick);
            let (phase, high, started) = {
                let state = lock(&self.state);
                (
                    state.phase,
                    state.timeline.high(),
                    !state.timeline.is_empty(),
                )
            };
            if phase != Phase::Running {
                if phase == Phase::Stopped {
                    return;
                }
                continue;
            }
            let Some(high) = high else { continue };
            if !started {
                continue;
            }
            self.stall_behind(high, None);
            // Fed in real time, a silent stream shows on the wall clock (and
            // a recording whose every stream stopped still closes its chunk).
            let now = self.now_ms();
            for (s, lane) in self.lanes.iter().enumerate() {
                if lane.stalled.load(Ordering::Acquire) {
                    continue;
                }
                let since = if lane.seen.load(Ordering::Acquire) {
                    lane.last_wall_ms.load(Ordering::Acquire)
                } else {
                    self.first_wall_ms.load(Ordering::Acquire)
                };
                let silent = now.saturating_sub(since);
                if silent > ms(stall) {
                    self.stall(s, silent);
                }
            }
            if let Some(every) = self.options.fsync_interval {
                if last_sync.elapsed() >= every {
                    last_sync = Instant::now();
                    let chunks: Vec<Arc<Chunk>> =
                        lock(&self.state).chunks.values().cloned().collect();
                    for chunk in chunks {
                        if let Err(e) = durable::sync_file(&chunk.part) {
                            // Final for this chunk: a later fsync could
                            // succeed with the failed pages dropped.
                            chunk.fail(e.clone());
                            (self.events)(ChunkEvent::Error(e));
                        }
                    }
                }
            }
        }
    }

    /// Closes a chunk, makes it durable, records it, applies retention.
    fn finalize(&self, chunk: &Chunk, end: u64) {
        let origin = lock(&self.state).origin.unwrap_or(0);
        let part = chunk.part.display().to_string();
        let tracks = chunk.tracks();
        let frames: Frames = self
            .lanes
            .iter()
            .zip(&tracks)
            .zip(chunk.present())
            .filter(|(_, p)| *p)
            .map(|((l, t), _)| (l.name.clone(), t.units))
            .collect();
        let duration = end.saturating_sub(chunk.start_ns);
        let start_ns = origin + chunk.start_ns;
        let fail = |error: RecordingError| {
            self.failed.fetch_add(1, Ordering::Relaxed);
            self.record(
                chunk,
                "failed",
                &part,
                origin,
                end,
                &tracks,
                0,
                0.0,
                Some(&error),
            );
            (self.events)(ChunkEvent::Failed {
                seq: chunk.seq,
                path: part.clone(),
                error,
            });
        };
        if let Err(e) = chunk.close(self.options.close_timeout) {
            chunk.abort();
            fail(e);
            return;
        }
        let bytes = std::fs::metadata(&chunk.part).map_or(0, |m| m.len());
        (self.events)(ChunkEvent::Closed {
            seq: chunk.seq,
            path: part.clone(),
            start_ns,
            duration_ns: duration,
            bytes,
            frames: frames.clone(),
        });
        let id = self.chunk_id(chunk.seq);
        let mut target = self.dir.join(format!("{id}.{}", self.options.extension()));
        if target.exists() {
            target = self
                .dir
                .join(format!("{id}-{}.{}", chunk.seq, self.options.extension()));
        }
        match durable::commit(&chunk.part, &target) {
            Ok(took) => {
                let fsync_ms = took.as_secs_f64() * 1e3;
                let path = target.display().to_string();
                self.durable.fetch_add(1, Ordering::Relaxed);
                self.record(
                    chunk, "durable", &path, origin, end, &tracks, bytes, fsync_ms, None,
                );
                (self.events)(ChunkEvent::Durable {
                    seq: chunk.seq,
                    path,
                    start_ns,
                    duration_ns: duration,
                    bytes,
                    frames,
                    fsync_ms,
                });
                if self.options.retention != Retention::default() {
                    self.retain();
                }
            }
            Err(e) => fail(e),
        }
    }

    fn chunk_id(&self, seq: u64) -> String {
        let default = format!("{seq:05}");
        if !self.expects_ids.load(Ordering::Acquire) {
            return lock(&self.ids).remove(&seq).unwrap_or(default);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut ids = lock(&self.ids);
        loop {
            if let Some(id) = ids.remove(&seq) {
                return id;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(seq, "no chunk id came within 2 s; using {default}");
                return default;
            }
            drop(ids);
            let pending = lock(&self.finalizing);
            let _ = self
                .finalized
                .wait_timeout(pending, left.min(Duration::from_millis(20)));
            ids = lock(&self.ids);
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one manifest row")]
    fn record(
        &self,
        chunk: &Chunk,
        status: &str,
        path: &str,
        origin: u64,
        end: u64,
        tracks: &[TrackCount],
        bytes: u64,
        fsync_ms: f64,
        error: Option<&RecordingError>,
    ) {
        let file = Path::new(path)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = ChunkEntry {
            seq: chunk.seq,
            file,
            status: status.to_owned(),
            origin_ns: origin.to_string(),
            start_ns: (origin + chunk.start_ns).to_string(),
            duration_ns: end.saturating_sub(chunk.start_ns),
            bytes,
            fsync_ms,
            tracks: self
                .lanes
                .iter()
                .zip(tracks)
                .zip(chunk.present())
                .filter(|(_, p)| *p)
                .map(|((l, t), _)| TrackEntry {
                    stream: l.name.clone(),
                    frames: t.units,
                    bytes: t.bytes,
                    first_pts_ns: t.first_ns,
                    last_pts_ns: t.last_ns,
                })
                .collect(),
            error: error.map(ToString::to_string),
        };
        let mut manifest = lock(&self.manifest);
        manifest.chunks.push(entry);
        let snapshot = manifest.clone();
        drop(manifest);
        if let Err(e) = snapshot.save(&self.dir) {
            (self.events)(ChunkEvent::Error(e));
        }
    }

    /// Deletes the oldest finalized chunks past the retention limits.
    fn retain(&self) {
        let r = self.options.retention;
        let mut manifest = lock(&self.manifest);
        let now = epoch_now_ns();
        let mut deleted = Vec::new();
        loop {
            let kept: Vec<usize> = manifest
                .chunks
                .iter()
                .enumerate()
                .filter(|(_, c)| c.status == "durable" || c.status == "salvaged")
                .map(|(i, _)| i)
                .collect();
            let Some(&oldest) = kept.first() else { break };
            let total: u64 = kept.iter().map(|&i| manifest.chunks[i].bytes).sum();
            let c = &manifest.chunks[oldest];
            let start: u64 = c.start_ns.parse().unwrap_or(now);
            let age = now.saturating_sub(start + c.duration_ns);
            let reason = if r.max_chunks.is_some_and(|m| kept.len() > m as usize) {
                "maxChunks"
            } else if r.max_bytes.is_some_and(|m| total > m) {
                "maxBytes"
            } else if r.max_age.is_some_and(|m| age > ns(m)) {
                "maxAgeS"
            } else {
                break;
            };
            let path = self.dir.join(&c.file);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    (self.events)(ChunkEvent::Error(RecordingError::Io {
                        what: "deleting",
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    }));
                    break;
                }
            }
            manifest.chunks[oldest].status = "deleted".into();
            deleted.push((path.display().to_string(), reason));
        }
        let snapshot = manifest.clone();
        drop(manifest);
        if !deleted.is_empty() {
            if let Err(e) = snapshot.save(&self.dir) {
                (self.events)(ChunkEvent::Error(e));
            }
        }
        for (path, reason) in deleted {
            (self.events)(ChunkEvent::Deleted {
                path,
                reason: reason.to_owned(),
            });
        }
    }

    /// Salvages the `.part` files in the directory; returns the next free seq.
    fn salvage(&self) -> Result<u64> {
        let mut next = 0;
        let entries = std::fs::read_dir(&self.dir).map_err(|e| RecordingError::Io {
            what: "listing",
            path: self.dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut parts: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".part"))
            .collect();
        parts.sort();
        for part in parts {
            let name = part
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".part").to_owned();
            let seq: Option<u64> = stem.split('.').next().and_then(|n| n.parse().ok());
            if let Some(seq) = seq {
                next = next.max(seq + 1);
            }
            let target = self.dir.join(&stem);
            let tmp = self.dir.join(format!("{stem}.salvage"));
            let size = std::fs::metadata(&part).map_or(0, |m| m.len());
            if size == 0 {
                // Nothing to keep: the muxer had not written a byte.
                let _ = std::fs::remove_file(&part);
                continue;
            }
            let outcome = salvage_file(&part, &tmp).and_then(|report| {
                if report.tracks.iter().all(|t| t.packets == 0) {
                    return Err(invalid("part", "no whole frame in it"));
                }
                durable::commit(&tmp, &target)?;
                Ok(report)
            });
            match outcome {
                Ok(report) => {
                    let _ = std::fs::remove_file(&part);
                    let _ = durable::sync_dir(&self.dir);
                    let frames: Frames = report
                        .tracks
                        .iter()
                        .map(|t| (t.name.clone(), t.packets))
                        .collect();
                    let bytes = std::fs::metadata(&target).map_or(0, |m| m.len());
                    let mut manifest = lock(&self.manifest);
                    if let Some(seq) = seq {
                        if let Some(entry) = manifest.chunks.iter_mut().find(|c| c.seq == seq) {
                            entry.status = "salvaged".into();
                            entry.file = stem.clone();
                            entry.bytes = bytes;
                        } else {
                            manifest.chunks.push(ChunkEntry {
                                seq,
                                file: stem.clone(),
                                status: "salvaged".into(),
                                bytes,
                                tracks: report
                                    .tracks
                                    .iter()
                                    .map(|t| TrackEntry {
                                        stream: t.name.clone(),
                                        frames: t.packets,
                                        ..TrackEntry::default()
                                    })
                                    .collect(),
                                ..ChunkEntry::default()
                            });
                        }
                    }
                    let snapshot = manifest.clone();
                    drop(manifest);
                    snapshot.save(&self.dir)?;
                    (self.events)(ChunkEvent::Salvaged {
                        part: part.display().to_string(),
                        path: target.display().to_string(),
                        frames,
                        truncated: !report.truncated.is_empty(),
                    });
                }
                Err(error) => {
                    let _ = std::fs::remove_file(&tmp);
                    (self.events)(ChunkEvent::SalvageFailed {
                        part: part.display().to_string(),
                        error,
                    });
                }
            }
        }
        Ok(next)
    }
}

/// omgrab's `merge_stream_files`: single-stream files into one multi-track
/// file (`output` `.mkv` or `.mp4`), written atomically and durably.
pub fn merge_stream_files(parts: &[PathBuf], output: &Path) -> Result<RemuxReport> {
    let groups: Vec<Vec<PathBuf>> = parts.iter().map(|p| vec![p.clone()]).collect();
    copy_durably(&groups, output)
}

/// omgrab's `merge_recording_chunks`: a recording directory's chunks, in
/// order, into one file. The chunks are kept (delete them yourself).
pub fn merge_recording_chunks(dir: &Path, output: &Path) -> Result<RemuxReport> {
    let mut files: Vec<(u64, PathBuf)> = match Manifest::load(dir)? {
        Some(m) => m
            .chunks
            .iter()
            .filter(|c| c.status == "durable" || c.status == "salvaged")
            .map(|c| (c.seq, dir.join(&c.file)))
            .filter(|(_, p)| p.is_file())
            .collect(),
        None => Vec::new(),
    };
    if files.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| RecordingError::Io {
            what: "listing",
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(seq) = name
                .strip_suffix(".mkv")
                .or_else(|| name.strip_suffix(".mp4"))
                .and_then(|s| s.parse::<u64>().ok())
            {
                files.push((seq, path));
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(invalid(
            "recordingDir",
            format!("{} holds no finished chunk", dir.display()),
        ));
    }
    let files: Vec<PathBuf> = files.into_iter().map(|(_, p)| p).collect();
    if files.iter().all(|f| ebml_file(f)) {
        return concat_matroska(&files, output);
    }
    copy_durably(&[files], output)
}

fn ebml_file(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".part").unwrap_or(&name);
    name.ends_with(".mkv") || name.ends_with(".mka") || name.ends_with(".webm")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| RecordingError::Io {
        what: "reading",
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn report_of(layout: &ebml::Layout, cut: Vec<PathBuf>) -> RemuxReport {
    RemuxReport {
        tracks: layout
            .blocks
            .iter()
            .map(|(n, count)| RemuxedTrack {
                name: format!("track{n}"),
                media: String::new(),
                packets: *count,
            })
            .collect(),
        truncated: cut,
    }
}

/// A `.part` made whole into `output` (not yet durable): Matroska cut after
/// its last whole block, byte for byte; MP4 remuxed.
fn salvage_file(part: &Path, output: &Path) -> Result<RemuxReport> {
    if !ebml_file(part) {
        return remux(&[vec![part.to_path_buf()]], output);
    }
    let bytes = read(part)?;
    let layout = ebml::scan(&bytes)?;
    let fixed = ebml::write(&[(&bytes, &layout)])?;
    std::fs::write(output, fixed).map_err(|e| RecordingError::Io {
        what: "writing",
        path: output.display().to_string(),
        reason: e.to_string(),
    })?;
    let cut = if layout.cut {
        vec![part.to_path_buf()]
    } else {
        Vec::new()
    };
    Ok(report_of(&layout, cut))
}

/// Chunks of one recording into one Matroska file, clusters copied byte
/// for byte (data tracks stay exact), atomically and durably.
fn concat_matroska(files: &[PathBuf], output: &Path) -> Result<RemuxReport> {
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect::<Result<_>>()?;
    let layouts: Vec<ebml::Layout> = bytes.iter().map(|b| ebml::scan(b)).collect::<Result<_>>()?;
    let pairs: Vec<(&[u8], &ebml::Layout)> =
        bytes.iter().map(Vec::as_slice).zip(&layouts).collect();
    let merged = ebml::write(&pairs)?;
    let mut total = ebml::Layout::default();
    for l in &layouts {
        for (t, n) in &l.blocks {
            *total.blocks.entry(*t).or_default() += n;
        }
    }
    let cut = files
        .iter()
        .zip(&layouts)
        .filter(|(_, l)| l.cut)
        .map(|(f, _)| f.clone())
        .collect();
    durable::write_atomic(output, &merged)?;
    Ok(report_of(&total, cut))
}

fn copy_durably(groups: &[Vec<PathBuf>], output: &Path) -> Result<RemuxReport> {
    let tmp = {
        let mut name = output.as_os_str().to_owned();
        name.push(".tmp");
        PathBuf::from(name)
    };
    let report = remux(groups, &tmp);
    match report {
        Ok(r) => {
            durable::commit(&tmp, output)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

pub fn epoch_ns() -> u64 {
    epoch_now_ns()
}
