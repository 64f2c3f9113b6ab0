//! The bounded queue between a source's streaming threads and its reader,
//! with the source's events. A file's `push` waits while the queue is full
//! (the reading pauses); a live source cannot wait, so a full queue drops
//! by its policy and counts what it dropped. `take` never waits (it leaves
//! a waker instead). The lock is only held to decide; a waker is called
//! after it is let go.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::packet::{Packet, StreamKind};
use super::{SourceEvent, SourceStats};

/// Called once packets, events or the end are there to take.
pub type Waker = Box<dyn FnOnce() + Send>;

/// What a live source drops when its reader falls behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropPolicy {
    /// The oldest packets, up to the next video keyframe (what is left
    /// still decodes).
    Oldest,
    /// The packet that does not fit.
    Newest,
}

/// What `take` found.
#[derive(Debug, PartialEq)]
pub enum Taken {
    /// Packets and events, in order within each.
    Ready(Vec<Packet>, Vec<SourceEvent>),
    /// Nothing yet: the waker will be called.
    Wait,
    /// Every packet was taken; the source ended.
    End,
    /// Every packet before the failure was taken.
    Failed(String),
}

#[derive(Default)]
struct State {
    packets: VecDeque<Packet>,
    events: VecDeque<SourceEvent>,
    ended: bool,
    failure: Option<String>,
    closed: bool,
    waker: Option<Waker>,
    stats: SourceStats,
    /// Video packets are dropped until a keyframe.
    resync: bool,
    /// Where the current rate window started: when, packets, bytes.
    window: Option<(Instant, u64, u64)>,
}

/// Rates are measured over windows of this length.
const RATE_WINDOW: Duration = Duration::from_secs(2);

impl State {
    /// The rates over the window since `start` (`now`).
    fn rates(&self, (start, packets, bytes): (Instant, u64, u64), now: Instant) -> (f64, f64) {
        let seconds = now.duration_since(start).as_secs_f64().max(1e-3);
        #[expect(clippy::cast_precision_loss, reason = "counters below 2^53")]
        let per_second = |n: u64| n as f64 / seconds;
        (
            per_second(self.stats.packets - packets),
            per_second((self.stats.bytes - bytes) * 8),
        )
    }
}

pub(crate) struct PacketQueue {
    state: Mutex<State>,
    room: Condvar,
    limit: usize,
    /// `None`: wait for room (a file).
    policy: Option<DropPolicy>,
}

impl PacketQueue {
    pub fn new(limit: usize, policy: Option<DropPolicy>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            room: Condvar::new(),
            limit,
            policy,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake(&self, mut state: MutexGuard<'_, State>) {
        let waker = state.waker.take();
        drop(state);
        if let Some(wake) = waker {
            wake();
        }
    }

    /// Queues `packet`; `false` once the source is closed (reading stops).
    pub fn push(&self, packet: Packet) -> bool {
        let mut state = self.lock();
        match self.policy {
            None => {
                state = self
                    .room
                    .wait_while(state, |s| s.packets.len() >= self.limit && !s.closed)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            Some(DropPolicy::Newest) if state.packets.len() >= self.limit => {
                state.stats.dropped_newest += 1;
                return !state.closed;
            }
            Some(DropPolicy::Oldest) if state.packets.len() >= self.limit => {
                // The oldest, then on to the next video keyframe; with none
                // queued, everything, and what comes until a keyframe (the
                // reader gets nothing it cannot decode).
                let mut dropped = 0;
                while let Some(front) = state.packets.front() {
                    let keyframe = front.kind == StreamKind::Video && front.keyframe;
                    if dropped > 0 && keyframe {
                        break;
                    }
                    state.packets.pop_front();
                    dropped += 1;
                }
                state.resync = state.packets.is_empty();
                state.stats.dropped_oldest += dropped;
            }
            Some(_) => {}
        }
        if state.resync && packet.kind == StreamKind::Video {
            if !packet.keyframe {
                state.stats.dropped_oldest += 1;
                return !state.closed;
            }
            state.resync = false;
        }
        if state.closed {
            return false;
        }
        state.stats.packets += 1;
        state.stats.bytes += packet.data.len() as u64;
        let now = Instant::now();
        match state.window {
            Some(window) if now.duration_since(window.0) >= RATE_WINDOW => {
                (state.stats.packet_rate, state.stats.bit_rate) = state.rates(window, now);
                state.window = Some((now, state.stats.packets, state.stats.bytes));
            }
            Some(_) => {}
            None => state.window = Some((now, state.stats.packets, state.stats.bytes)),
        }
        state.packets.push_back(packet);
        self.wake(state);
        true
    }

    /// Queues an event for the reader.
    pub fn event(&self, event: SourceEvent) {
        let mut state = self.lock();
        if let SourceEvent::Disconnected { reason } = &event {
            state.stats.last_error = Some(reason.clone());
        }
        if matches!(event, SourceEvent::Reconnecting { .. }) {
            state.stats.reconnects += 1;
        }
        state.events.push_back(event);
        self.wake(state);
    }

    pub fn take(&self, max: usize, waker: Option<Waker>) -> Taken {
        let mut state = self.lock();
        if !state.packets.is_empty() || !state.events.is_empty() {
            let n = max.max(1).min(state.packets.len());
            let packets: Vec<Packet> = state.packets.drain(..n).collect();
            let events: Vec<SourceEvent> = state.events.drain(..).collect();
            drop(state);
            self.room.notify_all();
            return Taken::Ready(packets, events);
        }
        if let Some(reason) = &state.failure {
            return Taken::Failed(reason.clone());
        }
        if state.ended || state.closed {
            return Taken::End;
        }
        // One reader at a time: a waker replaced is called, so that its
        // caller looks again rather than wait for ever.
        let replaced = std::mem::replace(&mut state.waker, waker);
        drop(state);
        if let Some(wake) = replaced {
            wake();
        }
        Taken::Wait
    }

    fn finish(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.lock();
        change(&mut state);
        self.room.notify_all();
        self.wake(state);
    }

    /// The source ended: once the queued packets are taken, `take` says so.
    pub fn end(&self) {
        self.finish(|s| {
            s.ended = true;
            s.events.push_back(SourceEvent::Ended);
        });
    }

    /// The source failed (the first reason is kept).
    pub fn fail(&self, reason: String) {
        self.finish(|s| {
            if s.failure.is_none() {
                s.stats.last_error = Some(reason.clone());
                s.failure = Some(reason);
            }
        });
    }

    /// Reading stops; queued packets are dropped.
    pub fn close(&self) {
        self.finish(|s| {
            s.closed = true;
            s.packets.clear();
        });
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub fn count_loop(&self) {
        self.lock().stats.loops += 1;
    }

    pub fn stats(&self) -> SourceStats {
        let state = self.lock();
        let mut stats = state.stats.clone();
        // Nothing for a while (a stalled camera): the rates say so.
        if let Some(window) = state.window {
            let now = Instant::now();
            if now.duration_since(window.0) >= RATE_WINDOW * 2 {
                (stats.packet_rate, stats.bit_rate) = state.rates(window, now);
            }
        }
        stats
    }
}
