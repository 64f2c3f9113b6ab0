//! A custom draw list as it crosses from JS: numbers, strings, images.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_draw as pd;

use crate::entry::Outcome;
use crate::error::from_draw;

#[napi(object)]
pub struct DrawImageInit {
    pub width: u32,
    pub height: u32,
    /// Straight-alpha RGBA, `width × height × 4` bytes.
    pub data: Uint8Array,
}

/// What `DrawList` (TypeScript) records: the command stream and what its
/// text and image commands point at.
#[napi(object)]
pub struct DrawListInit {
    pub commands: Float64Array,
    pub strings: Vec<String>,
    pub images: Vec<DrawImageInit>,
}

impl DrawListInit {
    /// Decodes on the JS thread (copying the bytes out), so the draw can
    /// run elsewhere.
    pub fn decode(&self) -> Outcome<Vec<pd::DrawOp>> {
        let images = self
            .images
            .iter()
            .map(|i| pd::Image::new(i.width, i.height, i.data.to_vec()))
            .collect::<pd::Result<Vec<_>>>()
            .map_err(from_draw)?;
        pd::decode_draw_list(&self.commands, &self.strings, &images).map_err(from_draw)
    }
}
