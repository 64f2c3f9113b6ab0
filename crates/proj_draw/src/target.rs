//! The picture being drawn on: caller-owned 8-bit, 4-channel pixels with
//! a row pitch. Everything the renderer writes goes through `span_mut`,
//! which only ever hands out a row's visible pixels, so no shape, however
//! large, negative or NaN, can touch row padding or memory around it.

#![expect(
    clippy::cast_possible_truncation,
    reason = "offsets are checked against the buffer in `new` and clamped to the picture"
)]

use crate::error::{DrawError, Result};
use crate::spec::Color;

/// Byte order of the four channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelOrder {
    #[default]
    Rgba,
    /// BGRA and BGRx.
    Bgra,
}

impl ChannelOrder {
    /// A colour's bytes in this order, alpha lane 255 (see `blend`).
    pub(crate) fn pixel(self, color: Color) -> [u8; 4] {
        match self {
            Self::Rgba => [color.r, color.g, color.b, 255],
            Self::Bgra => [color.b, color.g, color.r, 255],
        }
    }
}

/// The largest side drawn on (pixels).
pub const MAX_SIDE: u32 = 32_768;

#[derive(Debug)]
pub struct Target<'a> {
    data: &'a mut [u8],
    width: u32,
    height: u32,
    pitch: usize,
    order: ChannelOrder,
}

impl<'a> Target<'a> {
    /// `data` holds `height` rows of `pitch` bytes (the last row may stop
    /// after its visible `width × 4` bytes).
    pub fn new(
        data: &'a mut [u8],
        width: u32,
        height: u32,
        pitch: usize,
        order: ChannelOrder,
    ) -> Result<Self> {
        let fail = |reason: String| Err(DrawError::Target { reason });
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return fail(format!("size {width}×{height} is outside 1–{MAX_SIDE}"));
        }
        let row = width as usize * 4;
        if pitch < row {
            return fail(format!("pitch {pitch} is under a row of {row} bytes"));
        }
        let needed = (height as usize - 1) * pitch + row;
        if data.len() < needed {
            return fail(format!(
                "{} bytes hold less than {width}×{height} at pitch {pitch} ({needed})",
                data.len()
            ));
        }
        Ok(Self {
            data,
            width,
            height,
            pitch,
            order,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    pub fn order(&self) -> ChannelOrder {
        self.order
    }

    /// The colour's bytes in this picture's order, alpha lane 255 (see
    /// `blend`), and its alpha.
    pub(crate) fn pixel(&self, color: Color) -> [u8; 4] {
        self.order.pixel(color)
    }

    /// Pixels `x0..x1` of row `y`, clamped to the picture; empty when
    /// nothing is left.
    pub(crate) fn span_mut(&mut self, y: i64, x0: i64, x1: i64) -> &mut [u8] {
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        if y < 0 || y >= h {
            return &mut [];
        }
        let (x0, x1) = (x0.clamp(0, w), x1.clamp(0, w));
        if x0 >= x1 {
            return &mut [];
        }
        // In range: 0 ≤ y < height, 0 ≤ x0 < x1 ≤ width, checked by `new`.
        let start = y as usize * self.pitch;
        &mut self.data[start + x0 as usize * 4..start + x1 as usize * 4]
    }
}
