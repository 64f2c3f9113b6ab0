//! `EncoderConfig(codec, width, height)` of the spec, checked as a whole.

use proj_buffers::{MemType, VideoFormat};
use proj_gstreamer::Codec;

use crate::error::invalid;
use crate::{EncoderProperties, EncodersError, Platform, Result};

/// The largest side an encoder takes here (x264 and NVENC stop near 4096
/// for H.264 level limits; JPEG and PNG go to 65535 but our pools to 16384).
pub const MAX_SIDE: u32 = 8192;

/// What to encode and how: the spec's `EncoderConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderConfig {
    pub codec: Codec,
    pub width: u32,
    pub height: u32,
    /// The frames' pixel layout: RGBA, NV12 or I420 (default NV12, as the
    /// spec's; RGBA for PNG, which is an RGB format and may have odd sides).
    pub format: VideoFormat,
    pub fps_num: u32,
    pub fps_den: u32,
    pub gpu_id: u32,
    pub mem_type: MemType,
    pub properties: Option<EncoderProperties>,
}

impl EncoderConfig {
    pub fn new(codec: Codec, width: u32, height: u32) -> Self {
        Self {
            codec,
            width,
            height,
            format: if codec == Codec::Png {
                VideoFormat::Rgba
            } else {
                VideoFormat::Nv12
            },
            fps_num: 30,
            fps_den: 1,
            gpu_id: 0,
            mem_type: MemType::Default,
            properties: None,
        }
    }

    /// Everything the encoder will need, checked now rather than at the
    /// first frame: sizes, the format, the frame rate, and a property set
    /// of this codec, for this machine, with every field in range.
    /// `machine` is where the config will run (`None`: no NVIDIA hardware).
    pub fn check(&self, machine: Option<Platform>) -> Result<()> {
        if self.width == 0 || self.height == 0 || self.width > MAX_SIDE || self.height > MAX_SIDE {
            return Err(invalid(
                "size",
                format!(
                    "{}x{} is not 1 to {MAX_SIDE} px per side",
                    self.width, self.height
                ),
            ));
        }
        if !matches!(
            self.format,
            VideoFormat::Rgba | VideoFormat::Nv12 | VideoFormat::I420
        ) {
            return Err(invalid(
                "format",
                format!(
                    "{} frames are not encoded; use RGBA, NV12 or I420",
                    self.format.name()
                ),
            ));
        }
        let subsampled = matches!(self.format, VideoFormat::Nv12 | VideoFormat::I420)
            || matches!(self.codec, Codec::H264 | Codec::Hevc | Codec::Av1);
        if subsampled && (self.width % 2 == 1 || self.height % 2 == 1) {
            return Err(invalid(
                "size",
                format!(
                    "{}x{}: 4:2:0 needs even sides ({} {} frames)",
                    self.width,
                    self.height,
                    self.codec.name(),
                    self.format.name()
                ),
            ));
        }
        if self.fps_num == 0 || self.fps_den == 0 || self.fps_num / self.fps_den > 1000 {
            return Err(invalid(
                "fps",
                format!(
                    "{}/{} is not a frame rate from 1/n to 1000",
                    self.fps_num, self.fps_den
                ),
            ));
        }
        let Some(props) = &self.properties else {
            return Ok(());
        };
        if props.codec() != self.codec {
            return Err(EncodersError::CodecMismatch {
                props: props.kind(),
                config: self.codec.name(),
            });
        }
        if props.platform() == Some(Platform::Jetson) && machine != Some(Platform::Jetson) {
            return Err(EncodersError::PlatformMismatch {
                props: props.kind(),
                machine: match machine {
                    Some(Platform::Dgpu) => "a dGPU machine",
                    _ => "no Jetson here",
                },
            });
        }
        if props.platform() == Some(Platform::Dgpu) && machine == Some(Platform::Jetson) {
            return Err(EncodersError::PlatformMismatch {
                props: props.kind(),
                machine: "a Jetson",
            });
        }
        props.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DgpuProps, H264JetsonProps, JpegProps};

    #[test]
    fn a_config_is_checked_when_built() {
        let ok = EncoderConfig::new(Codec::H264, 1920, 1080);
        assert_eq!(ok.check(None), Ok(()));
        let odd = EncoderConfig::new(Codec::H264, 641, 360);
        assert!(matches!(
            odd.check(None),
            Err(EncodersError::InvalidProperty { field: "size", .. })
        ));
        let odd_png = EncoderConfig {
            format: VideoFormat::Rgba,
            ..EncoderConfig::new(Codec::Png, 641, 361)
        };
        assert_eq!(odd_png.check(None), Ok(()));
        let gray = EncoderConfig {
            format: VideoFormat::Gray8,
            ..EncoderConfig::new(Codec::Jpeg, 64, 64)
        };
        assert!(gray.check(None).is_err());
        let other_codec = EncoderConfig {
            properties: Some(EncoderProperties::Jpeg(JpegProps::default())),
            ..EncoderConfig::new(Codec::H264, 64, 64)
        };
        assert!(matches!(
            other_codec.check(None),
            Err(EncodersError::CodecMismatch { .. })
        ));
        let jetson_here = EncoderConfig {
            properties: Some(EncoderProperties::H264Jetson(H264JetsonProps::default())),
            ..EncoderConfig::new(Codec::H264, 64, 64)
        };
        assert!(matches!(
            jetson_here.check(Some(Platform::Dgpu)),
            Err(EncodersError::PlatformMismatch { .. })
        ));
        assert_eq!(jetson_here.check(Some(Platform::Jetson)), Ok(()));
        // dGPU properties on a machine without NVENC: accepted (the CPU
        // takes over with what it can honour).
        let dgpu = EncoderConfig {
            properties: Some(EncoderProperties::H264Dgpu(DgpuProps::default())),
            ..EncoderConfig::new(Codec::H264, 64, 64)
        };
        assert_eq!(dgpu.check(None), Ok(()));
        assert!(EncoderConfig { fps_num: 0, ..dgpu }.check(None).is_err());
    }
}
