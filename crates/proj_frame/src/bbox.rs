use crate::error::invalid;
use crate::Result;

/// A box given by its centre, size and optional rotation in degrees
/// (clockwise, as image coordinates grow down). Without an angle it is
/// axis-aligned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RBBox {
    pub xc: f64,
    pub yc: f64,
    pub width: f64,
    pub height: f64,
    pub angle: Option<f64>,
}

impl RBBox {
    /// Coordinates must be finite, sizes non-negative.
    pub fn new(xc: f64, yc: f64, width: f64, height: f64, angle: Option<f64>) -> Result<Self> {
        let finite = [xc, yc, width, height, angle.unwrap_or(0.0)]
            .iter()
            .all(|v| v.is_finite());
        if !finite {
            return Err(invalid("box", "coordinates must be finite numbers"));
        }
        if width < 0.0 || height < 0.0 {
            return Err(invalid(
                "box",
                format!("size {width}x{height} must not be negative"),
            ));
        }
        Ok(Self {
            xc,
            yc,
            width,
            height,
            angle,
        })
    }

    /// An axis-aligned box from its left-top corner.
    pub fn from_ltwh(left: f64, top: f64, width: f64, height: f64) -> Result<Self> {
        Self::new(left + width / 2.0, top + height / 2.0, width, height, None)
    }

    fn radians(&self) -> f64 {
        self.angle.unwrap_or(0.0).to_radians()
    }

    /// Corners, clockwise from the (unrotated) left-top one.
    pub fn vertices(&self) -> [(f64, f64); 4] {
        let (sin, cos) = self.radians().sin_cos();
        let (hw, hh) = (self.width / 2.0, self.height / 2.0);
        [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
            .map(|(x, y)| (self.xc + x * cos - y * sin, self.yc + x * sin + y * cos))
    }

    /// The smallest axis-aligned box that holds this one.
    pub fn wrapping_box(&self) -> Self {
        let vertices = self.vertices();
        let (mut left, mut top) = (f64::INFINITY, f64::INFINITY);
        let (mut right, mut bottom) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (x, y) in vertices {
            left = left.min(x);
            top = top.min(y);
            right = right.max(x);
            bottom = bottom.max(y);
        }
        Self {
            xc: (left + right) / 2.0,
            yc: (top + bottom) / 2.0,
            width: right - left,
            height: bottom - top,
            angle: None,
        }
    }

    pub fn area(&self) -> f64 {
        self.width * self.height
    }

    /// Scales the box about the origin by `sx` horizontally and `sy`
    /// vertically. A rotated box under unequal scales becomes a
    /// parallelogram; it is replaced by the rectangle along the scaled width
    /// side with the parallelogram's area. Unlike the reference's rule this
    /// one is exactly undone by scaling with `1/sx, 1/sy`, so boxes survive
    /// a transform forward and back.
    pub fn scale(&self, sx: f64, sy: f64) -> Self {
        let (xc, yc) = (self.xc * sx, self.yc * sy);
        match self.angle {
            None => Self {
                xc,
                yc,
                width: self.width * sx.abs(),
                height: self.height * sy.abs(),
                angle: None,
            },
            Some(angle) => {
                let (sin, cos) = angle.to_radians().sin_cos();
                let stretch = (sx * cos).hypot(sy * sin);
                if stretch == 0.0 {
                    return Self {
                        xc,
                        yc,
                        width: 0.0,
                        height: 0.0,
                        angle: self.angle,
                    };
                }
                Self {
                    xc,
                    yc,
                    width: self.width * stretch,
                    height: self.height * (sx * sy).abs() / stretch,
                    angle: Some((sy * sin).atan2(sx * cos).to_degrees()),
                }
            }
        }
    }

    pub fn shift(&self, dx: f64, dy: f64) -> Self {
        Self {
            xc: self.xc + dx,
            yc: self.yc + dy,
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn validates() {
        assert!(RBBox::new(0.0, 0.0, -1.0, 1.0, None).is_err());
        assert!(RBBox::new(f64::NAN, 0.0, 1.0, 1.0, None).is_err());
        assert!(RBBox::new(0.0, 0.0, 1.0, 1.0, Some(f64::INFINITY)).is_err());
        assert!(RBBox::new(0.0, 0.0, 0.0, 0.0, None).is_ok());
    }

    #[test]
    fn rotated_box_wraps_and_scales() -> Result<()> {
        let b = RBBox::new(10.0, 10.0, 4.0, 2.0, Some(90.0))?;
        let w = b.wrapping_box();
        assert!(close(w.width, 2.0) && close(w.height, 4.0));
        // Equal scales keep the angle and scale both sides.
        let s = b.scale(2.0, 2.0);
        assert!(close(s.width, 8.0) && close(s.height, 4.0));
        assert!(close(s.angle.unwrap_or(0.0), 90.0));
        // Stretching x does not change a box standing on its side's width.
        let s = b.scale(3.0, 1.0);
        assert!(close(s.width, 4.0) && close(s.height, 6.0), "{s:?}");
        Ok(())
    }

    #[test]
    fn axis_aligned_box_from_corner() -> Result<()> {
        let b = RBBox::from_ltwh(10.0, 20.0, 30.0, 40.0)?;
        assert_eq!((b.xc, b.yc), (25.0, 40.0));
        assert_eq!(b.vertices()[0], (10.0, 20.0));
        assert_eq!(b.vertices()[2], (40.0, 60.0));
        Ok(())
    }
}
