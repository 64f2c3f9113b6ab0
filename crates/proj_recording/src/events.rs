//! What the encoder tells its owner while it runs, and what its pipeline
//! reported (written from GStreamer's threads).

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;

use crate::{RecordingError, Result};

/// What the owner's callback gets, on GStreamer's or our threads.
#[derive(Debug, Clone)]
pub enum Event {
    /// The next bytes of a Writable's output, in order.
    Data(Vec<u8>),
    /// A wait has lasted `seconds`: `what` says who waits for what.
    Stalled { what: String, seconds: u64 },
    /// A video stream's encoder moved to another backend.
    BackendChanged {
        stream: u32,
        change: proj_encoders::BackendChange,
    },
    /// The pipeline or output failed; later calls fail with this error.
    Error(RecordingError),
}

pub type EventCallback = Arc<dyn Fn(Event) + Send + Sync>;

#[derive(Debug, Default)]
struct Seen {
    eos: bool,
    error: Option<RecordingError>,
}

/// End of stream and the first error, with a condition to wait on.
#[derive(Debug, Default)]
pub(crate) struct BusState {
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl BusState {
    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn error(&self) -> Option<RecordingError> {
        self.lock().error.clone()
    }

    /// Records `error` unless one came first; returns whether it was the first.
    pub fn fail(&self, error: RecordingError) -> bool {
        let mut seen = self.lock();
        if seen.error.is_some() {
            return false;
        }
        seen.error = Some(error);
        drop(seen);
        self.changed.notify_all();
        true
    }

    pub fn end(&self) {
        self.lock().eos = true;
        self.changed.notify_all();
    }

    /// Waits for end of stream; an error that comes first is returned.
    pub fn wait_eos(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut seen = self.lock();
        loop {
            if let Some(e) = &seen.error {
                return Err(e.clone());
            }
            if seen.eos {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RecordingError::Timeout {
                    what: "the output",
                    seconds: timeout.as_secs(),
                });
            }
            seen = self
                .changed
                .wait_timeout(seen, left.min(Duration::from_millis(200)))
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
    }

    /// The error a bus message carries, if it is one. Sinks' errors are
    /// the output's (a server gone, a disk full); the rest the pipeline's.
    pub fn error_of(message: &gst::Message) -> Option<RecordingError> {
        let gst::MessageView::Error(err) = message.view() else {
            return None;
        };
        let source = err.src().map(|s| s.name().to_string()).unwrap_or_default();
        let debug = err.debug().map(|d| format!(" ({d})")).unwrap_or_default();
        let reason = format!("{source}: {}{debug}", err.error());
        Some(if source.starts_with("output") {
            RecordingError::Output { reason }
        } else {
            RecordingError::Pipeline { reason }
        })
    }
}
