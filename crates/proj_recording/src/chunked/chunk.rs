//! One chunk in flight: a `StreamingMediaEncoder` writing `<seq>.<ext>.part`
//! (unbuffered, so a crash keeps what reached the muxer), with what went
//! into each track.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::chunked::config::{ChunkedOptions, StreamConfig};
use crate::container::Container;
use crate::events::{Event, EventCallback};
use crate::media_encoder::{EncoderOptions, StreamingMediaEncoder};
use crate::{PacketStreamSpec, RecordingError, Result};

/// What one track of a chunk holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackCount {
    /// Frames, payloads, packets or audio buffers.
    pub units: u64,
    pub bytes: u64,
    /// Recording time (ns from the origin) of the first and last.
    pub first_ns: Option<u64>,
    pub last_ns: Option<u64>,
}

pub(crate) struct Chunk {
    pub seq: u64,
    pub part: PathBuf,
    /// Recording time the chunk was opened for.
    pub start_ns: u64,
    encoder: StreamingMediaEncoder,
    /// Writer stream → the chunk's stream index (`None`: no track).
    index: Vec<Option<u32>>,
    /// Audio streams' sample rates (0 for the rest).
    rates: Vec<u32>,
    counts: Mutex<Vec<TrackCount>>,
    failed: Arc<Mutex<Option<RecordingError>>>,
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("seq", &self.seq)
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

/// One item of a stream.
#[derive(Debug)]
pub(crate) enum Item<'a> {
    /// Encoded video (from the stream's encoder) or a passed-through packet.
    Packet {
        data: &'a [u8],
        dts_ns: Option<u64>,
        duration_ns: Option<u64>,
        keyframe: bool,
    },
    Audio(&'a [u8]),
    Data(&'a [u8]),
    /// A raw frame of a lossless (ffv1) stream.
    Raw {
        data: &'a [u8],
        duration_ns: u64,
    },
}

impl Chunk {
    /// Opens `part` with a track for each stream `present`.
    #[expect(
        clippy::too_many_arguments,
        reason = "a chunk's whole description, used once"
    )]
    pub fn open(
        seq: u64,
        part: PathBuf,
        start_ns: u64,
        streams: &[(String, StreamConfig)],
        present: &[bool],
        options: &ChunkedOptions,
        title: &str,
        report: EventCallback,
    ) -> Result<Self> {
        let failed: Arc<Mutex<Option<RecordingError>>> = Arc::default();
        let seen = Arc::clone(&failed);
        let events: EventCallback = Arc::new(move |event| match event {
            Event::Error(e) => {
                let mut f = seen.lock().unwrap_or_else(PoisonError::into_inner);
                if f.is_none() {
                    *f = Some(e.clone());
                    drop(f);
                    report(Event::Error(e));
                }
            }
            // A write that has waited for its chunk this long (the muxer or
            // the disk is stuck): said, never silent.
            stalled @ Event::Stalled { .. } => report(stalled),
            _ => {}
        });
        let encoder = StreamingMediaEncoder::new(
            Some(&part.to_string_lossy()),
            Some(options.container.name()),
            EncoderOptions {
                fragment_ms: 500,
                max_queued_bytes: options.max_queued_bytes,
                // A write waiting this long is reported (the writer's
                // watchdog ends a silent input stream after `stall_after`).
                stall_after: Duration::from_secs(5),
                ..EncoderOptions::default()
            },
            events,
        )?;
        let mut index = Vec::with_capacity(streams.len());
        let rates = streams
            .iter()
            .map(|(_, c)| match c {
                StreamConfig::Audio(a) => a.sample_rate,
                _ => 0,
            })
            .collect();
        for ((_, config), &here) in streams.iter().zip(present) {
            if !here {
                index.push(None);
                continue;
            }
            let i = match config {
                StreamConfig::Video(v) if v.codec.trim().eq_ignore_ascii_case("ffv1") => {
                    let spec = v.lossless()?.ok_or(RecordingError::Closed)?;
                    encoder.add_lossless_stream(&spec)?
                }
                StreamConfig::Video(v) => {
                    let codec = if v.codec.contains("265") || v.codec.starts_with("hevc") {
                        "hevc"
                    } else {
                        "h264"
                    };
                    encoder.add_packet_stream(&PacketStreamSpec {
                        codec: codec.into(),
                        width: v.width,
                        height: v.height,
                        ..PacketStreamSpec::default()
                    })?
                }
                StreamConfig::Audio(a) => encoder.add_audio_stream(a)?,
                StreamConfig::Data(_) => encoder.add_data_stream()?,
                StreamConfig::Packets(p) => encoder.add_packet_stream(p)?,
            };
            index.push(Some(i));
        }
        if options.container == Container::Matroska || options.container == Container::Mp4 {
            encoder.set_metadata(vec![("title".into(), title.into())])?;
        }
        encoder.open(&[])?;
        Ok(Self {
            seq,
            part,
            start_ns,
            encoder,
            counts: Mutex::new(vec![TrackCount::default(); streams.len()]),
            index,
            rates,
            failed,
        })
    }

    fn counts(&self) -> MutexGuard<'_, Vec<TrackCount>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes stream `s`'s item at recording time `ts` (waits while the
    /// track's queue is full).
    pub fn write(&self, s: usize, ts: u64, item: Item<'_>) -> Result<()> {
        let Some(i) = self.index.get(s).copied().flatten() else {
            return Err(RecordingError::Closed);
        };
        let seconds = ts as f64 / 1e9;
        let bytes = match item {
            Item::Packet {
                data,
                dts_ns,
                duration_ns,
                keyframe,
            } => {
                self.encoder
                    .write_packet(i, data, ts, dts_ns, duration_ns, keyframe)?;
                data.len()
            }
            Item::Audio(samples) => {
                // To the nearest sample: a timestamp a nanosecond short of
                // the next sample (1/30 s in ns) is that sample, not the one
                // before (which would overlap what was written).
                let rate = f64::from(self.rates.get(s).copied().unwrap_or(0).max(1));
                let at = (ts as f64 * rate / 1e9).round() / rate;
                self.encoder.write_audio_chunk(i, samples, Some(at))?;
                samples.len()
            }
            Item::Data(payload) => {
                self.encoder.write_data(i, payload, Some(seconds), None)?;
                payload.len()
            }
            Item::Raw { data, duration_ns } => {
                self.encoder.write_raw_frame(i, data, ts, duration_ns)?;
                data.len()
            }
        };
        let mut counts = self.counts();
        if let Some(c) = counts.get_mut(s) {
            c.units += 1;
            c.bytes += bytes as u64;
            c.first_ns.get_or_insert(ts);
            c.last_ns = Some(ts);
        }
        Ok(())
    }

    /// Ends stream `s`'s track (the muxer stops waiting for it).
    pub fn end(&self, s: usize) {
        if let Some(i) = self.index.get(s).copied().flatten() {
            let _ = self.encoder.end_stream(i);
        }
    }

    /// Ends every track and waits for the muxer to write its end.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        if let Some(e) = self.error() {
            self.encoder.abort();
            return Err(e);
        }
        self.encoder.close(timeout)
    }

    pub fn abort(&self) {
        self.encoder.abort();
    }

    /// Fails the chunk (a periodic fsync failed): it is never reported
    /// durable, and its `.part` stays.
    pub fn fail(&self, error: RecordingError) {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(error);
    }

    pub fn error(&self) -> Option<RecordingError> {
        self.failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn tracks(&self) -> Vec<TrackCount> {
        self.counts().clone()
    }

    pub fn present(&self) -> Vec<bool> {
        self.index.iter().map(Option::is_some).collect()
    }
}
