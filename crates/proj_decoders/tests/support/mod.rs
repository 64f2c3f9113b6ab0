//! Test streams made by real encoders (ffmpeg: x264, x265, libvpx, libaom,
//! mjpeg, png) at test time, cut into packets by GStreamer's demuxer and
//! parsers, and decoded by ffmpeg for reference pixels.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_buffers::MemType;
use proj_decoders::{FlexibleDecoder, FlexibleDecoderConfig, Output, OutputCallback};
use proj_frame::{
    FrameContent, Rational, TranscodingMethod, VideoCodec, VideoFrame, VideoFrameParams,
};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// Encodes `frames` of `testsrc2` at `size` with ffmpeg's `codec_args` into
/// Matroska; cached by name for the test run.
pub fn encode(name: &str, size: (u32, u32), frames: u32, codec_args: &[&str]) -> Result<PathBuf> {
    let out = tmp(&format!("{name}.mkv"));
    if out.exists() {
        return Ok(out);
    }
    // Tests running in parallel may make the same stream: each writes its
    // own file and the rename is atomic.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = tmp(&format!("{name}.{}-{n}.partial.mkv", std::process::id()));
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={}x{}:rate=30", size.0, size.1))
        .args(["-frames:v", &frames.to_string()])
        .args(codec_args)
        .arg(&partial)
        .status()?;
    if !status.success() {
        return Err(format!("ffmpeg could not make {name}: {status}").into());
    }
    std::fs::rename(&partial, &out)?;
    Ok(out)
}

/// ffmpeg's decode of `path` as RGBA pictures in presentation order.
pub fn reference_rgba(path: &Path, size: (u32, u32)) -> Result<Vec<Vec<u8>>> {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "rgba", "-"])
        .output()?;
    if !output.status.success() {
        return Err(format!("ffmpeg could not decode {}", path.display()).into());
    }
    let frame = size.0 as usize * size.1 as usize * 4;
    Ok(output
        .stdout
        .chunks_exact(frame)
        .map(<[u8]>::to_vec)
        .collect())
}

/// One encoded frame as a demuxer hands it out.
#[derive(Debug, Clone)]
pub struct Packet {
    pub data: Vec<u8>,
    pub pts_ns: u64,
    pub dts_ns: Option<u64>,
    pub keyframe: bool,
}

/// The packets of `path` through `matroskademux ! {parse}` (a GStreamer
/// pipeline fragment ending in the caps wanted).
pub fn packets(path: &Path, parse: &str) -> Result<Vec<Packet>> {
    gst::init()?;
    let description = format!(
        "filesrc location=\"{}\" ! matroskademux ! {parse} ! appsink name=sink sync=false",
        path.display()
    );
    let pipeline = gst::parse::launch(&description)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline")?;
    pull_packets(&pipeline, &description)
}

/// Runs `pipeline` and returns what its appsink `sink` receives.
fn pull_packets(pipeline: &gst::Pipeline, description: &str) -> Result<Vec<Packet>> {
    let sink = pipeline
        .by_name("sink")
        .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
        .ok_or("no appsink")?;
    pipeline.set_state(gst::State::Playing)?;
    let mut packets = Vec::new();
    while let Ok(sample) = sink.pull_sample() {
        let Some(buffer) = sample.buffer() else {
            continue;
        };
        let map = buffer.map_readable()?;
        packets.push(Packet {
            data: map.as_slice().to_vec(),
            pts_ns: buffer.pts().map_or(0, gst::ClockTime::nseconds),
            dts_ns: buffer.dts().map(gst::ClockTime::nseconds),
            keyframe: !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT),
        });
    }
    pipeline.set_state(gst::State::Null)?;
    if packets.is_empty() {
        return Err(format!("no packets from {description}").into());
    }
    Ok(packets)
}

/// A frame for `packet` of `source` (time base: nanoseconds).
pub fn frame(
    source: &str,
    codec: VideoCodec,
    size: (u32, u32),
    packet: &Packet,
) -> Result<VideoFrame> {
    let ns = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Ok(VideoFrame::new(VideoFrameParams {
        source_id: source.into(),
        fps: Rational { num: 30, den: 1 },
        width: i64::from(size.0),
        height: i64::from(size.1),
        content: FrameContent::None,
        transcoding_method: TranscodingMethod::Copy,
        codec: Some(codec),
        keyframe: Some(packet.keyframe),
        time_base: Rational {
            num: 1,
            den: 1_000_000_000,
        },
        pts: ns(packet.pts_ns),
        dts: packet.dts_ns.map(ns),
        duration: None,
    })?)
}

/// What a test keeps of one output: decoded pictures are downloaded at
/// once so the pool buffer goes back (the decoder waits for free ones).
#[derive(Debug)]
pub enum Record {
    Frame {
        pts: i64,
        frame_id: Option<u128>,
        uuid: u128,
        rgba: Vec<u8>,
    },
    Orphan {
        pts_ns: u64,
    },
    Other(Box<Output>),
}

/// Collects every output.
#[derive(Clone, Default)]
pub struct Collector(pub Arc<Mutex<Vec<Record>>>);

impl Collector {
    pub fn callback(&self) -> OutputCallback {
        let records = self.0.clone();
        Arc::new(move |output| {
            let record = match output {
                Output::Frame {
                    frame,
                    decoded,
                    buffer,
                } => Record::Frame {
                    pts: frame.pts(),
                    frame_id: decoded.frame_id,
                    uuid: frame.uuid().as_u128(),
                    rgba: buffer
                        .with_surface(0, |s| s.download())
                        .ok()
                        .and_then(std::result::Result::ok)
                        .unwrap_or_default(),
                },
                Output::OrphanFrame { decoded, .. } => Record::Orphan {
                    pts_ns: decoded.pts_ns,
                },
                other => Record::Other(Box::new(other)),
            };
            records
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(record);
        })
    }

    pub fn take(&self) -> Vec<Record> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Decoded pictures (PTS, RGBA) and every other output.
pub type Decoded = (Vec<(i64, Vec<u8>)>, Vec<Output>);

/// A decoder for `source` with its pool in `mem_type` (GPU 0).
pub fn decoder(source: &str, mem_type: MemType, collector: &Collector) -> Result<FlexibleDecoder> {
    let mut config = FlexibleDecoderConfig::new(source, 0, 4);
    config.settings.mem_type = mem_type;
    Ok(FlexibleDecoder::new(config, collector.callback())?)
}

/// Submits every packet to a decoder with its pool in `mem_type`, drains,
/// and returns the decoded pictures by PTS and every other output.
pub fn decode(
    codec: VideoCodec,
    size: (u32, u32),
    packets: &[Packet],
    mem_type: MemType,
) -> Result<Decoded> {
    let collector = Collector::default();
    let decoder = decoder("cam", mem_type, &collector)?;
    for packet in packets {
        decoder.submit(
            frame("cam", codec, size, packet)?,
            Some(packet.data.clone()),
        )?;
    }
    decoder.graceful_shutdown()?;
    let mut pictures = Vec::new();
    let mut others = Vec::new();
    for record in collector.take() {
        match record {
            Record::Frame {
                pts,
                rgba,
                frame_id,
                uuid,
                ..
            } => {
                assert_eq!(
                    frame_id,
                    Some(uuid),
                    "the decoded frame carries its frame's id"
                );
                pictures.push((pts, rgba));
            }
            Record::Orphan { pts_ns } => {
                return Err(format!("orphan picture at {pts_ns} ns").into())
            }
            Record::Other(output) => others.push(*output),
        }
    }
    pictures.sort_by_key(|(pts, _)| *pts);
    Ok((pictures, others))
}

/// The `frames` pictures of `videotestsrc` at `size` that [`gst_packets`]
/// encodes, as RGBA (converted by GStreamer's videoconvert).
pub fn gst_source_rgba(size: (u32, u32), frames: u32) -> Result<Vec<Vec<u8>>> {
    gst::init()?;
    let description = format!(
        "videotestsrc pattern=smpte horizontal-speed=4 num-buffers={frames} ! \
         video/x-raw,format=I420,width={},height={},framerate=30/1 ! videoconvert ! \
         video/x-raw,format=RGBA ! appsink name=sink sync=false",
        size.0, size.1
    );
    let pipeline = gst::parse::launch(&description)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline")?;
    let row = size.0 as usize * 4;
    Ok(pull_packets(&pipeline, &description)?
        .into_iter()
        .map(|p| {
            p.data
                .chunks(row)
                .take(size.1 as usize)
                .flatten()
                .copied()
                .collect()
        })
        .collect())
}

/// `frames` of `videotestsrc` at `size` encoded in-process by GStreamer
/// (`encode`: a pipeline fragment ending in the caps wanted), cut into
/// packets: no ffmpeg needed (the GPU machine has none).
pub fn gst_packets(encode: &str, size: (u32, u32), frames: u32) -> Result<Vec<Packet>> {
    gst::init()?;
    let description = format!(
        "videotestsrc pattern=smpte horizontal-speed=4 num-buffers={frames} ! \
         video/x-raw,format=I420,width={},height={},framerate=30/1 ! {encode} ! \
         appsink name=sink sync=false",
        size.0, size.1
    );
    let pipeline = gst::parse::launch(&description)?
        .downcast::<gst::Pipeline>()
        .map_err(|_| "not a pipeline")?;
    pull_packets(&pipeline, &description)
}
