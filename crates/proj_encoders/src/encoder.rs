//! `Encoder`: `appsrc → CPU encoder → [profile caps] → parser → appsink`.
//! Frames go in through `submit` (blocking while the encoder is behind:
//! call it off the JS thread), encoded frames come out through the output
//! callback on GStreamer's streaming thread, in order, with the submitted
//! timestamps and frame ids. The state lock is only held to decide, never
//! across a push or a wait.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_buffers::VideoFormat;
use proj_gstreamer::Codec;

use crate::convert::{full_range, i420_into, planes_into, FrameData, Layout};
use crate::error::invalid;
use crate::{cpu_encoder, CpuEncoder, EncoderConfig, EncodersError, Result};
use yuvutils_rs::YuvRange;

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

/// A frame converted for the encoder, made by [`Encoder::prepare`].
#[derive(Debug)]
pub struct Prepared(Vec<u8>);

/// What the output callback gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncoderOutput {
    Frame(EncodedFrame),
    /// The pipeline failed; no frame follows.
    Error(String),
}

pub type OutputCallback = Arc<dyn Fn(EncoderOutput) + Send + Sync>;

/// Bytes of raw frames queued in the encoder before `submit` waits.
const QUEUE_FRAMES: u64 = 4;

#[derive(Debug, Default)]
struct State {
    last_pts: Option<u64>,
    /// Submitted, not yet out: PTS → frame id.
    ids: BTreeMap<u64, Option<u128>>,
    finished: bool,
    keyframe_asked: bool,
}

#[derive(Debug, Default)]
struct Ended {
    eos: bool,
    error: Option<String>,
    /// The PTS of the last frame out.
    emitted: Option<u64>,
    /// Shut down: nothing more comes out.
    stopped: bool,
}

/// How long `submit` waits for a zero-delay encoder's output of the frame
/// before it goes on (with a warning): far beyond any frame's encode time.
const OUTPUT_WAIT: Duration = Duration::from_secs(10);

/// A CPU encoder (NVENC comes next, behind the same type).
pub struct Encoder {
    config: EncoderConfig,
    plan: CpuEncoder,
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
    /// Where the planes go in the buffers the encoder takes.
    layout: Layout,
    state: Arc<Mutex<State>>,
    ended: Arc<(Mutex<Ended>, Condvar)>,
    emit: OutputCallback,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("backend", &self.plan.element)
            .field("codec", &self.config.codec)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn gst_error(what: &str, e: impl std::fmt::Display) -> EncodersError {
    EncodersError::Gstreamer {
        reason: format!("{what}: {e}"),
    }
}

/// The raw caps the encoder element takes from us.
fn input_caps(config: &EncoderConfig, plan: &CpuEncoder) -> gst::Caps {
    let format = match (plan.element, config.format) {
        ("pngenc", _) => "RGBA",
        // JPEG too gets I420 (full range): our SIMD conversion beats
        // libjpeg's own RGB → YCbCr (63 against 106 frames/s at 1080p).
        _ => "I420",
    };
    let fps = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    gst::Caps::builder("video/x-raw")
        .field("format", format)
        .field("width", i32::try_from(config.width).unwrap_or(i32::MAX))
        .field("height", i32::try_from(config.height).unwrap_or(i32::MAX))
        .field(
            "framerate",
            gst::Fraction::new(fps(config.fps_num), fps(config.fps_den)),
        )
        .field("colorimetry", "bt601")
        .field("pixel-aspect-ratio", gst::Fraction::new(1, 1))
        .build()
}

/// The caps between the encoder and its parser (byte-stream access units;
/// the profile x264/x265 take from them).
fn output_caps(codec: Codec, plan: &CpuEncoder) -> Option<gst::Caps> {
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

impl Encoder {
    /// Builds and starts the pipeline for a checked config.
    pub fn new(config: EncoderConfig, emit: OutputCallback) -> Result<Self> {
        proj_gstreamer::init()?;
        if config.codec == Codec::Png && config.format != VideoFormat::Rgba {
            return Err(invalid("format", "PNG is encoded from RGBA frames"));
        }
        let plan = cpu_encoder(config.codec, config.properties.as_ref())?;
        let caps = input_caps(&config, &plan);
        let info = gstreamer_video::VideoInfo::from_caps(&caps)
            .map_err(|e| gst_error("the input caps", e))?;
        let to_usize = |v: &[i32]| {
            v.iter()
                .map(|&x| usize::try_from(x).unwrap_or(0))
                .collect::<Vec<_>>()
        };
        let layout = Layout {
            offsets: info.offset().to_vec(),
            strides: to_usize(info.stride()),
            size: info.size(),
        };
        let frame_bytes = u64::from(config.width) * u64::from(config.height) * 4;
        let appsrc = gst_app::AppSrc::builder()
            .caps(&caps)
            .format(gst::Format::Time)
            .stream_type(gst_app::AppStreamType::Stream)
            .max_bytes(frame_bytes * QUEUE_FRAMES)
            .block(true)
            .build();
        let encoder = make(plan.element)?;
        for (name, value) in &plan.properties {
            proj_gstreamer::set_property(&encoder, name, value)?;
        }
        let parser = match config.codec {
            Codec::H264 => Some(make("h264parse")?),
            Codec::Hevc => Some(make("h265parse")?),
            Codec::Av1 => Some(make("av1parse")?),
            Codec::Jpeg | Codec::Png => None,
        };
        if let Some(parser) = &parser {
            if parser.find_property("config-interval").is_some() {
                parser.set_property("config-interval", -1i32);
            }
        }
        let appsink = gst_app::AppSink::builder().sync(false).build();
        let pipeline = gst::Pipeline::new();
        let mut chain: Vec<gst::Element> = vec![appsrc.clone().upcast(), encoder.clone()];
        if let Some(caps) = output_caps(config.codec, &plan) {
            let filter = make("capsfilter")?;
            filter.set_property("caps", &caps);
            chain.push(filter);
        }
        chain.extend(parser);
        chain.push(appsink.clone().upcast());
        pipeline
            .add_many(&chain)
            .map_err(|e| gst_error("building the pipeline", e))?;
        gst::Element::link_many(&chain).map_err(|e| gst_error("linking the pipeline", e))?;

        let state = Arc::new(Mutex::new(State::default()));
        let ended = Arc::new((Mutex::new(Ended::default()), Condvar::new()));
        let codec = config.codec;
        let intra_only = matches!(codec, Codec::Jpeg | Codec::Png);
        {
            let state = Arc::clone(&state);
            let emit = emit.clone();
            let progress = Arc::clone(&ended);
            appsink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let Some(buffer) = sample.buffer() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        // x264/x265 shift timestamps by 1000 h and the
                        // segment with them: the stream time is ours again.
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
                        let frame_id = {
                            let mut state = lock(&state);
                            state.ids.remove(&pts_ns).flatten()
                        };
                        let Ok(map) = buffer.map_readable() else {
                            return Err(gst::FlowError::Error);
                        };
                        // Read from the bitstream itself (the check the muxer
                        // makes): the parser's DELTA_UNIT flag once marked an
                        // HEVC IDR frame 0 as a delta frame in a loaded CI
                        // run, and pngenc marks every image so.
                        let keyframe = proj_gstreamer::inspect_access_unit(codec, map.as_slice())
                            .map_or(
                                !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT),
                                |au| au.keyframe,
                            );
                        emit(EncoderOutput::Frame(EncodedFrame {
                            data: map.as_slice().to_vec(),
                            pts_ns,
                            dts_ns: if intra_only {
                                Some(pts_ns)
                            } else {
                                back(buffer.dts()).map(gst::ClockTime::nseconds)
                            },
                            duration_ns: buffer.duration().map(gst::ClockTime::nseconds),
                            keyframe: intra_only || keyframe,
                            codec,
                            frame_id,
                        }));
                        let (ended, changed) = &*progress;
                        let mut ended = lock(ended);
                        ended.emitted = Some(ended.emitted.map_or(pts_ns, |e| e.max(pts_ns)));
                        drop(ended);
                        changed.notify_all();
                        Ok(gst::FlowSuccess::Ok)
                    })
                    .build(),
            );
        }
        let bus = pipeline
            .bus()
            .ok_or_else(|| gst_error("the pipeline", "has no bus"))?;
        {
            let ended = Arc::clone(&ended);
            let emit = emit.clone();
            bus.set_sync_handler(move |_, message| {
                let (lock_, changed) = &*ended;
                let mut ended = lock(lock_);
                match message.view() {
                    gst::MessageView::Eos(_) => ended.eos = true,
                    gst::MessageView::Error(e) if ended.error.is_none() => {
                        let reason = format!(
                            "{}: {}",
                            message
                                .src()
                                .map(|s| s.name().to_string())
                                .unwrap_or_default(),
                            e.error()
                        );
                        ended.error = Some(reason.clone());
                        drop(ended);
                        changed.notify_all();
                        emit(EncoderOutput::Error(reason));
                        return gst::BusSyncReply::Drop;
                    }
                    _ => return gst::BusSyncReply::Drop,
                }
                drop(ended);
                changed.notify_all();
                gst::BusSyncReply::Drop
            });
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| gst_error("starting the pipeline", e))?;
        Ok(Self {
            config,
            plan,
            pipeline,
            appsrc,
            layout,
            state,
            ended,
            emit,
        })
    }

    /// The element that encodes (`x264enc`…).
    pub fn backend(&self) -> &'static str {
        self.plan.element
    }

    /// The fields of the config's property set this backend cannot honour.
    pub fn unmapped(&self) -> &[&'static str] {
        &self.plan.unmapped
    }

    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// Encodes one frame (the config's format and size). PTS must increase.
    /// Waits while the encoder is behind: never call it on the JS thread.
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
        if frame.format != self.config.format
            || frame.width != self.config.width
            || frame.height != self.config.height
        {
            return Err(invalid(
                "frame",
                format!(
                    "a {}x{} {} frame for a {}x{} {} encoder",
                    frame.width,
                    frame.height,
                    frame.format.name(),
                    self.config.width,
                    self.config.height,
                    self.config.format.name()
                ),
            ));
        }
        let bytes = match (self.plan.element, frame.format) {
            ("pngenc", _) => planes_into(frame, &self.layout)?,
            ("jpegenc", VideoFormat::Rgba) => i420_into(frame, &self.layout, YuvRange::Full)?,
            ("jpegenc", _) => {
                let mut i420 = i420_into(frame, &self.layout, YuvRange::Limited)?;
                full_range(&mut i420, &self.layout, frame.height);
                i420
            }
            _ => i420_into(frame, &self.layout, YuvRange::Limited)?,
        };
        Ok(Prepared(bytes))
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
        if let Some(error) = lock(&self.ended.0).error.clone() {
            return Err(EncodersError::Gstreamer { reason: error });
        }
        let force_keyframe = {
            let mut state = lock(&self.state);
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
        if force_keyframe {
            let event = gstreamer_video::DownstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            self.appsrc.send_event(event);
        }
        let mut buffer = gst::Buffer::from_mut_slice(bytes);
        {
            let Some(b) = buffer.get_mut() else {
                return Err(gst_error("a buffer", "is shared"));
            };
            b.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            b.set_duration(duration_ns.map(gst::ClockTime::from_nseconds));
        }
        // Blocks while the queue is full (outside every lock).
        self.appsrc.push_buffer(buffer).map_err(|e| {
            lock(&self.state).ids.remove(&pts_ns);
            match lock(&self.ended.0).error.clone() {
                Some(reason) => EncodersError::Gstreamer { reason },
                None => gst_error("pushing a frame", e),
            }
        })?;
        if self.zero_delay() {
            self.wait_for_output(pts_ns);
        }
        Ok(())
    }

    /// Encoders that hold no frame (x264 with zerolatency, realtime libaom,
    /// JPEG, PNG): each frame's output comes before `submit` returns.
    /// (x265 may hold one frame even with zerolatency.)
    pub fn zero_delay(&self) -> bool {
        matches!(
            self.plan.element,
            "x264enc" | "openh264enc" | "av1enc" | "jpegenc" | "pngenc"
        )
    }

    fn wait_for_output(&self, pts_ns: u64) {
        let (ended, changed) = &*self.ended;
        let ended = lock(ended);
        let (ended, waited) = changed
            .wait_timeout_while(ended, OUTPUT_WAIT, |e| {
                e.emitted.is_none_or(|out| out < pts_ns)
                    && e.error.is_none()
                    && !e.stopped
                    && !e.eos
            })
            .unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() {
            tracing::warn!(
                pts_ns,
                last_out = ?ended.emitted,
                "{} gave no output for a frame in {} s; going on",
                self.plan.element,
                OUTPUT_WAIT.as_secs()
            );
        }
    }

    /// The next submitted frame is encoded as a keyframe (IDR, with its
    /// headers); `false` where the backend cannot force one: GStreamer
    /// 1.22's av1enc ignores force-key-unit events (measured: keyframes stay
    /// at the interval), and JPEG/PNG frames are all keyframes anyway.
    pub fn request_keyframe(&self) -> bool {
        match self.plan.element {
            "av1enc" => false,
            "jpegenc" | "pngenc" => true,
            _ => {
                lock(&self.state).keyframe_asked = true;
                true
            }
        }
    }

    /// Encodes every submitted frame out (their outputs are delivered
    /// before this returns) and stops. Waits up to `timeout`.
    pub fn finish(&self, timeout: Duration) -> Result<()> {
        {
            let mut state = lock(&self.state);
            if state.finished {
                return Err(EncodersError::Finished);
            }
            state.finished = true;
        }
        let _ = self.appsrc.end_of_stream();
        let (lock_, changed) = &*self.ended;
        let ended = lock(lock_);
        let (ended, waited) = changed
            .wait_timeout_while(ended, timeout, |e| !e.eos && e.error.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        let outcome = match (&ended.error, waited.timed_out()) {
            (Some(reason), _) => Err(EncodersError::Gstreamer {
                reason: reason.clone(),
            }),
            (None, true) => Err(gst_error(
                "finishing",
                format!("no end of stream in {} ms", timeout.as_millis()),
            )),
            (None, false) => Ok(()),
        };
        drop(ended);
        self.shutdown();
        outcome
    }

    /// Stops at once. Frames submitted but not out are reported in one
    /// `Error` output (none is lost without a word).
    pub fn shutdown(&self) {
        lock(&self.state).finished = true;
        let _ = self.pipeline.set_state(gst::State::Null);
        {
            let (ended, changed) = &*self.ended;
            lock(ended).stopped = true;
            changed.notify_all();
        }
        let in_flight = std::mem::take(&mut lock(&self.state).ids);
        if !in_flight.is_empty() {
            let pts: Vec<String> = in_flight.keys().map(u64::to_string).collect();
            (self.emit)(EncoderOutput::Error(format!(
                "the encoder stopped with {} frames not encoded (pts ns {})",
                in_flight.len(),
                pts.join(", ")
            )));
        }
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}
