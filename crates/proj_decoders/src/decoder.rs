//! `FlexibleDecoder`: one source's adaptive decoder. Sessions are keyed on
//! the submitted frame's codec and size; a change drains the old session
//! (outside the lock) and starts a new one. H.264/HEVC wait for a random
//! access point, holding up to `detect_buffer_limit` packets.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use proj_buffers::{BufferGenerator, GeneratorOptions, VideoFormat};
use proj_frame::{FrameContent, Rational, VideoCodec, VideoFrame};

use crate::active::{Active, Stopper};
use crate::config::{DecoderConfig, FlexibleDecoderConfig};
use crate::output::{DecoderParameters, Output, OutputCallback, SkipReason};
use crate::payload::{detect_framing, inspect, Framing, Inspected};
use crate::raw::RawSession;
use crate::session::Session;
use crate::timing::Timing;
use crate::{DecodersError, Result};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
enum State {
    Idle,
    /// H.264/HEVC before the first random access point.
    Detecting {
        params: DecoderParameters,
        framing: Framing,
        buffered: Vec<(VideoFrame, Vec<u8>)>,
    },
    Active(Arc<Active>),
    ShutDown,
}

/// What a submit does after the state lock is released: everything that
/// can wait (a session's start, the decoder-config callback, a push into a
/// full queue, a pipeline's stop) happens here, never under the lock.
enum Step {
    Done,
    Push {
        active: Arc<Active>,
        frame: VideoFrame,
        data: Vec<u8>,
        keyframe: bool,
    },
    Activate {
        frame: VideoFrame,
        data: Vec<u8>,
        params: DecoderParameters,
        framing: Framing,
        inspected: Inspected,
        /// Packets held before this random access point, skipped once it
        /// is taken.
        held: Vec<(VideoFrame, Vec<u8>)>,
    },
    /// The session failed: stop it, report its frames, then start over.
    Restart {
        failed: Arc<Active>,
        message: String,
        frame: VideoFrame,
        data: Vec<u8>,
    },
}

fn skipped(frame: VideoFrame, data: Option<Vec<u8>>, reason: SkipReason) -> Output {
    Output::Skipped {
        frame,
        data,
        reason,
    }
}

/// The payload's facts, or `None` once it is reported `InvalidPayload`.
fn checked(
    frame: VideoFrame,
    data: Vec<u8>,
    params: DecoderParameters,
    framing: Framing,
    out: &mut Vec<Output>,
) -> Option<(VideoFrame, Vec<u8>, Inspected)> {
    match inspect(params.codec, &data, framing, (params.width, params.height)) {
        Ok(inspected) => Some((frame, data, inspected)),
        Err(reason) => {
            out.push(skipped(
                frame,
                Some(data),
                SkipReason::InvalidPayload(reason),
            ));
            None
        }
    }
}

/// Packets held before a random access point, reported once it came (or
/// the stream changed): `waiting_for_keyframe`.
fn skip_held(held: Vec<(VideoFrame, Vec<u8>)>, out: &mut Vec<Output>) {
    for (f, d) in held {
        out.push(skipped(f, Some(d), SkipReason::WaitingForKeyframe));
    }
}

fn lost_at_end(frames: Vec<VideoFrame>, out: &mut Vec<Output>) {
    out.extend(frames.into_iter().map(|frame| {
        skipped(
            frame,
            None,
            SkipReason::DecodeFailed(
                "the decoder produced no picture before its session ended".into(),
            ),
        )
    }));
}

/// One source's decoder. Every submitted frame gets exactly one `Frame`,
/// `Skipped` or `Error` output through the callback.
///
/// Locks: `state` is held only to look at and change the state, never
/// across a push, a pool wait, a pipeline change or a callback, so
/// `is_shut_down`, `Debug` and `shutdown` answer at once. `feeding`
/// serialises the calls that feed the session (submit, source EOS,
/// graceful shutdown) and is held across their waits; nothing else takes it.
pub struct FlexibleDecoder {
    config: FlexibleDecoderConfig,
    emit: OutputCallback,
    state: Mutex<State>,
    feeding: Mutex<()>,
    shut_down: AtomicBool,
    /// Output pools by size, kept across sessions.
    generators: Mutex<HashMap<(u32, u32), BufferGenerator>>,
    /// Stops the current session without the state lock (`shutdown`).
    stopper: Mutex<Option<Stopper>>,
}

impl std::fmt::Debug for FlexibleDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("FlexibleDecoder");
        d.field("config", &self.config);
        match self.state.try_lock() {
            Ok(state) => d.field("state", &*state),
            Err(_) => d.field("state", &"<changing>"),
        };
        d.finish_non_exhaustive()
    }
}

impl FlexibleDecoder {
    pub fn new(config: FlexibleDecoderConfig, emit: OutputCallback) -> Result<Self> {
        if config.source_id.is_empty() {
            return Err(DecodersError::InvalidArgument {
                name: "sourceId",
                reason: "must not be empty".into(),
            });
        }
        config.settings.check()?;
        Ok(Self {
            config,
            emit,
            state: Mutex::new(State::Idle),
            feeding: Mutex::new(()),
            shut_down: AtomicBool::new(false),
            generators: Mutex::new(HashMap::new()),
            stopper: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &FlexibleDecoderConfig {
        &self.config
    }

    fn emit_all(&self, outputs: Vec<Output>) {
        for output in outputs {
            (self.emit)(output);
        }
    }

    /// Submits one encoded frame (`data`, or else the frame's internal
    /// content). Problems with the frame are reported as outputs; the only
    /// error is a decoder that is shut down. Waits while the decoder's
    /// queue is full (back-pressure).
    pub fn submit(&self, frame: VideoFrame, data: Option<Vec<u8>>) -> Result<()> {
        if self.is_shut_down() {
            return Err(DecodersError::ShutDown);
        }
        let _feeding = lock(&self.feeding);
        let mut out = Vec::new();
        let change = self.submit_inner(frame, data, &mut out);
        self.emit_all(out);
        if let Some((old, new)) = change? {
            (self.emit)(Output::ParameterChange { old, new });
        }
        Ok(())
    }

    fn submit_inner(
        &self,
        mut frame: VideoFrame,
        data: Option<Vec<u8>>,
        out: &mut Vec<Output>,
    ) -> Result<Option<(DecoderParameters, DecoderParameters)>> {
        if frame.source_id() != self.config.source_id {
            let reason = SkipReason::SourceIdMismatch {
                expected: self.config.source_id.clone(),
                actual: frame.source_id().to_owned(),
            };
            out.push(skipped(frame, data, reason));
            return Ok(None);
        }
        let data = match data {
            Some(data) => data,
            None => match frame.take_content() {
                FrameContent::Internal(bytes) => bytes,
                other => {
                    frame.set_content(other);
                    out.push(skipped(frame, None, SkipReason::NoPayload));
                    return Ok(None);
                }
            },
        };
        let codec = match frame.codec() {
            Some(VideoCodec::RawNv12) | None => {
                let name = frame.codec().map_or("none", VideoCodec::name);
                out.push(skipped(
                    frame,
                    Some(data),
                    SkipReason::UnsupportedCodec(format!("no decoder takes codec {name}")),
                ));
                return Ok(None);
            }
            Some(codec) => codec,
        };
        let timing = match Timing::of(&frame) {
            Ok(timing) => timing,
            Err(reason) => {
                out.push(skipped(
                    frame,
                    Some(data),
                    SkipReason::InvalidPayload(reason),
                ));
                return Ok(None);
            }
        };
        let size = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        let params = DecoderParameters {
            codec,
            width: size(frame.width()),
            height: size(frame.height()),
        };

        // A codec or size change: take the old session out, drain it
        // outside the lock.
        let old = {
            let mut state = lock(&self.state);
            match &mut *state {
                State::ShutDown => return Err(DecodersError::ShutDown),
                State::Active(active) if active.params() != params => {
                    match std::mem::replace(&mut *state, State::Idle) {
                        State::Active(active) => Some(active),
                        _ => None,
                    }
                }
                State::Detecting {
                    params: waiting, ..
                } if *waiting != params => {
                    if let State::Detecting { buffered, .. } =
                        std::mem::replace(&mut *state, State::Idle)
                    {
                        skip_held(buffered, out);
                    }
                    None
                }
                _ => None,
            }
        };
        let change = old.map(|active| {
            lost_at_end(active.drain(self.config.settings.idle_timeout), out);
            (active.params(), params)
        });

        let mut next = Some((frame, data));
        while let Some((frame, data)) = next.take() {
            let step = self.handle(&mut lock(&self.state), frame, data, params, out);
            match step {
                Step::Done => {}
                Step::Push {
                    active,
                    frame,
                    data,
                    keyframe,
                } => out.extend(active.push(frame, data, timing, keyframe, &self.emit)),
                Step::Activate {
                    frame,
                    data,
                    params,
                    framing,
                    inspected,
                    held,
                } => {
                    self.activate(frame, data, params, framing, &inspected, timing, out);
                    skip_held(held, out);
                }
                Step::Restart {
                    failed,
                    message,
                    frame,
                    data,
                } => {
                    // Frames in flight are lost with the error; this frame
                    // starts over as if from Idle.
                    let frames = failed.stop();
                    out.push(Output::Error { message, frames });
                    next = Some((frame, data));
                }
            }
        }
        Ok(change)
    }

    /// Decides what to do with a frame, under the state lock: only checks
    /// and state changes here, every wait is in the returned step.
    fn handle(
        &self,
        state: &mut State,
        frame: VideoFrame,
        data: Vec<u8>,
        params: DecoderParameters,
        out: &mut Vec<Output>,
    ) -> Step {
        match state {
            State::ShutDown => {
                out.push(Output::Error {
                    message: "the decoder is shut down".into(),
                    frames: vec![frame],
                });
                Step::Done
            }
            State::Idle => {
                let framing = detect_framing(params.codec, &data);
                let Some((frame, data, inspected)) = checked(frame, data, params, framing, out)
                else {
                    return Step::Done;
                };
                if inspected.random_access {
                    Step::Activate {
                        frame,
                        data,
                        params,
                        framing,
                        inspected,
                        held: Vec::new(),
                    }
                } else if matches!(params.codec, VideoCodec::H264 | VideoCodec::Hevc) {
                    *state = State::Detecting {
                        params,
                        framing,
                        buffered: Vec::new(),
                    };
                    self.hold(state, frame, data, out);
                    Step::Done
                } else {
                    out.push(skipped(frame, Some(data), SkipReason::WaitingForKeyframe));
                    Step::Done
                }
            }
            State::Detecting { framing, .. } => {
                let framing = *framing;
                let Some((frame, data, inspected)) = checked(frame, data, params, framing, out)
                else {
                    return Step::Done;
                };
                if inspected.random_access {
                    let held = match std::mem::replace(state, State::Idle) {
                        State::Detecting { buffered, .. } => buffered,
                        _ => Vec::new(),
                    };
                    Step::Activate {
                        frame,
                        data,
                        params,
                        framing,
                        inspected,
                        held,
                    }
                } else {
                    self.hold(state, frame, data, out);
                    Step::Done
                }
            }
            State::Active(active) => {
                if let Active::Stream(session) = &**active {
                    if let Some(message) = session.failure() {
                        let failed = Arc::clone(active);
                        *state = State::Idle;
                        return Step::Restart {
                            failed,
                            message,
                            frame,
                            data,
                        };
                    }
                }
                let active = Arc::clone(active);
                match checked(frame, data, params, active.framing(), out) {
                    Some((frame, data, inspected)) => Step::Push {
                        active,
                        frame,
                        data,
                        keyframe: inspected.keyframe,
                    },
                    None => Step::Done,
                }
            }
        }
    }

    fn hold(&self, state: &mut State, frame: VideoFrame, data: Vec<u8>, out: &mut Vec<Output>) {
        if let State::Detecting { buffered, .. } = state {
            buffered.push((frame, data));
            if buffered.len() > self.config.settings.detect_buffer_limit {
                for (f, d) in buffered.drain(..) {
                    out.push(skipped(f, Some(d), SkipReason::DetectionBufferOverflow));
                }
            }
        }
    }

    fn generator(&self, params: DecoderParameters, fps: Rational) -> Result<BufferGenerator> {
        let key = (params.width, params.height);
        let mut generators = lock(&self.generators);
        if let Some(generator) = generators.get(&key) {
            return Ok(generator.clone());
        }
        let options = GeneratorOptions {
            fps_num: u32::try_from(fps.num).unwrap_or(30),
            fps_den: u32::try_from(fps.den).unwrap_or(1),
            gpu_id: self.config.settings.gpu_id,
            mem_type: self.config.settings.mem_type,
            pool_size: self.config.settings.pool_size,
        };
        let generator =
            BufferGenerator::new(VideoFormat::Rgba, params.width, params.height, options)?;
        // One size at a time is the common case; keep at most a few.
        if generators.len() >= 4 {
            generators.clear();
        }
        generators.insert(key, generator.clone());
        Ok(generator)
    }

    /// The session's config: the default for the codec, rewritten by the
    /// user's callback (a panicking callback or one that changes the codec
    /// is ignored).
    fn decoder_config(
        &self,
        params: DecoderParameters,
        frame: &VideoFrame,
    ) -> Option<DecoderConfig> {
        let default = DecoderConfig::for_codec(params.codec, params.width, params.height)?;
        let Some(callback) = &self.config.settings.decoder_config_callback else {
            return Some(default);
        };
        match catch_unwind(AssertUnwindSafe(|| callback(default.clone(), frame))) {
            Ok(config) if config.codec() == params.codec => Some(config),
            Ok(config) => {
                tracing::warn!(
                    "decoder config callback returned a {} config for a {} stream; ignored",
                    config.codec().name(),
                    params.codec.name()
                );
                Some(default)
            }
            Err(_) => {
                tracing::warn!("decoder config callback panicked; the default config is used");
                Some(default)
            }
        }
    }

    /// Starts a session for a random access point and pushes it, outside
    /// the state lock (the config callback and the pipeline's start can
    /// take a while); then makes it the decoder's session, unless the
    /// decoder was shut down meanwhile.
    #[expect(
        clippy::too_many_arguments,
        reason = "one frame's facts, passed on as they are"
    )]
    fn activate(
        &self,
        frame: VideoFrame,
        data: Vec<u8>,
        params: DecoderParameters,
        framing: Framing,
        inspected: &Inspected,
        timing: Timing,
        out: &mut Vec<Output>,
    ) {
        let Some(config) = self.decoder_config(params, &frame) else {
            out.push(skipped(
                frame,
                Some(data),
                SkipReason::UnsupportedCodec(format!(
                    "no decoder takes codec {}",
                    params.codec.name()
                )),
            ));
            return;
        };
        let started = self
            .generator(params, frame.fps())
            .and_then(|generator| match config {
                DecoderConfig::RawRgb { .. } | DecoderConfig::RawRgba { .. } => {
                    let channels = if params.codec == VideoCodec::RawRgb {
                        3
                    } else {
                        4
                    };
                    Ok(Active::Raw(RawSession::new(params, generator, channels)))
                }
                _ => Session::start(
                    &config,
                    params,
                    framing,
                    inspected.codec_data.as_deref(),
                    generator,
                    self.emit.clone(),
                    (frame.fps().num, frame.fps().den),
                )
                .map(Active::Stream),
            });
        let active = match started {
            Ok(active) => Arc::new(active),
            Err(e) => {
                out.push(skipped(
                    frame,
                    Some(data),
                    SkipReason::DecoderCreationFailed(e.to_string()),
                ));
                return;
            }
        };
        {
            let mut state = lock(&self.state);
            if matches!(*state, State::ShutDown) {
                drop(state);
                active.stop();
                out.push(Output::Error {
                    message: "the decoder was shut down while its session started".into(),
                    frames: vec![frame],
                });
                return;
            }
            *state = State::Active(Arc::clone(&active));
            *lock(&self.stopper) = Some(active.stopper());
        }
        out.extend(active.push(frame, data, timing, inspected.keyframe, &self.emit));
    }

    /// Takes the session out (and any held packets), leaving `next`.
    fn take_session(&self, next: State, out: &mut Vec<Output>) -> Result<Option<Arc<Active>>> {
        let mut state = lock(&self.state);
        if matches!(*state, State::ShutDown) {
            return Err(DecodersError::ShutDown);
        }
        Ok(match std::mem::replace(&mut *state, next) {
            State::Active(active) => Some(active),
            State::Detecting { buffered, .. } => {
                skip_held(buffered, out);
                None
            }
            State::Idle | State::ShutDown => None,
        })
    }

    /// Ends the source's stream: drains the session (every frame submitted
    /// before gets its output), then reports `SourceEos`. The next submit
    /// starts a new session.
    pub fn source_eos(&self, source_id: &str) -> Result<()> {
        let _feeding = lock(&self.feeding);
        let mut out = Vec::new();
        let active = self.take_session(State::Idle, &mut out)?;
        if let Some(active) = active {
            lost_at_end(active.drain(self.config.settings.idle_timeout), &mut out);
        }
        out.push(Output::SourceEos {
            source_id: source_id.to_owned(),
        });
        self.emit_all(out);
        Ok(())
    }

    /// Drains the session and shuts down; later calls fail with `ShutDown`.
    pub fn graceful_shutdown(&self) -> Result<()> {
        let _feeding = lock(&self.feeding);
        let mut out = Vec::new();
        let active = self.take_session(State::ShutDown, &mut out)?;
        self.shut_down.store(true, Ordering::Release);
        if let Some(active) = active {
            lost_at_end(active.drain(self.config.settings.idle_timeout), &mut out);
        }
        self.emit_all(out);
        Ok(())
    }

    /// Shuts down at once, without waiting for a submit in progress: the
    /// session is stopped first (a submit waiting for room returns), and
    /// frames in flight are reported in one `Error`.
    pub fn shutdown(&self) {
        self.shut_down.store(true, Ordering::Release);
        // Taken out first: the lock is not held while the session stops.
        let stopper = lock(&self.stopper).take();
        if let Some(stopper) = stopper {
            stopper.stop();
        }
        let mut out = Vec::new();
        if let Ok(Some(active)) = self.take_session(State::ShutDown, &mut out) {
            let frames = active.stop();
            if !frames.is_empty() {
                out.push(Output::Error {
                    message: format!("shut down with {} frames in flight", frames.len()),
                    frames,
                });
            }
        }
        self.emit_all(out);
    }

    /// Answers at once, whatever the decoder is doing.
    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }
}

impl Drop for FlexibleDecoder {
    fn drop(&mut self) {
        self.shutdown();
    }
}
