//! Float rectangles and the exact area coverage of axis-aligned ones.

/// An axis-aligned rectangle, `left ≤ right`, `top ≤ bottom` when valid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RectF {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl RectF {
    pub fn ltrb(left: f32, top: f32, right: f32, bottom: f32) -> Self {
        Self {
            left,
            top,
            right,
            bottom,
        }
    }

    pub fn xywh(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self::ltrb(x, y, x + w, y + h)
    }

    pub fn width(&self) -> f32 {
        self.right - self.left
    }

    pub fn height(&self) -> f32 {
        self.bottom - self.top
    }

    pub fn is_finite(&self) -> bool {
        self.left.is_finite()
            && self.top.is_finite()
            && self.right.is_finite()
            && self.bottom.is_finite()
    }

    /// Finite with a positive area.
    pub fn is_drawable(&self) -> bool {
        self.is_finite() && self.right > self.left && self.bottom > self.top
    }

    /// Grown by `d` on every side (shrunk when `d < 0`).
    pub fn outset(&self, d: f32) -> Self {
        Self::ltrb(self.left - d, self.top - d, self.right + d, self.bottom + d)
    }

    pub fn intersect(&self, other: &Self) -> Self {
        Self::ltrb(
            self.left.max(other.left),
            self.top.max(other.top),
            self.right.min(other.right),
            self.bottom.min(other.bottom),
        )
    }
}

/// How much of pixel `[p, p + 1)` lies inside `[a, b)`, 0–1.
#[inline]
pub fn overlap(p: i64, a: f32, b: f32) -> f32 {
    let p = p as f32;
    ((b.min(p + 1.0) - a.max(p)).clamp(0.0, 1.0)).max(0.0)
}
