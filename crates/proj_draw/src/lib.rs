//! Drawing of `@proj`: the draw spec (`ObjectDrawSpec` and its parts, with
//! the reference's defaults and ranges), label templates parsed when the
//! spec is built, fonts (DejaVu Sans built in, any TTF/OTF registered),
//! and `Painter`, the CPU renderer that draws a frame's objects (blur,
//! box, dot, label) and custom draw lists onto a picture in place.
//!
//! Axis-aligned rectangles, frames and glyphs take SIMD fast paths of our
//! own (`raster`, `blend`); rotated shapes, circles, lines and images are
//! rasterised by tiny-skia into coverage masks and blended the same way;
//! text comes from skrifa outlines hinted and rasterised, placed and
//! corrected as Skia places and corrects it, with a glyph cache; blur is Skia's three box passes. No write ever leaves the picture's visible pixels (`Target`).

mod blend;
mod blur;
mod error;
mod font;
mod geometry;
mod ops;
mod painter;
mod raster;
mod recording;
mod shape;
mod spec;
mod target;
mod template;
mod text;

pub use blur::{object_sigma, window as blur_window};
pub use error::{DrawError, Result};
pub use font::{default_font, families, font, register_font, Font, BUILT_IN};
pub use geometry::RectF;
pub use ops::{decode as decode_draw_list, DrawOp, Image, Paint, MAX_COMMANDS};
pub use painter::{object_box, DrawBox, Painter};
pub use raster::{Raster, Region, Soft};
pub use recording::Recording;
pub use spec::{
    BBoxSource, BoundingBoxDraw, Color, DotDraw, LabelDraw, LabelPosition, LabelPositionKind,
    ObjectDraw, ObjectDrawSpec, Padding, MAX_PADDING,
};
pub use target::{ChannelOrder, Target, MAX_SIDE};
pub use template::{LabelTemplate, PLACEHOLDERS};
