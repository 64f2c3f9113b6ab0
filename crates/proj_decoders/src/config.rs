//! Decoder configuration: the per-codec configs of the seed and the
//! `FlexibleDecoder` / `FlexibleDecoderPool` configs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use proj_buffers::MemType;
use proj_frame::{VideoCodec, VideoFrame};

use crate::{DecodersError, Result};

/// How H.264 access units are framed in the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264StreamFormat {
    ByteStream,
    Avc,
    Avc3,
}

/// How HEVC access units are framed in the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HevcStreamFormat {
    ByteStream,
    Hvc1,
    Hev1,
}

/// Where JPEG is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegBackend {
    Gpu,
    Cpu,
}

/// Memory NVDEC decodes into (`cudadec-memtype` of DeepStream's decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CudadecMemtype {
    Device,
    Pinned,
    Unified,
}

/// Tuning of a hardware decoder (DeepStream's `nvv4l2decoder` property
/// names). Set on the decoder element where it has the property; `low
/// latency` also sets `max-display-delay=0` on GStreamer ≥ 1.24's NVDEC
/// elements. GStreamer 1.22's NVDEC elements and the CPU decoders have none
/// of them: there they are skipped (a debug log line), since they only tune
/// speed and memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HardwareOptions {
    pub num_extra_surfaces: Option<u32>,
    pub drop_frame_interval: Option<u32>,
    pub cudadec_memtype: Option<CudadecMemtype>,
    pub low_latency_mode: Option<bool>,
}

/// One decoder session's configuration, chosen from the frame's codec and
/// open to change by the decoder-config callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecoderConfig {
    H264 {
        stream_format: H264StreamFormat,
        options: HardwareOptions,
    },
    Hevc {
        stream_format: HevcStreamFormat,
        options: HardwareOptions,
    },
    Vp8(HardwareOptions),
    Vp9(HardwareOptions),
    Av1(HardwareOptions),
    Jpeg(JpegBackend),
    Png,
    RawRgb {
        width: u32,
        height: u32,
    },
    RawRgba {
        width: u32,
        height: u32,
    },
}

impl DecoderConfig {
    /// The codec this config decodes.
    pub fn codec(&self) -> VideoCodec {
        match self {
            Self::H264 { .. } => VideoCodec::H264,
            Self::Hevc { .. } => VideoCodec::Hevc,
            Self::Vp8(_) => VideoCodec::Vp8,
            Self::Vp9(_) => VideoCodec::Vp9,
            Self::Av1(_) => VideoCodec::Av1,
            Self::Jpeg(_) => VideoCodec::Jpeg,
            Self::Png => VideoCodec::Png,
            Self::RawRgb { .. } => VideoCodec::RawRgb,
            Self::RawRgba { .. } => VideoCodec::RawRgba,
        }
    }

    /// The default config for `codec` at `width`×`height`; `None` for codecs
    /// no decoder takes (raw NV12).
    pub fn for_codec(codec: VideoCodec, width: u32, height: u32) -> Option<Self> {
        let options = HardwareOptions::default();
        Some(match codec {
            VideoCodec::H264 => Self::H264 {
                stream_format: H264StreamFormat::ByteStream,
                options,
            },
            VideoCodec::Hevc => Self::Hevc {
                stream_format: HevcStreamFormat::ByteStream,
                options,
            },
            VideoCodec::Vp8 => Self::Vp8(options),
            VideoCodec::Vp9 => Self::Vp9(options),
            VideoCodec::Av1 => Self::Av1(options),
            VideoCodec::Jpeg => Self::Jpeg(JpegBackend::Gpu),
            VideoCodec::Png => Self::Png,
            VideoCodec::RawRgb => Self::RawRgb { width, height },
            VideoCodec::RawRgba => Self::RawRgba { width, height },
            VideoCodec::RawNv12 => return None,
        })
    }
}

/// Rewrites the decoder config each time a session starts (first submit
/// and every codec or size change), from the default config and the frame
/// that starts the session.
pub type ConfigCallback = Arc<dyn Fn(DecoderConfig, &VideoFrame) -> DecoderConfig + Send + Sync>;

/// How every decoder is set up: one source's, or each of a pool's.
#[derive(Clone)]
pub struct DecoderSettings {
    pub gpu_id: u32,
    /// RGBA buffers in the output pool; a consumer holding them all makes
    /// the decoder wait (back-pressure).
    pub pool_size: usize,
    /// Where output frames live: `Default` is GPU memory where CUDA works,
    /// host memory otherwise.
    pub mem_type: MemType,
    /// H.264/HEVC packets held while waiting for a random access point.
    pub detect_buffer_limit: usize,
    /// How long a drain waits without any progress before giving up.
    pub idle_timeout: Duration,
    pub decoder_config_callback: Option<ConfigCallback>,
}

/// The most output buffers a decoder may have.
pub const MAX_POOL_SIZE: usize = 1024;

impl DecoderSettings {
    pub fn new(gpu_id: u32, pool_size: usize) -> Self {
        Self {
            gpu_id,
            pool_size,
            mem_type: MemType::Default,
            detect_buffer_limit: 30,
            idle_timeout: Duration::from_secs(1),
            decoder_config_callback: None,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.pool_size == 0 || self.pool_size > MAX_POOL_SIZE {
            return Err(DecodersError::InvalidArgument {
                name: "poolSize",
                reason: format!(
                    "must be between 1 and {MAX_POOL_SIZE}, got {}",
                    self.pool_size
                ),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for DecoderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecoderSettings")
            .field("gpu_id", &self.gpu_id)
            .field("pool_size", &self.pool_size)
            .field("mem_type", &self.mem_type)
            .field("detect_buffer_limit", &self.detect_buffer_limit)
            .field("idle_timeout", &self.idle_timeout)
            .field(
                "decoder_config_callback",
                &self.decoder_config_callback.is_some(),
            )
            .finish()
    }
}

/// Configuration of one [`FlexibleDecoder`](crate::FlexibleDecoder).
#[derive(Debug, Clone)]
pub struct FlexibleDecoderConfig {
    /// Frames of another source are skipped (`SourceIdMismatch`).
    pub source_id: String,
    pub settings: DecoderSettings,
}

impl FlexibleDecoderConfig {
    pub fn new(source_id: impl Into<String>, gpu_id: u32, pool_size: usize) -> Self {
        Self {
            source_id: source_id.into(),
            settings: DecoderSettings::new(gpu_id, pool_size),
        }
    }
}

/// Decides what happens to a stream idle for longer than the pool's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionDecision {
    Keep,
    Evict,
}

pub type EvictionCallback = Arc<dyn Fn(&str) -> EvictionDecision + Send + Sync>;

/// Configuration of a [`FlexibleDecoderPool`](crate::FlexibleDecoderPool):
/// every per-source decoder gets `settings`.
#[derive(Debug, Clone)]
pub struct FlexibleDecoderPoolConfig {
    /// A stream with no submit for this long is offered for eviction.
    pub eviction_ttl: Duration,
    pub settings: DecoderSettings,
    /// Sources decoded at once at most: a frame of one more source is
    /// skipped (`DecoderCreationFailed`) until one ends. Each costs a
    /// GStreamer session's threads (about 3 for H.264 on 2 cores, more with
    /// more cores) and its pool's memory.
    pub max_sources: usize,
}

/// The default of [`FlexibleDecoderPoolConfig::max_sources`].
pub const DEFAULT_MAX_SOURCES: usize = 256;

impl FlexibleDecoderPoolConfig {
    pub fn new(gpu_id: u32, pool_size: usize, eviction_ttl: Duration) -> Self {
        Self {
            eviction_ttl,
            settings: DecoderSettings::new(gpu_id, pool_size),
            max_sources: DEFAULT_MAX_SOURCES,
        }
    }

    /// The config of the decoder for `source_id`.
    pub(crate) fn decoder(&self, source_id: &str) -> FlexibleDecoderConfig {
        FlexibleDecoderConfig {
            source_id: source_id.to_owned(),
            settings: self.settings.clone(),
        }
    }
}
