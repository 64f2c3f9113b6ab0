//! One backend's pipeline: `appsrc → [nvvideoconvert → NVMM caps] →
//! encoder → [profile caps] → parser → appsink`, and what every pipeline
//! of an encoder shares: the submitted frames' ids, the progress the
//! encoder waits on, and the output callback. Each pipeline is a
//! generation; outputs and bus messages of a pipeline that was replaced
//! are ignored.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_gstreamer::Codec;

use crate::encoder::{EncodedFrame, EncoderOutput, Inner, OutputCallback};
use crate::plan::{Backend, Plan};
use crate::{EncoderConfig, EncodersError, Result};

/// Raw frames queued in a pipeline before `submit` waits.
const QUEUE_FRAMES: u64 = 4;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn gst_error(what: &str, e: impl std::fmt::Display) -> EncodersError {
    EncodersError::Gstreamer {
        reason: format!("{what}: {e}"),
    }
}

/// Submission state, whichever pipeline encodes.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub last_pts: Option<u64>,
    /// Submitted, not yet out: PTS → frame id.
    pub ids: BTreeMap<u64, Option<u128>>,
    pub finished: bool,
    pub keyframe_asked: bool,
}

/// What the encoder waits on. `eos`, `error` and `failing` are the
/// current generation's.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pub generation: u64,
    /// The current pipeline has given an output (it opened).
    pub proven: bool,
    pub eos: bool,
    pub error: Option<String>,
    /// The current pipeline failed before its first output: another
    /// backend takes over (the reason).
    pub failing: Option<String>,
    /// The PTS of the last frame out.
    pub emitted: Option<u64>,
    /// Shut down: nothing more comes out.
    pub stopped: bool,
    /// An error is being reported (emitted, then published in `error`).
    pub reporting: bool,
}

pub(crate) struct Shared {
    pub codec: Codec,
    pub state: Mutex<State>,
    pub progress: Mutex<Progress>,
    pub changed: Condvar,
    pub emit: OutputCallback,
    /// Frames given to a pipeline that has not proven it opens, for the
    /// next backend to encode if it does not.
    pub held: Mutex<Vec<gst::Buffer>>,
    /// The encoder, for a fallback started from a bus message.
    pub owner: OnceLock<Weak<Inner>>,
}

impl Shared {
    pub fn new(codec: Codec, emit: OutputCallback) -> Self {
        Self {
            codec,
            state: Mutex::new(State::default()),
            progress: Mutex::new(Progress::default()),
            changed: Condvar::new(),
            emit,
            held: Mutex::new(Vec::new()),
            owner: OnceLock::new(),
        }
    }

    fn notify(&self) {
        self.changed.notify_all();
    }
}

pub(crate) struct Stage {
    pub plan: Plan,
    pub generation: u64,
    pub pipeline: gst::Pipeline,
    pub appsrc: gst_app::AppSrc,
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// The raw caps the encoder takes from us: I420 (JPEG too: our SIMD
/// conversion beats libjpeg's own RGB → YCbCr, 63 against 106 frames/s at
/// 1080p), RGBA for PNG.
pub(crate) fn input_caps(config: &EncoderConfig, plan: &Plan) -> gst::Caps {
    let format = if plan.element == "pngenc" {
        "RGBA"
    } else {
        "I420"
    };
    let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    gst::Caps::builder("video/x-raw")
        .field("format", format)
        .field("width", int(config.width))
        .field("height", int(config.height))
        .field(
            "framerate",
            gst::Fraction::new(int(config.fps_num), int(config.fps_den)),
        )
        .field("colorimetry", "bt601")
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build()
}

/// The caps between the encoder and its parser (byte-stream access units;
/// the profile x264/x265/NVENC take from them).
fn output_caps(codec: Codec, plan: &Plan) -> Option<gst::Caps> {
    let name = match codec {
        Codec::H264 => "video/x-h264",
        Codec::Hevc => "video/x-h265",
        _ => return None,
    };
    let mut caps = gst::Caps::builder(name)
        .field("stream-format", "byte-stream")
        .field("alignment", "au");
    if let Some(profile) = plan.profile {
        caps = caps.field("profile", profile);
    }
    Some(caps.build())
}

fn make(factory: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| gst_error("missing GStreamer element", factory))
}

fn capsfilter(caps: &gst::Caps) -> Result<gst::Element> {
    let filter = make("capsfilter")?;
    filter.set_property("caps", caps);
    Ok(filter)
}

/// The encoder element with the plan's properties.
fn encoder_element(plan: &Plan) -> Result<gst::Element> {
    let encoder = make(plan.element)?;
    for (name, value) in &plan.properties {
        proj_gstreamer::set_property(&encoder, name, value)?;
    }
    for (name, value) in &plan.if_present {
        if encoder.find_property(name).is_some() {
            proj_gstreamer::set_property(&encoder, name, value)?;
        }
    }
    Ok(encoder)
}

impl Stage {
    /// Builds and starts the pipeline of `plan` as `generation` (already
    /// the current one in `shared.progress`), queueing up to
    /// `QUEUE_FRAMES` input buffers of `frame_bytes`. Fails where the
    /// element is missing, refuses a property or cannot start (NVENC's
    /// legacy elements open their session here).
    pub fn start(
        config: &EncoderConfig,
        plan: Plan,
        generation: u64,
        shared: &Arc<Shared>,
        frame_bytes: usize,
    ) -> Result<Self> {
        let caps = input_caps(config, &plan);
        let frame_bytes = frame_bytes as u64;
        let appsrc = gst_app::AppSrc::builder()
            .caps(&caps)
            .format(gst::Format::Time)
            .stream_type(gst_app::AppStreamType::Stream)
            .max_bytes(frame_bytes * QUEUE_FRAMES)
            .block(true)
            .build();
        let mut chain: Vec<gst::Element> = vec![appsrc.clone().upcast()];
        if plan.backend == Backend::Jetson {
            chain.push(make("nvvideoconvert")?);
            chain.push(capsfilter(
                &gst::Caps::builder("video/x-raw")
                    .features(["memory:NVMM"])
                    .field("format", "NV12")
                    .build(),
            )?);
        }
        chain.push(encoder_element(&plan)?);
        if let Some(caps) = output_caps(config.codec, &plan) {
            chain.push(capsfilter(&caps)?);
        }
        let parser = match config.codec {
            Codec::H264 => Some(make("h264parse")?),
            Codec::Hevc => Some(make("h265parse")?),
            Codec::Av1 => Some(make("av1parse")?),
            Codec::Jpeg | Codec::Png => None,
        };
        if let Some(parser) = parser {
            if parser.find_property("config-interval").is_some() {
                parser.set_property("config-interval", -1i32);
            }
            chain.push(parser);
        }
        let appsink = gst_app::AppSink::builder().sync(false).build();
        chain.push(appsink.clone().upcast());
        let pipeline = gst::Pipeline::new();
        pipeline
            .add_many(&chain)
            .map_err(|e| gst_error("building the pipeline", e))?;
        gst::Element::link_many(&chain).map_err(|e| gst_error("linking the pipeline", e))?;
        let intra_only = matches!(config.codec, Codec::Jpeg | Codec::Png);
        {
            let shared = Arc::clone(shared);
            appsink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        deliver(&shared, generation, intra_only, &sample)
                    })
                    .build(),
            );
        }
        let bus = pipeline
            .bus()
            .ok_or_else(|| gst_error("the pipeline", "has no bus"))?;
        {
            let shared = Arc::clone(shared);
            let (element, may_fall_back) = (plan.element, plan.may_fall_back());
            bus.set_sync_handler(move |_, message| {
                on_message(&shared, generation, (element, may_fall_back), message);
                gst::BusSyncReply::Drop
            });
        }
        let stage = Self {
            plan,
            generation,
            pipeline,
            appsrc,
        };
        stage
            .pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| gst_error("starting the pipeline", e))?;
        Ok(stage)
    }
}

/// One encoded frame out to the callback, with the PTS and id it went in
/// with.
fn deliver(
    shared: &Shared,
    generation: u64,
    intra_only: bool,
    sample: &gst::Sample,
) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
    let Some(buffer) = sample.buffer() else {
        return Ok(gst::FlowSuccess::Ok);
    };
    {
        let mut progress = lock(&shared.progress);
        if progress.generation != generation {
            return Ok(gst::FlowSuccess::Ok);
        }
        if !std::mem::replace(&mut progress.proven, true) {
            // It opened: nothing need be replayed elsewhere any more.
            drop(progress);
            lock(&shared.held).clear();
        }
    }
    // x264/x265/NVENC shift timestamps by 1000 h and the segment with
    // them: the stream time is ours again.
    let segment = sample
        .segment()
        .and_then(|s| s.downcast_ref::<gst::ClockTime>().cloned());
    let back = |t: Option<gst::ClockTime>| {
        let t = t?;
        Some(match &segment {
            Some(s) => s.to_stream_time(t).unwrap_or(t),
            None => t,
        })
    };
    let Some(pts) = back(buffer.pts()) else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let pts_ns = pts.nseconds();
    let frame_id = lock(&shared.state).ids.remove(&pts_ns).flatten();
    let Ok(map) = buffer.map_readable() else {
        return Err(gst::FlowError::Error);
    };
    // Read from the bitstream itself (the check the muxer makes): the
    // parser's DELTA_UNIT flag once marked an HEVC IDR frame 0 as a delta
    // frame in a loaded CI run, and pngenc marks every image so.
    let keyframe = proj_gstreamer::inspect_access_unit(shared.codec, map.as_slice()).map_or(
        !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT),
        |au| au.keyframe,
    );
    (shared.emit)(EncoderOutput::Frame(EncodedFrame {
        data: map.as_slice().to_vec(),
        pts_ns,
        dts_ns: if intra_only {
            Some(pts_ns)
        } else {
            back(buffer.dts()).map(gst::ClockTime::nseconds)
        },
        duration_ns: buffer.duration().map(gst::ClockTime::nseconds),
        keyframe: intra_only || keyframe,
        codec: shared.codec,
        frame_id,
    }));
    let mut progress = lock(&shared.progress);
    progress.emitted = Some(progress.emitted.map_or(pts_ns, |e| e.max(pts_ns)));
    drop(progress);
    shared.notify();
    Ok(gst::FlowSuccess::Ok)
}

/// End of stream and errors of generation `generation`. An error before
/// the first output of a backend that may fall back starts the fallback
/// (on a thread of its own: this is a streaming thread, and the failed
/// pipeline must be stopped); any other error is the encoder's.
fn on_message(
    shared: &Shared,
    generation: u64,
    (element, may_fall_back): (&'static str, bool),
    message: &gst::Message,
) {
    let mut progress = lock(&shared.progress);
    if progress.generation != generation || progress.stopped {
        return;
    }
    match message.view() {
        gst::MessageView::Eos(_) => {
            progress.eos = true;
            drop(progress);
            shared.notify();
        }
        gst::MessageView::Error(e)
            if progress.error.is_none() && progress.failing.is_none() && !progress.reporting =>
        {
            let reason = format!(
                "{element}: {} says {}{}",
                message
                    .src()
                    .map(|s| s.name().to_string())
                    .unwrap_or_default(),
                e.error(),
                e.debug()
                    .map(|d| format!(" ({})", d.lines().last().unwrap_or_default()))
                    .unwrap_or_default()
            );
            if may_fall_back && !progress.proven {
                progress.failing = Some(reason.clone());
                drop(progress);
                shared.notify();
                let owner = shared.owner.get().cloned();
                let started = std::thread::Builder::new()
                    .name("encoder-fallback".into())
                    .spawn(move || {
                        if let Some(inner) = owner.and_then(|o| o.upgrade()) {
                            inner.fall_back(generation, reason);
                        }
                    });
                if let Err(e) = started {
                    // The next submit or finish falls back instead.
                    tracing::warn!("no thread for an encoder's fallback: {e}");
                }
            } else {
                // The output first (as `next_stage` does): a finish() woken
                // by the error must find it ahead of its own report.
                progress.reporting = true;
                drop(progress);
                (shared.emit)(EncoderOutput::Error(reason.clone()));
                lock(&shared.progress).error = Some(reason);
                shared.notify();
            }
        }
        _ => {}
    }
}
