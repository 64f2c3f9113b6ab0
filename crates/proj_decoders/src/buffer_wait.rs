//! Waiting for a free output buffer while the consumer holds them all (the
//! decoder's back-pressure): in slices, so that a stopped session is seen
//! within one, and never silently: a wait longer than `STALL` is logged and
//! said to the consumer (an `Event` output whose summary starts with
//! `stalled:`, which JavaScript turns into a `PROJ_POOL_STALL` warning).

use std::time::{Duration, Instant};

use proj_buffers::{BufferGenerator, BuffersError, SharedBuffer};

/// How long one wait lasts before the stop is checked again.
const SLICE: Duration = Duration::from_millis(100);
/// A wait this long is logged (once): the consumer is not releasing.
const STALL: Duration = Duration::from_secs(5);

pub(crate) enum Waited {
    Buffer(SharedBuffer),
    /// `stopped` said so first.
    Stopped,
    Failed(BuffersError),
}

/// A buffer of `generator` for the frame `id`, waiting until one is free
/// or `stopped()` is true; `stall` hears (once) that the wait is long.
pub(crate) fn wait_for_buffer(
    generator: &BufferGenerator,
    id: Option<u128>,
    stopped: impl Fn() -> bool,
    stall: impl Fn(String),
) -> Waited {
    let started = Instant::now();
    let mut warned = false;
    loop {
        if stopped() {
            return Waited::Stopped;
        }
        match generator.acquire_timeout(id, SLICE) {
            Ok(buffer) => return Waited::Buffer(buffer),
            Err(BuffersError::AcquireTimeout { .. }) => {}
            Err(e) => return Waited::Failed(e),
        }
        if !warned && started.elapsed() >= STALL {
            warned = true;
            let message = format!(
                "stalled: a decoder has waited {} s for a free output buffer: its consumer holds all {} (release() them, or use `using`)",
                STALL.as_secs(),
                generator.pool_size()
            );
            tracing::warn!("{message}");
            stall(message);
        }
    }
}
