//! Copying packets from recorded files into a new one, without
//! re-encoding and without an `ffmpeg` binary: salvaging a `.part` left
//! by a crash, and omgrab's two merge helpers.
//!
//! Each input is demuxed (`matroskademux`/`qtdemux`) into appsinks whose
//! samples go, timestamps unchanged, into one appsrc per track of the
//! output muxer. Inputs in a group are read one after another (chunks of
//! one recording: their tracks continue); groups are read side by side
//! (single-stream files merged into one). A truncated input (a crash) ends
//! where its last whole block ends.
//!
//! The appsrcs do not bound what they hold: a muxer waits for every track,
//! so one track that ends early in the file while another goes on would
//! otherwise stop the copy. Memory is at most what one group's inputs hold.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::error::{invalid, pipeline as failure};
use crate::pipeline::make;
use crate::{RecordingError, Result};

/// What one output track received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemuxedTrack {
    /// The input's pad (`video_0`, `subtitle_0`…), with its group.
    pub name: String,
    /// `video/x-h264`, `text/x-raw`…
    pub media: String,
    pub packets: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemuxReport {
    pub tracks: Vec<RemuxedTrack>,
    /// Inputs that ended early (cut by a crash); what they held up to the
    /// cut was copied.
    pub truncated: Vec<PathBuf>,
}

fn demuxer(path: &Path) -> &'static str {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".part").unwrap_or(&name);
    if name.ends_with(".mp4") || name.ends_with(".mov") || name.ends_with(".m4v") {
        "qtdemux"
    } else {
        "matroskademux"
    }
}

fn muxer(path: &Path) -> &'static str {
    if demuxer(path) == "qtdemux" {
        "mp4mux"
    } else {
        "matroskamux"
    }
}

/// One input, opened and paused: its pads (name, caps) and their appsinks.
struct Input {
    pipeline: gst::Pipeline,
    pads: Vec<(String, gst::Caps, gst_app::AppSink)>,
}

fn open_input(path: &Path) -> Result<Input> {
    if !path.is_file() {
        return Err(invalid("path", format!("{} is not a file", path.display())));
    }
    let pipeline = gst::Pipeline::new();
    let src = make("filesrc")?;
    src.set_property("location", path.to_string_lossy().as_ref());
    let demux = make(demuxer(path))?;
    pipeline.add_many([&src, &demux]).map_err(pipeline_err)?;
    src.link(&demux).map_err(pipeline_err)?;
    let pads: Arc<Mutex<Vec<(String, gst::Caps, gst_app::AppSink)>>> = Arc::default();
    let found = Arc::clone(&pads);
    let weak = pipeline.downgrade();
    demux.connect_pad_added(move |_, pad| {
        let Some(pipeline) = weak.upgrade() else {
            return;
        };
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let sink = gst_app::AppSink::builder()
            .sync(false)
            .max_buffers(64)
            .build();
        let _ = pipeline.add(&sink);
        let _ = sink.sync_state_with_parent();
        if let Some(sinkpad) = sink.static_pad("sink") {
            let _ = pad.link(&sinkpad);
        }
        found.lock().unwrap_or_else(PoisonError::into_inner).push((
            pad.name().to_string(),
            caps,
            sink,
        ));
    });
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    demux.connect_no_more_pads(move |_| flag.store(true, Ordering::Release));
    pipeline
        .set_state(gst::State::Paused)
        .map_err(|e| RecordingError::Pipeline {
            reason: format!("{}: {e}", path.display()),
        })?;
    let bus = pipeline.bus().ok_or_else(|| failure("no bus"))?;
    // Every pad is known once the demuxer has read the tracks (waiting
    // for preroll instead could wait forever: a track whose first block
    // comes late, behind a full appsink of another).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if done.load(Ordering::Acquire) {
            break;
        }
        if let Some(message) = bus.timed_pop(gst::ClockTime::from_mseconds(20)) {
            match message.view() {
                gst::MessageView::Error(err) => {
                    if done.load(Ordering::Acquire) {
                        break;
                    }
                    let _ = pipeline.set_state(gst::State::Null);
                    return Err(RecordingError::Pipeline {
                        reason: format!("{}: {}", path.display(), err.error()),
                    });
                }
                gst::MessageView::Eos(_) => break,
                _ => {}
            }
        }
        if std::time::Instant::now() > deadline {
            let _ = pipeline.set_state(gst::State::Null);
            return Err(RecordingError::Timeout {
                what: "reading a recorded file",
                seconds: 20,
            });
        }
    }
    let pads = std::mem::take(&mut *pads.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(Input { pipeline, pads })
}

fn pipeline_err(e: impl std::fmt::Display) -> RecordingError {
    failure(e)
}

fn template(caps: &gst::Caps) -> &'static str {
    let name = caps
        .structure(0)
        .map(|s| s.name().to_string())
        .unwrap_or_default();
    if name.starts_with("video/") || name.starts_with("image/") {
        "video_%u"
    } else if name.starts_with("audio/") {
        "audio_%u"
    } else {
        "subtitle_%u"
    }
}

struct Output {
    pipeline: gst::Pipeline,
    /// The output pipeline posted an error (the copy stops).
    failed: Arc<AtomicBool>,
    /// (group, input pad name) → appsrc and its count.
    tracks: BTreeMap<(usize, String), (gst_app::AppSrc, Arc<AtomicU64>, String)>,
}

fn build_output(output: &Path, firsts: &[(usize, Vec<(String, gst::Caps)>)]) -> Result<Output> {
    let pipeline = gst::Pipeline::new();
    let mux = make(muxer(output))?;
    let sink = make("filesink")?;
    sink.set_property("location", output.to_string_lossy().as_ref());
    pipeline.add_many([&mux, &sink]).map_err(pipeline_err)?;
    mux.link(&sink).map_err(pipeline_err)?;
    let mut tracks = BTreeMap::new();
    for (group, pads) in firsts {
        for (name, caps) in pads {
            if caps.structure(0).is_some_and(|s| s.name() == "text/x-raw") {
                return Err(RecordingError::Unsupported {
                    reason: format!(
                        "a text/data track ({name}): GStreamer's demuxers hand its payloads out as Pango markup, not byte for byte; merge chunks of one recording with mergeRecordingChunks, which copies them exactly"
                    ),
                });
            }
            let src = gst_app::AppSrc::builder()
                .caps(caps)
                .format(gst::Format::Time)
                .max_bytes(0)
                .block(false)
                .build();
            pipeline.add(&src).map_err(pipeline_err)?;
            let pad = mux
                .request_pad_simple(template(caps))
                .ok_or_else(|| failure(format!("{} took no {name} track", muxer(output))))?;
            let srcpad = src.static_pad("src").ok_or_else(|| failure("no src pad"))?;
            srcpad.link(&pad).map_err(|e| RecordingError::Unsupported {
                reason: format!("{} does not take {caps}: {e}", muxer(output)),
            })?;
            let media = caps
                .structure(0)
                .map(|s| s.name().to_string())
                .unwrap_or_default();
            tracks.insert(
                (*group, name.clone()),
                (src, Arc::new(AtomicU64::new(0)), media),
            );
        }
    }
    let failed = Arc::new(AtomicBool::new(false));
    if let Some(bus) = pipeline.bus() {
        let flag = Arc::clone(&failed);
        bus.set_sync_handler(move |_, message| {
            if matches!(message.view(), gst::MessageView::Error(_)) {
                flag.store(true, Ordering::Release);
            }
            gst::BusSyncReply::Pass
        });
    }
    Ok(Output {
        pipeline,
        failed,
        tracks,
    })
}

/// Runs one paused input to its end, its samples into `out`'s tracks of
/// `group`. Returns whether it ended early (an error: a cut file).
fn drain(input: Input, group: usize, out: &Output) -> bool {
    let mut feeds = Vec::new();
    for (name, _, sink) in &input.pads {
        let Some((src, count, _)) = out.tracks.get(&(group, name.clone())) else {
            tracing::warn!(track = %name, "a track the first file of its group lacked; skipped");
            continue;
        };
        let (src, count) = (src.clone(), Arc::clone(count));
        feeds.push((sink.clone(), src, count));
    }
    let _ = input.pipeline.set_state(gst::State::Playing);
    let cut = std::thread::scope(|scope| {
        for (sink, src, count) in &feeds {
            scope.spawn(move || {
                while let Ok(sample) = sink.pull_sample() {
                    if let Some(buffer) = sample.buffer_owned() {
                        if src.push_buffer(buffer).is_err() {
                            break;
                        }
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let bus = input.pipeline.bus();
        let mut cut = false;
        let deadline = std::time::Instant::now() + Duration::from_secs(600);
        loop {
            if out.failed.load(Ordering::Acquire) || std::time::Instant::now() > deadline {
                break;
            }
            let Some(message) = bus
                .as_ref()
                .and_then(|b| b.timed_pop(gst::ClockTime::from_mseconds(100)))
            else {
                continue;
            };
            match message.view() {
                gst::MessageView::Eos(_) => break,
                gst::MessageView::Error(_) => {
                    cut = true;
                    break;
                }
                _ => {}
            }
        }
        // Ends the appsinks' pulls (an error leaves them waiting).
        let _ = input.pipeline.set_state(gst::State::Null);
        cut
    });
    cut
}

/// Copies `groups` (each a list of files read one after another) into
/// `output` (`.mkv` → Matroska, `.mp4` → MP4), written to `output` as is:
/// the caller renames it into place.
pub fn remux(groups: &[Vec<PathBuf>], output: &Path) -> Result<RemuxReport> {
    proj_gstreamer::init()?;
    if groups.iter().all(Vec::is_empty) {
        return Err(invalid("inputs", "no file to copy"));
    }
    let mut opened: Vec<Vec<Option<Input>>> = Vec::new();
    let mut firsts = Vec::new();
    for (g, files) in groups.iter().enumerate() {
        let mut row = Vec::new();
        for (k, file) in files.iter().enumerate() {
            // Only the first of a group is opened up front (its tracks
            // name the output's); the rest as their turn comes.
            if k == 0 {
                let input = open_input(file)?;
                firsts.push((
                    g,
                    input
                        .pads
                        .iter()
                        .map(|(n, c, _)| (n.clone(), c.clone()))
                        .collect::<Vec<_>>(),
                ));
                row.push(Some(input));
            } else {
                row.push(None);
            }
        }
        opened.push(row);
    }
    let out = match build_output(output, &firsts) {
        Ok(out) => out,
        Err(e) => {
            for input in opened.iter().flatten().flatten() {
                let _ = input.pipeline.set_state(gst::State::Null);
            }
            return Err(e);
        }
    };
    if out.tracks.is_empty() {
        return Err(invalid("inputs", "the files hold no track"));
    }
    out.pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| failure(format!("{}: {e}", output.display())))?;
    let truncated = Mutex::new(Vec::new());
    let failed: Mutex<Option<RecordingError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for (g, (files, row)) in groups.iter().zip(opened).enumerate() {
            let (out, truncated, failed) = (&out, &truncated, &failed);
            scope.spawn(move || {
                for (file, input) in files.iter().zip(row) {
                    let input = match input {
                        Some(i) => i,
                        None => match open_input(file) {
                            Ok(i) => i,
                            Err(e) => {
                                let mut f = failed.lock().unwrap_or_else(PoisonError::into_inner);
                                f.get_or_insert(e);
                                break;
                            }
                        },
                    };
                    if drain(input, g, out) {
                        truncated
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(file.clone());
                    }
                }
                for ((group, _), (src, _, _)) in &out.tracks {
                    if *group == g {
                        let _ = src.end_of_stream();
                    }
                }
            });
        }
    });
    let bus = out.pipeline.bus().ok_or_else(|| failure("no bus"))?;
    let mut result = Ok(());
    loop {
        let Some(message) = bus.timed_pop(gst::ClockTime::from_seconds(120)) else {
            result = Err(RecordingError::Timeout {
                what: "writing the copy",
                seconds: 120,
            });
            break;
        };
        match message.view() {
            gst::MessageView::Eos(_) => break,
            gst::MessageView::Error(err) => {
                result = Err(failure(format!("{}: {}", output.display(), err.error())));
                break;
            }
            _ => {}
        }
    }
    let _ = out.pipeline.set_state(gst::State::Null);
    if let Some(e) = failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(e);
    }
    result?;
    Ok(RemuxReport {
        tracks: out
            .tracks
            .iter()
            .map(|((g, name), (_, count, media))| RemuxedTrack {
                name: if groups.len() > 1 {
                    format!("{g}:{name}")
                } else {
                    name.clone()
                },
                media: media.clone(),
                packets: count.load(Ordering::Relaxed),
            })
            .collect(),
        truncated: truncated
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
    })
}
