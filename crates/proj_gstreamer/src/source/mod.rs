//! `MediaSource`: a file (or any GStreamer source description) demuxed
//! into packets of whole access units, never decoded:
//! `filesrc | urisourcebin | description → parsebin → [parser → caps] →
//! appsink` per stream.
//!
//! Delivery is pulled: the streaming thread puts packets into a bounded
//! queue and waits while it is full (a slow reader pauses a file: the
//! back-pressure), and `take` hands out what is queued, or registers a
//! waker called once something is (no thread waits for a reader).
//! `realtime` paces at the stream's rate; `looping` starts the file again
//! at its end with timestamps that keep increasing.

mod packet;
mod queue;

pub use packet::{Packet, StreamInfo, StreamKind};
pub use queue::{Taken, Waker};

use std::sync::{Arc, Mutex, PoisonError};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::{GstreamerError, Result};
use packet::branch;
use queue::PacketQueue;

/// How a source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOptions {
    /// Pace at the stream's rate (a file read as a camera would send it).
    pub realtime: bool,
    /// At the end, start again; timestamps keep increasing.
    pub looping: bool,
    /// Yield audio packets too.
    pub audio: bool,
    /// Packets queued before the reading waits (back-pressure).
    pub max_queued: usize,
}

impl Default for SourceOptions {
    fn default() -> Self {
        Self {
            realtime: false,
            looping: false,
            audio: true,
            max_queued: 64,
        }
    }
}

/// Counters of a source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    pub packets: u64,
    pub bytes: u64,
    /// Times a file started again (`looping`).
    pub loops: u64,
}

/// Timestamps of the current pass over the file, and the end of the
/// furthest packet so far (where the next pass starts).
#[derive(Debug, Default)]
struct Timeline {
    offset_ns: u64,
    end_ns: u64,
    /// The next packet of each stream is the first after a loop.
    discontinuity: Vec<u32>,
}

struct Shared {
    queue: PacketQueue,
    streams: Mutex<Vec<StreamInfo>>,
    /// Streams of a codec we do not yield (their caps names).
    unsupported: Mutex<Vec<String>>,
    timeline: Mutex<Timeline>,
    options: SourceOptions,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A demuxing source (see the module documentation).
pub struct MediaSource {
    uri: String,
    pipeline: gst::Pipeline,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSource")
            .field("uri", &self.uri)
            .finish_non_exhaustive()
    }
}

fn open_error(uri: &str, reason: impl std::fmt::Display) -> GstreamerError {
    GstreamerError::SourceOpen {
        uri: uri.to_owned(),
        reason: reason.to_string(),
    }
}

/// The element that reads `uri`: a path or `file://` (filesrc), another
/// URI GStreamer has a source for (urisourcebin), or `gst:` and a source
/// description with one unlinked src pad (the escape hatch).
fn reader(uri: &str) -> Result<gst::Element> {
    if let Some(description) = uri.strip_prefix("gst:") {
        return gst::parse::bin_from_description(description, true)
            .map(|bin| bin.upcast())
            .map_err(|e| open_error(uri, format!("the source description: {e}")));
    }
    if uri.contains("://") && !uri.starts_with("file://") {
        if gst::Element::make_from_uri(gst::URIType::Src, uri, None).is_err() {
            return Err(open_error(uri, "no GStreamer source for this protocol"));
        }
        return gst::ElementFactory::make("urisourcebin")
            .property("uri", uri)
            .build()
            .map_err(|_| GstreamerError::MissingElement {
                element: "urisourcebin",
            });
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
    gst::ElementFactory::make("filesrc")
        .property("location", path.to_string_lossy().as_ref())
        .build()
        .map_err(|_| GstreamerError::MissingElement { element: "filesrc" })
}

fn make(factory: &'static str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| GstreamerError::MissingElement { element: factory })
}

impl MediaSource {
    /// Opens `uri` and starts reading (packets queue up to `max_queued`).
    /// A missing file is an error here; a file that is not media, or
    /// breaks off, ends the packets with an error.
    pub fn open(uri: &str, options: SourceOptions) -> Result<Self> {
        crate::init()?;
        if options.max_queued == 0 || options.max_queued > 1 << 20 {
            return Err(GstreamerError::InvalidArgument {
                name: "maxQueued",
                reason: format!("{} is not 1 to 2^20 packets", options.max_queued),
            });
        }
        let reader = reader(uri)?;
        let parsebin = make("parsebin")?;
        let pipeline = gst::Pipeline::new();
        pipeline
            .add_many([&reader, &parsebin])
            .map_err(|e| open_error(uri, e))?;
        reader.link(&parsebin).map_err(|e| open_error(uri, e))?;
        let shared = Arc::new(Shared {
            queue: PacketQueue::new(options.max_queued),
            streams: Mutex::new(Vec::new()),
            unsupported: Mutex::new(Vec::new()),
            timeline: Mutex::new(Timeline::default()),
            options,
        });
        {
            let shared = Arc::clone(&shared);
            let weak = pipeline.downgrade();
            parsebin.connect_pad_added(move |_, pad| {
                if let Some(pipeline) = weak.upgrade() {
                    if let Err(e) = add_stream(&pipeline, pad, &shared) {
                        shared.queue.fail(e.to_string());
                    }
                }
            });
        }
        let bus = pipeline
            .bus()
            .ok_or_else(|| open_error(uri, "the pipeline has no bus"))?;
        {
            let shared = Arc::clone(&shared);
            let weak = pipeline.downgrade();
            bus.set_sync_handler(move |_, message| {
                on_message(&shared, &weak, message);
                gst::BusSyncReply::Drop
            });
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| open_error(uri, e))?;
        Ok(Self {
            uri: uri.to_owned(),
            pipeline,
            shared,
        })
    }

    /// Up to `max` queued packets at once; where none is queued,
    /// `Taken::Wait` and `waker` is called once one is (or the end).
    pub fn take(&self, max: usize, waker: Option<Waker>) -> Taken {
        self.shared.queue.take(max, waker)
    }

    /// The streams found so far (all of them once the first packets came).
    pub fn streams(&self) -> Vec<StreamInfo> {
        lock(&self.shared.streams).clone()
    }

    /// Streams of codecs we do not yield (their GStreamer caps names).
    pub fn unsupported(&self) -> Vec<String> {
        lock(&self.shared.unsupported).clone()
    }

    pub fn stats(&self) -> SourceStats {
        self.shared.queue.stats()
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Stops reading; what was queued is dropped, a waiting `take` ends.
    pub fn close(&self) {
        self.shared.queue.close();
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

impl Drop for MediaSource {
    fn drop(&mut self) {
        self.close();
    }
}

/// A demuxed stream: `[parser → caps →] appsink` where we yield its codec,
/// a fakesink otherwise (and the stream is listed as unsupported).
fn add_stream(pipeline: &gst::Pipeline, pad: &gst::Pad, shared: &Arc<Shared>) -> Result<()> {
    let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
    let index = u32::try_from(lock(&shared.streams).len()).unwrap_or(u32::MAX);
    let chosen = branch(index, &caps)
        .ok()
        .filter(|b| b.info.kind == StreamKind::Video || shared.options.audio);
    let Some(branch) = chosen else {
        let name = caps
            .structure(0)
            .map(|s| s.name().to_string())
            .unwrap_or_default();
        if !name.starts_with("audio/") || shared.options.audio {
            tracing::warn!("a {name} stream is not yielded (not a codec our decoders take)");
            lock(&shared.unsupported).push(name);
        }
        let sink = make("fakesink")?;
        sink.set_property("sync", false);
        sink.set_property("async", false);
        pipeline.add(&sink).map_err(|e| GstreamerError::Pipeline {
            reason: e.to_string(),
        })?;
        sink.sync_state_with_parent()
            .map_err(|e| GstreamerError::Pipeline {
                reason: e.to_string(),
            })?;
        return pad
            .link(
                &sink
                    .static_pad("sink")
                    .ok_or(GstreamerError::MissingElement {
                        element: "fakesink",
                    })?,
            )
            .map(|_| ())
            .map_err(|e| GstreamerError::Pipeline {
                reason: format!("{e:?}"),
            });
    };
    lock(&shared.streams).push(branch.info.clone());
    lock(&shared.timeline).discontinuity.push(0);
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
    // Sinks added while the pipeline goes to PLAYING take no part in its
    // preroll: otherwise one stream's sink waiting for its first buffer
    // holds the demuxer that would feed it (seen with MP4 video + AAC).
    appsink.set_property("async", false);
    chain.push(appsink.clone().upcast());
    pipeline
        .add_many(&chain)
        .map_err(|e| GstreamerError::Pipeline {
            reason: e.to_string(),
        })?;
    gst::Element::link_many(&chain).map_err(|e| GstreamerError::Pipeline {
        reason: e.to_string(),
    })?;
    for element in &chain {
        element
            .sync_state_with_parent()
            .map_err(|e| GstreamerError::Pipeline {
                reason: e.to_string(),
            })?;
    }
    {
        let shared = Arc::clone(shared);
        let info = branch.info;
        appsink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    deliver(&shared, &info, &sample)
                })
                .build(),
        );
    }
    let first = chain
        .first()
        .and_then(|e| e.static_pad("sink"))
        .ok_or_else(|| GstreamerError::Pipeline {
            reason: "no sink pad".into(),
        })?;
    pad.link(&first)
        .map(|_| ())
        .map_err(|e| GstreamerError::Pipeline {
            reason: format!("linking a {} stream: {e:?}", info_codec(&caps)),
        })
}

fn info_codec(caps: &gst::Caps) -> String {
    caps.structure(0)
        .map(|s| s.name().to_string())
        .unwrap_or_default()
}

/// One sample into the queue (waiting while it is full), its timestamps
/// moved onto the source's timeline.
fn deliver(
    shared: &Shared,
    info: &StreamInfo,
    sample: &gst::Sample,
) -> std::result::Result<gst::FlowSuccess, gst::FlowError> {
    let Some(buffer) = sample.buffer() else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let Ok(map) = buffer.map_readable() else {
        return Err(gst::FlowError::Error);
    };
    // Caps may change mid-stream (a new size): the sample's caps say.
    let (width, height) = sample
        .caps()
        .and_then(|c| {
            c.structure(0)
                .map(|s| (s.get::<i32>("width").ok(), s.get::<i32>("height").ok()))
        })
        .map_or((info.width, info.height), |(w, h)| {
            (
                w.and_then(|v| u32::try_from(v).ok()).unwrap_or(info.width),
                h.and_then(|v| u32::try_from(v).ok()).unwrap_or(info.height),
            )
        });
    if info.kind == StreamKind::Video {
        // The demuxer's caps may lack the size the parser found (MPEG-TS,
        // WebM); a mid-stream change is kept too.
        let mut streams = lock(&shared.streams);
        if let Some(stream) = streams.iter_mut().find(|s| s.index == info.index) {
            (stream.width, stream.height) = (width, height);
        }
    }
    let (pts_ns, dts_ns, duration_ns, discontinuity) = {
        let mut timeline = lock(&shared.timeline);
        let offset = timeline.offset_ns;
        let pts = buffer.pts().map(|t| t.nseconds() + offset);
        let dts = buffer.dts().map(|t| t.nseconds() + offset);
        let duration = buffer.duration().map(gst::ClockTime::nseconds);
        let end = pts.or(dts).unwrap_or(0) + duration.unwrap_or(0);
        timeline.end_ns = timeline.end_ns.max(end);
        let index = usize::try_from(info.index).unwrap_or(usize::MAX);
        let flag = timeline
            .discontinuity
            .get_mut(index)
            .map(|d| std::mem::take(d) != 0)
            .unwrap_or(false);
        (pts, dts, duration, flag)
    };
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

/// The end (or, looping, a new pass) and errors.
fn on_message(
    shared: &Arc<Shared>,
    pipeline: &gst::glib::WeakRef<gst::Pipeline>,
    message: &gst::Message,
) {
    match message.view() {
        gst::MessageView::Eos(_) if shared.options.looping => {
            let (looped, pipeline) = (Arc::clone(shared), pipeline.clone());
            // Not on the streaming thread that posted it.
            let started = std::thread::Builder::new()
                .name("source-loop".into())
                .spawn(move || {
                    if let Some(pipeline) = pipeline.upgrade() {
                        start_again(&looped, &pipeline);
                    }
                });
            if let Err(e) = started {
                shared
                    .queue
                    .fail(format!("no thread to loop the file: {e}"));
            }
        }
        gst::MessageView::Eos(_) => shared.queue.end(),
        gst::MessageView::Error(e) => {
            let source = message
                .src()
                .map(|s| s.name().to_string())
                .unwrap_or_default();
            shared.queue.fail(format!("{source}: {}", e.error()));
        }
        _ => {}
    }
}

/// Seeks back to the start; the next pass's timestamps begin where the
/// furthest packet of this one ended.
fn start_again(shared: &Shared, pipeline: &gst::Pipeline) {
    {
        let mut timeline = lock(&shared.timeline);
        timeline.offset_ns = timeline.end_ns;
        for d in &mut timeline.discontinuity {
            *d = 1;
        }
    }
    shared.queue.count_loop();
    if let Err(e) = pipeline.seek_simple(
        gst::SeekFlags::FLUSH | gst::SeekFlags::KEY_UNIT,
        gst::ClockTime::ZERO,
    ) {
        shared.queue.fail(format!(
            "looping: the file cannot be read again from its start ({e})"
        ));
    }
}
