//! `FlexibleDecoderPool`: one `FlexibleDecoder` per source, created on the
//! first submit, evicted after `eviction_ttl` without a submit unless the
//! eviction callback says `Keep`.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use proj_frame::VideoFrame;

use crate::config::{EvictionCallback, EvictionDecision, FlexibleDecoderPoolConfig};
use crate::output::{Output, OutputCallback, SkipReason};
use crate::{DecodersError, FlexibleDecoder, Result};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Entry {
    decoder: Arc<FlexibleDecoder>,
    /// When its last submit ended (or the entry was made).
    last_activity: Instant,
    /// Submits in progress: a source whose submit waits for room (its
    /// consumer holds every buffer) is busy, not idle, however long it waits.
    submitting: usize,
}

impl Entry {
    fn idle_for(&self, ttl: Duration) -> bool {
        self.submitting == 0 && self.last_activity.elapsed() >= ttl
    }
}

struct Inner {
    config: FlexibleDecoderPoolConfig,
    emit: OutputCallback,
    eviction: Option<EvictionCallback>,
    entries: Mutex<HashMap<String, Entry>>,
    /// Set at shutdown; wakes the sweeper.
    closed: Mutex<bool>,
    wake: Condvar,
}

impl Inner {
    /// Offers every expired stream to the eviction callback and drains the
    /// evicted ones (outside the lock).
    fn sweep(&self) {
        let ttl = self.config.eviction_ttl;
        let expired: Vec<String> = lock(&self.entries)
            .iter()
            .filter(|(_, e)| e.idle_for(ttl))
            .map(|(id, _)| id.clone())
            .collect();
        for source_id in expired {
            let decision = match &self.eviction {
                Some(callback) => catch_unwind(AssertUnwindSafe(|| callback(&source_id)))
                    .unwrap_or(EvictionDecision::Evict),
                None => EvictionDecision::Evict,
            };
            let evicted = {
                let mut entries = lock(&self.entries);
                match (decision, entries.get_mut(&source_id)) {
                    (EvictionDecision::Keep, Some(entry)) => {
                        entry.last_activity = Instant::now();
                        None
                    }
                    // A submit since the decision keeps it too.
                    (EvictionDecision::Evict, Some(entry)) if entry.idle_for(ttl) => {
                        entries.remove(&source_id).map(|e| e.decoder)
                    }
                    _ => None,
                }
            };
            if let Some(decoder) = evicted {
                let _ = decoder.graceful_shutdown();
            }
        }
    }
}

/// Decoders for many sources behind one callback.
pub struct FlexibleDecoderPool {
    inner: Arc<Inner>,
    sweeper: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for FlexibleDecoderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexibleDecoderPool")
            .field("config", &self.inner.config)
            .field("streams", &self.len())
            .finish_non_exhaustive()
    }
}

impl FlexibleDecoderPool {
    pub fn new(
        config: FlexibleDecoderPoolConfig,
        emit: OutputCallback,
        eviction: Option<EvictionCallback>,
    ) -> Result<Self> {
        config.settings.check()?;
        if config.max_sources == 0 {
            return Err(DecodersError::InvalidArgument {
                name: "maxSources",
                reason: "must be positive".into(),
            });
        }
        if config.eviction_ttl.is_zero() {
            return Err(DecodersError::InvalidArgument {
                name: "evictionTtlMs",
                reason: "must be positive".into(),
            });
        }
        let inner = Arc::new(Inner {
            config,
            emit,
            eviction,
            entries: Mutex::new(HashMap::new()),
            closed: Mutex::new(false),
            wake: Condvar::new(),
        });
        let period = (inner.config.eviction_ttl / 4).max(Duration::from_millis(100));
        let weak = Arc::downgrade(&inner);
        let sweeper = std::thread::Builder::new()
            .name("flex-pool-evict".into())
            .spawn(move || loop {
                let Some(inner) = weak.upgrade() else { return };
                {
                    let closed = lock(&inner.closed);
                    let (closed, _) = inner
                        .wake
                        .wait_timeout_while(closed, period, |closed| !*closed)
                        .unwrap_or_else(PoisonError::into_inner);
                    if *closed {
                        return;
                    }
                }
                inner.sweep();
            })
            .map_err(|e| DecodersError::InvalidArgument {
                name: "pool",
                reason: format!("cannot start the eviction thread: {e}"),
            })?;
        Ok(Self {
            inner,
            sweeper: Mutex::new(Some(sweeper)),
        })
    }

    fn closed(&self) -> bool {
        *lock(&self.inner.closed)
    }

    /// Routes the frame to its source's decoder, creating it if needed.
    pub fn submit(&self, frame: VideoFrame, data: Option<Vec<u8>>) -> Result<()> {
        if self.closed() {
            return Err(DecodersError::ShutDown);
        }
        let decoder = {
            let mut entries = lock(&self.inner.entries);
            let source_id = frame.source_id().to_owned();
            let max = self.inner.config.max_sources;
            if entries.len() >= max && !entries.contains_key(&source_id) {
                drop(entries);
                (self.inner.emit)(Output::Skipped {
                    frame,
                    data,
                    reason: SkipReason::DecoderCreationFailed(format!(
                        "the pool already decodes {max} sources (maxSources); \
                         end one (sourceEos, eviction) or raise the limit"
                    )),
                });
                return Ok(());
            }
            let entry = match entries.get_mut(&source_id) {
                Some(entry) => entry,
                None => {
                    let config = self.inner.config.decoder(&source_id);
                    let decoder = FlexibleDecoder::new(config, self.inner.emit.clone())?;
                    entries.entry(source_id.clone()).or_insert(Entry {
                        decoder: Arc::new(decoder),
                        last_activity: Instant::now(),
                        submitting: 0,
                    })
                }
            };
            entry.submitting += 1;
            (source_id, entry.decoder.clone())
        };
        let (source_id, decoder) = decoder;
        let result = decoder.submit(frame, data);
        if let Some(entry) = lock(&self.inner.entries).get_mut(&source_id) {
            entry.submitting = entry.submitting.saturating_sub(1);
            entry.last_activity = Instant::now();
        }
        result
    }

    /// Drains and removes the source's decoder, then reports `SourceEos`.
    pub fn source_eos(&self, source_id: &str) -> Result<()> {
        if self.closed() {
            return Err(DecodersError::ShutDown);
        }
        let decoder = lock(&self.inner.entries).remove(source_id);
        match decoder {
            Some(entry) => {
                entry.decoder.source_eos(source_id)?;
                entry.decoder.shutdown();
            }
            None => (self.inner.emit)(Output::SourceEos {
                source_id: source_id.to_owned(),
            }),
        }
        Ok(())
    }

    /// Sources with a decoder.
    pub fn len(&self) -> usize {
        lock(&self.inner.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn close(&self) -> Result<Vec<Arc<FlexibleDecoder>>> {
        {
            let mut closed = lock(&self.inner.closed);
            if *closed {
                return Err(DecodersError::ShutDown);
            }
            *closed = true;
            self.inner.wake.notify_all();
        }
        if let Some(sweeper) = lock(&self.sweeper).take() {
            let _ = sweeper.join();
        }
        Ok(lock(&self.inner.entries)
            .drain()
            .map(|(_, e)| e.decoder)
            .collect())
    }

    /// Drains every decoder (in parallel) and shuts down.
    pub fn graceful_shutdown(&self) -> Result<()> {
        let decoders = self.close()?;
        std::thread::scope(|scope| {
            for decoder in &decoders {
                // Where no thread can be made, drain on this one.
                let spawned = std::thread::Builder::new()
                    .name("flex-pool-drain".into())
                    .spawn_scoped(scope, move || decoder.graceful_shutdown());
                if spawned.is_err() {
                    let _ = decoder.graceful_shutdown();
                }
            }
        });
        Ok(())
    }

    /// Shuts every decoder down at once.
    pub fn shutdown(&self) {
        if let Ok(decoders) = self.close() {
            for decoder in decoders {
                decoder.shutdown();
            }
        }
    }
}

impl Drop for FlexibleDecoderPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}
