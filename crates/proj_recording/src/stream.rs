//! One stream of an open encoder: its appsrc into the muxer, its clock,
//! its counters, and the bounded push every write goes through.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer_app as gst_app;

use crate::audio::AudioPlan;
use crate::container::Media;
use crate::video::VideoPlan;
use crate::{RecordingError, Result};

/// What a stream carries.
#[derive(Debug)]
pub(crate) enum Kind {
    Video(Box<VideoPlan>),
    Audio(AudioPlan),
    Data,
    Packets(Media),
    Lossless(crate::LosslessSpec),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Data => "data",
            Self::Packets(_) => "packets",
            Self::Lossless(_) => "lossless",
        }
    }
}

/// Where a stream's timeline stands (guarded by its feed lock).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// Video: the next input frame number; audio: the next sample.
    pub next: u64,
    /// Video with a frame-rate change: the next encoder frame slot.
    pub next_slot: u64,
    /// The end of the last thing written (ns).
    pub end_ns: u64,
    pub started: bool,
    /// Packets and data: the last DTS/PTS, which must increase.
    pub last_ns: Option<u64>,
    /// Data: a segment was pushed ahead of the first payload.
    pub segment_sent: bool,
}

/// Counters, read by `stats` without any lock a writer holds.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Frames, samples, payloads or packets written.
    pub units: AtomicU64,
    pub bytes: AtomicU64,
    /// Pushes that had to wait for room, and for how long in total.
    pub waits: AtomicU64,
    pub wait_ns: AtomicU64,
    /// Encoded frames that left a video stream's encoder.
    pub encoded: AtomicU64,
}

impl Counters {
    /// `units` more written, holding `bytes` of input.
    pub fn wrote(&self, units: u64, bytes: usize) {
        self.units.fetch_add(units, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// Room in the appsrcs: notified when an appsrc asks for data.
#[derive(Debug, Default)]
pub(crate) struct Room {
    lock: Mutex<()>,
    freed: Condvar,
}

impl Room {
    pub fn notify(&self) {
        self.freed.notify_all();
    }

    pub fn wait(&self, at_most: Duration) {
        let guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.freed.wait_timeout(guard, at_most);
    }
}

#[derive(Debug)]
pub(crate) struct Stream {
    pub index: u32,
    pub kind: Kind,
    pub appsrc: gst_app::AppSrc,
    /// Bytes its appsrc may hold.
    pub limit: u64,
    /// Orders the writes of this stream; held across a write, taken by
    /// nothing else (getters read `counters`).
    pub feed: Mutex<Clock>,
    pub counters: Counters,
    pub ended: std::sync::atomic::AtomicBool,
}

impl Stream {
    pub fn lock_feed(&self) -> std::sync::MutexGuard<'_, Clock> {
        self.feed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn queued(&self) -> u64 {
        self.appsrc.current_level_bytes()
    }
}

/// Why a push cannot go on (checked between waits).
pub(crate) trait Alive {
    fn check(&self) -> Result<()>;
    fn room(&self) -> &Room;
    fn stall_after(&self) -> Duration;
    /// Says a push has waited long (who waits, for what).
    fn stalled(&self, stream: &Stream, seconds: u64);
    /// A push waits for room with a buffer that ends at `end_ns`: silent
    /// data streams must not hold the muxer back from it.
    fn starved(&self, end_ns: u64);
}

/// Pushes `buffer` into the stream's appsrc once its queue has room:
/// waits (never on the JS thread: the owner's job thread, or an encoder's
/// streaming thread) in slices, failing as soon as the encoder fails or
/// closes, and saying so once when the wait is long.
pub(crate) fn push(alive: &impl Alive, stream: &Stream, buffer: gst::Buffer) -> Result<()> {
    let size = buffer.size() as u64;
    let end_ns = buffer
        .pts()
        .map(|p| p.nseconds() + buffer.duration().map_or(0, gst::ClockTime::nseconds));
    let mut waited: Option<Instant> = None;
    let mut warned = false;
    loop {
        alive.check()?;
        let level = stream.queued();
        if level == 0 || level.saturating_add(size) <= stream.limit {
            break;
        }
        // Each slice: a silent data stream is filled up to this buffer, so
        // the muxer can take what is queued before it.
        if let Some(end) = end_ns {
            alive.starved(end);
        }
        let start = *waited.get_or_insert_with(Instant::now);
        alive.room().wait(Duration::from_millis(20));
        if !warned && start.elapsed() >= alive.stall_after() {
            warned = true;
            alive.stalled(stream, start.elapsed().as_secs());
        }
    }
    if let Some(start) = waited {
        stream.counters.waits.fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        stream.counters.wait_ns.fetch_add(ns, Ordering::Relaxed);
    }
    stream.appsrc.push_buffer(buffer).map_err(|flow| {
        alive.check().err().unwrap_or(RecordingError::Pipeline {
            reason: format!("stream {} was refused: {flow:?}", stream.index),
        })
    })?;
    Ok(())
}

/// A buffer of `data` with its timestamps.
pub(crate) fn buffer(
    data: Vec<u8>,
    pts_ns: u64,
    dts_ns: Option<u64>,
    duration_ns: Option<u64>,
    delta: bool,
) -> gst::Buffer {
    let mut buffer = gst::Buffer::from_mut_slice(data);
    {
        let b = buffer.get_mut();
        if let Some(b) = b {
            b.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            b.set_dts(dts_ns.map(gst::ClockTime::from_nseconds));
            b.set_duration(duration_ns.map(gst::ClockTime::from_nseconds));
            if delta {
                b.set_flags(gst::BufferFlags::DELTA_UNIT);
            }
        }
    }
    buffer
}
