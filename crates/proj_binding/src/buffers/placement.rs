//! Where a transform puts a picture, for the frame model: the crop of the
//! source rectangle and the letterbox around the scaled picture, so a
//! frame's transformation chain can say what a transform did.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::config::{Rect, TransformConfig};
use crate::buffers::shared_buffer::rect;
use crate::entry::entry;
use crate::error::{from_buffers, Code};

#[napi(object)]
#[derive(Debug)]
pub struct Placement {
    /// `[left, top, right, bottom]` cut from the source (all 0 without a
    /// source rectangle).
    pub crop: Vec<u32>,
    /// `[outerWidth, outerHeight, left, top, right, bottom]`: the bars
    /// around the scaled picture in the destination.
    pub letter_box: Vec<u32>,
    /// The scaled picture in the destination.
    pub dst: Rect,
}

/// The placement `BufferGenerator.transform` uses for a `src_width ×
/// src_height` picture (optionally cut to `src_rect`) into `dst_width ×
/// dst_height` with `config`.
#[napi]
pub fn transform_placement(
    src_width: u32,
    src_height: u32,
    src_rect: Option<Rect>,
    dst_width: u32,
    dst_height: u32,
    config: Option<TransformConfig>,
) -> Result<Placement, Code> {
    entry("transform_placement", || {
        let config = TransformConfig::parse(config.as_ref())?;
        let p = pb::place(
            (src_width, src_height),
            rect(src_rect),
            (dst_width, dst_height),
            config.padding,
            config.dst_padding,
        )
        .map_err(from_buffers)?;
        let s = p.src;
        Ok(Placement {
            crop: vec![
                s.left,
                s.top,
                src_width.saturating_sub(s.left.saturating_add(s.width)),
                src_height.saturating_sub(s.top.saturating_add(s.height)),
            ],
            letter_box: p.letterbox(dst_width, dst_height).to_vec(),
            dst: Rect {
                top: p.dst.top,
                left: p.dst.left,
                width: p.dst.width,
                height: p.dst.height,
            },
        })
    })
}
