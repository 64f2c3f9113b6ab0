//! Decoder configs between JS objects and `proj_decoders`.

use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers::MemType;
use proj_decoders as pd;
use proj_frame::VideoCodec;

use crate::error::{from_buffers, from_frame, invalid_argument, Code};

/// One session's decoder config (`DecoderConfig` of the seed, flattened):
/// `codec` says which fields apply.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct DecoderConfig {
    pub codec: String,
    /// H.264: `byte-stream`, `avc`, `avc3`; HEVC: `byte-stream`, `hvc1`, `hev1`.
    pub stream_format: Option<String>,
    pub num_extra_surfaces: Option<u32>,
    pub drop_frame_interval: Option<u32>,
    /// `device`, `pinned`, `unified`.
    pub cudadec_memtype: Option<String>,
    pub low_latency_mode: Option<bool>,
    /// JPEG: `gpu` or `cpu`.
    pub backend: Option<String>,
    /// Raw RGB/RGBA.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

fn options_to_js(js: &mut DecoderConfig, o: &pd::HardwareOptions) {
    js.num_extra_surfaces = o.num_extra_surfaces;
    js.drop_frame_interval = o.drop_frame_interval;
    js.cudadec_memtype = o.cudadec_memtype.map(|m| {
        match m {
            pd::CudadecMemtype::Device => "device",
            pd::CudadecMemtype::Pinned => "pinned",
            pd::CudadecMemtype::Unified => "unified",
        }
        .to_owned()
    });
    js.low_latency_mode = o.low_latency_mode;
}

fn options_from_js(js: &DecoderConfig) -> Result<pd::HardwareOptions, Code> {
    let cudadec_memtype = match js
        .cudadec_memtype
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("device") => Some(pd::CudadecMemtype::Device),
        Some("pinned") => Some(pd::CudadecMemtype::Pinned),
        Some("unified") => Some(pd::CudadecMemtype::Unified),
        Some(other) => {
            return Err(invalid_argument(format!(
                "cudadecMemtype {other:?} is not device, pinned or unified"
            )))
        }
    };
    Ok(pd::HardwareOptions {
        num_extra_surfaces: js.num_extra_surfaces,
        drop_frame_interval: js.drop_frame_interval,
        cudadec_memtype,
        low_latency_mode: js.low_latency_mode,
    })
}

impl DecoderConfig {
    pub fn from_model(config: &pd::DecoderConfig) -> Self {
        let mut js = Self {
            codec: config.codec().name().to_owned(),
            ..Self::default()
        };
        match config {
            pd::DecoderConfig::H264 {
                stream_format,
                options,
            } => {
                js.stream_format = Some(
                    match stream_format {
                        pd::H264StreamFormat::ByteStream => "byte_stream",
                        pd::H264StreamFormat::Avc => "avc",
                        pd::H264StreamFormat::Avc3 => "avc3",
                    }
                    .into(),
                );
                options_to_js(&mut js, options);
            }
            pd::DecoderConfig::Hevc {
                stream_format,
                options,
            } => {
                js.stream_format = Some(
                    match stream_format {
                        pd::HevcStreamFormat::ByteStream => "byte_stream",
                        pd::HevcStreamFormat::Hvc1 => "hvc1",
                        pd::HevcStreamFormat::Hev1 => "hev1",
                    }
                    .into(),
                );
                options_to_js(&mut js, options);
            }
            pd::DecoderConfig::Vp8(o) | pd::DecoderConfig::Vp9(o) | pd::DecoderConfig::Av1(o) => {
                options_to_js(&mut js, o)
            }
            pd::DecoderConfig::Jpeg(backend) => {
                js.backend = Some(
                    match backend {
                        pd::JpegBackend::Gpu => "gpu",
                        pd::JpegBackend::Cpu => "cpu",
                    }
                    .into(),
                );
            }
            pd::DecoderConfig::Png => {}
            pd::DecoderConfig::RawRgb { width, height }
            | pd::DecoderConfig::RawRgba { width, height } => {
                js.width = Some(*width);
                js.height = Some(*height);
            }
        }
        js
    }

    pub fn into_model(self) -> Result<pd::DecoderConfig, Code> {
        let codec = VideoCodec::from_name(&self.codec).map_err(from_frame)?;
        let format = self.stream_format.as_deref().map(str::to_ascii_lowercase);
        let bad_format = |f: &str, allowed: &str| {
            invalid_argument(format!("streamFormat {f:?} is not one of {allowed}"))
        };
        let options = options_from_js(&self)?;
        Ok(match codec {
            VideoCodec::H264 => pd::DecoderConfig::H264 {
                stream_format: match format.as_deref() {
                    None | Some("byte_stream" | "byte-stream") => pd::H264StreamFormat::ByteStream,
                    Some("avc") => pd::H264StreamFormat::Avc,
                    Some("avc3") => pd::H264StreamFormat::Avc3,
                    Some(f) => return Err(bad_format(f, "byte_stream, avc, avc3")),
                },
                options,
            },
            VideoCodec::Hevc => pd::DecoderConfig::Hevc {
                stream_format: match format.as_deref() {
                    None | Some("byte_stream" | "byte-stream") => pd::HevcStreamFormat::ByteStream,
                    Some("hvc1") => pd::HevcStreamFormat::Hvc1,
                    Some("hev1") => pd::HevcStreamFormat::Hev1,
                    Some(f) => return Err(bad_format(f, "byte_stream, hvc1, hev1")),
                },
                options,
            },
            VideoCodec::Vp8 => pd::DecoderConfig::Vp8(options),
            VideoCodec::Vp9 => pd::DecoderConfig::Vp9(options),
            VideoCodec::Av1 => pd::DecoderConfig::Av1(options),
            VideoCodec::Jpeg => pd::DecoderConfig::Jpeg(
                match self
                    .backend
                    .as_deref()
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    None | Some("gpu") => pd::JpegBackend::Gpu,
                    Some("cpu") => pd::JpegBackend::Cpu,
                    Some(other) => {
                        return Err(invalid_argument(format!(
                            "backend {other:?} is not gpu or cpu"
                        )))
                    }
                },
            ),
            VideoCodec::Png => pd::DecoderConfig::Png,
            VideoCodec::RawRgb | VideoCodec::RawRgba => {
                let (Some(width), Some(height)) = (self.width, self.height) else {
                    return Err(invalid_argument("raw configs need width and height"));
                };
                if codec == VideoCodec::RawRgb {
                    pd::DecoderConfig::RawRgb { width, height }
                } else {
                    pd::DecoderConfig::RawRgba { width, height }
                }
            }
            VideoCodec::RawNv12 => {
                return Err(invalid_argument("no decoder takes raw_nv12"));
            }
        })
    }
}

/// `FlexibleDecoderConfig` of the seed.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct FlexibleDecoderConfig {
    pub source_id: String,
    pub gpu_id: Option<u32>,
    pub pool_size: Option<u32>,
    pub mem_type: Option<String>,
    pub detect_buffer_limit: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
}

/// `FlexibleDecoderPoolConfig` of the seed.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct FlexibleDecoderPoolConfig {
    pub gpu_id: Option<u32>,
    pub pool_size: Option<u32>,
    pub eviction_ttl_ms: u32,
    /// Sources decoded at once at most (default 256).
    pub max_sources: Option<u32>,
    pub mem_type: Option<String>,
    pub detect_buffer_limit: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
}

/// The settings both configs carry, defaults filled in.
fn settings(
    gpu_id: Option<u32>,
    pool_size: Option<u32>,
    mem_type: Option<&str>,
    detect_buffer_limit: Option<u32>,
    idle_timeout_ms: Option<u32>,
) -> Result<pd::DecoderSettings, Code> {
    let mut settings =
        pd::DecoderSettings::new(gpu_id.unwrap_or(0), pool_size.unwrap_or(4) as usize);
    if let Some(name) = mem_type {
        settings.mem_type = MemType::from_name(name).map_err(from_buffers)?;
    }
    if let Some(limit) = detect_buffer_limit {
        settings.detect_buffer_limit = limit as usize;
    }
    if let Some(ms) = idle_timeout_ms {
        settings.idle_timeout = Duration::from_millis(u64::from(ms));
    }
    Ok(settings)
}

impl FlexibleDecoderConfig {
    pub fn into_model(self) -> Result<pd::FlexibleDecoderConfig, Code> {
        Ok(pd::FlexibleDecoderConfig {
            settings: settings(
                self.gpu_id,
                self.pool_size,
                self.mem_type.as_deref(),
                self.detect_buffer_limit,
                self.idle_timeout_ms,
            )?,
            source_id: self.source_id,
        })
    }
}

impl FlexibleDecoderPoolConfig {
    pub fn into_model(self) -> Result<pd::FlexibleDecoderPoolConfig, Code> {
        Ok(pd::FlexibleDecoderPoolConfig {
            eviction_ttl: Duration::from_millis(u64::from(self.eviction_ttl_ms)),
            max_sources: self
                .max_sources
                .map_or(pd::DEFAULT_MAX_SOURCES, |n| n as usize),
            settings: settings(
                self.gpu_id,
                self.pool_size,
                self.mem_type.as_deref(),
                self.detect_buffer_limit,
                self.idle_timeout_ms,
            )?,
        })
    }
}
