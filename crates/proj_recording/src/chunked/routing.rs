//! Routing: the chunk each item goes to (opening chunks as the timeline
//! says), encoded video packets into their chunk, and chunks every stream is
//! done with handed to the finalizer.

use super::*;

impl Inner {
    /// Stream `s` gave an item at `rel`: a stalled stream comes back.
    pub(super) fn came(&self, s: usize, rel: u64) {
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

    pub(super) fn encoder(
        self: &Arc<Self>,
        s: usize,
        plan: &VideoPlan,
    ) -> Result<Arc<pe::Encoder>> {
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
    pub(super) fn packet(&self, s: usize, f: pe::EncodedFrame) {
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

    /// Where stream `s`'s item at `rel` goes, opening a chunk if needed.
    /// `went`: the item is written now (not through an encoder).
    pub(super) fn route(&self, s: usize, rel: u64, may_start: bool, went: bool) -> Result<u64> {
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
                self.open_chunks.fetch_add(1, Ordering::Relaxed);
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

    pub(super) fn error_sink(&self) -> crate::EventCallback {
        let events = Arc::clone(&self.events);
        Arc::new(move |e| match e {
            crate::Event::Error(e) => events(ChunkEvent::Error(e)),
            crate::Event::Stalled { what, seconds } => {
                tracing::warn!("a chunk write has waited {seconds} s: {what}");
                events(ChunkEvent::Waiting { what, seconds });
            }
            _ => {}
        })
    }

    pub(super) fn take_complete(&self, state: &mut State) -> Vec<Closing> {
        let done: Vec<Slot> = state.timeline.complete();
        done.into_iter()
            .filter_map(|slot| {
                let chunk = state.chunks.remove(&slot.seq)?;
                self.open_chunks.fetch_sub(1, Ordering::Relaxed);
                Some((chunk, slot.end))
            })
            .collect()
    }

    pub(super) fn send(&self, done: Vec<Closing>) {
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
}
