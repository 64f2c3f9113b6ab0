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

use gstreamer as gst;
use gstreamer::prelude::*;
use proj_encoders as pe;
use proj_gstreamer::Codec;

use crate::audio::{AudioStreamSpec, SampleFormat};
use crate::container::{Container, Destination, Live, Media, Target};
use crate::error::{invalid, unsupported};
use crate::events::{BusState, EventCallback};
pub use crate::packets::PacketStreamSpec;
use crate::pipeline::{installed, Builder, Session, Spec};
use crate::pixels::I420;
use crate::shared::Shared;
pub use crate::stats::{EncoderStats, StreamStats};
use crate::stream::{buffer, push, Alive, Kind, Room, Stream};
use crate::video::VideoStreamSpec;
use crate::video_write::{ns, steps, write_frames, Input};
use crate::{metadata, RecordingError, Result};

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

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Phase {
    Building,
    Open,
    Closing,
    Closed,
}

struct State {
    phase: Phase,
    specs: Vec<Spec>,
    metadata: Vec<(String, String)>,
    session: Option<Arc<Session>>,
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
            data_gaps: target.container == Container::Matroska,
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
        let mut plan = spec.plan()?;
        if matches!(self.target.destination, Destination::Live(..)) {
            // Live: every frame out at once, whatever FFmpeg's x264 would hold.
            if let Some(pe::EncoderProperties::H264Cpu(p)) = plan.config.properties.as_mut() {
                p.low_latency = Some(true);
            }
        }
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

    /// A lossless video stream (FFmpeg's `ffv1`), encoded in the pipeline.
    pub fn add_lossless_stream(&self, spec: &crate::LosslessSpec) -> Result<u32> {
        self.target.container.check_holds(Media::Ffv1)?;
        self.add("addLosslessStream", Spec::Lossless(*spec))
    }

    /// One raw frame of a lossless stream (its input format and size) at
    /// `pts_ns`, lasting `duration_ns`.
    pub fn write_raw_frame(
        &self,
        index: u32,
        frame: &[u8],
        pts_ns: u64,
        duration_ns: u64,
    ) -> Result<()> {
        let (_, stream) = self.stream(index, "lossless")?;
        let Kind::Lossless(spec) = stream.kind else {
            return Err(invalid("i", "not lossless"));
        };
        spec.check_frame(frame.len())?;
        let mut clock = stream.lock_feed();
        if clock.last_ns.is_some_and(|l| pts_ns <= l) {
            return Err(invalid("pts", "frames' timestamps must increase"));
        }
        push(
            self.shared.as_ref(),
            &stream,
            buffer(
                frame.to_vec(),
                pts_ns,
                None,
                Some(duration_ns.max(1)),
                false,
            ),
        )?;
        clock.started = true;
        clock.last_ns = Some(pts_ns);
        clock.end_ns = pts_ns.saturating_add(duration_ns);
        stream.counters.wrote(1, frame.len());
        drop(clock);
        self.shared.media_time(pts_ns.saturating_add(duration_ns));
        self.shared.advance_data();
        Ok(())
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
        let builder = Builder {
            target: self.target.clone(),
            options: self.options.clone(),
            shared: Arc::clone(&self.shared),
        };
        let session = builder.build(&specs, &metadata, options)?;
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
        if stream.ended.load(Ordering::Acquire) {
            return Err(invalid(
                "i",
                format!("stream {index} was ended (endStream)"),
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
        let encoder = Self::encoder_of(&session, &stream)?;
        let frames = chunk.chunks_exact(frame_bytes).map(Input::Raw).collect();
        let mut clock = stream.lock_feed();
        write_frames(&encoder, &stream, plan, &mut clock, frames, pts)?;
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
        let encoder = Self::encoder_of(&session, &stream)?;
        let mut clock = stream.lock_feed();
        write_frames(
            &encoder,
            &stream,
            plan,
            &mut clock,
            vec![Input::I420(frame)],
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

    fn encoder_of(session: &Session, stream: &Stream) -> Result<Arc<pe::Encoder>> {
        session
            .encoders
            .get(stream.index as usize)
            .and_then(Option::clone)
            .ok_or_else(|| invalid("i", "no encoder"))
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
        stream.counters.wrote(samples, chunk.len());
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
        // `end_ns` is past the last payload and any gap the muxer was given:
        // nothing may go before it.
        if pts_ns < clock.end_ns {
            return Err(invalid(
                "pts",
                format!(
                    "{} s is before the data stream's time ({} s): payloads come in time order, within a second of the video and audio",
                    pts_ns as f64 / 1e9,
                    clock.end_ns as f64 / 1e9
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
        stream.counters.wrote(1, payload.len());
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
        stream.counters.wrote(1, data.len());
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
            // Streams without an encoder end first: nothing more comes to
            // them, and the muxer must not wait on them while the encoders
            // drain.
            for (stream, encoder) in session.streams.iter().zip(&session.encoders) {
                if encoder.is_none() && !stream.ended.swap(true, Ordering::AcqRel) {
                    let _ = stream.appsrc.end_of_stream();
                }
            }
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
