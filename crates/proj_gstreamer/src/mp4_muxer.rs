use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use crate::access_unit::inspect_access_unit;
use crate::{init, Codec, GstreamerError, Result};

/// Options of [`Mp4Muxer::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mp4MuxerOptions {
    pub fps_num: u32,
    pub fps_den: u32,
    /// Media time per fragment. Everything pushed before the last completed
    /// fragment survives a crash, and the file stays a fragmented MP4. 0
    /// writes a regular MP4 that is only valid after `finish`.
    pub fragment_duration_ms: u32,
    /// Queued bytes from which `push` answers `false` (slow down: wait for
    /// [`Mp4Muxer::wait_drained`]).
    pub high_water_bytes: u64,
    /// Queued bytes `push` never goes past: a frame that would is refused
    /// with [`GstreamerError::QueueFull`] (and nothing already accepted is
    /// lost). `push` itself never waits.
    pub max_queued_bytes: u64,
    /// How long `finish` waits for the file to complete (a stalled disk)
    /// before it gives up with [`GstreamerError::Timeout`].
    pub finish_timeout: Duration,
}

impl Default for Mp4MuxerOptions {
    fn default() -> Self {
        Self {
            fps_num: 30,
            fps_den: 1,
            fragment_duration_ms: 500,
            high_water_bytes: 16 << 20,
            max_queued_bytes: 64 << 20,
            finish_timeout: Duration::from_secs(60),
        }
    }
}

/// The largest timestamp or duration GStreamer carries (`u64::MAX` is its
/// "none").
const MAX_NS: u64 = u64::MAX - 1;

/// Counters for progress reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mp4MuxerStats {
    pub frames: u64,
    pub bytes: u64,
    /// Bytes accepted by `push` but not yet taken by the pipeline.
    pub queued_bytes: u64,
}

/// Encoded frames → MP4 through `appsrc → parser → qtmux → filesink`.
///
/// `push` validates each frame before it reaches GStreamer, so bad input is a
/// typed error that leaves the muxer usable. All methods take `&self`; the
/// muxer is `Send + Sync` and can be finished from another thread.
#[derive(Debug)]
pub struct Mp4Muxer {
    codec: Codec,
    path: PathBuf,
    framerate: gst::Fraction,
    frame_duration_ns: u64,
    high_water_bytes: u64,
    max_queued_bytes: u64,
    finish_timeout: Duration,
    /// The pipeline, released (with its bus's file descriptors) once the
    /// file is complete.
    parts: Mutex<Option<Parts>>,
    bus: Arc<BusEvents>,
    state: Mutex<State>,
    /// The outcome of `finish`, once it has run.
    outcome: Mutex<Option<Result<()>>>,
}

#[derive(Debug, Default)]
struct State {
    finished: bool,
    /// Why the end of stream could not be sent, if it could not.
    end_error: Option<GstreamerError>,
    started: bool,
    last_dts_ns: Option<u64>,
    /// Images: the size of the first one, which every later one must share.
    image_size: Option<(u32, u32)>,
    frames: u64,
    bytes: u64,
}

#[derive(Debug)]
struct Parts {
    pipeline: gst::Pipeline,
    appsrc: gst_app::AppSrc,
}

/// What the pipeline reported, written from GStreamer's threads.
#[derive(Debug, Default)]
struct BusEvents {
    seen: Mutex<Seen>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Seen {
    eos: bool,
    error: Option<String>,
}

impl BusEvents {
    fn lock(&self) -> MutexGuard<'_, Seen> {
        // A poisoned lock only means a panic elsewhere; the data is plain.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self) -> Option<GstreamerError> {
        self.lock()
            .error
            .clone()
            .map(|reason| GstreamerError::Pipeline { reason })
    }

    /// Waits for EOS or an error; returns the error if one came first.
    fn wait_eos(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut seen = self.lock();
        loop {
            if let Some(reason) = &seen.error {
                return Err(GstreamerError::Pipeline {
                    reason: reason.clone(),
                });
            }
            if seen.eos {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(GstreamerError::Timeout {
                    seconds: timeout.as_secs(),
                });
            }
            seen = self
                .changed
                .wait_timeout(seen, left)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
        }
    }
}

impl Mp4Muxer {
    /// Builds the pipeline and opens `path` for writing.
    pub fn new(codec: Codec, path: impl AsRef<Path>, options: &Mp4MuxerOptions) -> Result<Self> {
        init()?;
        let path = path.as_ref().to_path_buf();
        let fps_num = positive_i32("fpsNum", options.fps_num)?;
        let fps_den = positive_i32("fpsDen", options.fps_den)?;
        let frame_duration_ns = gst::ClockTime::SECOND
            .mul_div_round(u64::from(options.fps_den), u64::from(options.fps_num))
            .map(gst::ClockTime::nseconds)
            .filter(|&d| d > 0)
            .ok_or(GstreamerError::InvalidArgument {
                name: "fpsNum",
                reason: "the frame rate is too high".into(),
            })?;
        let location = path.to_str().ok_or_else(|| GstreamerError::OutputOpen {
            path: path.clone(),
            reason: "the path is not valid UTF-8".into(),
        })?;
        if location.contains('\0') {
            return Err(GstreamerError::OutputOpen {
                path: path.clone(),
                reason: "the path contains a NUL character".into(),
            });
        }
        if options.high_water_bytes == 0 || options.high_water_bytes > options.max_queued_bytes {
            return Err(GstreamerError::InvalidArgument {
                name: "highWaterBytes",
                reason: format!(
                    "must be between 1 and maxQueuedBytes ({})",
                    options.max_queued_bytes
                ),
            });
        }

        let appsrc = gst_app::AppSrc::builder()
            .caps(&codec.input_caps(fps_num, fps_den))
            .format(gst::Format::Time)
            .stream_type(gst_app::AppStreamType::Stream)
            // Never blocks: `push` enforces the limits itself.
            .max_bytes(options.max_queued_bytes)
            .block(false)
            .build();
        let parser = codec.parser_element().map(make).transpose()?;
        let mux = make("qtmux")?;
        if options.fps_num < options.fps_den {
            // Below 1 fps (time-lapse) qtmux's automatic timescale rounds
            // to 0: the file then claims a timescale of 0 and players see
            // one frame. 90 kHz is video's usual clock.
            mux.set_property("trak-timescale", 90_000u32);
        }
        if options.fragment_duration_ms > 0 {
            // Plain fragments (moov, then moof+mdat pairs), kept at finish.
            // `first-moov-then-finalise` would end as a regular MP4, but its
            // finalisation first stretches the leading mdat over the whole
            // file and only then appends the moov: a crash in between leaves
            // no moov at all (seen in the crash test).
            mux.set_property("fragment-duration", options.fragment_duration_ms);
            crate::set_property(&mux, "fragment-mode", "dash-or-mss")?;
        }
        let sink = make("filesink")?;
        sink.set_property("location", location);
        // Unbuffered: every fragment reaches the kernel as soon as qtmux
        // writes it, so it survives the process being killed.
        crate::set_property(&sink, "buffer-mode", "unbuffered")?;

        let pipeline = gst::Pipeline::new();
        let pipeline_error = |e: &dyn std::fmt::Display| GstreamerError::Pipeline {
            reason: e.to_string(),
        };
        let source: Vec<&gst::Element> = [Some(appsrc.upcast_ref()), parser.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        pipeline
            .add_many(source.iter().copied().chain([&mux, &sink]))
            .map_err(|e| pipeline_error(&e))?;
        gst::Element::link_many(&source).map_err(|e| pipeline_error(&e))?;
        // Ask for the video pad by name: image caps carry no size until the
        // first frame, and a caps-based link would pick an audio pad.
        let last = source.last().copied().unwrap_or(appsrc.upcast_ref());
        last.link_pads(Some("src"), &mux, Some("video_%u"))
            .map_err(|e| pipeline_error(&e))?;
        mux.link(&sink).map_err(|e| pipeline_error(&e))?;

        let bus_events = Arc::new(BusEvents::default());
        let bus = pipeline
            .bus()
            .ok_or_else(|| pipeline_error(&"the pipeline has no bus"))?;
        let events = Arc::clone(&bus_events);
        bus.set_sync_handler(move |_, message| {
            record(&events, message);
            gst::BusSyncReply::Drop
        });

        let started = pipeline.set_state(gst::State::Playing);
        let muxer = Self {
            codec,
            path,
            framerate: gst::Fraction::new(fps_num, fps_den),
            frame_duration_ns,
            high_water_bytes: options.high_water_bytes,
            max_queued_bytes: options.max_queued_bytes,
            finish_timeout: options.finish_timeout,
            parts: Mutex::new(Some(Parts { pipeline, appsrc })),
            bus: bus_events,
            state: Mutex::new(State::default()),
            outcome: Mutex::new(None),
        };
        // filesink opens the file on READY → PAUSED; a failure shows here.
        if started.is_err() {
            let reason = muxer
                .bus
                .lock()
                .error
                .take()
                .unwrap_or_else(|| "the pipeline did not start".into());
            muxer.shut_down();
            // Nothing for `Drop` to finish.
            muxer.lock_state().finished = true;
            *muxer.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(Ok(()));
            return Err(GstreamerError::OutputOpen {
                path: muxer.path.clone(),
                reason,
            });
        }
        Ok(muxer)
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_finished(&self) -> bool {
        self.lock_state().finished
    }

    pub fn stats(&self) -> Mp4MuxerStats {
        let (frames, bytes) = {
            let state = self.lock_state();
            (state.frames, state.bytes)
        };
        Mp4MuxerStats {
            frames,
            bytes,
            queued_bytes: self.queued_bytes(),
        }
    }

    /// Bytes accepted but not yet taken by the pipeline.
    fn queued_bytes(&self) -> u64 {
        self.lock_parts()
            .as_ref()
            .map_or(0, |p| p.appsrc.current_level_bytes())
    }

    /// Pushes one encoded frame. `dts_ns` defaults to `pts_ns` and must
    /// increase from frame to frame; `duration_ns` defaults to 1/fps.
    ///
    /// Never waits. Returns whether the caller may go on at full speed:
    /// `false` once `high_water_bytes` are queued (the output is slower
    /// than the input), when it should wait for [`wait_drained`](Self::wait_drained).
    /// A frame that would take the queue past `max_queued_bytes` is
    /// refused with [`GstreamerError::QueueFull`].
    pub fn push(
        &self,
        data: &[u8],
        pts_ns: u64,
        dts_ns: Option<u64>,
        duration_ns: Option<u64>,
    ) -> Result<bool> {
        let mut state = self.lock_state();
        if state.finished {
            return Err(GstreamerError::Finished);
        }
        if let Some(error) = self.bus.error() {
            return Err(error);
        }
        for (name, value) in [
            ("ptsNs", Some(pts_ns)),
            ("dtsNs", dts_ns),
            ("durationNs", duration_ns),
        ] {
            if value.is_some_and(|v| v > MAX_NS) {
                return Err(GstreamerError::InvalidArgument {
                    name,
                    reason: "must be below 2^64-1 ns".into(),
                });
            }
        }
        let au = inspect_access_unit(self.codec, data)?;
        if !state.started && !au.random_access {
            return Err(GstreamerError::NeedsKeyframe {
                codec: self.codec,
                expected: random_access_point(self.codec),
            });
        }
        if let Some(size) = au.image_size {
            self.check_image_size(&mut state, size)?;
        }
        let dts_ns = dts_ns.unwrap_or(pts_ns);
        if pts_ns < dts_ns {
            return Err(GstreamerError::PtsBeforeDts { pts_ns, dts_ns });
        }
        if let Some(previous_ns) = state.last_dts_ns.filter(|&previous| dts_ns <= previous) {
            return Err(GstreamerError::DtsNotIncreasing {
                dts_ns,
                previous_ns,
            });
        }
        let duration_ns = match duration_ns {
            Some(0) => {
                return Err(GstreamerError::InvalidArgument {
                    name: "durationNs",
                    reason: "must be positive".into(),
                })
            }
            Some(d) => d,
            None => self.frame_duration_ns,
        };

        let mut buffer = gst::Buffer::from_slice(data.to_vec());
        {
            let buffer = buffer.make_mut();
            buffer.set_pts(gst::ClockTime::from_nseconds(pts_ns));
            buffer.set_dts(gst::ClockTime::from_nseconds(dts_ns));
            buffer.set_duration(gst::ClockTime::from_nseconds(duration_ns));
            if !au.keyframe {
                buffer.set_flags(gst::BufferFlags::DELTA_UNIT);
            }
        }
        let parts = self.lock_parts();
        let Some(appsrc) = parts.as_ref().map(|p| &p.appsrc) else {
            return Err(GstreamerError::Finished);
        };
        let queued = appsrc.current_level_bytes();
        let size = data.len() as u64;
        if queued.saturating_add(size) > self.max_queued_bytes {
            return Err(GstreamerError::QueueFull {
                queued,
                limit: self.max_queued_bytes,
            });
        }
        if let Err(flow) = appsrc.push_buffer(buffer) {
            return Err(self.bus.error().unwrap_or(GstreamerError::Pipeline {
                reason: format!("appsrc: {flow:?}"),
            }));
        }
        let below_high_water = appsrc.current_level_bytes() < self.high_water_bytes;
        drop(parts);
        state.started = true;
        state.last_dts_ns = Some(dts_ns);
        state.frames += 1;
        state.bytes += size;
        Ok(below_high_water)
    }

    /// Waits until the queue is down to half the high-water mark (or the
    /// stream has ended), at most `timeout`; a pipeline error ends the
    /// wait with that error. Logs a warning every 5 s that it waits.
    pub fn wait_drained(&self, timeout: Option<Duration>) -> Result<()> {
        const SLICE: Duration = Duration::from_millis(10);
        const STALL: Duration = Duration::from_secs(5);
        let low = self.high_water_bytes / 2;
        let started = Instant::now();
        let mut warned = Duration::ZERO;
        loop {
            if let Some(error) = self.bus.error() {
                return Err(error);
            }
            let queued = self.queued_bytes();
            if queued <= low || self.bus.lock().eos {
                return Ok(());
            }
            let waited = started.elapsed();
            if timeout.is_some_and(|t| waited >= t) {
                return Err(GstreamerError::Timeout {
                    seconds: waited.as_secs(),
                });
            }
            if waited >= warned + STALL {
                warned = waited;
                tracing::warn!(
                    path = %self.path.display(),
                    queued,
                    "the MP4 muxer's output has not drained for {} s (a slow or stalled disk?)",
                    waited.as_secs()
                );
            }
            std::thread::sleep(SLICE);
        }
    }

    /// Ends the stream without waiting: from now on `push` fails with
    /// [`GstreamerError::Finished`], and the file completes in the
    /// background. Call [`finish`](Self::finish) to wait for it.
    pub fn end_stream(&self) {
        let mut state = self.lock_state();
        if state.finished {
            return;
        }
        state.finished = true;
        let ended = match self.lock_parts().as_ref() {
            Some(parts) => parts.appsrc.end_of_stream(),
            None => Ok(gst::FlowSuccess::Ok),
        };
        if let Err(flow) = ended {
            state.end_error = Some(self.bus.error().unwrap_or(GstreamerError::Pipeline {
                reason: format!("EOS: {flow:?}"),
            }));
        }
    }

    /// Ends the stream, waits until the file is complete and closes it.
    /// Later calls wait for the first one and return its result.
    ///
    /// The state lock is held only to end the stream, so `push`, `stats` and
    /// `is_finished` on other threads answer at once while the file
    /// completes.
    pub fn finish(&self) -> Result<()> {
        self.end_stream();
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(result) = outcome.as_ref() {
            return result.clone();
        }
        let (end_error, frames) = {
            let state = self.lock_state();
            (state.end_error.clone(), state.frames)
        };
        let result = match end_error {
            Some(error) => Err(error),
            None => self.bus.wait_eos(self.finish_timeout),
        }
        .and_then(|()| {
            if frames == 0 {
                Err(GstreamerError::NoFrames {
                    path: self.path.clone(),
                })
            } else {
                Ok(())
            }
        });
        self.shut_down();
        *outcome = Some(result.clone());
        result
    }

    /// qtmux takes the image size from the caps, which are set from the
    /// first image; it cannot change size within a file.
    fn check_image_size(&self, state: &mut State, (width, height): (u32, u32)) -> Result<()> {
        match state.image_size {
            Some(first) if first == (width, height) => Ok(()),
            Some((first_width, first_height)) => Err(GstreamerError::InvalidData {
                codec: self.codec,
                reason: format!(
                    "image is {width}x{height} but the stream is {first_width}x{first_height}"
                ),
            }),
            None => {
                let dimension = |name: &'static str, v: u32| {
                    i32::try_from(v).map_err(|_| GstreamerError::InvalidArgument {
                        name,
                        reason: format!("{v} is too large"),
                    })
                };
                let mut caps = self
                    .codec
                    .input_caps(self.framerate.numer(), self.framerate.denom());
                if let Some(structure) = caps.make_mut().structure_mut(0) {
                    structure.set("width", dimension("width", width)?);
                    structure.set("height", dimension("height", height)?);
                }
                if let Some(parts) = self.lock_parts().as_ref() {
                    parts.appsrc.set_caps(Some(&caps));
                }
                state.image_size = Some((width, height));
                Ok(())
            }
        }
    }

    /// Stops the pipeline and lets it go, with its bus's file descriptors.
    /// The stop waits for the streaming thread, which a stalled output
    /// (a hung disk, a pipe nobody reads) can hold for ever: it runs on a
    /// thread of its own and `shut_down` waits for it at most
    /// `finish_timeout`, so `finish` always returns.
    fn shut_down(&self) {
        let Some(parts) = self.lock_parts().take() else {
            return;
        };
        let path = self.path.clone();
        let (done, stopped) = std::sync::mpsc::channel();
        let stop = move || {
            if let Err(error) = parts.pipeline.set_state(gst::State::Null) {
                tracing::warn!(path = %path.display(), %error, "MP4 muxer pipeline did not stop cleanly");
            }
            let _ = done.send(());
        };
        match std::thread::Builder::new()
            .name("mp4-stop".into())
            .spawn(stop)
        {
            Ok(_) => {
                if stopped.recv_timeout(self.finish_timeout).is_err() {
                    tracing::warn!(
                        path = %self.path.display(),
                        "the MP4 muxer's output is stalled: its pipeline is left to stop on its own"
                    );
                }
            }
            Err(error) => {
                tracing::warn!(path = %self.path.display(), %error, "no thread to stop the MP4 muxer's pipeline");
            }
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_parts(&self) -> MutexGuard<'_, Option<Parts>> {
        self.parts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Mp4Muxer {
    /// A muxer dropped without `finish` is finished here so the file ends
    /// cleanly; errors can only be logged.
    fn drop(&mut self) {
        if let Err(error) = self.finish() {
            tracing::warn!(path = %self.path.display(), %error, "MP4 muxer dropped without a clean finish");
        }
    }
}

fn record(events: &BusEvents, message: &gst::Message) {
    let mut seen = events.lock();
    match message.view() {
        gst::MessageView::Eos(_) => seen.eos = true,
        gst::MessageView::Error(err) if seen.error.is_none() => {
            let source = err.src().map(|s| s.name().to_string()).unwrap_or_default();
            let debug = err.debug().map(|d| format!(" ({d})")).unwrap_or_default();
            seen.error = Some(format!("{source}: {}{debug}", err.error()));
        }
        _ => return,
    }
    drop(seen);
    events.changed.notify_all();
}

fn make(factory: &'static str) -> Result<gst::Element> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| GstreamerError::MissingElement { element: factory })
}

fn positive_i32(name: &'static str, value: u32) -> Result<i32> {
    i32::try_from(value)
        .ok()
        .filter(|&v| v > 0)
        .ok_or(GstreamerError::InvalidArgument {
            name,
            reason: format!("must be between 1 and {}, got {value}", i32::MAX),
        })
}

fn random_access_point(codec: Codec) -> &'static str {
    match codec {
        Codec::H264 => "SPS + PPS + IDR slice",
        Codec::Hevc => "VPS + SPS + PPS + IRAP slice",
        Codec::Av1 => "sequence header + key frame",
        Codec::Jpeg | Codec::Png => "a whole image",
    }
}
