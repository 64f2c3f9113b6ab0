use crate::error::invalid;
use crate::{BuffersError, Result};

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    pub top: u32,
    pub left: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn new(top: u32, left: u32, width: u32, height: u32) -> Self {
        Self {
            top,
            left,
            width,
            height,
        }
    }

    pub fn whole(width: u32, height: u32) -> Self {
        Self::new(0, 0, width, height)
    }

    /// Non-empty and inside a `width × height` surface.
    pub fn check_within(&self, name: &'static str, width: u32, height: u32) -> Result<()> {
        let right = u64::from(self.left) + u64::from(self.width);
        let bottom = u64::from(self.top) + u64::from(self.height);
        if self.width == 0
            || self.height == 0
            || right > u64::from(width)
            || bottom > u64::from(height)
        {
            return Err(invalid(
                name,
                format!("{self:?} is empty or outside the {width}x{height} surface"),
            ));
        }
        Ok(())
    }
}

/// Where the scaled picture goes in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Padding {
    /// Stretch to fill; the aspect ratio may change.
    None,
    /// Keep the aspect ratio; the picture at the left-top, bars right and
    /// bottom.
    RightBottom,
    /// Keep the aspect ratio; the picture centred.
    #[default]
    Symmetric,
}

impl Padding {
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "right_bottom" | "rightbottom" => Ok(Self::RightBottom),
            "symmetric" => Ok(Self::Symmetric),
            _ => Err(BuffersError::UnknownName {
                what: "padding",
                name: name.into(),
                expected: "none, right_bottom, symmetric",
            }),
        }
    }
}

/// Destination borders kept out of the transform (e.g. a model input whose
/// right part is reserved). The effective destination starts at
/// `(left, top)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DstPadding {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

/// The smallest side of the effective destination.
pub const MIN_EFFECTIVE_SIDE: u32 = 16;

/// Where a transform reads and writes, as the reference computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Read from here in the source.
    pub src: Rect,
    /// The destination minus its padding.
    pub effective: Rect,
    /// Write the scaled picture here; the rest of the destination is black.
    pub dst: Rect,
}

impl Placement {
    /// The frame-model letterbox step for this placement: outer size and the
    /// four bars around the picture.
    pub fn letterbox(&self, dst_width: u32, dst_height: u32) -> [u32; 6] {
        let right = dst_width - self.dst.left - self.dst.width;
        let bottom = dst_height - self.dst.top - self.dst.height;
        [
            dst_width,
            dst_height,
            self.dst.left,
            self.dst.top,
            right,
            bottom,
        ]
    }
}

/// Scale + letterbox geometry (design brief §6).
pub fn place(
    src_size: (u32, u32),
    src_rect: Option<Rect>,
    dst_size: (u32, u32),
    padding: Padding,
    dst_padding: DstPadding,
) -> Result<Placement> {
    let src = src_rect.unwrap_or(Rect::whole(src_size.0, src_size.1));
    src.check_within("srcRect", src_size.0, src_size.1)?;
    let (dw, dh) = dst_size;
    let eff_w = dw
        .checked_sub(dst_padding.left.saturating_add(dst_padding.right))
        .filter(|&w| w >= MIN_EFFECTIVE_SIDE);
    let eff_h = dh
        .checked_sub(dst_padding.top.saturating_add(dst_padding.bottom))
        .filter(|&h| h >= MIN_EFFECTIVE_SIDE);
    let (Some(eff_w), Some(eff_h)) = (eff_w, eff_h) else {
        return Err(invalid(
            "dstPadding",
            format!(
                "{dst_padding:?} leaves less than {MIN_EFFECTIVE_SIDE} px of the {dw}x{dh} destination"
            ),
        ));
    };
    let effective = Rect::new(dst_padding.top, dst_padding.left, eff_w, eff_h);
    let (w, h) = match padding {
        Padding::None => (eff_w, eff_h),
        Padding::RightBottom | Padding::Symmetric => {
            let aspect = f64::from(src.width) / f64::from(src.height);
            let eff_aspect = f64::from(eff_w) / f64::from(eff_h);
            if aspect > eff_aspect {
                (eff_w, round_side(f64::from(eff_w) / aspect, eff_h))
            } else {
                (round_side(f64::from(eff_h) * aspect, eff_w), eff_h)
            }
        }
    };
    let (left, top) = match padding {
        Padding::Symmetric => ((eff_w - w) / 2, (eff_h - h) / 2),
        Padding::None | Padding::RightBottom => (0, 0),
    };
    Ok(Placement {
        src,
        effective,
        dst: Rect::new(effective.top + top, effective.left + left, w, h),
    })
}

/// Rounds to a whole pixel count between 1 and `max`.
fn round_side(value: f64, max: u32) -> u32 {
    // The value is between 0 and `max` by construction.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rounded, non-negative side no larger than the destination"
    )]
    let side = value.round() as u32;
    side.clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_example_800x600_into_800x800() -> Result<()> {
        let p = place(
            (800, 600),
            None,
            (800, 800),
            Padding::Symmetric,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(100, 0, 800, 600));
        assert_eq!(p.letterbox(800, 800), [800, 800, 0, 100, 0, 100]);
        let p = place(
            (800, 600),
            None,
            (800, 800),
            Padding::RightBottom,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(0, 0, 800, 600));
        let p = place(
            (800, 600),
            None,
            (800, 800),
            Padding::None,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(0, 0, 800, 800));
        Ok(())
    }

    #[test]
    fn hd_into_model_input_rounds_and_floors() -> Result<()> {
        // 1920x1080 → 640x640: 640x360, bars of 140.
        let p = place(
            (1920, 1080),
            None,
            (640, 640),
            Padding::Symmetric,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(140, 0, 640, 360));
        // Tall source: 1080x1920 → 640x640: 360x640 centred.
        let p = place(
            (1080, 1920),
            None,
            (640, 640),
            Padding::Symmetric,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(0, 140, 360, 640));
        // An odd remainder floors: 1000x999 into 101x101 → 101x101.
        let p = place(
            (1000, 333),
            None,
            (101, 101),
            Padding::Symmetric,
            DstPadding::default(),
        )?;
        assert_eq!(p.dst, Rect::new(33, 0, 101, 34));
        Ok(())
    }

    #[test]
    fn source_crop_and_destination_padding() -> Result<()> {
        let crop = Rect::new(100, 200, 400, 400);
        let pad = DstPadding {
            left: 10,
            top: 20,
            right: 30,
            bottom: 40,
        };
        let p = place(
            (1920, 1080),
            Some(crop),
            (640, 640),
            Padding::Symmetric,
            pad,
        )?;
        assert_eq!(p.src, crop);
        assert_eq!(p.effective, Rect::new(20, 10, 600, 580));
        assert_eq!(p.dst, Rect::new(20, 20, 580, 580));
        Ok(())
    }

    #[test]
    fn rejects_what_cannot_be_placed() {
        let too_much = DstPadding {
            left: 300,
            right: 325,
            ..DstPadding::default()
        };
        assert!(place((100, 100), None, (640, 640), Padding::Symmetric, too_much).is_err());
        assert!(place(
            (100, 100),
            None,
            (15, 640),
            Padding::Symmetric,
            DstPadding::default()
        )
        .is_err());
        assert!(place(
            (100, 100),
            Some(Rect::new(0, 50, 51, 10)),
            (64, 64),
            Padding::None,
            DstPadding::default()
        )
        .is_err());
        assert!(place(
            (100, 100),
            None,
            (16, 16),
            Padding::None,
            DstPadding::default()
        )
        .is_ok());
    }
}
