//! A decoder's running session, GStreamer or raw, and what stops it from
//! any thread without the decoder's state lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proj_frame::VideoFrame;

use crate::output::OutputCallback;
use crate::output::{DecoderParameters, Output};
use crate::payload::Framing;
use crate::raw::RawSession;
use crate::session::{Closer, Session};
use crate::timing::Timing;

#[derive(Debug)]
pub(crate) enum Active {
    Stream(Session),
    Raw(RawSession),
}

impl Active {
    pub fn params(&self) -> DecoderParameters {
        match self {
            Self::Stream(s) => s.params,
            Self::Raw(r) => r.params,
        }
    }

    pub fn framing(&self) -> Framing {
        match self {
            Self::Stream(s) => s.framing,
            Self::Raw(_) => Framing::AnnexB,
        }
    }

    pub fn stopper(&self) -> Stopper {
        match self {
            Self::Stream(s) => Stopper::Stream(s.closer()),
            Self::Raw(r) => Stopper::Raw(r.stop_flag()),
        }
    }

    pub fn drain(&self, idle_timeout: Duration) -> Vec<VideoFrame> {
        match self {
            Self::Stream(s) => s.drain(idle_timeout),
            Self::Raw(_) => Vec::new(),
        }
    }

    pub fn stop(&self) -> Vec<VideoFrame> {
        match self {
            Self::Stream(s) => s.stop(),
            Self::Raw(r) => {
                r.stop();
                Vec::new()
            }
        }
    }

    /// Queues one checked frame; waits while the decoder is behind (never
    /// called under the state lock).
    pub fn push(
        &self,
        frame: VideoFrame,
        data: Vec<u8>,
        t: Timing,
        keyframe: bool,
        emit: &OutputCallback,
    ) -> Option<Output> {
        match self {
            Self::Stream(session) => session
                .push(frame, data, t, keyframe)
                .err()
                .map(|rejected| {
                    let (frame, message) = *rejected;
                    Output::Error {
                        message,
                        frames: vec![frame],
                    }
                }),
            // (A stream session says a stall itself.)
            Self::Raw(raw) => Some(raw.picture(frame, &data, t, |summary| {
                emit(Output::Event { summary });
            })),
        }
    }
}

/// Stops the current session from any thread, without the state lock.
#[derive(Debug, Clone)]
pub(crate) enum Stopper {
    Stream(Closer),
    Raw(Arc<AtomicBool>),
}

impl Stopper {
    pub fn stop(&self) {
        match self {
            Self::Stream(closer) => closer.close(),
            Self::Raw(flag) => flag.store(true, Ordering::Release),
        }
    }
}
