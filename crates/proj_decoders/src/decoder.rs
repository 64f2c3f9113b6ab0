//! `FlexibleDecoder`: one source's adaptive decoder. Sessions are keyed on
//! the submitted frame's codec and size; a change drains the old session
//! (outside the lock) and starts a new one. H.264/HEVC wait for a random
//! access point, holding up to `detect_buffer_limit` packets.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use proj_buffers::{
    import_packed, BufferGenerator, BuffersError, GeneratorOptions, Packed, VideoFormat,
};
use proj_frame::{FrameContent, Rational, VideoCodec, VideoFrame};

use crate::config::{DecoderConfig, FlexibleDecoderConfig};
use crate::output::{DecodedFrame, DecoderParameters, Output, OutputCallback, SkipReason};
use crate::payload::{detect_framing, inspect, Framing, Inspected};
use crate::session::{Closer, Session, Timing};
use crate::{DecodersError, Result};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A raw-picture "session": pictures are copied into the pool directly.
#[derive(Debug)]
struct RawSession {
    params: DecoderParameters,
    generator: BufferGenerator,
    channels: usize,
}

#[derive(Debug)]
enum Active {
    Stream(Session),
    Raw(RawSession),
}

impl Active {
    fn params(&self) -> DecoderParameters {
        match self {
            Self::Stream(s) => s.params,
            Self::Raw(r) => r.params,
        }
    }

    fn drain(&self, idle_timeout: Duration) -> Vec<VideoFrame> {
        match self {
            Self::Stream(s) => s.drain(idle_timeout),
            Self::Raw(_) => Vec::new(),
        }
    }

    fn stop(&self) -> Vec<VideoFrame> {
        match self {
            Self::Stream(s) => s.stop(),
            Self::Raw(_) => Vec::new(),
        }
    }
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
    Active(Active),
    ShutDown,
}

/// Converts a frame's ticks into nanoseconds.
fn nanoseconds(ticks: i64, time_base: Rational) -> u64 {
    let ns = i128::from(ticks) * i128::from(time_base.num) * 1_000_000_000
        / i128::from(time_base.den.max(1));
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

fn timing(frame: &VideoFrame) -> Timing {
    let tb = frame.time_base();
    Timing {
        pts_ns: nanoseconds(frame.pts(), tb),
        dts_ns: frame.dts().map(|t| nanoseconds(t, tb)),
        duration_ns: frame.duration().map(|t| nanoseconds(t, tb)),
    }
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
pub struct FlexibleDecoder {
    config: FlexibleDecoderConfig,
    emit: OutputCallback,
    state: Mutex<State>,
    /// Output pools by size, kept across sessions.
    generators: Mutex<HashMap<(u32, u32), BufferGenerator>>,
    /// Stops the current session without the state lock (`shutdown`).
    closer: Mutex<Option<Closer>>,
}

impl std::fmt::Debug for FlexibleDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlexibleDecoder")
            .field("config", &self.config)
            .field("state", &*lock(&self.state))
            .finish_non_exhaustive()
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
            generators: Mutex::new(HashMap::new()),
            closer: Mutex::new(None),
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
        if matches!(*lock(&self.state), State::ShutDown) {
            return Err(DecodersError::ShutDown);
        }
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
                        for (f, d) in buffered {
                            out.push(skipped(f, Some(d), SkipReason::WaitingForKeyframe));
                        }
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

        let mut state = lock(&self.state);
        self.handle(&mut state, frame, data, params, out);
        Ok(change)
    }

    fn handle(
        &self,
        state: &mut State,
        frame: VideoFrame,
        data: Vec<u8>,
        params: DecoderParameters,
        out: &mut Vec<Output>,
    ) {
        match state {
            State::ShutDown => out.push(Output::Error {
                message: "the decoder is shut down".into(),
                frames: vec![frame],
            }),
            State::Idle => {
                let framing = detect_framing(params.codec, &data);
                let Some((frame, data, inspected)) = checked(frame, data, params, framing, out)
                else {
                    return;
                };
                if inspected.random_access {
                    self.activate(state, frame, data, params, framing, &inspected, out);
                } else if matches!(params.codec, VideoCodec::H264 | VideoCodec::Hevc) {
                    *state = State::Detecting {
                        params,
                        framing,
                        buffered: Vec::new(),
                    };
                    self.hold(state, frame, data, out);
                } else {
                    out.push(skipped(frame, Some(data), SkipReason::WaitingForKeyframe));
                }
            }
            State::Detecting { framing, .. } => {
                let framing = *framing;
                let Some((frame, data, inspected)) = checked(frame, data, params, framing, out)
                else {
                    return;
                };
                if inspected.random_access {
                    let held = match std::mem::replace(state, State::Idle) {
                        State::Detecting { buffered, .. } => buffered,
                        _ => Vec::new(),
                    };
                    self.activate(state, frame, data, params, framing, &inspected, out);
                    for (f, d) in held {
                        out.push(skipped(f, Some(d), SkipReason::WaitingForKeyframe));
                    }
                } else {
                    self.hold(state, frame, data, out);
                }
            }
            State::Active(Active::Stream(session)) if session.failure().is_some() => {
                // Restart: frames in flight are lost with the error; this
                // frame starts over as if from Idle.
                let message = session.failure().unwrap_or_default();
                let frames = session.stop();
                out.push(Output::Error { message, frames });
                *state = State::Idle;
                self.handle(state, frame, data, params, out);
            }
            State::Active(active) => {
                let framing = match active {
                    Active::Stream(session) => session.framing,
                    Active::Raw(_) => Framing::AnnexB,
                };
                if let Some((frame, data, inspected)) = checked(frame, data, params, framing, out) {
                    self.push(active, frame, data, &inspected, out);
                }
            }
        }
    }

    /// Holds a packet until a random access point; on overflow every held
    /// packet is skipped.
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

    #[allow(clippy::too_many_arguments)]
    fn activate(
        &self,
        state: &mut State,
        frame: VideoFrame,
        data: Vec<u8>,
        params: DecoderParameters,
        framing: Framing,
        inspected: &Inspected,
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
                    Ok(Active::Raw(RawSession {
                        params,
                        generator,
                        channels: if params.codec == VideoCodec::RawRgb {
                            3
                        } else {
                            4
                        },
                    }))
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
        match started {
            Ok(mut active) => {
                if let Active::Stream(session) = &active {
                    *lock(&self.closer) = Some(session.closer());
                }
                self.push(&mut active, frame, data, inspected, out);
                *state = State::Active(active);
            }
            Err(e) => out.push(skipped(
                frame,
                Some(data),
                SkipReason::DecoderCreationFailed(e.to_string()),
            )),
        }
    }

    fn push(
        &self,
        active: &mut Active,
        frame: VideoFrame,
        data: Vec<u8>,
        inspected: &Inspected,
        out: &mut Vec<Output>,
    ) {
        match active {
            Active::Stream(session) => {
                let t = timing(&frame);
                if let Err(rejected) = session.push(frame, data, t, inspected.keyframe) {
                    let (frame, message) = *rejected;
                    out.push(Output::Error {
                        message,
                        frames: vec![frame],
                    });
                }
            }
            Active::Raw(raw) => out.push(Self::raw_picture(raw, frame, &data)),
        }
    }

    fn raw_picture(raw: &RawSession, frame: VideoFrame, data: &[u8]) -> Output {
        let id = frame.uuid().as_u128();
        let t = timing(&frame);
        // Waits while the consumer holds every buffer (back-pressure).
        let buffer = loop {
            match raw
                .generator
                .acquire_timeout(Some(id), Duration::from_millis(100))
            {
                Ok(buffer) => break buffer,
                Err(BuffersError::AcquireTimeout { .. }) => {}
                Err(e) => {
                    return Output::Error {
                        message: format!("no output buffer: {e}"),
                        frames: vec![frame],
                    }
                }
            }
        };
        let packed = Packed {
            width: raw.params.width,
            height: raw.params.height,
            data,
            stride: raw.params.width as usize * raw.channels,
            channels: raw.channels,
        };
        let written = buffer
            .with_surface_mut(0, |surface| import_packed(surface, &packed))
            .and_then(|r| r);
        if let Err(e) = written {
            return Output::Error {
                message: format!("could not copy the raw picture: {e}"),
                frames: vec![frame],
            };
        }
        buffer.set_pts_ns(Some(t.pts_ns));
        buffer.set_duration_ns(t.duration_ns);
        let decoded = DecodedFrame {
            frame_id: Some(id),
            pts_ns: t.pts_ns,
            dts_ns: t.dts_ns,
            duration_ns: t.duration_ns,
            codec: raw.params.codec,
            format: VideoFormat::Rgba,
            width: raw.params.width,
            height: raw.params.height,
        };
        Output::Frame {
            frame,
            decoded,
            buffer,
        }
    }

    /// Takes the session out (and any held packets), leaving `next`.
    fn take_session(&self, next: State, out: &mut Vec<Output>) -> Result<Option<Active>> {
        let mut state = lock(&self.state);
        if matches!(*state, State::ShutDown) {
            return Err(DecodersError::ShutDown);
        }
        Ok(match std::mem::replace(&mut *state, next) {
            State::Active(active) => Some(active),
            State::Detecting { buffered, .. } => {
                for (f, d) in buffered {
                    out.push(skipped(f, Some(d), SkipReason::WaitingForKeyframe));
                }
                None
            }
            State::Idle | State::ShutDown => None,
        })
    }

    /// Ends the source's stream: drains the session (every frame submitted
    /// before gets its output), then reports `SourceEos`. The next submit
    /// starts a new session.
    pub fn source_eos(&self, source_id: &str) -> Result<()> {
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
        let mut out = Vec::new();
        let active = self.take_session(State::ShutDown, &mut out)?;
        if let Some(active) = active {
            lost_at_end(active.drain(self.config.settings.idle_timeout), &mut out);
        }
        self.emit_all(out);
        Ok(())
    }

    /// Shuts down at once: frames in flight are reported in one `Error`.
    /// A submit waiting for room (its consumer holding every output
    /// buffer) is released first.
    pub fn shutdown(&self) {
        if let Some(closer) = lock(&self.closer).take() {
            closer.close();
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

    pub fn is_shut_down(&self) -> bool {
        matches!(*lock(&self.state), State::ShutDown)
    }
}

impl Drop for FlexibleDecoder {
    fn drop(&mut self) {
        self.shutdown();
    }
}
