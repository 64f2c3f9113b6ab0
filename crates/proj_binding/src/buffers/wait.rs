//! Waiting for a pool the way JS expects: in turn (the pool is first come,
//! first served), bounded by `timeoutMs` (`ERR_PROJ_TIMEOUT`) or an
//! `AbortSignal` (through a [`CancelToken`]: `ERR_PROJ_ABORTED`), and never
//! silently: a wait longer than [`STALL`] is logged with the pool's facts
//! and counted (the usual cause is buffers that were never released: JS
//! has no reference counting, call `release()` or use `using`). A waiter
//! that gives up leaves the queue and never takes a buffer afterwards.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;
use tokio::sync::Notify;

use crate::entry::{entry, Outcome};
use crate::error::{from_buffers, invalid_argument, Code};

/// How long a wait lasts before it is logged and counted as a stall.
pub const STALL: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
struct Cancel {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    async fn cancelled(&self) {
        loop {
            // Created before the check: a cancel in between still wakes it.
            let notified = self.notify.notified();
            if self.cancelled.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// Cancels the native waits it is given (the TS wrappers connect it to an
/// `AbortSignal`).
#[napi]
#[derive(Debug)]
pub struct CancelToken {
    inner: Arc<Cancel>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Result<Self, Code> {
        entry("CancelToken::new", || {
            Ok(Self {
                inner: Arc::default(),
            })
        })
    }

    /// Every wait given this token ends with `ERR_PROJ_ABORTED`.
    #[napi]
    pub fn cancel(&self) -> Result<(), Code> {
        entry("CancelToken::cancel", || {
            self.inner.cancelled.store(true, Ordering::Release);
            self.inner.notify.notify_waiters();
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn is_cancelled(&self) -> Result<bool, Code> {
        entry("CancelToken::is_cancelled", || {
            Ok(self.inner.cancelled.load(Ordering::Acquire))
        })
    }
}

/// Options of a wait for a pool.
#[napi(object)]
#[derive(Debug, Default)]
pub struct WaitOptions {
    /// Give up after this long with `ERR_PROJ_TIMEOUT` (default: wait).
    pub timeout_ms: Option<f64>,
}

/// Waits counted as stalls, per pool.
#[derive(Debug, Default)]
pub struct Stalls(AtomicU64);

impl Stalls {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long a wait may last and what cancels it.
#[derive(Debug, Default)]
pub struct Limits {
    timeout: Option<Duration>,
    cancel: Option<Arc<Cancel>>,
}

impl Limits {
    pub fn new(timeout_ms: Option<f64>, cancel: Option<&CancelToken>) -> Outcome<Self> {
        let timeout = match timeout_ms {
            None => None,
            Some(ms) if ms.is_finite() && ms >= 0.0 => Some(Duration::from_secs_f64(ms / 1000.0)),
            Some(ms) => {
                return Err(invalid_argument(format!(
                    "timeoutMs must be a non-negative number, got {ms}"
                )))
            }
        };
        let cancel = cancel.map(|c| Arc::clone(&c.inner));
        if cancel
            .as_ref()
            .is_some_and(|c| c.cancelled.load(Ordering::Acquire))
        {
            return Err(aborted());
        }
        Ok(Self { timeout, cancel })
    }
}

fn aborted() -> Error<Code> {
    Error::new(
        Code("ERR_PROJ_ABORTED"),
        "the wait for a free buffer was aborted",
    )
}

/// What a stall warning says about a pool: read only when a wait stalls,
/// so a wait that does not costs nothing (no description made per acquire).
pub trait PoolView: Send + 'static {
    fn describe(&self) -> String;
    fn capacity(&self) -> usize;
    fn available(&self) -> usize;
    fn waiting(&self) -> usize;
}

impl PoolView for pb::BufferGenerator {
    fn describe(&self) -> String {
        format!(
            "BufferGenerator {} {}x{}",
            self.format().name(),
            self.width(),
            self.height()
        )
    }
    fn capacity(&self) -> usize {
        self.pool_size()
    }
    fn available(&self) -> usize {
        pb::BufferGenerator::available(self)
    }
    fn waiting(&self) -> usize {
        pb::BufferGenerator::waiting(self)
    }
}

impl PoolView for pb::UniformBatchGenerator {
    fn describe(&self) -> String {
        format!(
            "UniformBatchGenerator {} {}x{} x{}",
            self.format().name(),
            self.width(),
            self.height(),
            self.max_batch_size()
        )
    }
    fn capacity(&self) -> usize {
        self.options().pool_size
    }
    fn available(&self) -> usize {
        pb::UniformBatchGenerator::available(self)
    }
    fn waiting(&self) -> usize {
        pb::UniformBatchGenerator::waiting(self)
    }
}

/// Waits for `acquire` within `limits`; logs and counts a stall.
pub async fn wait_for<T>(
    limits: Limits,
    pool: impl PoolView,
    stalls: Arc<Stalls>,
    acquire: impl Future<Output = pb::Result<T>>,
) -> Outcome<T> {
    let acquire = std::pin::pin!(acquire);
    let mut acquire = acquire;
    let cancelled = async {
        match &limits.cancel {
            Some(cancel) => cancel.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let mut cancelled = std::pin::pin!(cancelled);
    let deadline = limits.timeout.map(|t| tokio::time::Instant::now() + t);
    let expired = async {
        match deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    };
    let mut expired = std::pin::pin!(expired);
    let stall = tokio::time::sleep(STALL);
    let mut stall = std::pin::pin!(stall);
    let mut stalled = false;
    loop {
        tokio::select! {
            acquired = &mut acquire => return acquired.map_err(from_buffers),
            () = &mut cancelled => return Err(aborted()),
            () = &mut expired => {
                let ms = limits.timeout.map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
                return Err(from_buffers(pb::BuffersError::AcquireTimeout { ms, capacity: pool.capacity() }));
            }
            () = &mut stall, if !stalled => {
                stalled = true;
                stalls.0.fetch_add(1, Ordering::Relaxed);
                let held = pool.capacity().saturating_sub(pool.available());
                tracing::warn!(
                    pool = %pool.describe(),
                    held,
                    capacity = pool.capacity(),
                    waiting = pool.waiting(),
                    "a wait for a free buffer has lasted {} s: every buffer is held (release() them, or use `using`)",
                    STALL.as_secs()
                );
            }
        }
    }
}
