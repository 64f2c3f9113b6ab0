use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers::{self as pb, ComputeMode, Interpolation, MemType, Padding, VideoFormat};

use crate::entry::entry;
use crate::error::{from_buffers, Code};

type Res<T> = std::result::Result<T, Error<Code>>;

#[napi(object)]
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub top: u32,
    pub left: u32,
    pub width: u32,
    pub height: u32,
}

impl From<Rect> for pb::Rect {
    fn from(r: Rect) -> Self {
        pb::Rect::new(r.top, r.left, r.width, r.height)
    }
}

impl From<pb::Rect> for Rect {
    fn from(r: pb::Rect) -> Self {
        Self {
            top: r.top,
            left: r.left,
            width: r.width,
            height: r.height,
        }
    }
}

#[napi(object)]
#[derive(Debug, Clone, Copy, Default)]
pub struct DstPadding {
    pub left: Option<u32>,
    pub top: Option<u32>,
    pub right: Option<u32>,
    pub bottom: Option<u32>,
}

/// Scale + letterbox settings; every field has a default.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct TransformConfig {
    /// `none`, `right_bottom`, `symmetric` (default).
    pub padding: Option<String>,
    pub dst_padding: Option<DstPadding>,
    /// `nearest`, `bilinear` (default), `cubic`, `super`, `lanczos`, `nicest`, `default`.
    pub interpolation: Option<String>,
    /// `default`, `gpu`, `vic`.
    pub compute_mode: Option<String>,
}

impl TransformConfig {
    pub fn parse(config: Option<&Self>) -> Res<pb::TransformConfig> {
        let Some(c) = config else {
            return Ok(pb::TransformConfig::default());
        };
        let d = c.dst_padding.unwrap_or_default();
        Ok(pb::TransformConfig {
            padding: c
                .padding
                .as_deref()
                .map(Padding::from_name)
                .transpose()
                .map_err(from_buffers)?
                .unwrap_or_default(),
            dst_padding: pb::DstPadding {
                left: d.left.unwrap_or(0),
                top: d.top.unwrap_or(0),
                right: d.right.unwrap_or(0),
                bottom: d.bottom.unwrap_or(0),
            },
            interpolation: c
                .interpolation
                .as_deref()
                .map(Interpolation::from_name)
                .transpose()
                .map_err(from_buffers)?
                .unwrap_or_default(),
            compute_mode: c
                .compute_mode
                .as_deref()
                .map(ComputeMode::from_name)
                .transpose()
                .map_err(from_buffers)?
                .unwrap_or_default(),
        })
    }
}

/// Options shared by the generators.
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct GeneratorOptions {
    pub fps_num: Option<u32>,
    pub fps_den: Option<u32>,
    pub gpu_id: Option<u32>,
    /// `default`, `system`, `cuda_device`, …
    pub mem_type: Option<String>,
    pub pool_size: Option<u32>,
}

impl GeneratorOptions {
    pub fn parse(options: Option<&Self>, default_pool: usize) -> Res<pb::GeneratorOptions> {
        let o = options.cloned().unwrap_or_default();
        let d = pb::GeneratorOptions::default();
        Ok(pb::GeneratorOptions {
            fps_num: o.fps_num.unwrap_or(d.fps_num),
            fps_den: o.fps_den.unwrap_or(d.fps_den),
            gpu_id: o.gpu_id.unwrap_or(d.gpu_id),
            mem_type: o
                .mem_type
                .as_deref()
                .map(MemType::from_name)
                .transpose()
                .map_err(from_buffers)?
                .unwrap_or_default(),
            pool_size: o.pool_size.map_or(default_pool, |p| p as usize),
        })
    }
}

pub fn format(name: &str) -> Res<VideoFormat> {
    VideoFormat::from_name(name).map_err(from_buffers)
}

/// Canonical names, for the TS enums to check against.
#[napi(object)]
#[derive(Debug)]
pub struct BufferNames {
    pub video_formats: Vec<String>,
    pub mem_types: Vec<String>,
    pub interpolations: Vec<String>,
}

#[napi]
pub fn buffer_names() -> Result<BufferNames, Code> {
    entry("buffer_names", || {
        Ok({
            BufferNames {
                video_formats: VideoFormat::ALL.iter().map(|f| f.name().into()).collect(),
                mem_types: MemType::ALL.iter().map(|m| m.name().into()).collect(),
                interpolations: Interpolation::ALL.iter().map(|i| i.name().into()).collect(),
            }
        })
    })
}

/// Parses a name of `kind` (`videoFormat`, `memType`, `interpolation`,
/// `padding`, `computeMode`) and returns its canonical form.
#[napi]
pub fn parse_buffer_name(kind: String, name: String) -> Result<String, Code> {
    entry("parse_buffer_name", || {
        let canonical = match kind.as_str() {
            "videoFormat" => VideoFormat::from_name(&name).map(|f| f.name().to_owned()),
            "memType" => MemType::from_name(&name).map(|m| m.name().to_owned()),
            "interpolation" => Interpolation::from_name(&name).map(|i| i.name().to_owned()),
            "padding" => Padding::from_name(&name).map(|p| {
                match p {
                    Padding::None => "none",
                    Padding::RightBottom => "right_bottom",
                    Padding::Symmetric => "symmetric",
                }
                .to_owned()
            }),
            "computeMode" => ComputeMode::from_name(&name).map(|c| {
                match c {
                    ComputeMode::Default => "default",
                    ComputeMode::Gpu => "gpu",
                    ComputeMode::Vic => "vic",
                }
                .to_owned()
            }),
            other => {
                return Err(crate::error::invalid_argument(format!(
                    "unknown name kind {other:?}"
                )))
            }
        };
        canonical.map_err(from_buffers)
    })
}
