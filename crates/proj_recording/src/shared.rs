//! What an open encoder's writers, its encoders' threads and its pipeline
//! share: the bus state, room in the queues, the media time, and the
//! events callback.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::events::{BusState, Event, EventCallback};
use crate::stream::{Alive, Kind, Room, Stream};
use crate::{RecordingError, Result};

/// How far behind the video and audio a data payload may come: a data
/// stream silent for longer gets a gap up to this far back.
const DATA_LAG_NS: u64 = 1_000_000_000;

/// What the streams' pushes and the pipeline's threads share.
pub(crate) struct Shared {
    pub bus: BusState,
    pub room: Room,
    pub stall_after: Duration,
    pub events: EventCallback,
    pub stopped: AtomicBool,
    pub now_ns: AtomicU64,
    pub streams: OnceLock<Vec<Arc<Stream>>>,
    /// Whether silent data streams get GAP events: Matroska's collectpads
    /// takes one as "nothing until then". mp4mux (an aggregator) waits for
    /// a queued buffer on every pad whatever it is told, so an MP4 data
    /// stream must be written as time goes on (or ended): a stall event
    /// names it when it holds the others.
    pub data_gaps: bool,
}

impl Shared {
    pub fn fail(&self, error: RecordingError) {
        if self.bus.fail(error.clone()) {
            tracing::warn!("streaming encoder: {error}");
            (self.events)(Event::Error(error));
        }
    }

    /// Data streams that have been silent for `lag` of media time get a
    /// gap up to then, so the muxer goes on without them.
    pub fn advance_data_by(&self, lag: u64) {
        if !self.data_gaps {
            return;
        }
        let now = self.now_ns.load(Ordering::Acquire);
        let Some(streams) = self.streams.get() else {
            return;
        };
        for s in streams.iter().filter(|s| matches!(s.kind, Kind::Data)) {
            let Ok(mut clock) = s.feed.try_lock() else {
                continue;
            };
            let until = now.saturating_sub(lag);
            if until <= clock.end_ns || s.queued() > 0 || s.ended.load(Ordering::Acquire) {
                continue;
            }
            let duration = until - clock.end_ns;
            let Some(pad) = s.appsrc.static_pad("src") else {
                continue;
            };
            if !clock.started && !clock.segment_sent {
                let segment = gst::FormattedSegment::<gst::ClockTime>::new();
                pad.push_event(gst::event::Segment::new(&segment));
                clock.segment_sent = true;
            }
            let gap = gst::event::Gap::builder(gst::ClockTime::from_nseconds(clock.end_ns))
                .duration(gst::ClockTime::from_nseconds(duration))
                .build();
            pad.push_event(gap);
            clock.end_ns = until;
        }
    }

    /// A data payload may come up to this far behind the video and audio.
    pub fn advance_data(&self) {
        self.advance_data_by(DATA_LAG_NS);
    }

    pub fn media_time(&self, end_ns: u64) {
        self.now_ns.fetch_max(end_ns, Ordering::AcqRel);
    }
}

impl Alive for Shared {
    fn check(&self) -> Result<()> {
        if let Some(e) = self.bus.error() {
            return Err(e);
        }
        if self.stopped.load(Ordering::Acquire) {
            return Err(RecordingError::Closed);
        }
        Ok(())
    }

    fn room(&self) -> &Room {
        &self.room
    }

    fn stall_after(&self) -> Duration {
        self.stall_after
    }

    fn starved(&self, end_ns: u64) {
        // Only where the muxer would otherwise wait: a data payload may then
        // lag the video by less than DATA_LAG_NS (what fits the queues).
        self.media_time(end_ns);
        self.advance_data_by(0);
    }

    fn stalled(&self, stream: &Stream, seconds: u64) {
        self.advance_data();
        let empty: Vec<String> = self
            .streams
            .get()
            .map(|all| {
                all.iter()
                    .filter(|s| {
                        s.index != stream.index
                            && s.queued() == 0
                            && !s.ended.load(Ordering::Acquire)
                    })
                    .map(|s| format!("{} ({})", s.index, s.kind.name()))
                    .collect()
            })
            .unwrap_or_default();
        let what = if empty.is_empty() {
            format!(
                "stream {} ({}) waits for the output: it takes nothing",
                stream.index,
                stream.kind.name()
            )
        } else {
            format!(
                "stream {} ({}) waits: the muxer interleaves by time and needs data from stream(s) {} first; write every stream as time goes on (or end the silent one)",
                stream.index,
                stream.kind.name(),
                empty.join(", ")
            )
        };
        tracing::warn!("{what}");
        (self.events)(Event::Stalled { what, seconds });
    }
}
