//! One decoder session: `appsrc → [parser] → decoder → videoconvert →
//! appsink` for one codec and size. Pictures are converted to RGBA into the
//! decoder's pool on the streaming thread and matched with the submitted
//! frames by PTS. With NVDEC and a GPU pool the decoder shares our CUDA
//! context and its 8-bit 4:2:0 output stays in GPU memory (videoconvert
//! passes it through); other output goes through system memory.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use proj_buffers::{BufferGenerator, SharedBuffer, VideoFormat};
use proj_frame::VideoFrame;

use crate::buffer_wait::{wait_for_buffer, Waited};
use crate::config::{DecoderConfig, H264StreamFormat, HevcStreamFormat};
use crate::error::gst_failed;
use crate::nvdec::cuda::{self, SharedContext};
use crate::nvdec::route::{self, Route};
use crate::nvdec::{apply_hardware_options, decoder_element, offer_cuda_only_for_nv12, sink_caps};
use crate::output::{DecodedFrame, DecoderParameters, Output, OutputCallback, SkipReason};
use crate::payload::Framing;
use crate::pending::Pending;
use crate::picture::write_picture;
use crate::timing::Timing;
use crate::{DecodersError, Result};

/// Encoded frames (and bytes) queued in appsrc before `push` waits: with the
/// pool's buffers this bounds what one decoder holds (back-pressure).
const QUEUE_FRAMES: u64 = 4;
const QUEUE_BYTES: u64 = 64 << 20;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the streaming thread and the bus report to the submitting side.
#[derive(Debug)]
struct Progress {
    eos: bool,
    error: Option<String>,
    last: Instant,
}

/// State shared with the streaming thread.
struct Shared {
    pending: Mutex<Pending>,
    emit: OutputCallback,
    generator: BufferGenerator,
    /// Intra-only codecs: match in submission order.
    fifo: bool,
    progress: Mutex<Progress>,
    changed: Condvar,
    closing: AtomicBool,
    /// The CUDA context NVDEC shares with the pool (zero-copy output).
    cuda: Option<SharedContext>,
    /// How this session decodes, and what it was opened for.
    route: Route,
    params: DecoderParameters,
}

/// A drain that keeps seeing progress elsewhere still ends after this many
/// idle timeouts (a decoder that hangs must not hold a shutdown forever).
const DRAIN_LIMIT: u32 = 30;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// When any session of the process last made progress (ms since `epoch`).
static ANY_PROGRESS_MS: AtomicU64 = AtomicU64::new(0);

fn mark_progress() {
    let ms = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX);
    ANY_PROGRESS_MS.fetch_max(ms, Ordering::Relaxed);
}

/// How long since any session of the process made progress: a drain waits
/// while the machine is busy with other streams (hundreds of sources
/// draining at once on two cores), not a fixed idle time of its own.
fn since_any_progress() -> Duration {
    let last = Duration::from_millis(ANY_PROGRESS_MS.load(Ordering::Relaxed));
    epoch().elapsed().saturating_sub(last)
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Progress)) {
        let mut progress = lock(&self.progress);
        f(&mut progress);
        progress.last = Instant::now();
        mark_progress();
        self.changed.notify_all();
    }

    /// A free pool buffer, waiting while the consumer holds them all (the
    /// decoder's back-pressure); `None` once the session is closing.
    fn acquire(&self, id: Option<u128>) -> Option<SharedBuffer> {
        let stalled = |summary| (self.emit)(Output::Event { summary });
        match wait_for_buffer(
            &self.generator,
            id,
            || self.closing.load(Ordering::Acquire),
            stalled,
        ) {
            Waited::Buffer(buffer) => Some(buffer),
            Waited::Stopped => None,
            Waited::Failed(e) => {
                (self.emit)(Output::Error {
                    message: format!("no output buffer: {e}"),
                    frames: Vec::new(),
                });
                None
            }
        }
    }

    fn on_sample(
        &self,
        sample: &gst::Sample,
    ) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
        let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
            return Ok(gst::FlowSuccess::Ok);
        };
        let info =
            gst_video::VideoInfo::from_caps(caps).map_err(|_| gst::FlowError::NotNegotiated)?;
        let pts = buffer.pts().map(gst::ClockTime::nseconds);
        let matched = lock(&self.pending).take(pts, self.fifo);
        for frame in matched.lost {
            (self.emit)(Output::Skipped {
                frame,
                data: None,
                reason: SkipReason::DecodeFailed(
                    "the decoder produced no picture for it (corrupt data or a lost reference)"
                        .into(),
                ),
            });
        }
        let id = matched.frame.as_ref().map(|f| f.uuid().as_u128());
        let Some(out) = self.acquire(id) else {
            if let Some(frame) = matched.frame {
                (self.emit)(Output::Error {
                    message: "the session closed while waiting for a free output buffer".into(),
                    frames: vec![frame],
                });
            }
            return Err(gst::FlowError::Flushing);
        };
        let written = out
            .with_surface_mut(0, |surface| {
                write_picture(surface, buffer, &info, self.cuda.as_ref())
            })
            .map_err(DecodersError::from)
            .and_then(|r| r);
        if let Err(e) = written {
            (self.emit)(Output::Error {
                message: format!("could not convert the decoded picture: {e}"),
                frames: matched.frame.into_iter().collect(),
            });
            self.update(|_| {});
            return Ok(gst::FlowSuccess::Ok);
        }
        out.set_pts_ns(pts);
        out.set_duration_ns(buffer.duration().map(gst::ClockTime::nseconds));
        let decoded = DecodedFrame {
            frame_id: id,
            pts_ns: pts.unwrap_or(0),
            dts_ns: buffer.dts().map(gst::ClockTime::nseconds),
            duration_ns: buffer.duration().map(gst::ClockTime::nseconds),
            codec: self.params.codec,
            format: VideoFormat::Rgba,
            width: self.generator.width(),
            height: self.generator.height(),
        };
        (self.emit)(match matched.frame {
            Some(frame) => Output::Frame {
                frame,
                decoded,
                buffer: out,
            },
            None => Output::OrphanFrame {
                decoded,
                buffer: out,
            },
        });
        self.update(|_| {});
        Ok(gst::FlowSuccess::Ok)
    }
}

/// The caps of the encoded stream and its parser.
fn input(
    config: &DecoderConfig,
    framing: Framing,
    codec_data: Option<&[u8]>,
    params: DecoderParameters,
) -> (gst::Caps, Option<&'static str>) {
    let length_prefixed = framing == Framing::LengthPrefixed;
    let (name, format, parser) = match config {
        DecoderConfig::H264 { stream_format, .. } => (
            "video/x-h264",
            Some(match (length_prefixed, stream_format) {
                (false, _) => "byte-stream",
                (true, H264StreamFormat::Avc3) => "avc3",
                (true, _) => "avc",
            }),
            Some("h264parse"),
        ),
        DecoderConfig::Hevc { stream_format, .. } => (
            "video/x-h265",
            Some(match (length_prefixed, stream_format) {
                (false, _) => "byte-stream",
                (true, HevcStreamFormat::Hev1) => "hev1",
                (true, _) => "hvc1",
            }),
            Some("h265parse"),
        ),
        DecoderConfig::Vp8(_) => ("video/x-vp8", None, None),
        DecoderConfig::Vp9(_) => ("video/x-vp9", None, Some("vp9parse")),
        DecoderConfig::Av1(_) => ("video/x-av1", None, Some("av1parse")),
        DecoderConfig::Jpeg(_) => ("image/jpeg", None, Some("jpegparse")),
        DecoderConfig::Png | DecoderConfig::RawRgb { .. } | DecoderConfig::RawRgba { .. } => {
            ("image/png", None, None)
        }
    };
    let mut caps = gst::Caps::builder(name);
    match (config, format) {
        (DecoderConfig::H264 { .. } | DecoderConfig::Hevc { .. }, Some(format)) => {
            caps = caps.field("stream-format", format).field("alignment", "au");
        }
        (DecoderConfig::Av1(_), _) => {
            caps = caps
                .field("stream-format", "obu-stream")
                .field("alignment", "tu");
        }
        _ => {}
    }
    if matches!(config, DecoderConfig::Vp8(_) | DecoderConfig::Vp9(_)) {
        caps = caps
            .field("width", i32::try_from(params.width).unwrap_or(i32::MAX))
            .field("height", i32::try_from(params.height).unwrap_or(i32::MAX));
    }
    if let Some(data) = codec_data {
        caps = caps.field("codec_data", gst::Buffer::from_slice(data.to_vec()));
    }
    (caps.build(), parser)
}

/// Stops a session from any thread, without the decoder's lock: a submit
/// blocked in a full queue returns and the streaming thread stops waiting
/// for output buffers.
#[derive(Debug, Clone)]
pub(crate) struct Closer {
    shared: std::sync::Weak<Shared>,
    pipeline: gst::glib::WeakRef<gst::Pipeline>,
}

impl Closer {
    pub fn close(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.closing.store(true, Ordering::Release);
        }
        if let Some(pipeline) = self.pipeline.upgrade() {
            let _ = pipeline.set_state(gst::State::Null);
        }
    }
}

/// A running decoder session.
pub(crate) struct Session {
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
    shared: Arc<Shared>,
    pub params: DecoderParameters,
    pub framing: Framing,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("params", &self.params)
            .field("framing", &self.framing)
            .finish_non_exhaustive()
    }
}

pub(crate) fn make(name: &str) -> Result<gst::Element> {
    gst::ElementFactory::make(name)
        .build()
        .map_err(|e| gst_failed("create an element", format!("{name}: {e}")))
}

impl Session {
    /// Builds and starts the pipeline for `config`.
    pub fn start(
        config: &DecoderConfig,
        params: DecoderParameters,
        framing: Framing,
        codec_data: Option<&[u8]>,
        generator: BufferGenerator,
        emit: OutputCallback,
        fps: (i64, i64),
    ) -> Result<Self> {
        proj_gstreamer::init().map_err(|e| gst_failed("init", e))?;
        let (mut caps, parser) = input(config, framing, codec_data, params);
        if fps.0 > 0 && fps.1 > 0 {
            if let Some(caps) = caps.get_mut() {
                if let Some(s) = caps.structure_mut(0) {
                    s.set(
                        "framerate",
                        gst::Fraction::new(
                            i32::try_from(fps.0).unwrap_or(30),
                            i32::try_from(fps.1).unwrap_or(1),
                        ),
                    );
                }
            }
        }
        let appsrc = gst_app::AppSrc::builder()
            .caps(&caps)
            .format(gst::Format::Time)
            .is_live(false)
            .block(true)
            .max_buffers(QUEUE_FRAMES)
            .max_bytes(QUEUE_BYTES)
            .build();
        let (decoder, route, cuda) = decoder_element(config, params, &generator)?;
        apply_hardware_options(&decoder, config);
        let convert = make("videoconvert")?;
        let appsink = gst_app::AppSink::builder()
            .caps(&sink_caps(cuda.is_some()))
            .sync(false)
            .max_buffers(2)
            .enable_last_sample(false)
            .build();
        let pipeline = gst::Pipeline::new();
        let mut chain: Vec<gst::Element> = vec![appsrc.clone().upcast()];
        if let Some(parser) = parser {
            chain.push(make(parser)?);
        }
        if cuda.is_some() {
            offer_cuda_only_for_nv12(&decoder, &appsink);
        }
        chain.extend([decoder, convert, appsink.clone().upcast()]);
        pipeline
            .add_many(&chain)
            .map_err(|e| gst_failed("build the pipeline", e))?;
        gst::Element::link_many(&chain).map_err(|e| gst_failed("link the pipeline", e))?;

        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            emit,
            generator,
            fifo: matches!(config, DecoderConfig::Jpeg(_) | DecoderConfig::Png),
            progress: Mutex::new(Progress {
                eos: false,
                error: None,
                last: Instant::now(),
            }),
            changed: Condvar::new(),
            closing: AtomicBool::new(false),
            cuda,
            route,
            params,
        });
        let weak = Arc::downgrade(&shared);
        appsink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    match weak.upgrade() {
                        Some(shared) => shared.on_sample(&sample),
                        None => Err(gst::FlowError::Flushing),
                    }
                })
                .build(),
        );
        if let Some(pad) = appsink.static_pad("sink") {
            let weak = Arc::downgrade(&shared);
            pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
                if let (Some(shared), Some(event)) = (weak.upgrade(), info.event()) {
                    let summary = match event.view() {
                        gst::EventView::Caps(c) => Some(format!("caps {}", c.caps())),
                        gst::EventView::Eos(_) => Some("eos".to_owned()),
                        _ => None,
                    };
                    if let Some(summary) = summary {
                        (shared.emit)(Output::Event { summary });
                    }
                }
                gst::PadProbeReturn::Ok
            });
        }
        let bus = pipeline
            .bus()
            .ok_or_else(|| gst_failed("get the bus", "the pipeline has none"))?;
        let weak = Arc::downgrade(&shared);
        let weak_pipeline = pipeline.downgrade();
        bus.set_sync_handler(move |_, message| {
            let Some(shared) = weak.upgrade() else {
                return gst::BusSyncReply::Drop;
            };
            match message.view() {
                gst::MessageView::Eos(_) => shared.update(|p| p.eos = true),
                gst::MessageView::NeedContext(need) => {
                    if let Some(cuda) = &shared.cuda {
                        cuda::answer_need_context(need, cuda);
                    }
                }
                gst::MessageView::Error(e) => {
                    let text = format!(
                        "{}{}",
                        e.error(),
                        e.debug().map(|d| format!(" ({d})")).unwrap_or_default()
                    );
                    let negotiation_failed = text.contains("not-negotiated");
                    shared.update(|p| {
                        p.error.get_or_insert(text);
                    });
                    // The streaming thread stops waiting for pool buffers.
                    shared.closing.store(true, Ordering::Release);
                    if negotiation_failed && shared.route != Route::Software {
                        route::failed(
                            shared.generator.options().gpu_id,
                            shared.params,
                            shared.route,
                        );
                    }
                    // Unblock a push waiting on a dead pipeline. Not from
                    // this (streaming) thread: GStreamer's own thread pool
                    // does it, with no thread of ours to fail to start.
                    if let Some(pipeline) = weak_pipeline.upgrade() {
                        pipeline.call_async(|pipeline| {
                            let _ = pipeline.set_state(gst::State::Null);
                        });
                    }
                }
                _ => {}
            }
            gst::BusSyncReply::Drop
        });
        if let Some(cuda) = &shared.cuda {
            // The decoder takes our context instead of making its own.
            pipeline.set_context(&cuda.context);
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| gst_failed("start the pipeline", e))?;
        Ok(Self {
            pipeline,
            appsrc,
            shared,
            params,
            framing,
        })
    }

    pub fn closer(&self) -> Closer {
        Closer {
            shared: Arc::downgrade(&self.shared),
            pipeline: self.pipeline.downgrade(),
        }
    }

    /// The error that stopped the pipeline, if it failed.
    pub fn failure(&self) -> Option<String> {
        lock(&self.shared.progress).error.clone()
    }

    /// Queues one encoded frame. Waits while the queue is full. On failure
    /// the frame comes back with the reason.
    pub fn push(
        &self,
        frame: VideoFrame,
        data: Vec<u8>,
        timing: Timing,
        keyframe: bool,
    ) -> std::result::Result<(), Box<(VideoFrame, String)>> {
        // The PTS the decoder sees: unique among the frames waiting.
        let pts_ns = lock(&self.shared.pending).insert(timing.pts_ns, frame, !self.shared.fifo);
        let mut buffer = gst::Buffer::from_mut_slice(data);
        if let Some(b) = buffer.get_mut() {
            b.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            b.set_dts(timing.dts_ns.map(gst::ClockTime::from_nseconds));
            b.set_duration(timing.duration_ns.map(gst::ClockTime::from_nseconds));
            if !keyframe {
                b.set_flags(gst::BufferFlags::DELTA_UNIT);
            }
        }
        match self.appsrc.push_buffer(buffer) {
            Ok(_) => Ok(()),
            Err(flow) => {
                let frame = lock(&self.shared.pending).remove_last(pts_ns);
                let reason = self
                    .failure()
                    .unwrap_or_else(|| format!("the pipeline refused the frame: {flow:?}"));
                match frame {
                    Some(frame) => Err(Box::new((frame, reason))),
                    // Already matched (cannot happen before the push
                    // returns, but then nothing is lost).
                    None => Ok(()),
                }
            }
        }
    }

    /// Ends the stream and waits until every picture is out, or until
    /// neither this session nor any other made progress for
    /// `idle_timeout` (at most `DRAIN_LIMIT` idle timeouts in all).
    /// Returns the frames that got no picture.
    pub fn drain(&self, idle_timeout: Duration) -> Vec<VideoFrame> {
        let _ = self.appsrc.end_of_stream();
        let started = Instant::now();
        let mut progress = lock(&self.shared.progress);
        while !progress.eos && progress.error.is_none() {
            let quiet = progress.last.elapsed().min(since_any_progress());
            if quiet >= idle_timeout || started.elapsed() >= idle_timeout * DRAIN_LIMIT {
                break;
            }
            progress = self
                .shared
                .changed
                .wait_timeout(progress, idle_timeout - quiet)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        drop(progress);
        self.stop()
    }

    /// Stops at once; returns the frames that got no picture.
    pub fn stop(&self) -> Vec<VideoFrame> {
        self.closer().close();
        lock(&self.shared.pending).drain()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.closer().close();
    }
}
