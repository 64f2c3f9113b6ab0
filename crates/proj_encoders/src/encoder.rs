//! `Encoder`: frames in through `submit` (blocking while the encoder is
//! behind: call it off the JS thread), encoded frames out through the
//! output callback on GStreamer's streaming thread, in order, with the
//! submitted timestamps and frame ids.
//!
//! It runs on the best backend that opens here (NVENC, a Jetson's encoder,
//! then the CPU: `plan::candidates`). A backend that fails before its first
//! output (no NVENC session: consumer GPUs cap them) hands over to the
//! next: the frames it was given are kept until it proves it encodes, and
//! are encoded by the next backend in their order; the change is reported
//! as an output, with the fields the new backend cannot honour.
//!
//! Locks: `feed` orders the pushes into the pipeline (submits, the replay
//! of a fallback, the end of stream) and is held across a push that waits;
//! nothing else takes it, so getters and callbacks never wait on a push.
//! Every other lock is only held to decide.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use proj_buffers::VideoFormat;
use proj_gstreamer::Codec;
use yuvutils_rs::YuvRange;

use crate::convert::{full_range, i420_into, rgba_into, FrameData, Layout};
use crate::error::invalid;
use crate::plan::{candidates, Backend, Plan};
use crate::stage::{gst_error, input_caps, lock, Progress, Shared, Stage};
use crate::{EncoderConfig, EncodersError, Result};

/// One encoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub data: Vec<u8>,
    /// As submitted.
    pub pts_ns: u64,
    pub dts_ns: Option<u64>,
    pub duration_ns: Option<u64>,
    pub keyframe: bool,
    pub codec: Codec,
    /// The id it was submitted with.
    pub frame_id: Option<u128>,
}

/// Another backend took over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendChange {
    /// Elements: `nvh264enc` → `x264enc`…
    pub from: &'static str,
    pub to: &'static str,
    /// Why `from` did not encode.
    pub reason: String,
    /// Fields of the config's property set `to` cannot honour.
    pub unmapped: Vec<&'static str>,
    /// Frames `from` had taken that `to` encodes again.
    pub replayed: usize,
}

/// A frame converted for the encoder, made by [`Encoder::prepare`].
#[derive(Debug)]
pub struct Prepared(Vec<u8>);

/// What the output callback gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncoderOutput {
    Frame(EncodedFrame),
    /// Another backend took over (before any frame of the new one).
    BackendChanged(BackendChange),
    /// The pipeline failed; no frame follows.
    Error(String),
}

pub type OutputCallback = Arc<dyn Fn(EncoderOutput) + Send + Sync>;

/// How long `submit` waits for a zero-delay encoder's output of the frame
/// before it goes on (with a warning): far beyond any frame's encode time.
const OUTPUT_WAIT: Duration = Duration::from_secs(10);

pub(crate) struct Inner {
    config: EncoderConfig,
    /// Where the planes go in the buffers the encoders take (the same
    /// I420, or RGBA for PNG, whichever backend encodes).
    layout: Layout,
    shared: Arc<Shared>,
    stage: Mutex<Arc<Stage>>,
    /// Backends not tried yet, best first.
    rest: Mutex<Vec<Plan>>,
    feed: Mutex<()>,
    changes: Mutex<Vec<BackendChange>>,
}

/// Encodes frames of one config (see the module documentation).
pub struct Encoder {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("backend", &self.backend())
            .field("codec", &self.inner.config.codec)
            .finish_non_exhaustive()
    }
}

fn layout_of(config: &EncoderConfig, plan: &Plan) -> Result<Layout> {
    let info = gstreamer_video::VideoInfo::from_caps(&input_caps(config, plan))
        .map_err(|e| gst_error("the input caps", e))?;
    let to_usize = |v: &[i32]| {
        v.iter()
            .map(|&x| usize::try_from(x).unwrap_or(0))
            .collect::<Vec<_>>()
    };
    Ok(Layout {
        offsets: info.offset().to_vec(),
        strides: to_usize(info.stride()),
        size: info.size(),
    })
}

impl Inner {
    fn current(&self) -> Arc<Stage> {
        Arc::clone(&lock(&self.stage))
    }

    fn progress(&self) -> MutexGuard<'_, Progress> {
        lock(&self.shared.progress)
    }

    /// Starts the next backend that opens as a new generation, after
    /// `from` failed for `reason`; reports the change. `Err` (also sent as
    /// an `Error` output) when none is left.
    fn next_stage(&self, from: &'static str, mut reason: String) -> Result<Arc<Stage>> {
        loop {
            let plan = {
                let mut rest = lock(&self.rest);
                if rest.is_empty() {
                    None
                } else {
                    Some(rest.remove(0))
                }
            };
            let Some(plan) = plan else {
                let message =
                    format!("no encoder backend opened; the last, {from}, failed: {reason}");
                // The output first: a finish() woken by the error must find
                // it delivered, before its own report of the frames lost.
                (self.shared.emit)(EncoderOutput::Error(message.clone()));
                self.progress().error = Some(message.clone());
                self.shared.changed.notify_all();
                return Err(EncodersError::Gstreamer { reason: message });
            };
            let generation = {
                let mut p = self.progress();
                p.generation += 1;
                p.proven = false;
                p.eos = false;
                p.failing = None;
                p.generation
            };
            let to = plan.element;
            let unmapped = plan.unmapped.clone();
            match Stage::start(
                &self.config,
                plan,
                generation,
                &self.shared,
                self.layout.size,
            ) {
                Ok(stage) => {
                    let stage = Arc::new(stage);
                    *lock(&self.stage) = Arc::clone(&stage);
                    let change = BackendChange {
                        from,
                        to,
                        reason,
                        unmapped,
                        replayed: lock(&self.shared.held).len(),
                    };
                    self.report(change);
                    return Ok(stage);
                }
                Err(e) => reason = format!("{to}: {e}"),
            }
        }
    }

    /// Logs, keeps and sends one change of backend.
    fn report(&self, change: BackendChange) {
        tracing::warn!(
            "encoder backend {} failed ({}); {} takes over{}",
            change.from,
            change.reason,
            change.to,
            if change.unmapped.is_empty() {
                String::new()
            } else {
                format!(" without {}", change.unmapped.join(", "))
            }
        );
        lock(&self.changes).push(change.clone());
        (self.shared.emit)(EncoderOutput::BackendChanged(change));
    }

    /// Hands generation `failed` over to the next backend (from a bus
    /// message's thread): stops the failed pipeline first, which frees a
    /// push stuck in it, then takes the feed.
    pub(crate) fn fall_back(&self, failed: u64, reason: String) {
        let stage = self.current();
        if stage.generation != failed {
            return;
        }
        let _ = stage.pipeline.set_state(gst::State::Null);
        let feed = lock(&self.feed);
        if let Err(e) = self.fall_back_fed(&feed, failed, reason) {
            tracing::warn!("encoder fallback: {e}");
        }
    }

    /// The fallback with the feed held: once per failed generation (a
    /// second caller finds it done); the frames the failed backends had
    /// taken go into the new one, in order.
    fn fall_back_fed(
        &self,
        _feed: &MutexGuard<'_, ()>,
        mut failed: u64,
        mut reason: String,
    ) -> Result<()> {
        loop {
            let stage = self.current();
            if stage.generation != failed || self.progress().stopped {
                return Ok(());
            }
            let _ = stage.pipeline.set_state(gst::State::Null);
            let next = self.next_stage(stage.plan.element, reason)?;
            if self.progress().stopped {
                let _ = next.pipeline.set_state(gst::State::Null);
                return Ok(());
            }
            let frames: Vec<gst::Buffer> = if next.plan.may_fall_back() {
                lock(&self.shared.held).clone()
            } else {
                std::mem::take(&mut *lock(&self.shared.held))
            };
            let mut refused = None;
            for frame in frames {
                if let Err(e) = next.appsrc.push_buffer(frame) {
                    refused = Some(e);
                    break;
                }
            }
            let Some(e) = refused else {
                return Ok(());
            };
            match self.progress().failing.clone() {
                Some(why) => (failed, reason) = (next.generation, why),
                None => return Err(gst_error("replaying frames into the next backend", e)),
            }
        }
    }
}

impl Encoder {
    /// Builds and starts an encoder for a checked config on the best
    /// backend that opens here.
    pub fn new(config: EncoderConfig, emit: OutputCallback) -> Result<Self> {
        let plans = candidates(&config)?;
        Self::with_plans(config, plans, emit)
    }

    /// As [`Encoder::new`] with the backends to try, best first, chosen
    /// by the caller (tests inject one that fails to open).
    pub fn with_plans(
        config: EncoderConfig,
        plans: Vec<Plan>,
        emit: OutputCallback,
    ) -> Result<Self> {
        proj_gstreamer::init()?;
        let Some(first) = plans.first() else {
            return Err(invalid("backends", "no backend to encode with"));
        };
        let layout = layout_of(&config, first)?;
        let shared = Arc::new(Shared::new(config.codec, emit));
        // Each try is a generation: a failed one's late messages are
        // ignored.
        let mut failed: Vec<(&'static str, String)> = Vec::new();
        let mut rest = plans.into_iter();
        let stage = loop {
            let Some(plan) = rest.next() else {
                let tried: Vec<String> = failed
                    .iter()
                    .map(|(e, why)| format!("{e}: {why}"))
                    .collect();
                return Err(gst_error("no encoder backend opened", tried.join("; ")));
            };
            let generation = {
                let mut p = lock(&shared.progress);
                *p = Progress {
                    generation: p.generation + u64::from(!failed.is_empty()),
                    ..Progress::default()
                };
                p.generation
            };
            let element = plan.element;
            match Stage::start(&config, plan, generation, &shared, layout.size) {
                Ok(stage) => break stage,
                Err(e) => failed.push((element, e.to_string())),
            }
        };
        let to = stage.plan.element;
        let unmapped = stage.plan.unmapped.clone();
        let inner = Arc::new(Inner {
            config,
            layout,
            shared: Arc::clone(&shared),
            stage: Mutex::new(Arc::new(stage)),
            rest: Mutex::new(rest.collect()),
            feed: Mutex::new(()),
            changes: Mutex::new(Vec::new()),
        });
        let _ = shared.owner.set(Arc::downgrade(&inner));
        // Reported as a fallback at the first frame would be.
        let next: Vec<&'static str> = failed.iter().skip(1).map(|(e, _)| *e).chain([to]).collect();
        let last = failed.len().saturating_sub(1);
        for (i, ((from, reason), to)) in failed.into_iter().zip(next).enumerate() {
            inner.report(BackendChange {
                from,
                to,
                reason,
                // What the one that opened cannot honour.
                unmapped: if i == last {
                    unmapped.clone()
                } else {
                    Vec::new()
                },
                replayed: 0,
            });
        }
        Ok(Self { inner })
    }

    /// The element that encodes now (`x264enc`, `nvh264enc`…).
    pub fn backend(&self) -> &'static str {
        self.inner.current().plan.element
    }

    /// The fields of the config's property set the backend cannot honour.
    pub fn unmapped(&self) -> Vec<&'static str> {
        self.inner.current().plan.unmapped.clone()
    }

    /// Every change of backend so far, oldest first.
    pub fn backend_changes(&self) -> Vec<BackendChange> {
        lock(&self.inner.changes).clone()
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.inner.config
    }

    /// Encodes one frame (the config's format and size). PTS must increase.
    /// Waits while the encoder is behind: never call it on the JS thread.
    /// Submits from several threads at once are safe, in no set order.
    pub fn submit(
        &self,
        frame: &FrameData<'_>,
        pts_ns: u64,
        duration_ns: Option<u64>,
        frame_id: Option<u128>,
    ) -> Result<()> {
        let prepared = self.prepare(frame)?;
        self.submit_prepared(prepared, pts_ns, duration_ns, frame_id)
    }

    /// The frame converted into what the encoder takes (quick, no wait):
    /// a caller that holds a lock to read the frame (a pool buffer's) lets
    /// it go before `submit_prepared` waits.
    pub fn prepare(&self, frame: &FrameData<'_>) -> Result<Prepared> {
        if frame.format != self.inner.config.format
            || frame.width != self.inner.config.width
            || frame.height != self.inner.config.height
        {
            return Err(invalid(
                "frame",
                format!(
                    "a {}x{} {} frame for a {}x{} {} encoder",
                    frame.width,
                    frame.height,
                    frame.format.name(),
                    self.inner.config.width,
                    self.inner.config.height,
                    self.inner.config.format.name()
                ),
            ));
        }
        let bytes = match (self.backend(), frame.format) {
            ("pngenc", _) => rgba_into(frame, &self.inner.layout)?,
            ("jpegenc", VideoFormat::Rgba) => i420_into(frame, &self.inner.layout, YuvRange::Full)?,
            ("jpegenc", _) => {
                let mut i420 = i420_into(frame, &self.inner.layout, YuvRange::Limited)?;
                full_range(&mut i420, &self.inner.layout, frame.height);
                i420
            }
            _ => i420_into(frame, &self.inner.layout, YuvRange::Limited)?,
        };
        Ok(Prepared(bytes))
    }

    /// An RGBA config's frame already converted to I420 elsewhere (on the
    /// GPU, for a pool buffer in device memory), in `full_range` or not:
    /// what [`Encoder::prepare`] makes of the RGBA frame. PNG takes RGBA.
    pub fn prepare_i420(&self, frame: &FrameData<'_>, full: bool) -> Result<Prepared> {
        let config = &self.inner.config;
        let backend = self.backend();
        if frame.format != VideoFormat::I420
            || (frame.width, frame.height) != (config.width, config.height)
            || backend == "pngenc"
        {
            return Err(invalid(
                "frame",
                format!(
                    "a {}x{} {} frame for {backend} at {}x{}",
                    frame.width,
                    frame.height,
                    frame.format.name(),
                    config.width,
                    config.height
                ),
            ));
        }
        let mut bytes = i420_into(frame, &self.inner.layout, YuvRange::Limited)?;
        if self.wants_full_range() && !full {
            full_range(&mut bytes, &self.inner.layout, frame.height);
        }
        Ok(Prepared(bytes))
    }

    /// Whether the encoder takes full-range I420 (JPEG), so a conversion
    /// made elsewhere makes that.
    pub fn wants_full_range(&self) -> bool {
        self.backend() == "jpegenc"
    }

    /// Encodes a prepared frame. PTS must increase. Waits while the encoder
    /// is behind (and, for a zero-delay encoder, until the frame is out).
    pub fn submit_prepared(
        &self,
        Prepared(bytes): Prepared,
        pts_ns: u64,
        duration_ns: Option<u64>,
        frame_id: Option<u128>,
    ) -> Result<()> {
        // GStreamer's "no time" is u64::MAX; gstreamer-rs panics on it.
        if pts_ns == u64::MAX || duration_ns == Some(u64::MAX) {
            return Err(invalid(
                "ptsNs",
                "a timestamp or duration of 2^64-1 ns is GStreamer's \"none\"",
            ));
        }
        if let Some(error) = self.inner.progress().error.clone() {
            return Err(EncodersError::Gstreamer { reason: error });
        }
        let shared = &self.inner.shared;
        let force_keyframe = {
            let mut state = lock(&shared.state);
            if state.finished {
                return Err(EncodersError::Finished);
            }
            if let Some(last) = state.last_pts {
                if pts_ns <= last {
                    return Err(invalid(
                        "ptsNs",
                        format!("{pts_ns} does not increase (the last frame had {last})"),
                    ));
                }
            }
            state.last_pts = Some(pts_ns);
            state.ids.insert(pts_ns, frame_id);
            std::mem::take(&mut state.keyframe_asked)
        };
        let mut buffer = gst::Buffer::from_mut_slice(bytes);
        {
            let Some(b) = buffer.get_mut() else {
                return Err(gst_error("a buffer", "is shared"));
            };
            b.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            b.set_duration(duration_ns.map(gst::ClockTime::from_nseconds));
        }
        let feed = lock(&self.inner.feed);
        if force_keyframe {
            let event = gstreamer_video::DownstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            self.inner.current().appsrc.send_event(event);
        }
        loop {
            let stage = self.inner.current();
            // Kept until the backend proves it opens (its first output).
            let held = stage.plan.may_fall_back() && !self.inner.progress().proven;
            if held {
                lock(&shared.held).push(buffer.clone());
            }
            // Blocks while the queue is full (outside every lock but the
            // feed's).
            let Err(e) = stage.appsrc.push_buffer(buffer.clone()) else {
                break;
            };
            let failing = self.inner.progress().failing.clone();
            if let Some(reason) = failing {
                // The backend did not open: the next one takes the held
                // frames, this one among them.
                self.inner.fall_back_fed(&feed, stage.generation, reason)?;
                if held {
                    break;
                }
                continue;
            }
            lock(&shared.state).ids.remove(&pts_ns);
            return Err(match self.inner.progress().error.clone() {
                Some(reason) => EncodersError::Gstreamer { reason },
                None => gst_error("pushing a frame", e),
            });
        }
        drop(feed);
        if self.zero_delay() {
            self.wait_for_output(pts_ns);
        }
        Ok(())
    }

    /// Encoders that hold no frame (x264 with zerolatency, openh264,
    /// realtime libaom, JPEG, PNG): each frame's output comes before
    /// `submit` returns. (x265 may hold one frame even with zerolatency;
    /// NVENC is not waited for.)
    pub fn zero_delay(&self) -> bool {
        let stage = self.inner.current();
        let x264_holds = stage.plan.element == "x264enc"
            && !stage
                .plan
                .properties
                .iter()
                .any(|(k, v)| *k == "tune" && v == "zerolatency");
        stage.plan.backend == Backend::Cpu
            && !x264_holds
            && matches!(
                stage.plan.element,
                "x264enc" | "openh264enc" | "av1enc" | "jpegenc" | "pngenc"
            )
    }

    fn wait_for_output(&self, pts_ns: u64) {
        let progress = self.inner.progress();
        let (progress, waited) = self
            .inner
            .shared
            .changed
            .wait_timeout_while(progress, OUTPUT_WAIT, |p| {
                p.emitted.is_none_or(|out| out < pts_ns)
                    && p.error.is_none()
                    && !p.stopped
                    && !p.eos
            })
            .unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() {
            tracing::warn!(
                pts_ns,
                last_out = ?progress.emitted,
                "{} gave no output for a frame in {} s; going on",
                self.inner.current().plan.element,
                OUTPUT_WAIT.as_secs()
            );
        }
    }

    /// The next submitted frame is encoded as a keyframe (IDR, with its
    /// headers); `false` where the backend cannot force one: GStreamer
    /// 1.22's av1enc ignores force-key-unit events (measured: keyframes stay
    /// at the interval), and JPEG/PNG frames are all keyframes anyway.
    pub fn request_keyframe(&self) -> bool {
        match self.backend() {
            "av1enc" => false,
            "jpegenc" | "pngenc" => true,
            _ => {
                lock(&self.inner.shared.state).keyframe_asked = true;
                true
            }
        }
    }

    /// Encodes every submitted frame out (their outputs are delivered
    /// before this returns) and stops. Waits up to `timeout`; a fallback
    /// meanwhile ends the new backend's stream too.
    pub fn finish(&self, timeout: Duration) -> Result<()> {
        {
            let mut state = lock(&self.inner.shared.state);
            if state.finished {
                return Err(EncodersError::Finished);
            }
            state.finished = true;
        }
        let deadline = Instant::now() + timeout;
        let outcome = loop {
            let stage = {
                let _feed = lock(&self.inner.feed);
                let stage = self.inner.current();
                let _ = stage.appsrc.end_of_stream();
                stage
            };
            let progress = self.inner.progress();
            let left = deadline.saturating_duration_since(Instant::now());
            let (progress, waited) = self
                .inner
                .shared
                .changed
                .wait_timeout_while(progress, left, |p| {
                    p.generation == stage.generation && !p.eos && p.error.is_none() && !p.stopped
                })
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(reason) = &progress.error {
                break Err(EncodersError::Gstreamer {
                    reason: reason.clone(),
                });
            }
            if progress.generation != stage.generation {
                continue;
            }
            if progress.eos || progress.stopped {
                break Ok(());
            }
            if waited.timed_out() {
                break Err(gst_error(
                    "finishing",
                    format!("no end of stream in {} ms", timeout.as_millis()),
                ));
            }
        };
        self.shutdown();
        outcome
    }

    /// Stops at once. Frames submitted but not out are reported in one
    /// `Error` output (none is lost without a word).
    pub fn shutdown(&self) {
        let shared = &self.inner.shared;
        lock(&shared.state).finished = true;
        self.inner.progress().stopped = true;
        shared.changed.notify_all();
        let _ = self.inner.current().pipeline.set_state(gst::State::Null);
        lock(&shared.held).clear();
        let in_flight = std::mem::take(&mut lock(&shared.state).ids);
        if !in_flight.is_empty() {
            let pts: Vec<String> = in_flight.keys().map(u64::to_string).collect();
            (shared.emit)(EncoderOutput::Error(format!(
                "the encoder stopped with {} frames not encoded (pts ns {})",
                in_flight.len(),
                pts.join(", ")
            )));
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        self.inner.progress().stopped = true;
        let _ = self.inner.current().pipeline.set_state(gst::State::Null);
    }
}
