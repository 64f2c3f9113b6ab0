//! A live camera's supervisor: one thread per source that starts a
//! session, watches it (its end, its error, no packet for the stall
//! time), and on any of them reconnects after an exponential backoff with
//! jitter, until the attempts run out or the source is closed. Wrong
//! credentials are not retried. It sleeps on a channel between events (no
//! polling faster than the stall time).

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::session::{self, SessionEnd};
use super::{lock, Shared, SourceEvent};

/// What wakes the supervisor.
pub(crate) enum Signal {
    End(u64, SessionEnd),
    Close,
}

/// A factor in [0.5, 1): spreads the reconnects of many cameras that
/// failed together (a fraction of the clock is random enough for that).
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    0.5 + f64::from(nanos % 1000) / 2000.0
}

/// The delay before attempt `attempt` (from 1).
pub(crate) fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    doubled.min(max).mul_f64(jitter())
}

/// Waits for the end of session `generation`, or decides it stalled.
fn watch(shared: &Shared, signals: &Receiver<Signal>, generation: u64) -> Option<(String, bool)> {
    let live = &shared.options.live;
    let started = Instant::now();
    loop {
        let last = {
            let timeline = lock(&shared.timeline);
            timeline
                .last_packet
                .filter(|_| timeline.generation == generation)
        };
        let deadline = match last {
            Some(at) => at + live.stall_timeout,
            None => started + live.connect_timeout,
        };
        let now = Instant::now();
        if now >= deadline {
            // Decided on the latest packet's time, read just now.
            return Some(match last {
                Some(_) => {
                    let seconds = live.stall_timeout.as_secs_f64();
                    shared.queue.event(SourceEvent::Stalled { seconds });
                    (format!("stalled: no packet for {seconds} s"), false)
                }
                None => (
                    format!(
                        "no packet within the connect timeout of {} ms",
                        live.connect_timeout.as_millis()
                    ),
                    false,
                ),
            });
        }
        match signals.recv_timeout(deadline - now) {
            Ok(Signal::End(g, end)) if g == generation => {
                return Some(match end {
                    SessionEnd::Eos => ("the server ended the stream".into(), false),
                    SessionEnd::Error { reason, auth } => (reason, auth),
                });
            }
            Ok(Signal::End(..)) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Signal::Close) | Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// Runs the camera until it is closed or gives up.
pub(crate) fn supervise(
    uri: String,
    shared: Arc<Shared>,
    signals: Receiver<Signal>,
    sender: Sender<Signal>,
) {
    let live = shared.options.live.clone();
    let mut attempt = 0u32;
    let mut generation = 0u64;
    loop {
        if shared.queue.is_closed() {
            return;
        }
        generation += 1;
        let streams = std::mem::take(&mut *lock(&shared.streams));
        if !streams.is_empty() {
            *lock(&shared.previous) = streams;
        }
        let on_end = {
            let sender = sender.clone();
            Arc::new(move |g, end, _: &_| {
                let _ = sender.send(Signal::End(g, end));
            })
        };
        let (outcome, session) = match session::start(&uri, &shared, generation, on_end) {
            Ok(session) => (watch(&shared, &signals, generation), Some(session)),
            Err(e) => (Some((e.to_string(), false)), None),
        };
        drop(session);
        let Some((reason, auth)) = outcome else {
            return;
        };
        let delivered = lock(&shared.timeline).generation == generation;
        shared.queue.event(SourceEvent::Disconnected {
            reason: reason.clone(),
        });
        if auth {
            shared.queue.fail(format!("not authorised: {reason}"));
            return;
        }
        attempt = if delivered { 1 } else { attempt + 1 };
        if !live.reconnect || live.max_attempts.is_some_and(|max| attempt > max) {
            shared
                .queue
                .fail(format!("gave up after {} attempts: {reason}", attempt - 1));
            return;
        }
        let delay = backoff(live.base_delay, live.max_delay, attempt);
        shared.queue.event(SourceEvent::Reconnecting {
            attempt,
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
        });
        // Sleep, unless closed meanwhile.
        let until = Instant::now() + delay;
        loop {
            match signals.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Signal::Close) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(Signal::End(..)) => {}
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
    }
}
