//! `FlexibleDecoderPool` for JS.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;
use proj_decoders as pd;

use crate::decoders::config::FlexibleDecoderPoolConfig;
use crate::decoders::decoder::{
    ask, closed, config_callback, detached, output_callback, queued, shut_down_elsewhere,
    Callbacks, ConfigFn, Held, OutputFn,
};
use crate::entry::entry;
use crate::error::{from_decoders, Code};
use crate::frame::VideoFrame;
use crate::queue::Queue;

/// `(sourceId) => 'keep' | 'evict'`.
pub type EvictionFn = ThreadsafeFunction<String, String, String, Status, false>;

/// The eviction callback, answered on the JS thread while the sweeper
/// waits; anything but `keep` (a throw, no answer in time) evicts.
fn eviction_callback(held: Held<EvictionFn>) -> pd::EvictionCallback {
    Arc::new(move |source_id: &str| {
        let Some(callback) = held.get() else {
            return pd::EvictionDecision::Evict;
        };
        match ask(&callback, source_id.to_owned()) {
            Some(answer) if answer.eq_ignore_ascii_case("keep") => pd::EvictionDecision::Keep,
            _ => pd::EvictionDecision::Evict,
        }
    })
}

/// Decoders for many sources (`FlexibleDecoderPool` of the seed).
#[napi]
pub struct FlexibleDecoderPool {
    inner: Arc<pd::FlexibleDecoderPool>,
    /// One ordered queue per source: a source waiting for its output pool
    /// never holds up the others.
    queues: Mutex<HashMap<String, Arc<Queue>>>,
    closed: AtomicBool,
    callbacks: Callbacks,
}

impl std::fmt::Debug for FlexibleDecoderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexibleDecoderPool")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Drop for FlexibleDecoderPool {
    fn drop(&mut self) {
        self.close_queues();
        shut_down_elsewhere("flex-pool-drop", Arc::clone(&self.inner), |p| p.shutdown());
    }
}

impl FlexibleDecoderPool {
    fn queue(&self, source_id: &str) -> std::result::Result<Arc<Queue>, Error<Code>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::new(
                Code("ERR_PROJ_SHUT_DOWN"),
                "the pool is shut down",
            ));
        }
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(queues
            .entry(source_id.to_owned())
            .or_insert_with(|| Arc::new(Queue::new(format!("flex-dec-{source_id}"))))
            .clone())
    }

    /// Every queue, closed; the map emptied.
    fn close_queues(&self) -> Vec<Arc<Queue>> {
        self.closed.store(true, Ordering::Release);
        let queues: Vec<Arc<Queue>> = self
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, q)| q)
            .collect();
        for queue in &queues {
            queue.close();
        }
        queues
    }
}

#[napi]
impl FlexibleDecoderPool {
    #[napi(
        constructor,
        ts_args_type = "config: FlexibleDecoderPoolConfig, callback: (output: DecoderOutput) => void, eviction?: ((sourceId: string) => string) | undefined | null, configFn?: ((config: DecoderConfig, frame: VideoFrame) => DecoderConfig) | undefined | null"
    )]
    pub fn new(
        config: FlexibleDecoderPoolConfig,
        callback: OutputFn,
        eviction: Option<EvictionFn>,
        config_fn: Option<ConfigFn>,
    ) -> Result<Self, Code> {
        entry("FlexibleDecoderPool::new", || {
            let mut config = config.into_model()?;
            let callbacks = Callbacks {
                outputs: Held::new(callback),
                config: config_fn.map(Held::new),
                eviction: eviction.map(Held::new),
            };
            config.settings.decoder_config_callback = callbacks.config.clone().map(config_callback);
            let inner = pd::FlexibleDecoderPool::new(
                config,
                output_callback(callbacks.outputs.clone()),
                callbacks.eviction.clone().map(eviction_callback),
            )
            .map_err(from_decoders)?;
            Ok(Self {
                inner: Arc::new(inner),
                queues: Mutex::default(),
                closed: AtomicBool::new(false),
                callbacks,
            })
        })
    }

    /// Routes the frame to its source's decoder; resolves when taken.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn submit<'env>(
        &self,
        env: &'env Env,
        frame: &VideoFrame,
        data: Option<Uint8Array>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoderPool::submit", || {
            let (frame, data) = (frame.model(), data.map(|d| d.to_vec()));
            let queue = self.queue(frame.source_id())?;
            let pool = self.inner.clone();
            queued(env, "FlexibleDecoderPool::submit", &queue, move || {
                pool.submit(frame, data)
            })
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn source_eos<'env>(
        &self,
        env: &'env Env,
        source_id: String,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoderPool::source_eos", || {
            let queue = self.queue(&source_id)?;
            let pool = self.inner.clone();
            queued(env, "FlexibleDecoderPool::source_eos", &queue, move || {
                pool.source_eos(&source_id)
            })
        })
    }

    /// Sources with a decoder now.
    #[napi(getter)]
    pub fn stream_count(&self) -> Result<u32, Code> {
        entry("FlexibleDecoderPool::stream_count", || {
            Ok(u32::try_from(self.inner.len()).unwrap_or(u32::MAX))
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    /// Lets every queued call run, then drains every decoder.
    pub fn graceful_shutdown<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoderPool::graceful_shutdown", || {
            if self.closed.load(Ordering::Acquire) {
                return Err(Error::new(
                    Code("ERR_PROJ_SHUT_DOWN"),
                    "the pool is shut down",
                ));
            }
            let queues = self.close_queues();
            let (pool, callbacks) = (self.inner.clone(), self.callbacks.clone());
            detached(env, "FlexibleDecoderPool::graceful_shutdown", move || {
                for queue in queues {
                    queue.finish();
                }
                let result = pool.graceful_shutdown();
                closed(&callbacks);
                result
            })
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoderPool::shutdown", || {
            let was_open = !self.closed.load(Ordering::Acquire);
            self.close_queues();
            let (pool, callbacks) = (self.inner.clone(), self.callbacks.clone());
            detached(env, "FlexibleDecoderPool::shutdown", move || {
                pool.shutdown();
                if was_open {
                    closed(&callbacks);
                }
                Ok(())
            })
        })
    }
}
