//! `FlexibleDecoder` for JS.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use proj_decoders as pd;

use crate::decoders::config::{DecoderConfig, FlexibleDecoderConfig};
use crate::decoders::output::DecoderOutput;
use crate::entry::{entry, on_thread, Outcome};
use crate::error::{from_decoders, Code};
use crate::frame::VideoFrame;
pub use crate::held::Held;
use crate::held::OutputTsfn;
use crate::queue::Queue;

/// Called on the JS thread with every output.
pub type OutputFn = OutputTsfn<DecoderOutput>;
/// `(config, frame) => config`, called when a session starts.
pub type ConfigFn = ThreadsafeFunction<
    FnArgs<(DecoderConfig, VideoFrame)>,
    DecoderConfig,
    FnArgs<(DecoderConfig, VideoFrame)>,
    Status,
    false,
>;

/// How long a decoder thread waits for a JS callback's answer before it
/// goes on with the default.
const CALLBACK_WAIT: Duration = Duration::from_secs(10);

/// A decoder's (or pool's) JS callbacks.
#[derive(Debug, Clone)]
pub struct Callbacks {
    pub outputs: Held<OutputFn>,
    pub config: Option<Held<ConfigFn>>,
    pub eviction: Option<Held<crate::decoders::pool::EvictionFn>>,
}

/// Every output goes to the callback on the JS thread, in order. An output
/// that cannot be delivered (the JS side is gone, or closed) is logged, not
/// dropped silently.
pub fn output_callback(outputs: Held<OutputFn>) -> pd::OutputCallback {
    Arc::new(move |output: pd::Output| outputs.deliver(output.into(), "a decoder"))
}

/// Calls a JS callback from a native thread and waits (up to
/// `CALLBACK_WAIT`) for its answer: `None` if it threw, returned something
/// else, or took too long. Never call it on the JS thread.
pub fn ask<T, R>(callback: &ThreadsafeFunction<T, R, T, Status, false>, value: T) -> Option<R>
where
    T: 'static + JsValuesTupleIntoVec,
    R: 'static + FromNapiValue + Send,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let status = callback.call_with_return_value(
        value,
        ThreadsafeFunctionCallMode::NonBlocking,
        move |answer: Result<R>, _| {
            if let Err(e) = &answer {
                tracing::warn!(
                    "a callback threw or returned a wrong value ({}); its default is used",
                    e.reason
                );
            }
            let _ = tx.send(answer.ok());
            Ok(())
        },
    );
    if status != Status::Ok {
        tracing::warn!(
            ?status,
            "a callback could not be called; its default is used"
        );
        return None;
    }
    match rx.recv_timeout(CALLBACK_WAIT) {
        Ok(answer) => answer,
        Err(_) => {
            tracing::warn!(
                "a callback gave no answer in {} s (the JS thread busy or blocked?); its default is used",
                CALLBACK_WAIT.as_secs()
            );
            None
        }
    }
}

/// The decoder-config callback, answered on the JS thread while the
/// decoder's thread waits; a throw, a bad config or no answer in time keeps
/// the default.
pub fn config_callback(held: Held<ConfigFn>) -> pd::ConfigCallback {
    Arc::new(
        move |default: pd::DecoderConfig, frame: &proj_frame::VideoFrame| {
            let Some(callback) = held.get() else {
                return default;
            };
            let args = (
                DecoderConfig::from_model(&default),
                VideoFrame::from_model(frame.clone()),
            );
            match ask(&callback, args.into()).map(DecoderConfig::into_model) {
                Some(Ok(config)) => config,
                Some(Err(e)) => {
                    tracing::warn!(
                        "decoder config callback returned a bad config: {}",
                        e.reason
                    );
                    default
                }
                None => default,
            }
        },
    )
}

/// Settles a queued call's Promise with its outcome; a panic in the call
/// is `ERR_PROJ_INTERNAL` (never `ERR_PROJ_SHUT_DOWN`), and later calls
/// still run.
pub fn queued<'env, F>(
    env: &'env Env,
    name: &'static str,
    queue: &Queue,
    call: F,
) -> Outcome<PromiseRaw<'env, ()>>
where
    F: FnOnce() -> pd::Result<()> + Send + 'static,
{
    crate::queue::queued(
        env,
        name,
        queue,
        move || call().map_err(from_decoders),
        || from_decoders(pd::DecodersError::ShutDown),
    )
}

/// Tells JS that no output follows (after every earlier one, on the same
/// threadsafe function, so it arrives last), then lets every callback go.
pub fn closed(callbacks: &Callbacks) {
    callbacks.outputs.close_with(DecoderOutput::empty("closed"));
    if let Some(config) = &callbacks.config {
        config.let_go();
    }
    if let Some(eviction) = &callbacks.eviction {
        eviction.let_go();
    }
}

/// Runs `call` on a thread of its own (not behind queued calls) and settles
/// a Promise with its outcome.
pub fn detached<'env, F>(
    env: &'env Env,
    name: &'static str,
    call: F,
) -> Outcome<PromiseRaw<'env, ()>>
where
    F: FnOnce() -> pd::Result<()> + Send + 'static,
{
    on_thread(env, name, move || call().map_err(from_decoders), Ok)
}

/// Shuts `what` down and drops it on a thread of its own: a decoder or
/// pool collected by the garbage collector must not tear GStreamer down on
/// the JS thread, nor wait there for a JS callback the blocked thread could
/// never answer. Where no thread can be made it is done here, with a word.
pub fn shut_down_elsewhere<T: Send + Sync + 'static>(
    name: &'static str,
    what: Arc<T>,
    shut_down: fn(&T),
) {
    let elsewhere = Arc::clone(&what);
    if let Err(e) = crate::entry::spawn_thread(name, move || shut_down(&elsewhere)) {
        tracing::warn!("{}; shutting down on the JS thread", e.reason);
        shut_down(&what);
    }
}

/// One source's adaptive decoder (`FlexibleDecoder` of the seed).
#[napi]
pub struct FlexibleDecoder {
    inner: Arc<pd::FlexibleDecoder>,
    queue: Queue,
    callbacks: Callbacks,
}

impl std::fmt::Debug for FlexibleDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexibleDecoder")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Drop for FlexibleDecoder {
    fn drop(&mut self) {
        self.queue.close();
        shut_down_elsewhere("flex-dec-drop", Arc::clone(&self.inner), |d| d.shutdown());
    }
}

#[napi]
impl FlexibleDecoder {
    #[napi(
        constructor,
        ts_args_type = "config: FlexibleDecoderConfig, callback: (output: DecoderOutput) => void, configFn?: ((config: DecoderConfig, frame: VideoFrame) => DecoderConfig) | undefined | null"
    )]
    pub fn new(
        config: FlexibleDecoderConfig,
        callback: OutputFn,
        config_fn: Option<ConfigFn>,
    ) -> Result<Self, Code> {
        entry("FlexibleDecoder::new", || {
            let mut config = config.into_model()?;
            let callbacks = Callbacks {
                outputs: Held::new(callback),
                config: config_fn.map(Held::new),
                eviction: None,
            };
            config.settings.decoder_config_callback = callbacks.config.clone().map(config_callback);
            let name = format!("flex-dec-{}", config.source_id);
            let inner =
                pd::FlexibleDecoder::new(config, output_callback(callbacks.outputs.clone()))
                    .map_err(from_decoders)?;
            Ok(Self {
                inner: Arc::new(inner),
                queue: Queue::new(name),
                callbacks,
            })
        })
    }

    #[napi(getter)]
    pub fn source_id(&self) -> Result<String, Code> {
        entry("FlexibleDecoder::source_id", || {
            Ok(self.inner.config().source_id.clone())
        })
    }

    /// Queues one encoded frame; resolves when the decoder has taken it
    /// (it waits while the decoder's output pool is full).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn submit<'env>(
        &self,
        env: &'env Env,
        frame: &VideoFrame,
        data: Option<Uint8Array>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoder::submit", || {
            let (frame, data) = (frame.model(), data.map(|d| d.to_vec()));
            let decoder = self.inner.clone();
            queued(env, "FlexibleDecoder::submit", &self.queue, move || {
                decoder.submit(frame, data)
            })
        })
    }

    /// Drains the stream and reports `source_eos` after every output of the
    /// frames submitted before.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn source_eos<'env>(
        &self,
        env: &'env Env,
        source_id: String,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoder::source_eos", || {
            let decoder = self.inner.clone();
            queued(env, "FlexibleDecoder::source_eos", &self.queue, move || {
                decoder.source_eos(&source_id)
            })
        })
    }

    /// Drains and shuts down.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn graceful_shutdown<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoder::graceful_shutdown", || {
            let (decoder, callbacks) = (self.inner.clone(), self.callbacks.clone());
            let promise = queued(
                env,
                "FlexibleDecoder::graceful_shutdown",
                &self.queue,
                move || {
                    let result = decoder.graceful_shutdown();
                    closed(&callbacks);
                    result
                },
            )?;
            self.queue.close();
            Ok(promise)
        })
    }

    /// Shuts down at once, ahead of queued calls (which then fail with
    /// `ERR_PROJ_SHUT_DOWN`); frames in flight are reported in one `error`
    /// output.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("FlexibleDecoder::shutdown", || {
            self.queue.close();
            let (decoder, callbacks) = (self.inner.clone(), self.callbacks.clone());
            detached(env, "FlexibleDecoder::shutdown", move || {
                let was_open = !decoder.is_shut_down();
                decoder.shutdown();
                if was_open {
                    closed(&callbacks);
                }
                Ok(())
            })
        })
    }

    #[napi(getter)]
    pub fn is_shut_down(&self) -> Result<bool, Code> {
        entry("FlexibleDecoder::is_shut_down", || {
            Ok(self.inner.is_shut_down())
        })
    }
}
