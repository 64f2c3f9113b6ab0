//! `StreamingMediaEncoder`: torio's chunk-by-chunk encoder over one
//! GStreamer pipeline.
//!
//! ```text
//! video i:   frames → I420 (→ scaled, → re-timed) → Encoder (NVENC/CPU) ─┐
//!            encoded frames → appsrc → parser ────────────────────────────┤
//! audio i:   samples → appsrc → audioconvert → audioresample → caps       │
//!                     → encoder → parser ─────────────────────────────────┤→ muxer → output
//! data i:    payloads → appsrc ───────────────────────────────────────────┤   (file, appsink
//! packets i: access units → appsrc → parser ──────────────────────────────┘    → Writable, RTMP, SRT)
//! ```
//!
//! Every appsrc holds at most `max_queued_bytes`; a write waits for room
//! (on its caller's thread, never the JS thread), so memory is bounded
//! whatever the output's speed, and a Writable's unacknowledged bytes are
//! bounded too (the appsink's thread waits).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use fast_image_resize::Resizer;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_encoders as pe;
use proj_gstreamer::Codec;

use crate::audio::{channel_mask, AudioPlan, AudioStreamSpec, SampleFormat};
use crate::container::{Container, Destination, Live, Media, Target};
use crate::error::{invalid, unsupported};
use crate::events::{BusState, Event, EventCallback};
use crate::output::{make_output, map_open_options, OutputOptions, WriterFlow};
use crate::pixels::{resize_i420, to_i420, I420};
use crate::stream::{buffer, push, Alive, Clock, Counters, Kind, Room, Stream};
use crate::video::{VideoPlan, VideoStreamSpec};
use crate::{metadata, RecordingError, Result};

/// How far behind the video and audio a data payload may come: a data
/// stream silent for longer gets a gap up to this far back.
const DATA_LAG_NS: u64 = 1_000_000_000;

/// Options of [`StreamingMediaEncoder::new`].
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// A Writable's bytes come in chunks of this size (torio's `buffer_size`).
    pub buffer_size: usize,
    /// MP4/MOV fragment length; 0: a regular MP4 (files only).
    pub fragment_ms: u32,
    /// Bytes each stream's queue into the muxer holds before a write waits.
    pub max_queued_bytes: u64,
    /// Bytes handed to a Writable and not yet written before the encoder waits.
    pub max_pending_bytes: u64,
    /// A wait this long is reported (`Event::Stalled`).
    pub stall_after: Duration,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            buffer_size: 4096,
            fragment_ms: 500,
            max_queued_bytes: 8 << 20,
            max_pending_bytes: 8 << 20,
            stall_after: Duration::from_secs(5),
        }
    }
}

/// An encoded stream added for remuxing (`add_packet_stream`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketStreamSpec {
    /// `h264`, `hevc`, `aac` or `opus`.
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u32,
    /// AAC's AudioSpecificConfig where the packets are raw (from MP4,
    /// RTSP); without it AAC packets must be ADTS.
    pub codec_data: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
enum Spec {
    Video(Box<VideoPlan>),
    Audio(AudioPlan),
    Data,
    Packets(Media, PacketStreamSpec),
}

/// One stream's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStats {
    pub index: u32,
    pub kind: &'static str,
    /// Frames, samples, payloads or packets written.
    pub units: u64,
    pub bytes: u64,
    /// Encoded frames out of a video stream's encoder.
    pub encoded: u64,
    pub queued_bytes: u64,
    pub waits: u64,
    pub wait_ms: u64,
}

/// The encoder's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderStats {
    pub streams: Vec<StreamStats>,
    /// Bytes the muxer has produced.
    pub output_bytes: u64,
    /// Bytes handed to a Writable and not yet written.
    pub pending_output_bytes: u64,
    /// The furthest media time written, ns.
    pub media_time_ns: u64,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Phase {
    Building,
    Open,
    Closing,
    Closed,
}

struct Session {
    pipeline: gst::Pipeline,
    streams: Vec<Arc<Stream>>,
    encoders: Vec<Option<Arc<pe::Encoder>>>,
    writer: Option<Arc<WriterFlow>>,
    output_bytes: Arc<AtomicU64>,
}

struct State {
    phase: Phase,
    specs: Vec<Spec>,
    metadata: Vec<(String, String)>,
    session: Option<Arc<Session>>,
}

/// What the streams' pushes and the pipeline's threads share.
struct Shared {
    bus: BusState,
    room: Room,
    stall_after: Duration,
    events: EventCallback,
    stopped: AtomicBool,
    now_ns: AtomicU64,
    streams: OnceLock<Vec<Arc<Stream>>>,
}

impl Shared {
    fn fail(&self, error: RecordingError) {
        if self.bus.fail(error.clone()) {
            tracing::warn!("streaming encoder: {error}");
            (self.events)(Event::Error(error));
        }
    }

    /// Data streams that have been silent for `lag` of media time get a
    /// gap up to then, so the muxer goes on without them.
    fn advance_data_by(&self, lag: u64) {
        let now = self.now_ns.load(Ordering::Acquire);
        let Some(streams) = self.streams.get() else {
            return;
        };
        for s in streams.iter().filter(|s| matches!(s.kind, Kind::Data)) {
            let Ok(mut clock) = s.feed.try_lock() else {
                continue;
            };
            let until = now.saturating_sub(lag);
            if until <= clock.end_ns || s.queued() > 0 || s.ended.load(Ordering::Acquire) {
                continue;
            }
            let Some(pad) = s.appsrc.static_pad("src") else {
                continue;
            };
            if !clock.started && !clock.segment_sent {
                let segment = gst::FormattedSegment::<gst::ClockTime>::new();
                pad.push_event(gst::event::Segment::new(&segment));
                clock.segment_sent = true;
            }
            let gap = gst::event::Gap::builder(gst::ClockTime::from_nseconds(clock.end_ns))
                .duration(gst::ClockTime::from_nseconds(until - clock.end_ns))
                .build();
            pad.push_event(gap);
            clock.end_ns = until;
        }
    }

    /// A data payload may come up to this far behind the video and audio.
    fn advance_data(&self) {
        self.advance_data_by(DATA_LAG_NS);
    }

    fn media_time(&self, end_ns: u64) {
        self.now_ns.fetch_max(end_ns, Ordering::AcqRel);
    }
}

impl Alive for Shared {
    fn check(&self) -> Result<()> {
        if let Some(e) = self.bus.error() {
            return Err(e);
        }
        if self.stopped.load(Ordering::Acquire) {
            return Err(RecordingError::Closed);
        }
        Ok(())
    }

    fn room(&self) -> &Room {
        &self.room
    }

    fn stall_after(&self) -> Duration {
        self.stall_after
    }

    fn stalled(&self, stream: &Stream, seconds: u64) {
        self.advance_data();
        let empty: Vec<String> = self
            .streams
            .get()
            .map(|all| {
                all.iter()
                    .filter(|s| {
                        s.index != stream.index
                            && s.queued() == 0
                            && !s.ended.load(Ordering::Acquire)
                    })
                    .map(|s| format!("{} ({})", s.index, s.kind.name()))
                    .collect()
            })
            .unwrap_or_default();
        let what = if empty.is_empty() {
            format!(
                "stream {} ({}) waits for the output: it takes nothing",
                stream.index,
                stream.kind.name()
            )
        } else {
            format!(
                "stream {} ({}) waits: the muxer interleaves by time and needs data from stream(s) {} first; write every stream as time goes on (or end the silent one)",
                stream.index,
                stream.kind.name(),
                empty.join(", ")
            )
        };
        tracing::warn!("{what}");
        (self.events)(Event::Stalled { what, seconds });
    }
}

/// torio's `StreamingMediaEncoder` (see the module documentation).
pub struct StreamingMediaEncoder {
    target: Target,
    options: EncoderOptions,
    state: Mutex<State>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for StreamingMediaEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingMediaEncoder")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

fn installed(element: &str) -> bool {
    gst::ElementFactory::find(element).is_some()
}

fn make(factory: &'static str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| RecordingError::MissingElement { element: factory })
}

fn ns(units: u64, den: u64, num: u64) -> u64 {
    u64::try_from(u128::from(units) * u128::from(den) * 1_000_000_000 / u128::from(num.max(1)))
        .unwrap_or(u64::MAX)
}

/// Seconds (a user's `pts`) as a whole count of `1/rate` steps, truncated.
fn steps(name: &'static str, seconds: f64, num: u32, den: u32) -> Result<u64> {
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(invalid(
            name,
            format!("{seconds} is not a time in seconds (0 to 1e9)"),
        ));
    }
    let value = (seconds * f64::from(num) / f64::from(den) + 1e-9).floor();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked: 0 ≤ value ≤ 1e9·rate"
    )]
    Ok(value as u64)
}

fn seconds_ns(name: &'static str, seconds: f64) -> Result<u64> {
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(invalid(
            name,
            format!("{seconds} is not a time in seconds (0 to 1e9)"),
        ));
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked: 0 ≤ seconds ≤ 1e9"
    )]
    Ok((seconds * 1e9).round() as u64)
}

impl StreamingMediaEncoder {
    /// `dst`: a path or a live URL; `None` for a writer (the bytes come as
    /// [`Event::Data`], acknowledged with [`ack`](Self::ack)).
    pub fn new(
        dst: Option<&str>,
        format: Option<&str>,
        options: EncoderOptions,
        events: EventCallback,
    ) -> Result<Self> {
        proj_gstreamer::init()?;
        if options.buffer_size == 0 || options.buffer_size > 64 << 20 {
            return Err(invalid("bufferSize", "1 byte to 64 MiB"));
        }
        if options.max_queued_bytes < 64 << 10 {
            return Err(invalid("maxQueuedBytes", "at least 64 KiB"));
        }
        let target = Target::new(dst, format, options.fragment_ms)?;
        if !installed(target.container.element()) {
            return Err(RecordingError::MissingElement {
                element: target.container.element(),
            });
        }
        let shared = Arc::new(Shared {
            bus: BusState::default(),
            room: Room::default(),
            stall_after: options.stall_after,
            events,
            stopped: AtomicBool::new(false),
            now_ns: AtomicU64::new(0),
            streams: OnceLock::new(),
        });
        Ok(Self {
            target,
            options,
            state: Mutex::new(State {
                phase: Phase::Building,
                specs: Vec::new(),
                metadata: Vec::new(),
                session: None,
            }),
            shared,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn container(&self) -> Container {
        self.target.container
    }

    fn add(&self, what: &'static str, spec: Spec) -> Result<u32> {
        let mut state = self.lock();
        match state.phase {
            Phase::Building => {}
            Phase::Open => return Err(RecordingError::AlreadyOpen { what }),
            _ => return Err(RecordingError::Closed),
        }
        if state.specs.len() >= 64 {
            return Err(invalid("streams", "at most 64 streams"));
        }
        if self.target.container == Container::Flv {
            let video = matches!(spec, Spec::Video(_))
                || matches!(&spec, Spec::Packets(m, _) if *m == Media::H264);
            let taken = state.specs.iter().any(|s| {
                let v = matches!(s, Spec::Video(_))
                    || matches!(s, Spec::Packets(m, _) if *m == Media::H264);
                v == video
            });
            if taken {
                return Err(unsupported(
                    "FLV (RTMP) holds one video and one audio stream",
                ));
            }
        }
        state.specs.push(spec);
        Ok(u32::try_from(state.specs.len() - 1).unwrap_or(u32::MAX))
    }

    /// torio's `add_video_stream`; returns the stream's index.
    pub fn add_video_stream(&self, spec: &VideoStreamSpec) -> Result<u32> {
        let plan = spec.plan()?;
        self.target.container.check_holds(plan.media)?;
        self.add("addVideoStream", Spec::Video(Box::new(plan)))
    }

    /// torio's `add_audio_stream`.
    pub fn add_audio_stream(&self, spec: &AudioStreamSpec) -> Result<u32> {
        let plan = spec.plan(self.target.container, installed)?;
        self.add("addAudioStream", Spec::Audio(plan))
    }

    /// A data stream: one payload per timestamp (JSON, bytes). Matroska
    /// keeps payloads byte for byte; MP4 only UTF-8 text up to 65535 bytes
    /// (its text samples carry a 16-bit length).
    pub fn add_data_stream(&self) -> Result<u32> {
        self.target.container.check_holds(Media::Data)?;
        self.add("addDataStream", Spec::Data)
    }

    /// A stream of encoded packets to remux as they are.
    pub fn add_packet_stream(&self, spec: &PacketStreamSpec) -> Result<u32> {
        let media = match spec.codec.trim().to_ascii_lowercase().as_str() {
            "h264" => Media::H264,
            "hevc" | "h265" => Media::Hevc,
            "aac" => Media::Aac,
            "opus" => Media::Opus,
            other => {
                return Err(crate::error::unknown(
                    "packet codec",
                    other,
                    &["h264", "hevc", "aac", "opus"],
                ))
            }
        };
        self.target.container.check_holds(media)?;
        if matches!(media, Media::Aac | Media::Opus)
            && (!(1..=768_000).contains(&spec.sample_rate) || !(1..=8).contains(&spec.channels))
        {
            return Err(invalid(
                "sampleRate",
                "audio packets need sampleRate and channels",
            ));
        }
        self.add("addPacketStream", Spec::Packets(media, spec.clone()))
    }

    /// torio's `set_metadata` (FFmpeg's keys: title, artist, comment…).
    pub fn set_metadata(&self, pairs: Vec<(String, String)>) -> Result<()> {
        metadata::tags(&pairs)?;
        let mut state = self.lock();
        match state.phase {
            Phase::Building => {
                state.metadata = pairs;
                Ok(())
            }
            Phase::Open => Err(RecordingError::AlreadyOpen {
                what: "setMetadata",
            }),
            _ => Err(RecordingError::Closed),
        }
    }

    /// Builds the pipeline and opens the output (may block on a network
    /// connect: call it off the JS thread). `options`: FFmpeg's protocol
    /// and muxer options we map (see [`map_open_options`]).
    pub fn open(&self, options: &[(String, String)]) -> Result<()> {
        let (specs, metadata) = {
            let state = self.lock();
            match state.phase {
                Phase::Building if state.specs.is_empty() => {
                    return Err(invalid("streams", "add a stream before open()"))
                }
                Phase::Building => {}
                Phase::Open => return Err(RecordingError::AlreadyOpen { what: "open" }),
                _ => return Err(RecordingError::Closed),
            }
            (state.specs.clone(), state.metadata.clone())
        };
        let session = self.build(&specs, &metadata, options)?;
        let mut state = self.lock();
        if state.phase != Phase::Building {
            drop(state);
            let _ = session.pipeline.set_state(gst::State::Null);
            return Err(RecordingError::Closed);
        }
        state.phase = Phase::Open;
        state.session = Some(Arc::new(session));
        Ok(())
    }

    fn build(
        &self,
        specs: &[Spec],
        metadata: &[(String, String)],
        options: &[(String, String)],
    ) -> Result<Session> {
        let (sink_props, mux_props, fragment_ms) = map_open_options(&self.target, options)?;
        let mut target = self.target.clone();
        if let Some(ms) = fragment_ms {
            target.fragment_ms = ms;
        }
        let container = target.container;
        let pipeline = gst::Pipeline::new();
        let mux = make(container.element())?;
        if container.is_mp4() && target.fragment_ms > 0 {
            mux.set_property("fragment-duration", target.fragment_ms);
            proj_gstreamer::set_property(&mux, "fragment-mode", "dash-or-mss")?;
        }
        match (container, &target.destination) {
            (Container::Matroska, Destination::Writer | Destination::Live(..))
            | (Container::Flv, _) => {
                mux.set_property("streamable", true);
            }
            (Container::MpegTs, Destination::Live(Live::Srt, _)) => {
                proj_gstreamer::set_property(&mux, "alignment", "7")?
            }
            _ => {}
        }
        for (k, v) in &mux_props {
            proj_gstreamer::set_property(&mux, k, v)?;
        }
        if !metadata.is_empty() {
            let tags = metadata::tags(metadata)?;
            let setter = mux
                .dynamic_cast_ref::<gst::TagSetter>()
                .ok_or_else(|| unsupported(format!("{} keeps no metadata", container.name())))?;
            setter.merge_tags(&tags, gst::TagMergeMode::Replace);
        }
        let shared = Arc::clone(&self.shared);
        let on_error: Arc<dyn Fn(RecordingError) + Send + Sync> = Arc::new(move |e| shared.fail(e));
        let output_options = OutputOptions {
            buffer_size: self.options.buffer_size,
            max_pending: self.options.max_pending_bytes,
            stall_after: self.options.stall_after,
            properties: sink_props,
        };
        let (sink, writer) = make_output(
            &target,
            &output_options,
            Arc::clone(&self.shared.events),
            on_error,
        )?;
        pipeline
            .add_many([&mux, &sink])
            .map_err(crate::error::pipeline)?;
        mux.link(&sink).map_err(crate::error::pipeline)?;
        let output_bytes = Arc::new(AtomicU64::new(0));
        if let Some(pad) = mux.static_pad("src") {
            let counter = Arc::clone(&output_bytes);
            pad.add_probe(
                gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
                move |_, info| {
                    match &info.data {
                        Some(gst::PadProbeData::Buffer(b)) => {
                            counter.fetch_add(b.size() as u64, Ordering::Relaxed);
                        }
                        Some(gst::PadProbeData::BufferList(l)) => {
                            counter.fetch_add(l.calculate_size() as u64, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                    gst::PadProbeReturn::Ok
                },
            );
        }

        let mut streams = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            streams.push(Arc::new(self.chain(&pipeline, &mux, index, spec)?));
        }
        let _ = self.shared.streams.set(streams.clone());

        let bus = pipeline
            .bus()
            .ok_or_else(|| pipeline_error("the pipeline has no bus"))?;
        let shared = Arc::clone(&self.shared);
        bus.set_sync_handler(move |_, message| {
            match message.view() {
                gst::MessageView::Eos(_) => shared.bus.end(),
                gst::MessageView::Error(_) => {
                    if let Some(e) = BusState::error_of(message) {
                        shared.fail(e);
                    }
                }
                _ => {}
            }
            gst::BusSyncReply::Drop
        });

        let mut encoders = Vec::new();
        for stream in &streams {
            encoders.push(match &stream.kind {
                Kind::Video(plan) => Some(Arc::new(self.video_encoder(plan, Arc::clone(stream))?)),
                _ => None,
            });
        }
        if pipeline.set_state(gst::State::Playing).is_err() {
            let reason = self.shared.bus.error().map_or_else(
                || "the pipeline did not start".to_owned(),
                |e| e.to_string(),
            );
            let _ = pipeline.set_state(gst::State::Null);
            return Err(RecordingError::OutputOpen {
                target: target.describe(),
                reason,
            });
        }
        Ok(Session {
            pipeline,
            streams,
            encoders,
            writer,
            output_bytes,
        })
    }

    fn video_encoder(&self, plan: &VideoPlan, stream: Arc<Stream>) -> Result<pe::Encoder> {
        let shared = Arc::clone(&self.shared);
        let index = stream.index;
        let callback: pe::OutputCallback = Arc::new(move |output| match output {
            pe::EncoderOutput::Frame(f) => {
                let end = f.pts_ns.saturating_add(f.duration_ns.unwrap_or(0));
                let b = buffer(
                    f.data,
                    f.pts_ns,
                    f.dts_ns.or(Some(f.pts_ns)),
                    f.duration_ns,
                    !f.keyframe,
                );
                stream.counters.encoded.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = push(shared.as_ref(), &stream, b) {
                    if e != RecordingError::Closed {
                        shared.fail(e);
                    }
                }
                shared.media_time(end);
            }
            pe::EncoderOutput::BackendChanged(change) => (shared.events)(Event::BackendChanged {
                stream: index,
                change,
            }),
            pe::EncoderOutput::Error(reason) => shared.fail(RecordingError::Pipeline {
                reason: format!("stream {index}'s encoder: {reason}"),
            }),
        });
        Ok(pe::Encoder::new(plan.config.clone(), callback)?)
    }

    /// One stream's appsrc and elements, linked into the muxer.
    fn chain(
        &self,
        pipeline: &gst::Pipeline,
        mux: &gst::Element,
        index: u32,
        spec: &Spec,
    ) -> Result<Stream> {
        let container = self.target.container;
        let fraction = |(n, d): (u32, u32)| {
            (
                i32::try_from(n).unwrap_or(i32::MAX),
                i32::try_from(d).unwrap_or(1),
            )
        };
        let (caps, mut elements, media, kind): (gst::Caps, Vec<gst::Element>, Media, Kind) =
            match spec {
                Spec::Video(plan) => {
                    let (n, d) = fraction(plan.encoder_rate);
                    let codec = plan.config.codec;
                    let parser = codec.parser_element().map(make).transpose()?;
                    (
                        codec.input_caps(n, d),
                        parser.into_iter().collect(),
                        plan.media,
                        Kind::Video(plan.clone()),
                    )
                }
                Spec::Audio(plan) => {
                    let mut caps = gst::Caps::builder("audio/x-raw")
                        .field("format", plan.format.gst())
                        .field("layout", "interleaved")
                        .field("rate", i32::try_from(plan.rate).unwrap_or(i32::MAX))
                        .field("channels", i32::try_from(plan.channels).unwrap_or(8));
                    if let Some(mask) = channel_mask(plan.channels) {
                        caps = caps.field("channel-mask", gst::Bitmask::new(mask));
                    }
                    let mut out = gst::Caps::builder("audio/x-raw")
                        .field("rate", i32::try_from(plan.encoder_rate).unwrap_or(i32::MAX))
                        .field(
                            "channels",
                            i32::try_from(plan.encoder_channels).unwrap_or(8),
                        );
                    if let Some(format) = plan.encoder_format {
                        out = out.field("format", format);
                    }
                    if let Some(mask) = channel_mask(plan.encoder_channels) {
                        out = out.field("channel-mask", gst::Bitmask::new(mask));
                    }
                    let filter = make("capsfilter")?;
                    filter.set_property("caps", out.build());
                    let encoder =
                        gst::ElementFactory::make(plan.element)
                            .build()
                            .map_err(|_| RecordingError::MissingElement {
                                element: plan.element,
                            })?;
                    for (k, v) in &plan.properties {
                        proj_gstreamer::set_property(&encoder, k, v)?;
                    }
                    let elements = vec![
                        make("audioconvert")?,
                        make("audioresample")?,
                        filter,
                        encoder,
                        make(plan.codec.parser())?,
                    ];
                    (
                        caps.build(),
                        elements,
                        plan.codec.media(),
                        Kind::Audio(plan.clone()),
                    )
                }
                Spec::Data => (
                    gst::Caps::builder("text/x-raw")
                        .field("format", "utf8")
                        .build(),
                    Vec::new(),
                    Media::Data,
                    Kind::Data,
                ),
                Spec::Packets(media, p) => {
                    let (caps, parser) = packet_caps(*media, p)?;
                    (caps, vec![make(parser)?], *media, Kind::Packets(*media))
                }
            };
        let appsrc = gst_app::AppSrc::builder()
            .name(format!("stream{index}"))
            .caps(&caps)
            .format(gst::Format::Time)
            .stream_type(gst_app::AppStreamType::Stream)
            .max_bytes(self.options.max_queued_bytes)
            .block(false)
            .build();
        appsrc.set_property("min-percent", 50u32);
        let shared = Arc::clone(&self.shared);
        appsrc.set_callbacks(
            gst_app::AppSrcCallbacks::builder()
                .need_data(move |_, _| shared.room.notify())
                .build(),
        );
        let first: gst::Element = appsrc.clone().upcast();
        elements.insert(0, first);
        pipeline
            .add_many(elements.iter())
            .map_err(crate::error::pipeline)?;
        gst::Element::link_many(elements.iter()).map_err(crate::error::pipeline)?;
        let last = elements
            .last()
            .ok_or_else(|| pipeline_error("an empty chain"))?;
        let template = container.pad_template(media);
        let pad = mux.request_pad_simple(template).ok_or_else(|| {
            unsupported(format!(
                "{} gave no {template} pad for a {} stream",
                container.element(),
                media.name()
            ))
        })?;
        let src = last
            .static_pad("src")
            .ok_or_else(|| pipeline_error("no src pad"))?;
        src.link(&pad).map_err(|e| {
            unsupported(format!(
                "{} does not take this {} stream: {e}",
                container.element(),
                media.name()
            ))
        })?;
        Ok(Stream {
            index,
            kind,
            appsrc,
            limit: self.options.max_queued_bytes,
            feed: Mutex::new(Clock::default()),
            counters: Counters::default(),
            ended: AtomicBool::new(false),
        })
    }

    fn session(&self) -> Result<Arc<Session>> {
        let state = self.lock();
        match (state.phase, &state.session) {
            (Phase::Open, Some(s)) => Ok(Arc::clone(s)),
            (Phase::Building, _) => Err(RecordingError::NotOpen),
            _ => Err(RecordingError::Closed),
        }
    }

    fn stream(&self, index: u32, wanted: &'static str) -> Result<(Arc<Session>, Arc<Stream>)> {
        let session = self.session()?;
        self.shared.check()?;
        let stream = session
            .streams
            .get(index as usize)
            .cloned()
            .ok_or_else(|| {
                invalid(
                    "i",
                    format!("no stream {index} (there are {})", session.streams.len()),
                )
            })?;
        if stream.kind.name() != wanted {
            return Err(invalid(
                "i",
                format!(
                    "stream {index} is a {} stream, not {wanted}",
                    stream.kind.name()
                ),
            ));
        }
        Ok((session, stream))
    }

    /// torio's `write_video_chunk`: `chunk` holds whole frames of the
    /// stream's pixel format. `pts` (seconds) is truncated to a frame.
    pub fn write_video_chunk(&self, index: u32, chunk: &[u8], pts: Option<f64>) -> Result<()> {
        let (session, stream) = self.stream(index, "video")?;
        let Kind::Video(plan) = &stream.kind else {
            return Err(invalid("i", "not video"));
        };
        if plan.gpu.is_some() {
            return Err(unsupported(
                "this stream was added with hwAccel: write pool buffers in GPU memory",
            ));
        }
        let frame_bytes = plan.format.frame_bytes(plan.width, plan.height);
        if chunk.is_empty() || !chunk.len().is_multiple_of(frame_bytes) {
            return Err(invalid(
                "chunk",
                format!(
                    "{} bytes is not a whole number of {}x{} {} frames ({frame_bytes} bytes each)",
                    chunk.len(),
                    plan.width,
                    plan.height,
                    plan.format.name()
                ),
            ));
        }
        let mut clock = stream.lock_feed();
        let mut resizer = Resizer::new();
        for (n, frame) in chunk.chunks_exact(frame_bytes).enumerate() {
            let i420 = to_i420(plan.format, plan.width, plan.height, frame)?;
            self.encode(
                &session,
                &stream,
                plan,
                &mut clock,
                &mut resizer,
                i420,
                if n == 0 { pts } else { None },
            )?;
        }
        drop(clock);
        self.shared.advance_data();
        Ok(())
    }

    /// One frame already in I420 at the stream's size (from a pool buffer).
    pub fn write_video_i420(&self, index: u32, frame: I420, pts: Option<f64>) -> Result<()> {
        let (session, stream) = self.stream(index, "video")?;
        let Kind::Video(plan) = &stream.kind else {
            return Err(invalid("i", "not video"));
        };
        if (frame.width, frame.height) != (plan.width, plan.height) {
            return Err(invalid(
                "chunk",
                format!(
                    "a {}x{} buffer for a {}x{} stream",
                    frame.width, frame.height, plan.width, plan.height
                ),
            ));
        }
        let mut clock = stream.lock_feed();
        self.encode(
            &session,
            &stream,
            plan,
            &mut clock,
            &mut Resizer::new(),
            frame,
            pts,
        )?;
        drop(clock);
        self.shared.advance_data();
        Ok(())
    }

    /// The GPU a stream added with `hwAccel` reads its buffers on.
    pub fn video_gpu(&self, index: u32) -> Result<Option<u32>> {
        let (_, stream) = self.stream(index, "video")?;
        Ok(match &stream.kind {
            Kind::Video(plan) => plan.gpu,
            _ => None,
        })
    }

    #[expect(clippy::too_many_arguments, reason = "one frame's whole context")]
    fn encode(
        &self,
        session: &Session,
        stream: &Stream,
        plan: &VideoPlan,
        clock: &mut Clock,
        resizer: &mut Resizer,
        frame: I420,
        pts: Option<f64>,
    ) -> Result<()> {
        let Some(encoder) = session
            .encoders
            .get(stream.index as usize)
            .and_then(Option::as_ref)
        else {
            return Err(invalid("i", "no encoder"));
        };
        let (rn, rd) = plan.rate;
        let number = match pts {
            Some(seconds) => steps("pts", seconds, rn, rd)?,
            None => clock.next,
        };
        if clock.started && number < clock.next {
            return Err(invalid(
                "pts",
                format!(
                    "frame {number} comes after frame {}: pts must increase",
                    clock.next.saturating_sub(1)
                ),
            ));
        }
        let (en, ed) = plan.encoder_rate;
        let frame = resize_i420(resizer, &frame, plan.config.width, plan.config.height)?;
        let layout = pe::Layout::tight(proj_buffers::VideoFormat::I420, frame.width, frame.height)?;
        let data = pe::FrameData::new(
            proj_buffers::VideoFormat::I420,
            frame.width,
            frame.height,
            &frame.data,
            &layout.strides,
        )?;
        // The encoder's frame slots this frame fills: one per frame at an
        // unchanged rate; dropped or repeated ones at another (FFmpeg's fps).
        let slots: Vec<u64> = if plan.encoder_rate == plan.rate {
            vec![number]
        } else {
            let end = u128::from(number + 1) * u128::from(rd) * u128::from(en);
            let mut slots = Vec::new();
            let mut slot = clock.next_slot;
            while u128::from(slot) * u128::from(ed) * u128::from(rn) < end {
                slots.push(slot);
                slot += 1;
            }
            clock.next_slot = slot;
            slots
        };
        let duration = ns(1, u64::from(ed), u64::from(en));
        for slot in slots {
            encoder.submit(
                &data,
                ns(slot, u64::from(ed), u64::from(en)),
                Some(duration),
                None,
            )?;
        }
        clock.started = true;
        clock.next = number + 1;
        stream.counters.units.fetch_add(1, Ordering::Relaxed);
        stream
            .counters
            .bytes
            .fetch_add(frame.data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// torio's `write_audio_chunk`: interleaved samples of the stream's
    /// format (`frames × channels`). `pts` (seconds) is truncated to a sample.
    pub fn write_audio_chunk(&self, index: u32, chunk: &[u8], pts: Option<f64>) -> Result<()> {
        let (_, stream) = self.stream(index, "audio")?;
        let Kind::Audio(plan) = &stream.kind else {
            return Err(invalid("i", "not audio"));
        };
        let frame = plan.format.bytes() * plan.channels as usize;
        if chunk.is_empty() || !chunk.len().is_multiple_of(frame) {
            return Err(invalid(
                "chunk",
                format!(
                    "{} bytes is not a whole number of {}-channel {} sample frames ({frame} bytes each)",
                    chunk.len(),
                    plan.channels,
                    plan.format.name()
                ),
            ));
        }
        let samples = (chunk.len() / frame) as u64;
        let data = if plan.format == SampleFormat::S64 {
            chunk
                .chunks_exact(8)
                .flat_map(|s| [s[4], s[5], s[6], s[7]])
                .collect()
        } else {
            chunk.to_vec()
        };
        let mut clock = stream.lock_feed();
        let start = match pts {
            Some(seconds) => steps("pts", seconds, plan.rate, 1)?,
            None => clock.next,
        };
        if clock.started && start < clock.next {
            return Err(invalid(
                "pts",
                format!("sample {start} overlaps what was written (up to sample {}): pts must not go back", clock.next),
            ));
        }
        let rate = u64::from(plan.rate);
        let pts_ns = ns(start, 1, rate);
        let end_ns = ns(start + samples, 1, rate);
        let mut b = buffer(data, pts_ns, None, Some(end_ns - pts_ns), false);
        if clock.started && start > clock.next {
            if let Some(b) = b.get_mut() {
                b.set_flags(gst::BufferFlags::DISCONT);
            }
        }
        if let Some(b) = b.get_mut() {
            b.set_offset(start);
            b.set_offset_end(start + samples);
        }
        push(self.shared.as_ref(), &stream, b)?;
        clock.started = true;
        clock.next = start + samples;
        clock.end_ns = end_ns;
        stream.counters.units.fetch_add(samples, Ordering::Relaxed);
        stream
            .counters
            .bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        drop(clock);
        self.shared.media_time(end_ns);
        self.shared.advance_data();
        Ok(())
    }

    /// One payload of a data stream at `pts` seconds (default: the media
    /// time written so far), lasting `duration` seconds (default 1 ms).
    pub fn write_data(
        &self,
        index: u32,
        payload: &[u8],
        pts: Option<f64>,
        duration: Option<f64>,
    ) -> Result<()> {
        let (_, stream) = self.stream(index, "data")?;
        if payload.is_empty() {
            return Err(invalid(
                "payload",
                "an empty payload (a muxer stores nothing for it)",
            ));
        }
        if self.target.container.is_mp4() {
            if payload.len() > 65_535 {
                return Err(unsupported(format!(
                    "a {}-byte payload in MP4: its text samples hold at most 65535 bytes (Matroska holds any size)",
                    payload.len()
                )));
            }
            if std::str::from_utf8(payload).is_err() {
                return Err(unsupported("bytes that are not UTF-8 in MP4, whose text samples would lose them (Matroska keeps any bytes)"));
            }
        } else if payload.len() > 16 << 20 {
            return Err(invalid("payload", "at most 16 MiB"));
        }
        let mut clock = stream.lock_feed();
        let pts_ns = match pts {
            Some(s) => seconds_ns("pts", s)?,
            None => self.shared.now_ns.load(Ordering::Acquire).max(clock.end_ns),
        };
        let duration_ns = duration
            .map(|d| seconds_ns("duration", d))
            .transpose()?
            .unwrap_or(1_000_000)
            .max(1);
        if pts_ns < clock.end_ns && clock.last_ns.is_none_or(|last| pts_ns < last)
            || clock.last_ns.is_some_and(|last| pts_ns < last)
        {
            return Err(invalid(
                "pts",
                format!(
                    "{} s is before the data stream's time ({} s): payloads come in time order, within a second of the video and audio",
                    pts_ns as f64 / 1e9,
                    clock.end_ns.max(clock.last_ns.unwrap_or(0)) as f64 / 1e9
                ),
            ));
        }
        push(
            self.shared.as_ref(),
            &stream,
            buffer(payload.to_vec(), pts_ns, None, Some(duration_ns), false),
        )?;
        clock.started = true;
        clock.last_ns = Some(pts_ns);
        clock.end_ns = clock.end_ns.max(pts_ns);
        stream.counters.units.fetch_add(1, Ordering::Relaxed);
        stream
            .counters
            .bytes
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// One encoded access unit (H.264/HEVC Annex B; an AAC or Opus frame)
    /// to remux as it is.
    pub fn write_packet(
        &self,
        index: u32,
        data: &[u8],
        pts_ns: u64,
        dts_ns: Option<u64>,
        duration_ns: Option<u64>,
        keyframe: bool,
    ) -> Result<()> {
        let (_, stream) = self.stream(index, "packets")?;
        let Kind::Packets(media) = stream.kind else {
            return Err(invalid("i", "not packets"));
        };
        if data.is_empty() {
            return Err(invalid("data", "an empty packet"));
        }
        let dts = dts_ns.unwrap_or(pts_ns);
        let mut delta = !keyframe;
        if let Some(codec) = match media {
            Media::H264 => Some(Codec::H264),
            Media::Hevc => Some(Codec::Hevc),
            _ => None,
        } {
            let au = proj_gstreamer::inspect_access_unit(codec, data)?;
            delta = !au.keyframe;
        }
        let mut clock = stream.lock_feed();
        if !clock.started && delta {
            return Err(RecordingError::Gstreamer(
                proj_gstreamer::GstreamerError::NeedsKeyframe {
                    codec: Codec::H264,
                    expected: "a keyframe (IDR or CRA with its parameter sets)",
                },
            ));
        }
        if let Some(last) = clock.last_ns.filter(|&l| dts <= l) {
            return Err(RecordingError::Gstreamer(
                proj_gstreamer::GstreamerError::DtsNotIncreasing {
                    dts_ns: dts,
                    previous_ns: last,
                },
            ));
        }
        let end = pts_ns.saturating_add(duration_ns.unwrap_or(0));
        push(
            self.shared.as_ref(),
            &stream,
            buffer(data.to_vec(), pts_ns, Some(dts), duration_ns, delta),
        )?;
        clock.started = true;
        clock.last_ns = Some(dts);
        clock.end_ns = end;
        stream.counters.units.fetch_add(1, Ordering::Relaxed);
        stream
            .counters
            .bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        drop(clock);
        self.shared.media_time(end);
        self.shared.advance_data();
        Ok(())
    }

    /// torio's `flush`: returns once everything written so far has left
    /// the streams' queues and every byte the muxer produced has reached
    /// the output (a Writable's has been handed over). Encoding goes on;
    /// data payloads must then not be earlier than the media time flushed.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        let session = self.session()?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            self.shared.check()?;
            if session.streams.iter().all(|s| s.queued() == 0) {
                break;
            }
            if std::time::Instant::now() >= deadline {
                return Err(RecordingError::Timeout {
                    what: "flush",
                    seconds: timeout.as_secs(),
                });
            }
            // Nothing more comes before now on a data stream.
            self.shared.advance_data_by(0);
            self.shared.room.wait(Duration::from_millis(10));
        }
        if let Some(writer) = &session.writer {
            writer.drain();
        }
        Ok(())
    }

    /// Ends one stream early (a camera that stopped): the muxer stops
    /// waiting for it.
    pub fn end_stream(&self, index: u32) -> Result<()> {
        let session = self.session()?;
        let stream = session
            .streams
            .get(index as usize)
            .ok_or_else(|| invalid("i", format!("no stream {index}")))?;
        if let Some(Some(encoder)) = session.encoders.get(index as usize) {
            encoder.finish(Duration::from_secs(60))?;
        }
        if !stream.ended.swap(true, Ordering::AcqRel) {
            let _ = stream.appsrc.end_of_stream();
        }
        Ok(())
    }

    /// torio's `close`: encodes what is queued, ends every stream, waits
    /// for the output to complete (`timeout`), and releases the pipeline.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        let session = {
            let mut state = self.lock();
            match state.phase {
                Phase::Building => {
                    state.phase = Phase::Closed;
                    return Ok(());
                }
                Phase::Closing | Phase::Closed => return Err(RecordingError::Closed),
                Phase::Open => {}
            }
            state.phase = Phase::Closing;
            state.session.clone()
        };
        let Some(session) = session else {
            return Ok(());
        };
        let result = (|| -> Result<()> {
            for encoder in session.encoders.iter().flatten() {
                encoder.finish(timeout)?;
            }
            for stream in &session.streams {
                if !stream.ended.swap(true, Ordering::AcqRel) {
                    let _ = stream.appsrc.end_of_stream();
                }
            }
            self.shared.bus.wait_eos(timeout)?;
            if matches!(self.target.destination, Destination::Live(Live::Srt, _)) {
                // SRT's live mode closes without lingering: what is still in
                // its send buffer at close is lost (seen: the last 3 of 90
                // frames). Give it time to leave (4× the default latency).
                std::thread::sleep(Duration::from_millis(600));
            }
            Ok(())
        })();
        self.teardown(&session);
        self.lock().phase = Phase::Closed;
        result
    }

    /// Stops at once: what is queued is dropped (files keep every
    /// completed fragment).
    pub fn abort(&self) {
        let session = {
            let mut state = self.lock();
            state.phase = Phase::Closed;
            state.session.clone()
        };
        self.shared.stopped.store(true, Ordering::Release);
        self.shared.room.notify();
        if let Some(session) = session {
            for encoder in session.encoders.iter().flatten() {
                encoder.shutdown();
            }
            self.teardown(&session);
        }
    }

    fn teardown(&self, session: &Session) {
        self.shared.stopped.store(true, Ordering::Release);
        self.shared.room.notify();
        if let Some(writer) = &session.writer {
            writer.stop();
        }
        let _ = session.pipeline.set_state(gst::State::Null);
        if let Some(bus) = session.pipeline.bus() {
            bus.unset_sync_handler();
        }
    }

    /// A Writable has written `bytes` more of what it was handed.
    pub fn ack(&self, bytes: u64) {
        if let Some(writer) = self.lock().session.as_ref().and_then(|s| s.writer.clone()) {
            writer.ack(bytes);
        }
    }

    pub fn is_open(&self) -> bool {
        self.lock().phase == Phase::Open
    }

    pub fn stats(&self) -> EncoderStats {
        let session = self.lock().session.clone();
        let streams = session
            .as_ref()
            .map(|s| {
                s.streams
                    .iter()
                    .map(|st| StreamStats {
                        index: st.index,
                        kind: st.kind.name(),
                        units: st.counters.units.load(Ordering::Relaxed),
                        bytes: st.counters.bytes.load(Ordering::Relaxed),
                        encoded: st.counters.encoded.load(Ordering::Relaxed),
                        queued_bytes: st.queued(),
                        waits: st.counters.waits.load(Ordering::Relaxed),
                        wait_ms: st.counters.wait_ns.load(Ordering::Relaxed) / 1_000_000,
                    })
                    .collect()
            })
            .unwrap_or_default();
        EncoderStats {
            streams,
            output_bytes: session
                .as_ref()
                .map_or(0, |s| s.output_bytes.load(Ordering::Relaxed)),
            pending_output_bytes: session
                .as_ref()
                .and_then(|s| s.writer.as_ref())
                .map_or(0, |w| w.in_flight()),
            media_time_ns: self.shared.now_ns.load(Ordering::Relaxed),
        }
    }
}

impl Drop for StreamingMediaEncoder {
    fn drop(&mut self) {
        self.abort();
    }
}

fn pipeline_error(reason: &str) -> RecordingError {
    RecordingError::Pipeline {
        reason: reason.to_owned(),
    }
}

/// The caps and parser of a packet stream.
fn packet_caps(media: Media, p: &PacketStreamSpec) -> Result<(gst::Caps, &'static str)> {
    let rate = i32::try_from(p.sample_rate).unwrap_or(48_000);
    let channels = i32::try_from(p.channels).unwrap_or(2);
    Ok(match media {
        Media::H264 | Media::Hevc => {
            let codec = if media == Media::H264 {
                Codec::H264
            } else {
                Codec::Hevc
            };
            let name = if media == Media::H264 {
                "video/x-h264"
            } else {
                "video/x-h265"
            };
            let mut caps = gst::Caps::builder(name)
                .field("stream-format", "byte-stream")
                .field("alignment", "au");
            if p.width > 0 && p.height > 0 {
                caps = caps
                    .field("width", i32::try_from(p.width).unwrap_or(0))
                    .field("height", i32::try_from(p.height).unwrap_or(0));
            }
            (caps.build(), codec.parser_element().unwrap_or("h264parse"))
        }
        Media::Aac => {
            let caps = gst::Caps::builder("audio/mpeg")
                .field("mpegversion", 4i32)
                .field("rate", rate)
                .field("channels", channels);
            let caps = match &p.codec_data {
                Some(config) if !config.is_empty() => caps
                    .field("stream-format", "raw")
                    .field("codec_data", gst::Buffer::from_slice(config.clone()))
                    .build(),
                _ => caps.field("stream-format", "adts").build(),
            };
            (caps, "aacparse")
        }
        Media::Opus => (
            gst::Caps::builder("audio/x-opus")
                .field("channel-mapping-family", 0i32)
                .field("rate", rate)
                .field("channels", channels)
                .build(),
            "opusparse",
        ),
        other => return Err(unsupported(format!("{} packets", other.name()))),
    })
}
