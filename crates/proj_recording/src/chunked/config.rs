//! What a `ChunkedWriter` records: omgrab's `VideoStreamConfig` and
//! `DataStreamConfig`, our audio and packet streams, and the writer's
//! options.

use std::time::Duration;

use proj_encoders as pe;

use crate::codec_config::CodecConfig;
use crate::container::Container;
use crate::error::{invalid, unknown, unsupported};
use crate::video::{VideoPlan, VideoStreamSpec};
use crate::{AudioStreamSpec, LosslessSpec, PacketStreamSpec, Result};

/// omgrab's `VideoStreamConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoStreamConfig {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// FFmpeg's encoder name: `libx264` (default), `libx265`, `h264`,
    /// `hevc`, `h264_nvenc`, `hevc_nvenc`, `libopenh264`.
    pub codec: String,
    /// bit/s (default 2 000 000).
    pub bitrate: u32,
    /// The frames' layout: `rgb24` (default), `bgr24`, `rgba`, `bgra`,
    /// `gray`, `yuv420p`, `nv12`, `yuv444p`.
    pub input_pixel_format: String,
    /// `yuv420p` (default; `nv12` is the same 4:2:0).
    pub output_pixel_format: String,
    /// FFmpeg's encoder options (x264's `preset`, `crf`, `g`…).
    pub stream_options: Vec<(String, String)>,
    /// Kept in the manifest with the stream.
    pub metadata: Vec<(String, String)>,
}

impl Default for VideoStreamConfig {
    fn default() -> Self {
        Self {
            width: 0,
            height: 0,
            fps: 30.0,
            codec: "libx264".into(),
            bitrate: 2_000_000,
            input_pixel_format: "rgb24".into(),
            output_pixel_format: "yuv420p".into(),
            stream_options: Vec::new(),
            metadata: Vec::new(),
        }
    }
}

/// The encoders a chunked video stream maps (FFmpeg's names; `ffv1` is
/// lossless, see [`VideoStreamConfig::lossless`]).
pub const VIDEO_CODECS: &[&str] = &[
    "ffv1",
    "libx264",
    "h264",
    "h264_nvenc",
    "libopenh264",
    "libx265",
    "hevc",
    "hevc_nvenc",
];

impl VideoStreamConfig {
    /// The stream's encoder plan. Every frame leaves the encoder at once
    /// (x264 `tune=zerolatency`, no B-frames), so a chunk boundary falls
    /// exactly where the forced keyframe is.
    /// An `ffv1` stream: lossless, encoded in each chunk's pipeline (every
    /// frame intra-coded), `output_pixel_format` what it stores (default:
    /// the input's where ffv1 stores it: `gray16le`, `gray`, `yuv420p`,
    /// `yuv444p`, `bgra`, `bgr0`; RGB input is stored as `yuv444p`).
    pub(crate) fn lossless(&self) -> Result<Option<LosslessSpec>> {
        if !self.codec.trim().eq_ignore_ascii_case("ffv1") {
            return Ok(None);
        }
        let output = self.output_pixel_format.trim().to_ascii_lowercase();
        // omgrab's default output (yuv420p) would round RGB; with ffv1 the
        // input's own layout is kept unless another is named.
        let output =
            (output != "yuv420p" || self.input_pixel_format.trim() == "yuv420p").then_some(output);
        LosslessSpec::new(
            self.width,
            self.height,
            self.fps,
            &self.input_pixel_format,
            output.as_deref(),
        )
        .map(Some)
    }

    pub(crate) fn plan(&self) -> Result<VideoPlan> {
        let codec = self.codec.trim().to_ascii_lowercase();
        if !VIDEO_CODECS.contains(&codec.as_str()) {
            return Err(unknown("video codec", &codec, VIDEO_CODECS));
        }
        let out = self.output_pixel_format.trim().to_ascii_lowercase();
        if !["yuv420p", "nv12"].contains(&out.as_str()) {
            return Err(unsupported(format!(
                "output_pixel_format {out:?}: our encoders write 4:2:0 (yuv420p)"
            )));
        }
        if self.bitrate == 0 {
            return Err(invalid("bitrate", "bits per second, above 0"));
        }
        let explicit_rate = self
            .stream_options
            .iter()
            .any(|(k, _)| matches!(k.as_str(), "b" | "crf" | "qp"));
        let spec = VideoStreamSpec {
            frame_rate: self.fps,
            width: self.width,
            height: self.height,
            format: Some(self.input_pixel_format.clone()),
            encoder: Some(codec),
            encoder_option: self.stream_options.clone(),
            codec_config: (!explicit_rate).then_some(CodecConfig {
                bit_rate: Some(self.bitrate),
                ..CodecConfig::default()
            }),
            ..VideoStreamSpec::default()
        };
        let mut plan = spec.plan()?;
        if let Some(pe::EncoderProperties::H264Cpu(p)) = plan.config.properties.as_mut() {
            p.low_latency = Some(true);
        }
        Ok(plan)
    }
}

/// omgrab's `DataStreamConfig`: one payload per timestamp (JSON, bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataStreamConfig {
    /// `ass` (omgrab's), `text`, `json` or `bytes`: all are stored as
    /// Matroska `S_TEXT/UTF8` blocks, byte for byte.
    pub codec: String,
    pub metadata: Vec<(String, String)>,
}

pub const DATA_CODECS: &[&str] = &["ass", "text", "json", "bytes", "subrip", "srt"];

/// One stream of a chunked recording.
#[derive(Debug, Clone)]
pub enum StreamConfig {
    Video(VideoStreamConfig),
    Audio(AudioStreamSpec),
    Data(DataStreamConfig),
    /// Encoded packets passed through (a camera's H.264).
    Packets(PacketStreamSpec),
}

impl StreamConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Data(_) => "data",
            Self::Packets(_) => "packets",
        }
    }

    pub(crate) fn metadata(&self) -> &[(String, String)] {
        match self {
            Self::Video(v) => &v.metadata,
            Self::Data(d) => &d.metadata,
            _ => &[],
        }
    }
}

/// Retention: the oldest finalized chunks go once any limit is passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_chunks: Option<u32>,
    pub max_bytes: Option<u64>,
    pub max_age: Option<Duration>,
}

/// Options of a `ChunkedWriter`.
#[derive(Debug, Clone)]
pub struct ChunkedOptions {
    /// Recording time per chunk (omgrab's `chunk_length_s`).
    pub chunk_length: Duration,
    /// `Matroska` (default, as omgrab) or `Mp4` (fragmented every 500 ms).
    pub container: Container,
    /// A stream with nothing for this long (of media time, or of wall
    /// time while others go on) is ended in the chunk in flight.
    pub stall_after: Duration,
    /// `fsync` the chunk in flight this often (bounds what a power loss
    /// takes); `None`: only at finalize.
    pub fsync_interval: Option<Duration>,
    pub retention: Retention,
    /// How long closing one chunk may take before it is abandoned (and
    /// its `.part` kept for salvage).
    pub close_timeout: Duration,
    /// Bytes each stream's queue into a chunk's muxer holds.
    pub max_queued_bytes: u64,
    /// The recording's time origin (epoch ns); default: the first item's.
    pub origin_ns: Option<u64>,
}

impl Default for ChunkedOptions {
    fn default() -> Self {
        Self {
            chunk_length: Duration::from_secs(60),
            container: Container::Matroska,
            stall_after: Duration::from_secs(2),
            fsync_interval: None,
            retention: Retention::default(),
            close_timeout: Duration::from_secs(30),
            max_queued_bytes: 8 << 20,
            origin_ns: None,
        }
    }
}

impl ChunkedOptions {
    pub(crate) fn check(&self) -> Result<()> {
        if self.chunk_length < Duration::from_millis(100)
            || self.chunk_length > Duration::from_secs(24 * 3600)
        {
            return Err(invalid("chunkLengthS", "0.1 s to 24 h"));
        }
        if !matches!(self.container, Container::Matroska | Container::Mp4) {
            return Err(unsupported(format!(
                "chunks in {}: Matroska (default) or MP4 (fragmented)",
                self.container.name()
            )));
        }
        if self.stall_after < Duration::from_millis(50) {
            return Err(invalid("stallMs", "at least 50 ms"));
        }
        Ok(())
    }

    pub(crate) fn extension(&self) -> &'static str {
        if self.container == Container::Mp4 {
            "mp4"
        } else {
            "mkv"
        }
    }
}
