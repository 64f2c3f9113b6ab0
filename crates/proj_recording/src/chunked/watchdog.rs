//! The watchdog: a stream silent for the stall time (of media time, or of
//! wall time) is ended in the chunks in flight, which then close without it;
//! and the periodic fsync of the chunks in flight.

use super::*;

impl Inner {
    /// Ends every stream whose last item is more than the stall time of
    /// media behind `high` (fed faster than real time, a silent stream
    /// shows here long before the wall clock says so).
    pub(super) fn stall_behind(&self, high: u64, except: Option<usize>) {
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

    pub(super) fn stall(&self, s: usize, silent_ms: u64) {
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

    /// Ends stream `s` in every chunk in flight.
    pub(super) fn end_stream(&self, s: usize) {
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
    pub(super) fn watch(self: Arc<Self>) {
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
}
