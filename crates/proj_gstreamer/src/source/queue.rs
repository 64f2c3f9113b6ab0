//! The bounded packet queue between a source's streaming threads and its
//! reader: `push` waits while it is full, `take` never waits (it leaves a
//! waker instead). The lock is only held to decide; a waker is called
//! after it is let go.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::packet::Packet;
use super::SourceStats;

/// Called once packets (or the end) are there to take.
pub type Waker = Box<dyn FnOnce() + Send>;

/// What `take` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    Packets(Vec<Packet>),
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
    ended: bool,
    failure: Option<String>,
    closed: bool,
    waker: Option<Waker>,
    stats: SourceStats,
}

pub(crate) struct PacketQueue {
    state: Mutex<State>,
    room: Condvar,
    limit: usize,
}

impl PacketQueue {
    pub fn new(limit: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            room: Condvar::new(),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `packet`, waiting while the queue is full; `false` once the
    /// source is closed (the packet is dropped, reading stops).
    pub fn push(&self, packet: Packet) -> bool {
        let state = self.lock();
        let mut state = self
            .room
            .wait_while(state, |s| s.packets.len() >= self.limit && !s.closed)
            .unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return false;
        }
        state.stats.packets += 1;
        state.stats.bytes += packet.data.len() as u64;
        state.packets.push_back(packet);
        let waker = state.waker.take();
        drop(state);
        if let Some(wake) = waker {
            wake();
        }
        true
    }

    pub fn take(&self, max: usize, waker: Option<Waker>) -> Taken {
        let mut state = self.lock();
        if !state.packets.is_empty() {
            let n = max.max(1).min(state.packets.len());
            let packets: Vec<Packet> = state.packets.drain(..n).collect();
            drop(state);
            self.room.notify_all();
            return Taken::Packets(packets);
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
        let waker = state.waker.take();
        drop(state);
        self.room.notify_all();
        if let Some(wake) = waker {
            wake();
        }
    }

    /// The source ended: once the queued packets are taken, `take` says so.
    pub fn end(&self) {
        self.finish(|s| s.ended = true);
    }

    /// The source failed (the first reason is kept).
    pub fn fail(&self, reason: String) {
        self.finish(|s| {
            if s.failure.is_none() {
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

    pub fn count_loop(&self) {
        self.lock().stats.loops += 1;
    }

    pub fn stats(&self) -> SourceStats {
        self.lock().stats
    }
}
