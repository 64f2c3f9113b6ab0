//! The encoder's pipeline, built at `open`: one chain per stream into the
//! muxer, the output, the bus handler, and the video streams' encoders.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_encoders as pe;

use crate::audio::channel_mask;
use crate::audio::AudioPlan;
use crate::container::{Container, Destination, Live, Media, Target};
use crate::error::unsupported;
use crate::events::{BusState, Event};
use crate::media_encoder::EncoderOptions;
use crate::output::{make_output, map_open_options, OutputOptions, WriterFlow};
use crate::packets::{packet_caps, PacketStreamSpec};
use crate::shared::Shared;
use crate::stream::{buffer, push, Clock, Counters, Kind, Stream};
use crate::video::VideoPlan;
use crate::{metadata, RecordingError, Result};

/// A stream as added, before the pipeline exists.
#[derive(Debug, Clone)]
pub(crate) enum Spec {
    Video(Box<VideoPlan>),
    Audio(AudioPlan),
    Data,
    Packets(Media, PacketStreamSpec),
    Lossless(crate::LosslessSpec),
}

/// An open pipeline and what feeds it.
pub(crate) struct Session {
    pub pipeline: gst::Pipeline,
    pub streams: Vec<Arc<Stream>>,
    pub encoders: Vec<Option<Arc<pe::Encoder>>>,
    pub writer: Option<Arc<WriterFlow>>,
    pub output_bytes: Arc<AtomicU64>,
}

/// What building a pipeline needs of its encoder.
pub(crate) struct Builder {
    pub target: Target,
    pub options: EncoderOptions,
    pub shared: Arc<Shared>,
}

impl Builder {
    pub fn build(
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
                Spec::Lossless(l) => {
                    let size = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
                    let (n, d) = fraction(l.rate);
                    let caps = gst::Caps::builder("video/x-raw")
                        .field("format", l.input.gst)
                        .field("width", size(l.width))
                        .field("height", size(l.height))
                        .field("framerate", gst::Fraction::new(n, d))
                        .build();
                    let filter = make("capsfilter")?;
                    filter.set_property(
                        "caps",
                        gst::Caps::builder("video/x-raw")
                            .field("format", l.output.gst)
                            .build(),
                    );
                    (
                        caps,
                        vec![make("videoconvert")?, filter, make("avenc_ffv1")?],
                        Media::Ffv1,
                        Kind::Lossless(*l),
                    )
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
}

pub(crate) fn installed(element: &str) -> bool {
    gst::ElementFactory::find(element).is_some()
}

pub(crate) fn make(factory: &'static str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| RecordingError::MissingElement { element: factory })
}

fn pipeline_error(reason: &str) -> RecordingError {
    RecordingError::Pipeline {
        reason: reason.to_owned(),
    }
}
