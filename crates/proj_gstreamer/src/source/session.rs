//! One pipeline reading a source: `reader → parsebin (one per reader pad)
//! → [parser → caps] → appsink` per stream. A file has one session; a live
//! source a new one per connection (a generation: packets and messages of
//! an older one are ignored).

use std::sync::Arc;
use std::time::Instant;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::packet::{branch, Packet, StreamInfo, StreamKind};
use super::{lock, LiveOptions, Shared, SourceEvent, Transport};
use crate::{GstreamerError, Result};

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SessionEnd {
    Eos,
    Error { reason: String, auth: bool },
}

/// Hears a session's end: its generation, how, and its pipeline.
pub(crate) type OnEnd =
    Arc<dyn Fn(u64, SessionEnd, &gst::glib::WeakRef<gst::Pipeline>) + Send + Sync>;

pub(crate) struct Session {
    pub pipeline: gst::Pipeline,
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

fn open_error(uri: &str, reason: impl std::fmt::Display) -> GstreamerError {
    GstreamerError::SourceOpen {
        uri: uri.to_owned(),
        reason: reason.to_string(),
    }
}

fn pipeline_error(reason: impl std::fmt::Display) -> GstreamerError {
    GstreamerError::Pipeline {
        reason: reason.to_string(),
    }
}

pub(crate) fn make(factory: &'static str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| GstreamerError::MissingElement { element: factory })
}

/// Whether `uri` is a live camera (reconnects, a dropping queue).
pub(crate) fn is_live(uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    ["rtsp://", "rtsps://", "rtspt://", "rtspu://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// `rtspsrc` for a camera: transport, credentials, timeouts, latency.
fn rtsp_reader(uri: &str, live: &LiveOptions) -> Result<gst::Element> {
    let src = make("rtspsrc")?;
    src.set_property("location", uri);
    let protocols = match live.transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
        Transport::Auto => "udp+tcp",
    };
    crate::set_property(&src, "protocols", protocols)?;
    src.set_property("latency", live.latency_ms);
    let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    src.set_property("tcp-timeout", micros(live.connect_timeout));
    src.set_property("timeout", micros(live.connect_timeout));
    if let Some(user) = &live.user {
        src.set_property("user-id", user.as_str());
    }
    if let Some(password) = &live.password {
        src.set_property("user-pw", password.as_str());
    }
    Ok(src)
}

/// The element that reads `uri`: a camera (rtspsrc), a path or `file://`
/// (filesrc), another URI GStreamer has a source for (urisourcebin), or
/// `gst:` and a source description with one unlinked src pad.
fn reader(uri: &str, live: &LiveOptions) -> Result<gst::Element> {
    if is_live(uri) {
        return rtsp_reader(uri, live);
    }
    if let Some(description) = uri.strip_prefix("gst:") {
        return gst::parse::bin_from_description(description, true)
            .map(|bin| bin.upcast())
            .map_err(|e| open_error(uri, format!("the source description: {e}")));
    }
    if uri.contains("://") && !uri.starts_with("file://") {
        if gst::Element::make_from_uri(gst::URIType::Src, uri, None).is_err() {
            return Err(open_error(uri, "no GStreamer source for this protocol"));
        }
        let src = make("urisourcebin")?;
        src.set_property("uri", uri);
        return Ok(src);
    }
    let path = match uri.strip_prefix("file://") {
        Some(rest) => gst::glib::filename_from_uri(&format!("file://{rest}"))
            .map(|(path, _)| path)
            .map_err(|e| open_error(uri, e))?,
        None => std::path::PathBuf::from(uri),
    };
    let meta = std::fs::metadata(&path).map_err(|e| open_error(uri, e))?;
    if !meta.is_file() {
        return Err(open_error(uri, "not a file"));
    }
    let src = make("filesrc")?;
    src.set_property("location", path.to_string_lossy().as_ref());
    Ok(src)
}

/// A parsebin behind `pad` (a reader's src pad) whose streams become
/// branches.
fn parse(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    shared: &Arc<Shared>,
    generation: u64,
) -> Result<()> {
    let parsebin = make("parsebin")?;
    pipeline.add(&parsebin).map_err(pipeline_error)?;
    {
        let shared = Arc::clone(shared);
        let weak = pipeline.downgrade();
        parsebin.connect_pad_added(move |_, pad| {
            if let Some(pipeline) = weak.upgrade() {
                if let Err(e) = add_stream(&pipeline, pad, &shared, generation) {
                    shared.queue.fail(e.to_string());
                }
            }
        });
    }
    parsebin.sync_state_with_parent().map_err(pipeline_error)?;
    let sink = parsebin
        .static_pad("sink")
        .ok_or_else(|| pipeline_error("parsebin has no sink pad"))?;
    pad.link(&sink)
        .map(|_| ())
        .map_err(|e| pipeline_error(format!("linking the reader: {e:?}")))
}

/// Builds and starts a session as `generation`; `on_end` hears its end of
/// stream or error (from GStreamer's threads).
pub(crate) fn start(
    uri: &str,
    shared: &Arc<Shared>,
    generation: u64,
    on_end: OnEnd,
) -> Result<Session> {
    let reader = reader(uri, &shared.options.live)?;
    let pipeline = gst::Pipeline::new();
    pipeline.add(&reader).map_err(|e| open_error(uri, e))?;
    let session = Session { pipeline };
    let pipeline = &session.pipeline;
    if let Some(pad) = reader.static_pad("src") {
        parse(pipeline, &pad, shared, generation)?;
    } else {
        // rtspsrc, urisourcebin: a pad per stream, once known.
        let shared = Arc::clone(shared);
        let weak = pipeline.downgrade();
        reader.connect_pad_added(move |_, pad| {
            if let Some(pipeline) = weak.upgrade() {
                if let Err(e) = parse(&pipeline, pad, &shared, generation) {
                    shared.queue.fail(e.to_string());
                }
            }
        });
    }
    let bus = pipeline
        .bus()
        .ok_or_else(|| open_error(uri, "the pipeline has no bus"))?;
    let weak = pipeline.downgrade();
    bus.set_sync_handler(move |_, message| {
        match message.view() {
            gst::MessageView::Eos(_) => on_end(generation, SessionEnd::Eos, &weak),
            gst::MessageView::Error(e) => {
                let source = message
                    .src()
                    .map(|s| s.name().to_string())
                    .unwrap_or_default();
                let auth = e.error().matches(gst::ResourceError::NotAuthorized);
                let reason = format!("{source}: {}", e.error());
                on_end(generation, SessionEnd::Error { reason, auth }, &weak);
            }
            _ => {}
        }
        gst::BusSyncReply::Drop
    });
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| open_error(uri, e))?;
    Ok(session)
}

/// A demuxed stream: `[parser → caps →] appsink` where we yield its codec,
/// a fakesink otherwise (the stream is listed as unsupported).
fn add_stream(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    shared: &Arc<Shared>,
    generation: u64,
) -> Result<()> {
    let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
    let index = u32::try_from(lock(&shared.streams).len()).unwrap_or(u32::MAX);
    let chosen = branch(index, &caps)
        .ok()
        .filter(|b| b.info.kind == StreamKind::Video || shared.options.audio);
    // Sinks added while the pipeline goes to PLAYING take no part in its
    // preroll: otherwise one stream's sink waiting for its first buffer
    // holds the demuxer that would feed it (seen with MP4 video + AAC).
    let Some(branch) = chosen else {
        let name = caps
            .structure(0)
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        if !name.starts_with("audio/") || shared.options.audio {
            tracing::warn!("a {name} stream is not yielded (not a codec our decoders take)");
            let mut unsupported = lock(&shared.unsupported);
            if !unsupported.contains(&name) {
                unsupported.push(name);
            }
        }
        let sink = make("fakesink")?;
        sink.set_property("sync", false);
        sink.set_property("async", false);
        pipeline.add(&sink).map_err(pipeline_error)?;
        sink.sync_state_with_parent().map_err(pipeline_error)?;
        let sink_pad = sink
            .static_pad("sink")
            .ok_or_else(|| pipeline_error("fakesink has no pad"))?;
        return pad
            .link(&sink_pad)
            .map(|_| ())
            .map_err(|e| pipeline_error(format!("{e:?}")));
    };
    lock(&shared.streams).push(branch.info.clone());
    let mut chain = Vec::new();
    if let Some(parser) = branch.parser {
        chain.push(make(parser)?);
    }
    if let Some(caps) = &branch.caps {
        let filter = make("capsfilter")?;
        filter.set_property("caps", caps);
        chain.push(filter);
    }
    let appsink = gst_app::AppSink::builder()
        .sync(shared.options.realtime)
        .max_buffers(1)
        .build();
    appsink.set_property("async", false);
    chain.push(appsink.clone().upcast());
    pipeline.add_many(&chain).map_err(pipeline_error)?;
    gst::Element::link_many(&chain).map_err(pipeline_error)?;
    for element in &chain {
        element.sync_state_with_parent().map_err(pipeline_error)?;
    }
    {
        let shared = Arc::clone(shared);
        let info = branch.info;
        appsink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    deliver(&shared, &info, generation, &sample)
                })
                .build(),
        );
    }
    let first = chain
        .first()
        .and_then(|e| e.static_pad("sink"))
        .ok_or_else(|| pipeline_error("no sink pad"))?;
    pad.link(&first)
        .map(|_| ())
        .map_err(|e| pipeline_error(format!("linking a {} stream: {e:?}", caps)))
}

/// Whether a packet's stream changed: a new picture size mid-stream (a size
/// the demuxer's caps lacked, as MPEG-TS's and WebM's do, is set, not
/// reported), or, at a camera's first packet of a connection, another codec
/// or size than the last connection's.
fn stream_changed(shared: &Shared, info: &StreamInfo, width: u32, height: u32) -> bool {
    let mut streams = lock(&shared.streams);
    let Some(stream) = streams.iter_mut().find(|s| s.index == info.index) else {
        return false;
    };
    let before = (stream.width, stream.height);
    (stream.width, stream.height) = (width, height);
    let resized = before.0 != 0 && before.1 != 0 && before != (width, height);
    let mut previous = lock(&shared.previous);
    let reconnected = previous
        .iter()
        .position(|p| p.index == info.index)
        .map(|at| previous.remove(at))
        .is_some_and(|p| (p.codec, p.width, p.height) != (info.codec, width, height));
    resized || reconnected
}

/// One sample into the queue, its timestamps moved onto the source's
/// timeline (increasing across loops and reconnects).
fn deliver(
    shared: &Shared,
    info: &StreamInfo,
    generation: u64,
    sample: &gst::Sample,
) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
    let Some(buffer) = sample.buffer() else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let Ok(map) = buffer.map_readable() else {
        return Err(gst::FlowError::Error);
    };
    let size = |field: &str, fallback: u32| {
        sample
            .caps()
            .and_then(|c| c.structure(0).and_then(|s| s.get::<i32>(field).ok()))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(fallback)
    };
    let (width, height) = (size("width", info.width), size("height", info.height));
    if info.kind == StreamKind::Video && stream_changed(shared, info, width, height) {
        shared.queue.event(SourceEvent::StreamChanged {
            stream: info.index,
            codec: info.codec,
            width,
            height,
        });
    }
    let (pts_ns, dts_ns, duration_ns, discontinuity, connected) = {
        let mut timeline = lock(&shared.timeline);
        if timeline.generation != generation {
            if generation < timeline.generation {
                return Ok(gst::FlowSuccess::Ok);
            }
            // The first packet of a new connection: it starts where the
            // last one ended.
            let first = buffer
                .dts()
                .or(buffer.pts())
                .map_or(0, gst::ClockTime::nseconds);
            timeline.offset_ns = timeline.end_ns.saturating_sub(first);
            timeline.generation = generation;
            timeline.announced = false;
            timeline.marked = timeline.end_ns > 0;
            timeline.flagged.clear();
        }
        let offset = timeline.offset_ns;
        let pts = buffer.pts().map(|t| t.nseconds() + offset);
        let dts = buffer.dts().map(|t| t.nseconds() + offset);
        let duration = buffer.duration().map(gst::ClockTime::nseconds);
        let end = pts.or(dts).unwrap_or(0) + duration.unwrap_or(1).max(1);
        timeline.end_ns = timeline.end_ns.max(end);
        timeline.last_packet = Some(Instant::now());
        let connected = !std::mem::replace(&mut timeline.announced, true);
        let discontinuity = timeline.marked && !timeline.flagged.contains(&info.index);
        if discontinuity {
            timeline.flagged.push(info.index);
        }
        (pts, dts, duration, discontinuity, connected)
    };
    if connected && shared.live {
        shared.queue.event(SourceEvent::Connected);
    }
    let intra = matches!(info.codec, "jpeg" | "png") || info.kind == StreamKind::Audio;
    let packet = Packet {
        stream: info.index,
        kind: info.kind,
        codec: info.codec,
        width,
        height,
        pts_ns,
        dts_ns,
        duration_ns,
        keyframe: intra || !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT),
        discontinuity,
        data: map.as_slice().to_vec(),
    };
    if shared.queue.push(packet) {
        Ok(gst::FlowSuccess::Ok)
    } else {
        Err(gst::FlowError::Flushing)
    }
}
