//! The draw spec (`savant_rs.draw_spec` translated): what to draw for
//! objects of a (namespace, label), with the reference's defaults and
//! ranges, checked when a value is built.

use std::collections::HashMap;

use crate::error::{invalid, Result};
use crate::template::LabelTemplate;

/// An RGBA colour, 0–255 per channel, not premultiplied. Alpha 0 is "do
/// not draw".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    pub const TRANSPARENT: Self = Self::rgba(0, 0, 0, 0);

    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Self { r, g, b, a }
    }

    /// From four integers, each checked to be 0–255.
    pub fn checked(field: &'static str, [r, g, b, a]: [i64; 4]) -> Result<Self> {
        let c = |v: i64| {
            u8::try_from(v).map_err(|_| invalid(field, format!("channel {v} is outside 0–255")))
        };
        Ok(Self::rgba(c(r)?, c(g)?, c(b)?, c(a)?))
    }

    pub fn visible(self) -> bool {
        self.a > 0
    }
}

/// Space added around a box (or inside a label's background), in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Padding {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

/// The largest padding, thickness-like value we accept (pixels).
pub const MAX_PADDING: i64 = 100_000;

impl Padding {
    pub fn checked(field: &'static str, [left, top, right, bottom]: [i64; 4]) -> Result<Self> {
        let side = |v: i64| {
            if (0..=MAX_PADDING).contains(&v) {
                u32::try_from(v).map_err(|_| invalid(field, "out of range"))
            } else {
                Err(invalid(field, format!("{v} is outside 0–{MAX_PADDING}")))
            }
        };
        Ok(Self {
            left: side(left)?,
            top: side(top)?,
            right: side(right)?,
            bottom: side(bottom)?,
        })
    }
}

fn in_range(field: &'static str, value: i64, max: i64) -> Result<u32> {
    if (0..=max).contains(&value) {
        u32::try_from(value).map_err(|_| invalid(field, "out of range"))
    } else {
        Err(invalid(field, format!("{value} is outside 0–{max}")))
    }
}

/// A box's border and background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBoxDraw {
    pub border_color: Color,
    pub background_color: Color,
    /// Stroke width, centred on the (padded) box edge as Skia strokes.
    pub thickness: u32,
    pub padding: Padding,
}

impl BoundingBoxDraw {
    pub const MAX_THICKNESS: i64 = 500;

    pub fn new(
        border_color: Color,
        background_color: Color,
        thickness: i64,
        padding: Padding,
    ) -> Result<Self> {
        Ok(Self {
            border_color,
            background_color,
            thickness: in_range("thickness", thickness, Self::MAX_THICKNESS)?,
            padding,
        })
    }
}

/// A dot at the box's centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DotDraw {
    pub color: Color,
    pub radius: u32,
}

impl DotDraw {
    pub const MAX_RADIUS: i64 = 100;

    pub fn new(color: Color, radius: i64) -> Result<Self> {
        Ok(Self {
            color,
            radius: in_range("radius", radius, Self::MAX_RADIUS)?,
        })
    }
}

/// Where a label sits against its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelPositionKind {
    TopLeftInside,
    #[default]
    TopLeftOutside,
    Center,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelPosition {
    pub kind: LabelPositionKind,
    pub margin_x: i32,
    pub margin_y: i32,
}

impl Default for LabelPosition {
    fn default() -> Self {
        Self {
            kind: LabelPositionKind::TopLeftOutside,
            margin_x: 0,
            margin_y: -10,
        }
    }
}

impl LabelPosition {
    pub const MAX_MARGIN: i64 = 100_000;

    pub fn new(kind: LabelPositionKind, margin_x: i64, margin_y: i64) -> Result<Self> {
        let margin = |field, v: i64| {
            if v.abs() <= Self::MAX_MARGIN {
                i32::try_from(v).map_err(|_| invalid(field, "out of range"))
            } else {
                Err(invalid(
                    field,
                    format!("{v} is outside ±{}", Self::MAX_MARGIN),
                ))
            }
        };
        Ok(Self {
            kind,
            margin_x: margin("marginX", margin_x)?,
            margin_y: margin("marginY", margin_y)?,
        })
    }
}

/// A label: text lines from templates, with background and border.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelDraw {
    pub font_color: Color,
    pub background_color: Color,
    pub border_color: Color,
    /// Font size is 12 × scale pixels.
    pub font_scale: f64,
    /// The border's stroke width.
    pub thickness: u32,
    pub position: LabelPosition,
    pub padding: Padding,
    /// One template per line; empty draws the object's label.
    pub format: Vec<LabelTemplate>,
}

impl LabelDraw {
    pub const BASE_FONT_SIZE: f64 = 12.0;
    pub const MAX_FONT_SCALE: f64 = 100.0;
    pub const MAX_THICKNESS: i64 = 500;
    pub const MAX_LINES: usize = 64;

    #[expect(
        clippy::too_many_arguments,
        reason = "the spec's eight fields, each checked"
    )]
    pub fn new(
        font_color: Color,
        background_color: Color,
        border_color: Color,
        font_scale: f64,
        thickness: i64,
        position: LabelPosition,
        padding: Padding,
        format: &[String],
    ) -> Result<Self> {
        if !(font_scale.is_finite() && font_scale > 0.0 && font_scale <= Self::MAX_FONT_SCALE) {
            return Err(invalid(
                "fontScale",
                format!("{font_scale} is outside (0, {}]", Self::MAX_FONT_SCALE),
            ));
        }
        if format.len() > Self::MAX_LINES {
            return Err(invalid(
                "format",
                format!("{} lines, at most {}", format.len(), Self::MAX_LINES),
            ));
        }
        Ok(Self {
            font_color,
            background_color,
            border_color,
            font_scale,
            thickness: in_range("thickness", thickness, Self::MAX_THICKNESS)?,
            position,
            padding,
            format: format
                .iter()
                .map(|line| LabelTemplate::parse(line))
                .collect::<Result<_>>()?,
        })
    }

    pub fn font_size(&self) -> f32 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a font size of at most 1200 px"
        )]
        let size = (Self::BASE_FONT_SIZE * self.font_scale) as f32;
        size
    }
}

/// Which of an object's boxes to draw around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BBoxSource {
    #[default]
    Detection,
    /// The track box, or the detection box where the object has none.
    Track,
}

/// Everything drawn for one object: blur, box, dot, label, in that order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectDraw {
    pub bounding_box: Option<BoundingBoxDraw>,
    pub central_dot: Option<DotDraw>,
    pub label: Option<LabelDraw>,
    pub blur: bool,
    pub bbox_source: BBoxSource,
}

/// Draw specs keyed by (namespace, label).
#[derive(Debug, Clone, Default)]
pub struct ObjectDrawSpec {
    /// namespace → label → draw, so a lookup borrows its two `&str`.
    entries: HashMap<String, HashMap<String, ObjectDraw>>,
}

impl ObjectDrawSpec {
    pub fn insert(&mut self, namespace: &str, label: &str, draw: ObjectDraw) {
        self.entries
            .entry(namespace.to_owned())
            .or_default()
            .insert(label.to_owned(), draw);
    }

    pub fn lookup(&self, namespace: &str, label: &str) -> Option<&ObjectDraw> {
        self.entries.get(namespace)?.get(label)
    }

    pub fn len(&self) -> usize {
        self.entries.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
