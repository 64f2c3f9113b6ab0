//! Which chunk each item goes to: chunks on a shared grid of
//! `chunk_length` from the recording's origin, split early where a
//! stream that was ended in the chunk in flight comes back.
//!
//! Pure bookkeeping (no I/O): the writer asks [`Timeline::route`] under its
//! lock, builds a chunk where told to, and closes each chunk that
//! [`Timeline::complete`] hands back.

use std::collections::VecDeque;

/// One stream's state in one chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Track {
    /// The chunk has a track for the stream (not stalled when it opened).
    pub present: bool,
    /// Ended in this chunk (stalled, or at stop).
    pub ended: bool,
    /// The stream has gone on to a later chunk.
    pub passed: bool,
}

impl Track {
    fn done(self) -> bool {
        !self.present || self.ended || self.passed
    }

    fn open(self) -> bool {
        self.present && !self.ended
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub seq: u64,
    /// Recording time (ns from the origin), `[start, end)`.
    pub start: u64,
    pub end: u64,
    pub tracks: Vec<Track>,
}

/// Where an item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    To(u64),
    /// Open chunk `seq` over `[start, end)` first; `split` is the chunk
    /// whose end moves to `start`.
    Open {
        seq: u64,
        start: u64,
        end: u64,
        split: Option<u64>,
    },
}

#[derive(Debug)]
pub(crate) struct Timeline {
    length: u64,
    slots: VecDeque<Slot>,
    next_seq: u64,
    /// Each stream's last chunk.
    current: Vec<Option<u64>>,
    /// The latest recording time routed.
    high: Option<u64>,
}

impl Timeline {
    pub fn new(length: u64, streams: usize, first_seq: u64) -> Self {
        Self {
            length: length.max(1),
            slots: VecDeque::new(),
            next_seq: first_seq,
            current: vec![None; streams],
            high: None,
        }
    }

    #[cfg(test)]
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter()
    }

    fn slot(&self, seq: u64) -> Option<&Slot> {
        self.slots.iter().find(|s| s.seq == seq)
    }

    fn slot_mut(&mut self, seq: u64) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.seq == seq)
    }

    /// Where stream `s`'s item at `ts` goes. `may_start`: whether it may
    /// begin a chunk (false for a passed-through packet that is not a
    /// keyframe: it stays in its stream's chunk, which it extends).
    pub fn route(&self, s: usize, ts: u64, may_start: bool) -> Route {
        let current = self.current.get(s).copied().flatten();
        if let Some(cur) = current.and_then(|c| self.slot(c)) {
            let open = cur.tracks.get(s).copied().unwrap_or_default().open();
            if open && (ts < cur.end || !may_start) {
                return Route::To(cur.seq);
            }
        }
        let floor = current.unwrap_or(0);
        if let Some(slot) = self.slots.iter().find(|slot| {
            slot.seq >= floor
                && ts >= slot.start
                && ts < slot.end
                && slot.tracks.get(s).is_some_and(|t| t.open())
        }) {
            return Route::To(slot.seq);
        }
        let Some(newest) = self.slots.back() else {
            let start = ts - ts % self.length;
            return Route::Open {
                seq: self.next_seq,
                start,
                end: start + self.length,
                split: None,
            };
        };
        if ts >= newest.end {
            let grid = ts - ts % self.length;
            return Route::Open {
                seq: self.next_seq,
                start: grid.max(newest.end),
                end: grid + self.length,
                split: None,
            };
        }
        let track = newest.tracks.get(s).copied().unwrap_or_default();
        if track.open() {
            // Slightly before the newest chunk (a stream that came back).
            return Route::To(newest.seq);
        }
        // The stream was ended (or absent) in the chunk in flight: a new
        // chunk from here on, where it has a track again.
        let start = ts
            .max(self.high.map_or(0, |h| h + 1))
            .max(newest.start + 1)
            .min(newest.end - 1);
        Route::Open {
            seq: self.next_seq,
            start,
            end: newest.end,
            split: Some(newest.seq),
        }
    }

    /// Records chunk `seq` opened as `route` said, with the streams
    /// `present` in it.
    pub fn open(&mut self, route: Route, present: &[bool]) {
        let Route::Open {
            seq,
            start,
            end,
            split,
        } = route
        else {
            return;
        };
        if let Some(old) = split.and_then(|o| self.slot_mut(o)) {
            old.end = start;
        }
        self.slots.push_back(Slot {
            seq,
            start,
            end,
            tracks: present
                .iter()
                .map(|&p| Track {
                    present: p,
                    ..Track::default()
                })
                .collect(),
        });
        self.next_seq = seq + 1;
    }

    /// Stream `s` put an item at `ts` into chunk `seq`: the chunks before
    /// it are behind the stream.
    pub fn went(&mut self, s: usize, seq: u64, ts: u64) {
        self.high = Some(self.high.map_or(ts, |h| h.max(ts)));
        if let Some(c) = self.current.get_mut(s) {
            *c = Some(c.map_or(seq, |c| c.max(seq)));
        }
        for slot in self.slots.iter_mut().filter(|slot| slot.seq < seq) {
            if let Some(t) = slot.tracks.get_mut(s) {
                t.passed = true;
            }
        }
    }

    /// Only records the time (an item routed but not yet in its chunk).
    pub fn saw(&mut self, ts: u64) {
        self.high = Some(self.high.map_or(ts, |h| h.max(ts)));
    }

    /// Ends stream `s` in every chunk in flight; returns those chunks.
    pub fn end(&mut self, s: usize) -> Vec<u64> {
        let mut ended = Vec::new();
        for slot in &mut self.slots {
            if let Some(t) = slot.tracks.get_mut(s) {
                if t.open() {
                    t.ended = true;
                    ended.push(slot.seq);
                }
            }
        }
        ended
    }

    /// Takes out the oldest chunks every stream is done with.
    pub fn complete(&mut self) -> Vec<Slot> {
        let mut done = Vec::new();
        while self
            .slots
            .front()
            .is_some_and(|slot| slot.tracks.iter().all(|t| t.done()))
        {
            if let Some(slot) = self.slots.pop_front() {
                done.push(slot);
            }
        }
        done
    }

    /// The latest recording time routed.
    pub fn high(&self) -> Option<u64> {
        self.high
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn go(t: &mut Timeline, s: usize, ts: u64, present: &[bool]) -> u64 {
        let route = t.route(s, ts, true);
        let seq = match route {
            Route::To(seq) => seq,
            Route::Open { seq, .. } => {
                t.open(route, present);
                seq
            }
        };
        t.went(s, seq, ts);
        seq
    }

    #[test]
    fn chunks_follow_the_grid_and_close_when_every_stream_has_passed() {
        let mut t = Timeline::new(2 * S, 2, 0);
        let all = [true, true];
        assert_eq!(go(&mut t, 0, 0, &all), 0);
        assert_eq!(go(&mut t, 1, S / 10, &all), 0);
        assert_eq!(go(&mut t, 0, 2 * S, &all), 1);
        assert!(t.complete().is_empty(), "stream 1 is still in chunk 0");
        assert_eq!(go(&mut t, 1, 2 * S + 1, &all), 1);
        let done = t.complete();
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].start, done[0].end), (0, 2 * S));
        // A gap longer than a chunk: the grid goes on.
        assert_eq!(go(&mut t, 0, 9 * S, &all), 2);
        let slot = t.slots().last().cloned().unwrap_or_else(|| unreachable!());
        assert_eq!((slot.start, slot.end), (8 * S, 10 * S));
    }

    #[test]
    fn a_silent_stream_ended_lets_the_chunk_close_and_its_return_splits() {
        let mut t = Timeline::new(10 * S, 2, 0);
        let all = [true, true];
        go(&mut t, 0, 0, &all);
        go(&mut t, 1, 0, &all);
        go(&mut t, 0, 11 * S, &all);
        assert!(t.complete().is_empty());
        assert_eq!(t.end(1), vec![0, 1]);
        assert_eq!(t.complete().len(), 1);
        // Stream 1 comes back at 12 s: chunk 1 ends there, chunk 2 takes
        // the rest of the grid's chunk.
        go(&mut t, 0, 13 * S, &all);
        assert_eq!(go(&mut t, 1, 12 * S, &all), 2);
        let slots: Vec<_> = t.slots().map(|s| (s.seq, s.start, s.end)).collect();
        assert_eq!(
            slots,
            vec![(1, 10 * S, 13 * S + 1), (2, 13 * S + 1, 20 * S)]
        );
        assert_eq!(go(&mut t, 0, 14 * S, &all), 2);
        assert_eq!(t.complete().len(), 1);
    }

    #[test]
    fn a_passed_through_stream_changes_chunk_on_a_keyframe_only() {
        let mut t = Timeline::new(2 * S, 1, 5);
        let all = [true];
        assert_eq!(go(&mut t, 0, 0, &all), 5);
        assert_eq!(t.route(0, 2 * S + 5, false), Route::To(5));
        t.went(0, 5, 2 * S + 5);
        assert!(matches!(
            t.route(0, 3 * S, true),
            Route::Open { seq: 6, .. }
        ));
    }
}
