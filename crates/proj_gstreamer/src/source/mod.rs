//! `MediaSource`: a file, a live RTSP camera or any GStreamer source
//! description demuxed into packets of whole access units, never decoded
//! (`session.rs` builds the pipelines).
//!
//! Delivery is pulled: the streaming threads put packets into a bounded
//! queue, and `take` hands out what is queued with the source's events, or
//! registers a waker called once something is (no thread waits for a
//! reader). A file waits while the queue is full (a slow reader pauses the
//! reading); `realtime` paces it at the stream's rate; `looping` starts it
//! again at its end with timestamps that keep increasing. A camera cannot
//! wait: its queue drops by a policy, and a supervisor thread (`live.rs`)
//! reconnects it on an error, the server's end of stream or a stall.

mod live;
mod packet;
mod queue;
mod session;

pub use packet::{Packet, StreamInfo, StreamKind};
pub use queue::{DropPolicy, Taken, Waker};

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::{GstreamerError, Result};
use queue::PacketQueue;
use session::{Session, SessionEnd};

/// How a camera's RTP comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP, then TCP where UDP gets nothing.
    Auto,
    Tcp,
    Udp,
}

/// What a live source (`rtsp://`) does beyond a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    pub transport: Transport,
    /// Credentials (or in the URL: `rtsp://user:password@host/…`).
    pub user: Option<String>,
    pub password: Option<String>,
    /// No answer, or no first packet, within this: reconnect.
    pub connect_timeout: Duration,
    /// No packet for this long once connected: stalled, reconnect.
    pub stall_timeout: Duration,
    /// rtspsrc's jitter buffer, in ms.
    pub latency_ms: u32,
    pub reconnect: bool,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// `None`: for ever.
    pub max_attempts: Option<u32>,
    pub drop_policy: DropPolicy,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            transport: Transport::Tcp,
            user: None,
            password: None,
            connect_timeout: Duration::from_secs(5),
            stall_timeout: Duration::from_secs(5),
            latency_ms: 200,
            reconnect: true,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_attempts: None,
            drop_policy: DropPolicy::Oldest,
        }
    }
}

/// How a source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    /// Pace a file at the stream's rate (as a camera would send it).
    pub realtime: bool,
    /// At a file's end, start again; timestamps keep increasing.
    pub looping: bool,
    /// Yield audio packets too.
    pub audio: bool,
    /// Packets queued ahead of the reader: a file waits past it, a camera
    /// drops by `live.drop_policy`.
    pub max_queued: usize,
    pub live: LiveOptions,
}

impl Default for SourceOptions {
    fn default() -> Self {
        Self {
            realtime: false,
            looping: false,
            audio: true,
            max_queued: 64,
            live: LiveOptions::default(),
        }
    }
}

/// What happened to a source, in order, alongside its packets.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// A camera's first packet of a connection.
    Connected,
    Disconnected {
        reason: String,
    },
    Reconnecting {
        attempt: u32,
        delay_ms: u64,
    },
    /// No packet for `seconds` (a reconnect follows).
    Stalled {
        seconds: f64,
    },
    /// A stream's codec or picture size changed (mid-stream, or from one
    /// connection to the next); its packets say the new one.
    StreamChanged {
        stream: u32,
        codec: &'static str,
        width: u32,
        height: u32,
    },
    /// Every packet was read.
    Ended,
}

/// Counters of a source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceStats {
    pub packets: u64,
    pub bytes: u64,
    /// Times a file started again (`looping`).
    pub loops: u64,
    /// A camera's packets dropped because the reader fell behind.
    pub dropped_oldest: u64,
    pub dropped_newest: u64,
    pub reconnects: u64,
    pub last_error: Option<String>,
    /// Packets a second and bits a second over the last few seconds.
    pub packet_rate: f64,
    pub bit_rate: f64,
}

/// Where the timestamps of the current pass (or connection) go.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    pub generation: u64,
    pub offset_ns: u64,
    /// The end of the furthest packet so far (where a new pass starts).
    pub end_ns: u64,
    /// This pass's first packet of each stream is a discontinuity.
    pub marked: bool,
    /// Streams whose first packet of this pass went out.
    pub flagged: Vec<u32>,
    /// `Connected` was said for this generation.
    pub announced: bool,
    pub last_packet: Option<Instant>,
}

pub(crate) struct Shared {
    pub queue: PacketQueue,
    pub streams: Mutex<Vec<StreamInfo>>,
    /// The streams of the connection before (a camera's), each until its
    /// first packet of this one was compared with it.
    pub previous: Mutex<Vec<StreamInfo>>,
    /// Streams of a codec we do not yield (their caps names).
    pub unsupported: Mutex<Vec<String>>,
    pub timeline: Mutex<Timeline>,
    pub options: SourceOptions,
    pub live: bool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A demuxing source (see the module documentation).
pub struct MediaSource {
    uri: String,
    shared: Arc<Shared>,
    /// A file's one session.
    session: Option<Session>,
    /// Wakes a camera's supervisor to stop.
    supervisor: Option<std::sync::mpsc::Sender<live::Signal>>,
}

impl std::fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSource")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

impl MediaSource {
    /// Opens `uri` and starts reading. A missing file is an error here; a
    /// file that is not media, or breaks off, ends the packets with an
    /// error; a camera connects (and reconnects) in the background.
    pub fn open(uri: &str, options: SourceOptions) -> Result<Self> {
        crate::init()?;
        if options.max_queued == 0 || options.max_queued > 1 << 20 {
            return Err(GstreamerError::InvalidArgument {
                name: "maxQueued",
                reason: format!("{} is not 1 to 2^20 packets", options.max_queued),
            });
        }
        let live = session::is_live(uri);
        let shared = Arc::new(Shared {
            queue: PacketQueue::new(options.max_queued, live.then_some(options.live.drop_policy)),
            streams: Mutex::new(Vec::new()),
            previous: Mutex::new(Vec::new()),
            unsupported: Mutex::new(Vec::new()),
            timeline: Mutex::new(Timeline::default()),
            options,
            live,
        });
        if live {
            session::make("rtspsrc")?;
            let (sender, signals) = std::sync::mpsc::channel();
            let (uri_owned, supervised, own) =
                (uri.to_owned(), Arc::clone(&shared), sender.clone());
            std::thread::Builder::new()
                .name("source-live".into())
                .spawn(move || live::supervise(uri_owned, supervised, signals, own))
                .map_err(|e| GstreamerError::Pipeline {
                    reason: format!("no thread for the camera: {e}"),
                })?;
            return Ok(Self {
                uri: uri.to_owned(),
                shared,
                session: None,
                supervisor: Some(sender),
            });
        }
        let on_end = {
            let shared = Arc::clone(&shared);
            Arc::new(move |_generation, end, pipeline: &_| on_file_end(&shared, end, pipeline))
        };
        let session = session::start(uri, &shared, 0, on_end)?;
        Ok(Self {
            uri: uri.to_owned(),
            shared,
            session: Some(session),
            supervisor: None,
        })
    }

    /// Up to `max` queued packets and every event; where none is queued,
    /// `Taken::Wait` and `waker` is called once something is.
    pub fn take(&self, max: usize, waker: Option<Waker>) -> Taken {
        self.shared.queue.take(max, waker)
    }

    /// The streams found so far (all of them once the first packets came).
    pub fn streams(&self) -> Vec<StreamInfo> {
        lock(&self.shared.streams).clone()
    }

    /// Streams of codecs we do not yield (their GStreamer caps names).
    pub fn unsupported(&self) -> Vec<String> {
        lock(&self.shared.unsupported).clone()
    }

    pub fn stats(&self) -> SourceStats {
        self.shared.queue.stats()
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Stops reading; what was queued is dropped, a waiting `take` ends.
    pub fn close(&self) {
        self.shared.queue.close();
        if let Some(supervisor) = &self.supervisor {
            let _ = supervisor.send(live::Signal::Close);
        }
        if let Some(session) = &self.session {
            let _ = session.pipeline.set_state(gst::State::Null);
        }
    }
}

impl Drop for MediaSource {
    fn drop(&mut self) {
        self.close();
    }
}

/// A file's end (or, looping, a new pass) and errors.
fn on_file_end(
    shared: &Arc<Shared>,
    end: SessionEnd,
    pipeline: &gst::glib::WeakRef<gst::Pipeline>,
) {
    match end {
        SessionEnd::Eos if shared.options.looping => {
            let (looped, pipeline) = (Arc::clone(shared), pipeline.clone());
            // Not on the streaming thread that posted it.
            let started = std::thread::Builder::new()
                .name("source-loop".into())
                .spawn(move || {
                    if let Some(pipeline) = pipeline.upgrade() {
                        start_again(&looped, &pipeline);
                    }
                });
            if let Err(e) = started {
                shared
                    .queue
                    .fail(format!("no thread to loop the file: {e}"));
            }
        }
        SessionEnd::Eos => shared.queue.end(),
        SessionEnd::Error { reason, .. } => shared.queue.fail(reason),
    }
}

/// Seeks back to the start; the next pass's timestamps begin where the
/// furthest packet of this one ended.
fn start_again(shared: &Shared, pipeline: &gst::Pipeline) {
    {
        let mut timeline = lock(&shared.timeline);
        timeline.offset_ns = timeline.end_ns;
        timeline.marked = true;
        timeline.flagged.clear();
    }
    shared.queue.count_loop();
    if let Err(e) = pipeline.seek_simple(
        gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
        gst::ClockTime::ZERO,
    ) {
        shared.queue.fail(format!(
            "looping: the file cannot be read again from its start ({e})"
        ));
    }
}
