//! Shapes the fast paths do not cover (rotated rectangles, circles,
//! lines, polygons), rasterised by tiny-skia into a coverage mask the size
//! of the shape's visible bounds, then blended like every other pixel.

#![expect(
    clippy::cast_possible_truncation,
    reason = "shape bounds are clamped to the picture (≤ 32768) before they become integers"
)]

use tiny_skia::{FillRule, LineCap, LineJoin, Mask, Path, PathBuilder, Stroke, Transform};

use crate::raster::{Raster, Region};
use crate::spec::Color;

/// The furthest a shape's point may lie from the picture's origin (pixels);
/// shapes reaching further (and any with a NaN or infinite point) are
/// skipped, never handed to tiny-skia, whose clipper assumes sane numbers.
pub const MAX_COORDINATE: f32 = (1 << 22) as f32;

/// Every point finite and within `MAX_COORDINATE`.
pub fn is_sane(path: &Path) -> bool {
    path.points().iter().all(|p| {
        p.x.is_finite()
            && p.y.is_finite()
            && p.x.abs() <= MAX_COORDINATE
            && p.y.abs() <= MAX_COORDINATE
    })
}

/// The visible bounds of `path` in whole pixels, or
/// `None` when nothing of it is on the picture.
pub(crate) fn visible_region(path: &Path, width: u32, height: u32) -> Option<Region> {
    let b = path.bounds();
    let (l, t, r, bm) = (b.left(), b.top(), b.right(), b.bottom());
    if !(l.is_finite() && t.is_finite() && r.is_finite() && bm.is_finite()) {
        return None;
    }
    let x0 = (l.floor().max(0.0) as i64).min(i64::from(width));
    let y0 = (t.floor().max(0.0) as i64).min(i64::from(height));
    let x1 = (r.ceil().max(0.0) as i64).min(i64::from(width));
    let y1 = (bm.ceil().max(0.0) as i64).min(i64::from(height));
    (x0 < x1 && y0 < y1).then_some(Region { x0, y0, x1, y1 })
}

/// Fills `path` (already in picture coordinates) with `color`,
/// anti-aliased.
pub fn fill_path(target: &mut impl Raster, path: &Path, rule: FillRule, color: Color) {
    if !color.visible() || !is_sane(path) {
        return;
    }
    let Some(Region { x0, y0, x1, y1 }) = visible_region(path, target.width(), target.height())
    else {
        return;
    };
    let (w, h) = ((x1 - x0) as u32, (y1 - y0) as u32);
    let Some(mut mask) = Mask::new(w, h) else {
        return;
    };
    mask.fill_path(
        path,
        rule,
        true,
        Transform::from_translate(-x0 as f32, -y0 as f32),
    );
    target.blit_mask(mask.data(), w as usize, h as usize, x0, y0, color);
}

/// Strokes `path` with `width` (miter joins, butt caps: Skia's defaults).
pub fn stroke_path(target: &mut impl Raster, path: &Path, width: f32, color: Color) {
    if !color.visible() || width.is_nan() || width <= 0.0 || !width.is_finite() || !is_sane(path) {
        return;
    }
    let stroke = Stroke {
        width,
        line_cap: LineCap::Butt,
        line_join: LineJoin::Miter,
        ..Stroke::default()
    };
    if let Some(outline) = path.stroke(&stroke, 1.0) {
        fill_path(target, &outline, FillRule::Winding, color);
    }
}

/// A rectangle `(x, y, w, h)` in local coordinates, mapped by `transform`.
pub fn rect_path(x: f32, y: f32, w: f32, h: f32, transform: Transform) -> Option<Path> {
    let rect = tiny_skia::Rect::from_xywh(x, y, w, h)?;
    PathBuilder::from_rect(rect).transform(transform)
}

pub fn circle_path(cx: f32, cy: f32, r: f32, transform: Transform) -> Option<Path> {
    PathBuilder::from_circle(cx, cy, r)?.transform(transform)
}

/// A polyline through `points` (closed into a polygon when `close`).
pub fn poly_path(points: &[(f32, f32)], close: bool, transform: Transform) -> Option<Path> {
    let (first, rest) = points.split_first()?;
    let mut pb = PathBuilder::new();
    pb.move_to(first.0, first.1);
    for p in rest {
        pb.line_to(p.0, p.1);
    }
    if close {
        pb.close();
    }
    pb.finish()?.transform(transform)
}
