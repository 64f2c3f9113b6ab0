//! The end of the pipeline: a file (unbuffered, so a crash keeps every
//! completed fragment), a live server (`rtmp2sink`, `srtsink`), or an
//! appsink whose bytes go to the owner (a Node `Writable`) in chunks of
//! `buffer_size`, never more than `max_pending` bytes unacknowledged.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::container::{Destination, Live, Target};
use crate::error::unsupported;
use crate::events::{Event, EventCallback};
use crate::{RecordingError, Result};

/// What the writer's owner has not acknowledged yet, and the bytes not
/// handed over yet.
#[derive(Debug, Default)]
struct Pending {
    chunk: Vec<u8>,
    /// Bytes handed over and not yet acknowledged.
    in_flight: u64,
    /// Bytes the muxer has produced (the next buffer's expected offset).
    produced: u64,
}

/// The writer side of an appsink output.
pub(crate) struct WriterFlow {
    pending: Mutex<Pending>,
    acked: Condvar,
    buffer_size: usize,
    max_pending: u64,
    stall_after: Duration,
    stopped: AtomicBool,
    events: EventCallback,
    /// Bytes handed over in total.
    pub delivered: AtomicU64,
}

impl std::fmt::Debug for WriterFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterFlow")
            .field("buffer_size", &self.buffer_size)
            .finish_non_exhaustive()
    }
}

impl WriterFlow {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One muxer buffer: appended, handed over in `buffer_size` chunks;
    /// waits (GStreamer's streaming thread) while too much is unacknowledged.
    fn take(&self, offset: Option<u64>, bytes: &[u8]) -> Result<()> {
        let chunk = {
            let mut p = self.lock();
            if let Some(offset) = offset.filter(|o| *o != p.produced) {
                return Err(unsupported(format!(
                    "the muxer tried to rewrite byte {offset} (at {}); a Writable never seeks",
                    p.produced
                )));
            }
            p.produced += bytes.len() as u64;
            p.chunk.extend_from_slice(bytes);
            if p.chunk.len() < self.buffer_size {
                return Ok(());
            }
            p.in_flight += p.chunk.len() as u64;
            std::mem::take(&mut p.chunk)
        };
        self.hand_over(chunk);
        self.wait_room()
    }

    fn hand_over(&self, chunk: Vec<u8>) {
        self.delivered
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        (self.events)(Event::Data(chunk));
    }

    /// Hands over what is left (at end of stream, on flush).
    pub fn drain(&self) {
        let chunk = {
            let mut p = self.lock();
            if p.chunk.is_empty() {
                return;
            }
            p.in_flight += p.chunk.len() as u64;
            std::mem::take(&mut p.chunk)
        };
        self.hand_over(chunk);
    }

    fn wait_room(&self) -> Result<()> {
        let start = Instant::now();
        let mut warned = false;
        let mut p = self.lock();
        while p.in_flight > self.max_pending {
            if self.stopped.load(Ordering::Acquire) {
                return Err(RecordingError::Closed);
            }
            let (next, _) = self
                .acked
                .wait_timeout(p, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner);
            p = next;
            if !warned && start.elapsed() >= self.stall_after {
                warned = true;
                let in_flight = p.in_flight;
                drop(p);
                (self.events)(Event::Stalled {
                    what: format!(
                        "the Writable has not taken {in_flight} bytes (its write callbacks have not run): the encoder waits"
                    ),
                    seconds: start.elapsed().as_secs(),
                });
                p = self.lock();
            }
        }
        Ok(())
    }

    /// The owner has written `bytes` more.
    pub fn ack(&self, bytes: u64) {
        let mut p = self.lock();
        p.in_flight = p.in_flight.saturating_sub(bytes);
        drop(p);
        self.acked.notify_all();
    }

    pub fn in_flight(&self) -> u64 {
        let p = self.lock();
        p.in_flight + p.chunk.len() as u64
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.acked.notify_all();
    }
}

/// Options of the output.
#[derive(Debug, Clone)]
pub(crate) struct OutputOptions {
    pub buffer_size: usize,
    pub max_pending: u64,
    pub stall_after: Duration,
    /// Protocol options (SRT's `latency`, `passphrase`…), as element properties.
    pub properties: Vec<(&'static str, String)>,
}

/// The sink element, named `output` (its errors are the output's), and the
/// writer flow for an appsink.
pub(crate) fn make_output(
    target: &Target,
    options: &OutputOptions,
    events: EventCallback,
    on_error: Arc<dyn Fn(RecordingError) + Send + Sync>,
) -> Result<(gst::Element, Option<Arc<WriterFlow>>)> {
    let make = |factory: &'static str| {
        gst::ElementFactory::make(factory)
            .name("output")
            .build()
            .map_err(|_| RecordingError::MissingElement { element: factory })
    };
    let set = |e: &gst::Element, k: &str, v: &str| {
        proj_gstreamer::set_property(e, k, v).map_err(RecordingError::from)
    };
    let sink = match &target.destination {
        Destination::File(path) => {
            let sink = make("filesink")?;
            let location = path.to_str().ok_or_else(|| RecordingError::OutputOpen {
                target: target.describe(),
                reason: "the path is not valid UTF-8".into(),
            })?;
            sink.set_property("location", location);
            // Every fragment reaches the kernel as the muxer writes it.
            set(&sink, "buffer-mode", "unbuffered")?;
            sink
        }
        Destination::Live(Live::Rtmp, url) => {
            let sink = make("rtmp2sink")?;
            set(&sink, "location", url)?;
            sink
        }
        Destination::Live(Live::Srt, url) => {
            let sink = make("srtsink")?;
            set(&sink, "uri", url)?;
            sink
        }
        Destination::Writer => {
            let appsink = gst_app::AppSink::builder().name("output").build();
            let flow = Arc::new(WriterFlow {
                pending: Mutex::new(Pending::default()),
                acked: Condvar::new(),
                buffer_size: options.buffer_size.max(1),
                max_pending: options.max_pending,
                stall_after: options.stall_after,
                stopped: AtomicBool::new(false),
                events,
                delivered: AtomicU64::new(0),
            });
            let (taker, ender) = (Arc::clone(&flow), Arc::clone(&flow));
            appsink.set_callbacks(
                gst_app::AppSinkCallbacks::builder()
                    .new_sample(move |sink| {
                        let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                        let Some(buffer) = sample.buffer() else {
                            return Ok(gst::FlowSuccess::Ok);
                        };
                        let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                        let offset = buffer.offset();
                        let offset = (offset != u64::MAX).then_some(offset);
                        match taker.take(offset, &map) {
                            Ok(()) => Ok(gst::FlowSuccess::Ok),
                            Err(RecordingError::Closed) => Err(gst::FlowError::Flushing),
                            Err(e) => {
                                on_error(e);
                                Err(gst::FlowError::Error)
                            }
                        }
                    })
                    .eos(move |_| ender.drain())
                    .build(),
            );
            let sink: gst::Element = appsink.upcast();
            for (k, v) in &options.properties {
                set(&sink, k, v)?;
            }
            sink.set_property("sync", false);
            return Ok((sink, Some(flow)));
        }
    };
    for (k, v) in &options.properties {
        set(&sink, k, v)?;
    }
    if sink.find_property("sync").is_some() {
        // Files and RTMP (TCP) as fast as frames come. SRT's live mode
        // drops what arrives later than its latency, so it is paced at
        // media time: a burst (a file written faster than real time)
        // would otherwise lose packets (seen: 30 of 90 frames arrived).
        let paced = matches!(target.destination, Destination::Live(Live::Srt, _));
        sink.set_property("sync", paced);
    }
    Ok((sink, None))
}

/// Element properties as text.
pub(crate) type Properties = Vec<(&'static str, String)>;

/// What `open`'s options become: the sink's properties, the muxer's, and a
/// fragment length.
pub(crate) type OpenOptions = (Properties, Properties, Option<u32>);

/// FFmpeg's protocol and muxer options we map, per destination, onto
/// element properties (the muxer's or the sink's) or our own settings.
pub(crate) fn map_open_options(
    target: &Target,
    options: &[(String, String)],
) -> Result<OpenOptions> {
    let mut sink = Vec::new();
    let mut mux = Vec::new();
    let mut fragment_ms = None;
    for (key, value) in options {
        let (key, value) = (key.trim(), value.trim());
        let known: &[&str] = match (&target.destination, target.container) {
            (Destination::Live(Live::Srt, _), _) => {
                &["latency", "passphrase", "pbkeylen", "streamid", "mode"]
            }
            (Destination::Live(Live::Rtmp, _), _) => &["listen", "timeout"],
            (_, c) if c.is_mp4() => &["movflags", "frag_duration"],
            _ => &[],
        };
        if !known.contains(&key) {
            return Err(crate::error::unknown("open option", key, known));
        }
        match key {
            "latency" => sink.push(("latency", crate::codec_config::integer("latency", value, 0, 60_000)?.to_string())),
            "passphrase" => sink.push(("passphrase", value.to_owned())),
            "pbkeylen" => sink.push(("pbkeylen", value.to_owned())),
            "streamid" => sink.push(("streamid", value.to_owned())),
            "mode" => sink.push(("mode", value.to_owned())),
            "listen" => return Err(unsupported("listen=1: our RTMP output connects to a server (rtmp2sink is a client); run a server (nginx-rtmp, MediaMTX) and publish to it")),
            "timeout" => sink.push(("timeout", crate::codec_config::integer("timeout", value, 1, 3600)?.to_string())),
            "frag_duration" => {
                // FFmpeg's is in microseconds.
                let us = crate::codec_config::integer("frag_duration", value, 1_000, 3_600_000_000)?;
                fragment_ms = Some(u32::try_from(us / 1000).unwrap_or(u32::MAX));
            }
            "movflags" => {
                for flag in value.split('+').filter(|f| !f.is_empty()) {
                    match flag {
                        "frag_keyframe" | "empty_moov" | "default_base_moof" | "separate_moof" | "dash" | "cmaf" => {}
                        "faststart" => {
                            // A regular MP4 with its index moved to the front.
                            mux.push(("faststart", "true".to_owned()));
                            fragment_ms = Some(0);
                        }
                        other => return Err(unsupported(format!("movflags {other}: we take frag_keyframe, empty_moov, default_base_moof, separate_moof, dash, cmaf (all the fragmented MP4 we write) and faststart"))),
                    }
                }
            }
            _ => {}
        }
    }
    if mux.iter().any(|(k, _)| *k == "faststart")
        && !matches!(target.destination, Destination::File(_))
    {
        return Err(unsupported(
            "faststart rewrites the file at the end: files only",
        ));
    }
    Ok((sink, mux, fragment_ms))
}
