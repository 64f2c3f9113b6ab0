//! The CPU renderer: draws a frame's objects per the spec (blur → box →
//! dot → label, in the reference's geometry) and executes custom draw
//! lists, sending axis-aligned work down the SIMD fast paths and the rest
//! through tiny-skia masks.

#![expect(
    clippy::cast_possible_truncation,
    reason = "pixel coordinates are clamped to the picture (≤ 32768) before they become integers; angles and sizes are drawn as f32"
)]

use std::sync::Arc;

use proj_frame::{RBBox, VideoFrame, VideoObject};
use tiny_skia::{FillRule, Transform};

use crate::blur::object_sigma;
use crate::error::Result;
use crate::font::{default_font, Font};
use crate::geometry::RectF;
use crate::ops::{DrawOp, Image, Paint};
use crate::raster::{fill_rect, stroke_rect, Raster, Region, Soft};
use crate::shape::{
    circle_path, fill_path, is_sane, poly_path, rect_path, stroke_path, visible_region,
};
use crate::spec::{BBoxSource, Color, LabelDraw, LabelPositionKind, ObjectDraw, ObjectDrawSpec};
use crate::target::ChannelOrder;
use crate::text::{draw_line, measure, FontSet, GlyphCache};

/// A box as drawn: centre, size, angle in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawBox {
    pub cx: f32,
    pub cy: f32,
    pub w: f32,
    pub h: f32,
    pub angle: f32,
}

impl DrawBox {
    pub fn of(bbox: &RBBox) -> Self {
        Self {
            cx: bbox.xc as f32,
            cy: bbox.yc as f32,
            w: bbox.width as f32,
            h: bbox.height as f32,
            angle: bbox.angle.unwrap_or(0.0) as f32,
        }
    }

    /// Rotated enough to matter (the reference's test).
    pub fn is_rotated(&self) -> bool {
        self.angle.abs() > f32::EPSILON
    }

    fn is_finite(&self) -> bool {
        [self.cx, self.cy, self.w, self.h, self.angle]
            .iter()
            .all(|v| v.is_finite())
    }

    /// The axis-aligned box that wraps this one.
    pub fn wrapping(&self) -> RectF {
        let (hw, hh) = if self.is_rotated() {
            let (sin, cos) = self.angle.to_radians().sin_cos();
            let (hw, hh) = (self.w / 2.0, self.h / 2.0);
            (
                hw * cos.abs() + hh * sin.abs(),
                hw * sin.abs() + hh * cos.abs(),
            )
        } else {
            (self.w / 2.0, self.h / 2.0)
        };
        RectF::ltrb(self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh)
    }

    fn transform(&self) -> Transform {
        let t = Transform::from_translate(self.cx, self.cy);
        if self.is_rotated() {
            t.pre_rotate(self.angle)
        } else {
            t
        }
    }
}

/// The box an object is drawn around, per `source`.
pub fn object_box(object: &VideoObject, source: BBoxSource) -> DrawBox {
    match (source, &object.track_box) {
        (BBoxSource::Track, Some(track)) => DrawBox::of(track),
        _ => DrawBox::of(&object.detection_box),
    }
}

/// A renderer: its fonts and glyph cache, kept from frame to frame. One
/// per thread that draws; cheap to keep.
#[derive(Debug)]
pub struct Painter {
    fonts: FontSet,
    glyphs: GlyphCache,
}

impl Painter {
    /// A renderer that writes text in `font` (falling back to the built-in
    /// font for characters it lacks).
    pub fn new(font: Arc<Font>) -> Result<Self> {
        let fallback = default_font()?;
        let fallback = (!Arc::ptr_eq(&fallback, &font)).then_some(fallback);
        Ok(Self {
            fonts: FontSet {
                primary: font,
                fallback,
            },
            glyphs: GlyphCache::default(),
        })
    }

    /// A renderer with the built-in font.
    pub fn with_default_font() -> Result<Self> {
        Self::new(default_font()?)
    }

    /// Glyph masks cached so far.
    pub fn cached_glyphs(&self) -> usize {
        self.glyphs.len()
    }

    pub fn font(&self) -> &Arc<Font> {
        &self.fonts.primary
    }

    /// Draws every object of `frame` that `spec` has an entry for, in id
    /// order; returns how many were drawn.
    pub fn draw_objects(
        &mut self,
        target: &mut impl Raster,
        frame: &VideoFrame,
        spec: &ObjectDrawSpec,
    ) -> usize {
        let mut drawn = 0;
        for object in frame.objects() {
            if let Some(draw) = spec.lookup(&object.namespace, &object.label) {
                self.draw_object(target, object, draw);
                drawn += 1;
            }
        }
        drawn
    }

    /// Draws one object: blur, box, dot, label.
    pub fn draw_object(
        &mut self,
        target: &mut impl Raster,
        object: &VideoObject,
        draw: &ObjectDraw,
    ) {
        let b = object_box(object, draw.bbox_source);
        if !b.is_finite() {
            return;
        }
        if draw.blur {
            self.blur(target, b.w, b.h, b.transform(), object_sigma(b.w, b.h));
        }
        if let Some(bb) = &draw.bounding_box {
            let p = bb.padding;
            let (hw, hh) = (b.w / 2.0, b.h / 2.0);
            let local = RectF::ltrb(
                -hw - p.left as f32,
                -hh - p.top as f32,
                hw + p.right as f32,
                hh + p.bottom as f32,
            );
            let stroke = (bb.thickness > 0).then_some((bb.border_color, bb.thickness as f32));
            let paint = Paint {
                fill: Some(bb.background_color),
                stroke,
            };
            self.rect(target, local, paint, b.transform());
        }
        if let Some(dot) = &draw.central_dot {
            if dot.color.visible() && dot.radius > 0 {
                if let Some(path) =
                    circle_path(b.cx, b.cy, dot.radius as f32, Transform::identity())
                {
                    fill_path(target, &path, FillRule::Winding, dot.color);
                }
            }
        }
        if let Some(label) = &draw.label {
            let lines: Vec<String> = if label.format.is_empty() {
                vec![object
                    .draw_label
                    .clone()
                    .unwrap_or_else(|| object.label.clone())]
            } else {
                label.format.iter().map(|t| t.expand(object)).collect()
            };
            self.label(target, &b, label, &lines);
        }
    }

    /// A label's block, placed against the wrapping box of `b`.
    fn label(
        &mut self,
        target: &mut impl Raster,
        b: &DrawBox,
        label: &LabelDraw,
        lines: &[String],
    ) {
        if lines.is_empty() {
            return;
        }
        let size = label.font_size();
        let line_height = size * 1.25;
        let text_w = self.widest(lines, size);
        let p = label.padding;
        let box_w = text_w + (p.left + p.right) as f32;
        let box_h = line_height * lines.len() as f32 + (p.top + p.bottom) as f32;
        let aabb = b.wrapping();
        let (mx, my) = (
            label.position.margin_x as f32,
            label.position.margin_y as f32,
        );
        let (x, y) = match label.position.kind {
            LabelPositionKind::TopLeftOutside => (aabb.left + mx, aabb.top + my - box_h),
            LabelPositionKind::TopLeftInside => (aabb.left + mx, aabb.top + my),
            LabelPositionKind::Center => (b.cx - box_w / 2.0 + mx, b.cy - box_h / 2.0 + my),
        };
        self.text_block(
            target,
            x,
            y,
            lines,
            size,
            text_w,
            label.font_color,
            label.background_color,
            (label.thickness > 0).then_some((label.border_color, label.thickness as f32)),
            [p.left as f32, p.top as f32, p.right as f32, p.bottom as f32],
        );
    }

    /// The advance width of the widest of `lines` (Skia's `measure_str`).
    fn widest(&mut self, lines: &[impl AsRef<str>], size: f32) -> f32 {
        lines
            .iter()
            .map(|l| measure(&mut self.glyphs, &self.fonts, l.as_ref(), size))
            .fold(0.0f32, f32::max)
    }

    /// Lines of text `text_w` wide (`widest`) in a padded block whose
    /// top-left is (`x`, `y`): background, border, then the lines.
    #[expect(clippy::too_many_arguments, reason = "a label's parts, all used once")]
    fn text_block(
        &mut self,
        target: &mut impl Raster,
        x: f32,
        y: f32,
        lines: &[impl AsRef<str>],
        size: f32,
        text_w: f32,
        color: Color,
        background: Color,
        border: Option<(Color, f32)>,
        [pl, pt, pr, pb]: [f32; 4],
    ) {
        if !(x.is_finite() && y.is_finite() && size.is_finite()) {
            return;
        }
        let line_height = size * 1.25;
        let rect = RectF::xywh(
            x,
            y,
            text_w + pl + pr,
            line_height * lines.len() as f32 + pt + pb,
        );
        fill_rect(target, rect, background);
        if let Some((c, w)) = border {
            stroke_rect(target, rect, w, c);
        }
        let mut baseline = y + pt + size;
        for line in lines {
            draw_line(
                target,
                &mut self.glyphs,
                &self.fonts,
                line.as_ref(),
                x + pl,
                baseline,
                size,
                color,
            );
            baseline += line_height;
        }
    }

    /// A rectangle in local coordinates under `t`: the fast paths when `t`
    /// keeps it axis-aligned with a uniform scale, tiny-skia otherwise.
    fn rect(&mut self, target: &mut impl Raster, local: RectF, paint: Paint, t: Transform) {
        if !local.is_finite() {
            return;
        }
        if let Some(scale) = axis_aligned_scale(&t) {
            let device = map_rect(&t, &local);
            if let Some(fill) = paint.fill {
                fill_rect(target, device, fill);
            }
            if let Some((color, width)) = paint.stroke {
                stroke_rect(target, device, width * scale, color);
            }
            return;
        }
        let Some(path) = rect_path(
            local.left,
            local.top,
            local.width(),
            local.height(),
            Transform::identity(),
        ) else {
            return;
        };
        if let Some(fill) = paint.fill {
            if let Some(device) = path.clone().transform(t) {
                fill_path(target, &device, FillRule::Winding, fill);
            }
        }
        if let Some((color, width)) = paint.stroke {
            stroke_local(target, &path, width, color, t);
        }
    }

    /// Blurs what lies under the rectangle centred at the local origin
    /// (`w × h`) under `t`, clamped at its bounds, with soft (coverage)
    /// edges where the rectangle does not sit on whole pixels.
    fn blur(&mut self, target: &mut impl Raster, w: f32, h: f32, t: Transform, sigma: f32) {
        self.blur_rect(
            target,
            RectF::ltrb(-w / 2.0, -h / 2.0, w / 2.0, h / 2.0),
            t,
            sigma,
        );
    }

    fn blur_rect(&mut self, target: &mut impl Raster, local: RectF, t: Transform, sigma: f32) {
        if !local.is_drawable() || !sigma.is_finite() || sigma <= 0.0 {
            return;
        }
        let Some(path) =
            rect_path(local.left, local.top, local.width(), local.height(), t).filter(is_sane)
        else {
            return;
        };
        let Some(region) = visible_region(&path, target.width(), target.height()) else {
            return;
        };
        let Region { x0, y0, .. } = region;
        // Where the rectangle covers whole pixels the blur replaces them;
        // at soft edges (fractional or rotated) it is mixed in by coverage.
        match axis_aligned_scale(&t).map(|_| map_rect(&t, &local)) {
            Some(d) => {
                let on_grid = |v: f32| v == v.round();
                let whole =
                    on_grid(d.left) && on_grid(d.top) && on_grid(d.right) && on_grid(d.bottom);
                target.blur(
                    region,
                    sigma,
                    if whole { Soft::Whole } else { Soft::Aligned(d) },
                );
            }
            None => {
                let Some(mut mask) =
                    tiny_skia::Mask::new(region.width() as u32, region.height() as u32)
                else {
                    return;
                };
                mask.fill_path(
                    &path,
                    FillRule::Winding,
                    true,
                    Transform::from_translate(-x0 as f32, -y0 as f32),
                );
                target.blur(region, sigma, Soft::Mask(mask.data()));
            }
        }
    }

    /// Executes a custom draw list.
    pub fn draw_list(&mut self, target: &mut impl Raster, ops: &[DrawOp]) {
        let mut stack: Vec<Transform> = Vec::new();
        let mut t = Transform::identity();
        for op in ops {
            match op {
                DrawOp::Save => stack.push(t),
                DrawOp::Restore => t = stack.pop().unwrap_or_default(),
                DrawOp::Translate(x, y) => t = t.pre_translate(*x, *y),
                DrawOp::Rotate(deg) => t = t.pre_rotate(*deg),
                DrawOp::Scale(sx, sy) => t = t.pre_scale(*sx, *sy),
                DrawOp::Rect { x, y, w, h, paint } => {
                    let r = RectF::xywh(*x, *y, *w, *h);
                    let r = RectF::ltrb(
                        r.left.min(r.right),
                        r.top.min(r.bottom),
                        r.left.max(r.right),
                        r.top.max(r.bottom),
                    );
                    self.rect(target, r, *paint, t);
                }
                DrawOp::Line {
                    x0,
                    y0,
                    x1,
                    y1,
                    color,
                    width,
                } => {
                    if let Some(path) =
                        poly_path(&[(*x0, *y0), (*x1, *y1)], false, Transform::identity())
                    {
                        stroke_local(target, &path, *width, *color, t);
                    }
                }
                DrawOp::Poly {
                    points,
                    closed,
                    paint,
                } => {
                    if let Some(path) = poly_path(points, *closed, Transform::identity()) {
                        if let (Some(fill), Some(device)) = (paint.fill, path.clone().transform(t))
                        {
                            fill_path(target, &device, FillRule::Winding, fill);
                        }
                        if let Some((color, width)) = paint.stroke {
                            stroke_local(target, &path, width, color, t);
                        }
                    }
                }
                DrawOp::Circle { cx, cy, r, paint } => {
                    if let Some(path) = circle_path(*cx, *cy, *r, Transform::identity()) {
                        if let (Some(fill), Some(device)) = (paint.fill, path.clone().transform(t))
                        {
                            fill_path(target, &device, FillRule::Winding, fill);
                        }
                        if let Some((color, width)) = paint.stroke {
                            stroke_local(target, &path, width, color, t);
                        }
                    }
                }
                DrawOp::Text {
                    x,
                    y,
                    size,
                    color,
                    background,
                    padding,
                    text,
                } => {
                    // Text stays upright: its anchor follows the transform
                    // and its size the transform's scale.
                    let scale = t.get_scale();
                    let scale = (scale.0 * scale.1).sqrt();
                    let mut anchor = tiny_skia::Point::from_xy(*x, *y);
                    t.map_points(std::slice::from_mut(&mut anchor));
                    let lines: Vec<&str> = text.split('\n').collect();
                    let pad = padding.max(0.0) * scale;
                    let size = size * scale;
                    let text_w = self.widest(&lines, size);
                    self.text_block(
                        target,
                        anchor.x,
                        anchor.y,
                        &lines,
                        size,
                        text_w,
                        *color,
                        background.unwrap_or(Color::TRANSPARENT),
                        None,
                        [pad; 4],
                    );
                }
                DrawOp::Image { x, y, w, h, image } => {
                    draw_image(target, image, RectF::xywh(*x, *y, *w, *h), t)
                }
                DrawOp::Blur { x, y, w, h, sigma } => {
                    let sigma = if *sigma > 0.0 {
                        *sigma
                    } else {
                        object_sigma(w.abs(), h.abs())
                    };
                    self.blur_rect(target, RectF::xywh(*x, *y, *w, *h), t, sigma);
                }
            }
        }
    }
}

/// The uniform scale of `t` when it keeps rectangles axis-aligned and
/// uniform (translate, uniform scale, flips), else `None`.
fn axis_aligned_scale(t: &Transform) -> Option<f32> {
    (t.kx == 0.0 && t.ky == 0.0 && t.sx.abs() == t.sy.abs() && t.sx != 0.0 && t.sx.is_finite())
        .then_some(t.sx.abs())
}

fn map_rect(t: &Transform, r: &RectF) -> RectF {
    let (x0, y0) = (r.left * t.sx + t.tx, r.top * t.sy + t.ty);
    let (x1, y1) = (r.right * t.sx + t.tx, r.bottom * t.sy + t.ty);
    RectF::ltrb(x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1))
}

/// Strokes in local coordinates, then maps the outline (so a scaled
/// stroke scales its width, as Skia's does).
fn stroke_local(
    target: &mut impl Raster,
    path: &tiny_skia::Path,
    width: f32,
    color: Color,
    t: Transform,
) {
    if t.is_identity() {
        stroke_path(target, path, width, color);
        return;
    }
    let stroke = tiny_skia::Stroke {
        width,
        ..tiny_skia::Stroke::default()
    };
    if !(width > 0.0 && width.is_finite() && is_sane(path)) {
        return;
    }
    if let Some(device) = path.stroke(&stroke, 1.0).and_then(|o| o.transform(t)) {
        fill_path(target, &device, FillRule::Winding, color);
    }
}

/// Draws an RGBA image (straight alpha) into `dst` (local coordinates)
/// with bilinear filtering, composited source-over.
fn draw_image(target: &mut impl Raster, image: &Image, dst: RectF, t: Transform) {
    use tiny_skia::{FilterQuality, Paint as SkPaint, Pattern, Pixmap, SpreadMode};
    if !dst.is_drawable() {
        return;
    }
    let Some(mut source) = Pixmap::new(image.width, image.height) else {
        return;
    };
    for (d, s) in source
        .pixels_mut()
        .iter_mut()
        .zip(image.rgba.chunks_exact(4))
    {
        *d = tiny_skia::ColorU8::from_rgba(s[0], s[1], s[2], s[3]).premultiply();
    }
    let Some(path) = rect_path(dst.left, dst.top, dst.width(), dst.height(), t).filter(is_sane)
    else {
        return;
    };
    let Some(region) = visible_region(&path, target.width(), target.height()) else {
        return;
    };
    let Region { x0, y0, .. } = region;
    let Some(mut layer) = Pixmap::new(region.width() as u32, region.height() as u32) else {
        return;
    };
    let to_dst = Transform::from_row(
        dst.width() / image.width as f32,
        0.0,
        0.0,
        dst.height() / image.height as f32,
        dst.left,
        dst.top,
    );
    let paint = SkPaint {
        shader: Pattern::new(
            source.as_ref(),
            SpreadMode::Pad,
            FilterQuality::Bilinear,
            1.0,
            to_dst,
        ),
        anti_alias: true,
        ..SkPaint::default()
    };
    let Some(local) = tiny_skia::Rect::from_ltrb(dst.left, dst.top, dst.right, dst.bottom) else {
        return;
    };
    layer.fill_rect(
        local,
        &paint,
        t.post_translate(-x0 as f32, -y0 as f32),
        None,
    );
    let mut pixels = layer.take();
    if target.order() == ChannelOrder::Bgra {
        for p in pixels.chunks_exact_mut(4) {
            p.swap(0, 2);
        }
    }
    target.composite(&pixels, region);
}
