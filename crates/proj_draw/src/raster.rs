//! The fast paths: axis-aligned rectangles and rectangular frames (a box's
//! border, a label's background and border) with exact area coverage at
//! fractional edges, and coverage masks (glyphs, tiny-skia shapes) blended
//! through `blend`'s SIMD loops.

#![expect(
    clippy::cast_possible_truncation,
    reason = "pixel coordinates are clipped to the picture (≤ 32768) and coverages to 0–255 before the casts"
)]

use crate::blend::{blend_mask, blend_premultiplied, blend_span};
use crate::geometry::{overlap, RectF};
use crate::spec::Color;
use crate::target::{ChannelOrder, Target};

/// A rectangle of whole pixels inside the picture, never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Region {
    pub fn width(&self) -> usize {
        (self.x1 - self.x0) as usize
    }
    pub fn height(&self) -> usize {
        (self.y1 - self.y0) as usize
    }
}

/// How a blurred region is laid back: whole pixels, an axis-aligned
/// rectangle with soft (area-coverage) edges, or a coverage mask of the
/// region's size (a rotated rectangle).
#[derive(Debug, Clone, Copy)]
pub enum Soft<'a> {
    Whole,
    Aligned(RectF),
    Mask(&'a [u8]),
}

/// Where drawing lands: the primitives every shape, glyph, blur and image
/// comes down to. A picture in memory (`Target`) draws them at once; a
/// `Recording` keeps them, in order, for the GPU.
pub trait Raster {
    fn width(&self) -> u32;
    fn height(&self) -> u32;
    fn order(&self) -> ChannelOrder;
    /// `outer` minus `inner` (inside it), exact area coverage.
    fn fill_frame(&mut self, outer: RectF, inner: Option<RectF>, color: Color);
    /// `color` through a coverage mask whose top-left lands on (`x`, `y`).
    fn blit_mask(
        &mut self,
        mask: &[u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    );
    /// A glyph's mask: as `blit_mask`, with the glyph's identity (font,
    /// glyph, size, quarter, luminance) for a GPU's glyph atlas.
    #[expect(
        clippy::too_many_arguments,
        reason = "a mask, its place and colour, and its name"
    )]
    fn blit_glyph(
        &mut self,
        key: [u32; 3],
        mask: &[u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    ) {
        let _ = key;
        self.blit_mask(mask, mask_w, mask_h, x, y, color);
    }
    /// Blurs what is drawn in `region` so far (edges clamped to it).
    fn blur(&mut self, region: Region, sigma: f32, soft: Soft<'_>);
    /// A premultiplied layer of `region`'s size, in this picture's channel
    /// order, composited source-over.
    fn composite(&mut self, layer: &[u8], region: Region);
}

impl Raster for Target<'_> {
    fn width(&self) -> u32 {
        Target::width(self)
    }
    fn height(&self) -> u32 {
        Target::height(self)
    }
    fn order(&self) -> ChannelOrder {
        Target::order(self)
    }
    fn fill_frame(&mut self, outer: RectF, inner: Option<RectF>, color: Color) {
        fill_frame_cpu(self, outer, inner, color);
    }
    fn blit_mask(
        &mut self,
        mask: &[u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    ) {
        blit_mask_cpu(self, mask, mask_w, mask_h, x, y, color);
    }
    fn blur(&mut self, region: Region, sigma: f32, soft: Soft<'_>) {
        crate::blur::blur_region(self, region, sigma, soft);
    }
    fn composite(&mut self, layer: &[u8], region: Region) {
        let row_bytes = region.width() * 4;
        for (row, y) in (region.y0..region.y1).enumerate() {
            let span = self.span_mut(y, region.x0, region.x1);
            let Some(src) = layer.get(row * row_bytes..(row + 1) * row_bytes) else {
                return;
            };
            for (d, s) in span.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                if s[3] != 0 {
                    blend_premultiplied(d, [s[0], s[1], s[2], s[3]]);
                }
            }
        }
    }
}

/// Fills `outer` minus `inner` (a frame; `inner` must lie inside `outer`,
/// or be `None` for a plain fill) with `color`. Coverage of a pixel is
/// `area(pixel ∩ outer) − area(pixel ∩ inner)`, exact for axis-aligned
/// rectangles, so a frame's sides never blend twice where they meet.
/// A frame clipped to a `width × height` picture: `None` when nothing of
/// it shows. Clipping the hole to the outer rectangle keeps the coverage
/// exact inside the picture.
pub(crate) fn clip_frame(
    outer: RectF,
    inner: Option<RectF>,
    width: u32,
    height: u32,
) -> Option<(RectF, Option<RectF>)> {
    if !outer.is_drawable() {
        return None;
    }
    let bounds = RectF::ltrb(0.0, 0.0, width as f32, height as f32);
    let outer = Some(outer.intersect(&bounds)).filter(RectF::is_drawable)?;
    let inner = inner
        .filter(RectF::is_drawable)
        .map(|i| i.intersect(&outer))
        .filter(RectF::is_drawable);
    Some((outer, inner))
}

fn fill_frame_cpu(target: &mut Target<'_>, outer: RectF, inner: Option<RectF>, color: Color) {
    if !color.visible() {
        return;
    }
    let Some((outer, inner)) = clip_frame(outer, inner, target.width(), target.height()) else {
        return;
    };
    let pixel = target.pixel(color);

    // Column breakpoints: every pixel column holding a fractional edge is
    // a segment of its own; between them coverage is constant per row.
    let mut cuts: Vec<i64> = Vec::with_capacity(10);
    let mut edges = vec![outer.left, outer.right];
    if let Some(i) = inner {
        edges.extend([i.left, i.right]);
    }
    for e in edges {
        let f = e.floor();
        cuts.push(f as i64);
        if f != e {
            cuts.push(f as i64 + 1);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();

    let y0 = outer.top.floor() as i64;
    let y1 = outer.bottom.ceil() as i64;
    // Rows with the same vertical coverages have the same spans: only the
    // top and bottom edge rows of each rectangle differ from their neighbours.
    let mut spans: Vec<(i64, i64, u8)> = Vec::with_capacity(cuts.len());
    let mut row_kind = (f32::NAN, f32::NAN);
    for y in y0..y1 {
        let vo = overlap(y, outer.top, outer.bottom);
        let vi = inner.map_or(0.0, |i| overlap(y, i.top, i.bottom));
        if (vo, vi) != row_kind {
            row_kind = (vo, vi);
            spans.clear();
            for pair in cuts.windows(2) {
                let (x0, x1) = (pair[0], pair[1]);
                let ho = overlap(x0, outer.left, outer.right);
                let hi = inner.map_or(0.0, |i| overlap(x0, i.left, i.right));
                let coverage = (vo * ho - vi * hi).clamp(0.0, 1.0);
                let a = (f32::from(color.a) * coverage + 0.5) as u8;
                if a != 0 {
                    spans.push((x0, x1, a));
                }
            }
        }
        for &(x0, x1, a) in &spans {
            blend_span(target.span_mut(y, x0, x1), pixel, a);
        }
    }
}

/// Fills a rectangle.
pub fn fill_rect(target: &mut impl Raster, rect: RectF, color: Color) {
    target.fill_frame(rect, None, color);
}

/// Strokes a rectangle as Skia does with miter joins: `width` centred on
/// the edge, half inside, half outside; a stroke wider than the rectangle
/// fills the grown rectangle.
pub fn stroke_rect(target: &mut impl Raster, rect: RectF, width: f32, color: Color) {
    if width.is_nan() || width <= 0.0 || !width.is_finite() {
        return;
    }
    let half = width / 2.0;
    let (outer, inner) = (rect.outset(half), rect.outset(-half));
    target.fill_frame(outer, Some(inner).filter(RectF::is_drawable), color);
}

/// Blends `color` through a coverage mask of `mask_w × mask_h` bytes whose
/// top-left pixel lands on (`x`, `y`); whatever falls outside the picture
/// is skipped.
fn blit_mask_cpu(
    target: &mut Target<'_>,
    mask: &[u8],
    mask_w: usize,
    mask_h: usize,
    x: i64,
    y: i64,
    color: Color,
) {
    if !color.visible() || mask_w == 0 || mask.len() < mask_w * mask_h {
        return;
    }
    let pixel = target.pixel(color);
    let w = i64::from(target.width());
    let (cx0, cx1) = (x.max(0), (x + mask_w as i64).min(w));
    if cx0 >= cx1 {
        return;
    }
    let (skip, count) = ((cx0 - x) as usize, (cx1 - cx0) as usize);
    for (row, coverage) in mask.chunks_exact(mask_w).take(mask_h).enumerate() {
        let span = target.span_mut(y + row as i64, cx0, cx1);
        if !span.is_empty() {
            blend_mask(span, pixel, color.a, &coverage[skip..skip + count]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::ChannelOrder;

    fn canvas(w: u32, h: u32) -> Vec<u8> {
        let mut v = vec![0u8; (w * h * 4) as usize];
        v.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        v
    }

    fn red(bytes: &[u8], w: u32, x: u32, y: u32) -> u8 {
        bytes[((y * w + x) * 4) as usize]
    }

    #[test]
    fn an_integer_rect_fills_exactly_its_pixels() {
        let mut bytes = canvas(10, 10);
        let mut t = Target::new(&mut bytes, 10, 10, 40, ChannelOrder::Rgba).unwrap();
        fill_rect(
            &mut t,
            RectF::ltrb(2.0, 3.0, 5.0, 7.0),
            Color::rgba(255, 0, 0, 255),
        );
        for y in 0..10 {
            for x in 0..10 {
                let inside = (2..5).contains(&x) && (3..7).contains(&y);
                assert_eq!(
                    red(&bytes, 10, x, y),
                    if inside { 255 } else { 0 },
                    "({x},{y})"
                );
            }
        }
    }

    #[test]
    fn fractional_edges_get_area_coverage_and_corners_the_product() {
        let mut bytes = canvas(6, 6);
        let mut t = Target::new(&mut bytes, 6, 6, 24, ChannelOrder::Rgba).unwrap();
        fill_rect(
            &mut t,
            RectF::ltrb(1.5, 1.25, 4.0, 4.0),
            Color::rgba(255, 0, 0, 255),
        );
        assert_eq!(red(&bytes, 6, 1, 2), 128); // half a column
        assert_eq!(red(&bytes, 6, 2, 1), 191); // three quarters of a row
        assert_eq!(red(&bytes, 6, 1, 1), 96); // 0.5 × 0.75
        assert_eq!(red(&bytes, 6, 3, 3), 255);
        assert_eq!(red(&bytes, 6, 4, 3), 0);
    }

    #[test]
    fn a_stroke_straddles_the_edge_and_leaves_the_inside() {
        let mut bytes = canvas(20, 20);
        let mut t = Target::new(&mut bytes, 20, 20, 80, ChannelOrder::Rgba).unwrap();
        stroke_rect(
            &mut t,
            RectF::ltrb(5.0, 5.0, 15.0, 15.0),
            2.0,
            Color::rgba(255, 0, 0, 255),
        );
        assert_eq!(red(&bytes, 20, 4, 10), 255);
        assert_eq!(red(&bytes, 20, 5, 10), 255);
        assert_eq!(red(&bytes, 20, 6, 10), 0);
        assert_eq!(red(&bytes, 20, 3, 10), 0);
        assert_eq!(red(&bytes, 20, 4, 4), 255); // miter corner
        assert_eq!(red(&bytes, 20, 10, 10), 0);
    }

    #[test]
    fn a_translucent_frame_blends_once_where_its_sides_meet() {
        let mut bytes = canvas(20, 20);
        let mut t = Target::new(&mut bytes, 20, 20, 80, ChannelOrder::Rgba).unwrap();
        stroke_rect(
            &mut t,
            RectF::ltrb(5.5, 5.5, 14.5, 14.5),
            3.0,
            Color::rgba(255, 0, 0, 128),
        );
        // Every fully covered border pixel, corners included, got one blend.
        assert_eq!(red(&bytes, 20, 5, 5), 128);
        assert_eq!(red(&bytes, 20, 5, 10), 128);
        assert_eq!(red(&bytes, 20, 10, 5), 128);
    }

    #[test]
    fn shapes_far_outside_or_not_finite_touch_nothing() {
        let mut bytes = canvas(8, 8);
        let before = bytes.clone();
        let mut t = Target::new(&mut bytes, 8, 8, 32, ChannelOrder::Rgba).unwrap();
        let c = Color::rgba(255, 255, 255, 255);
        fill_rect(&mut t, RectF::ltrb(f32::NAN, 0.0, 4.0, 4.0), c);
        fill_rect(&mut t, RectF::ltrb(-1e30, -1e30, -5.0, 1e30), c);
        fill_rect(&mut t, RectF::ltrb(9.0, 0.0, 1e38, 8.0), c);
        stroke_rect(&mut t, RectF::ltrb(1.0, 1.0, 2.0, 2.0), f32::INFINITY, c);
        t.blit_mask(&[255; 16], 4, 4, -4, 2, c);
        t.blit_mask(&[255; 16], 4, 4, 8, 2, c);
        assert_eq!(bytes, before);
    }
}
