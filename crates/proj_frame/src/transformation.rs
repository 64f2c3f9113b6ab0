use crate::{FrameError, RBBox, Result};

/// One step between the camera's picture and the picture a frame describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformation {
    /// The picture as it came: width, height. Always first in a chain.
    InitialSize { width: u64, height: u64 },
    /// Scaled into the inner rectangle `outer − padding` and padded out to
    /// `outer` (a letterbox, or a stretch when the inner aspect differs).
    LetterBox {
        outer_width: u64,
        outer_height: u64,
        left: u64,
        top: u64,
        right: u64,
        bottom: u64,
    },
    /// Borders added around the picture.
    Padding {
        left: u64,
        top: u64,
        right: u64,
        bottom: u64,
    },
    /// Borders removed from the picture.
    Crop {
        left: u64,
        top: u64,
        right: u64,
        bottom: u64,
    },
}

/// `(x, y) → (sx·x + tx, sy·y + ty)`: every chain is one of these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub sx: f64,
    pub sy: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Affine {
    pub const IDENTITY: Self = Self {
        sx: 1.0,
        sy: 1.0,
        tx: 0.0,
        ty: 0.0,
    };

    /// `self` followed by `next`.
    pub fn then(self, next: Self) -> Self {
        Self {
            sx: next.sx * self.sx,
            sy: next.sy * self.sy,
            tx: next.sx * self.tx + next.tx,
            ty: next.sy * self.ty + next.ty,
        }
    }

    /// The inverse; scales are never zero in a valid chain.
    pub fn inverse(self) -> Self {
        Self {
            sx: 1.0 / self.sx,
            sy: 1.0 / self.sy,
            tx: -self.tx / self.sx,
            ty: -self.ty / self.sy,
        }
    }

    pub fn apply_point(self, (x, y): (f64, f64)) -> (f64, f64) {
        (self.sx * x + self.tx, self.sy * y + self.ty)
    }

    pub fn apply(self, bbox: &RBBox) -> RBBox {
        bbox.scale(self.sx, self.sy).shift(self.tx, self.ty)
    }
}

/// What a chain adds up to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainGeometry {
    pub initial_size: (u64, u64),
    pub current_size: (u64, u64),
    /// Initial coordinates → current coordinates.
    pub affine: Affine,
}

impl ChainGeometry {
    /// Checks a chain and folds it: it must start with `InitialSize` (and
    /// hold no other), and every step must leave a picture of at least one
    /// pixel.
    pub fn of(chain: &[Transformation]) -> Result<Self> {
        let fail = |reason: String| FrameError::InvalidTransformation { reason };
        let Some((Transformation::InitialSize { width, height }, rest)) = chain.split_first()
        else {
            return Err(fail("it must start with InitialSize".into()));
        };
        if *width == 0 || *height == 0 {
            return Err(fail(format!("InitialSize {width}x{height} is empty")));
        }
        let mut geometry = Self {
            initial_size: (*width, *height),
            current_size: (*width, *height),
            affine: Affine::IDENTITY,
        };
        for step in rest {
            geometry = geometry.then(step).map_err(fail)?;
        }
        Ok(geometry)
    }

    fn then(self, step: &Transformation) -> std::result::Result<Self, String> {
        let (w, h) = self.current_size;
        let (size, affine) = match *step {
            Transformation::InitialSize { .. } => {
                return Err("InitialSize can only be the first step".into())
            }
            Transformation::LetterBox {
                outer_width,
                outer_height,
                left,
                top,
                right,
                bottom,
            } => {
                let inner_w = sub(outer_width, left.saturating_add(right), "LetterBox width")?;
                let inner_h = sub(outer_height, top.saturating_add(bottom), "LetterBox height")?;
                let affine = Affine {
                    sx: inner_w as f64 / w as f64,
                    sy: inner_h as f64 / h as f64,
                    tx: left as f64,
                    ty: top as f64,
                };
                ((outer_width, outer_height), affine)
            }
            Transformation::Padding {
                left,
                top,
                right,
                bottom,
            } => {
                let size = (
                    add(w, left, right, "Padding")?,
                    add(h, top, bottom, "Padding")?,
                );
                (size, shift(left as f64, top as f64))
            }
            Transformation::Crop {
                left,
                top,
                right,
                bottom,
            } => {
                let size = (
                    sub(w, left.saturating_add(right), "Crop width")?,
                    sub(h, top.saturating_add(bottom), "Crop height")?,
                );
                (size, shift(-(left as f64), -(top as f64)))
            }
        };
        Ok(Self {
            initial_size: self.initial_size,
            current_size: size,
            affine: self.affine.then(affine),
        })
    }
}

fn shift(tx: f64, ty: f64) -> Affine {
    Affine {
        tx,
        ty,
        ..Affine::IDENTITY
    }
}

fn sub(total: u64, taken: u64, what: &str) -> std::result::Result<u64, String> {
    total
        .checked_sub(taken)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("{what}: {taken} px of borders leave nothing of {total} px"))
}

fn add(size: u64, a: u64, b: u64, what: &str) -> std::result::Result<u64, String> {
    size.checked_add(a)
        .and_then(|v| v.checked_add(b))
        .ok_or_else(|| format!("{what} overflows"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const INITIAL: Transformation = Transformation::InitialSize {
        width: 800,
        height: 600,
    };

    #[test]
    fn design_example_800x600_into_800x800() -> Result<()> {
        // Symmetric letterbox: 800x600 scaled to 800x600, 100 px top and bottom.
        let chain = [
            INITIAL,
            Transformation::LetterBox {
                outer_width: 800,
                outer_height: 800,
                left: 0,
                top: 100,
                right: 0,
                bottom: 100,
            },
        ];
        let g = ChainGeometry::of(&chain)?;
        assert_eq!(g.current_size, (800, 800));
        let moved = g
            .affine
            .apply(&RBBox::new(400.0, 300.0, 100.0, 50.0, None)?);
        assert!(close(moved.xc, 400.0) && close(moved.yc, 400.0));
        assert!(close(moved.width, 100.0) && close(moved.height, 50.0));
        Ok(())
    }

    #[test]
    fn chains_compose_and_invert() -> Result<()> {
        let chain = [
            Transformation::InitialSize {
                width: 1920,
                height: 1080,
            },
            Transformation::Crop {
                left: 100,
                top: 50,
                right: 100,
                bottom: 50,
            },
            Transformation::LetterBox {
                outer_width: 660,
                outer_height: 500,
                left: 10,
                top: 10,
                right: 10,
                bottom: 10,
            },
            Transformation::Padding {
                left: 5,
                top: 7,
                right: 5,
                bottom: 7,
            },
        ];
        let g = ChainGeometry::of(&chain)?;
        assert_eq!(g.current_size, (670, 514));
        let (x, y) = g.affine.apply_point((100.0, 50.0));
        assert!(
            close(x, 15.0) && close(y, 17.0),
            "crop corner lands at the padding: {x},{y}"
        );
        let b = RBBox::new(960.0, 540.0, 200.0, 100.0, Some(30.0))?;
        let back = g.affine.inverse().apply(&g.affine.apply(&b));
        assert!(close(back.xc, b.xc) && close(back.yc, b.yc));
        assert!(close(back.width, b.width) && close(back.height, b.height));
        assert!(close(back.angle.unwrap_or(0.0), 30.0));
        Ok(())
    }

    #[test]
    fn rejects_bad_chains() {
        let crop_all = Transformation::Crop {
            left: 400,
            top: 0,
            right: 400,
            bottom: 0,
        };
        let pad = Transformation::Padding {
            left: 1,
            top: 1,
            right: 1,
            bottom: 1,
        };
        for chain in [
            &[][..],
            &[pad][..],
            &[INITIAL, INITIAL][..],
            &[INITIAL, crop_all][..],
            &[Transformation::InitialSize {
                width: 0,
                height: 10,
            }][..],
        ] {
            assert!(
                matches!(
                    ChainGeometry::of(chain),
                    Err(FrameError::InvalidTransformation { .. })
                ),
                "{chain:?}"
            );
        }
    }
}
