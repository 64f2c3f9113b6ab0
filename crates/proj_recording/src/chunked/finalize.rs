//! Closing a chunk every stream is done with: close → fsync(file) →
//! rename → fsync(dir) → manifest row → retention.

use super::*;

impl Inner {
    /// Closes a chunk, makes it durable, records it, applies retention.
    pub(super) fn finalize(&self, chunk: &Chunk, end: u64) {
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

    pub(super) fn chunk_id(&self, seq: u64) -> String {
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
    pub(super) fn record(
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
    pub(super) fn retain(&self) {
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
}
