use napi_derive::napi;
use proj_frame::{self as pf, FrameError, Result};

use crate::convert::saturating_u32;

/// One step of a frame's transformation chain; `kind` says which fields
/// apply: `initial_size` (width, height), `letter_box` (outerWidth,
/// outerHeight, left, top, right, bottom), `padding` and `crop` (left, top,
/// right, bottom).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct Transformation {
    pub kind: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub outer_width: Option<u32>,
    pub outer_height: Option<u32>,
    pub left: Option<u32>,
    pub top: Option<u32>,
    pub right: Option<u32>,
    pub bottom: Option<u32>,
}

impl Transformation {
    pub fn into_model(self) -> Result<pf::Transformation> {
        let need = |value: Option<u32>, field: &str| {
            value
                .map(u64::from)
                .ok_or_else(|| FrameError::InvalidTransformation {
                    reason: format!("{} needs {field}", self.kind),
                })
        };
        let [left, top, right, bottom] =
            [self.left, self.top, self.right, self.bottom].map(|v| v.map_or(0, u64::from));
        Ok(match self.kind.as_str() {
            "initial_size" => pf::Transformation::InitialSize {
                width: need(self.width, "width")?,
                height: need(self.height, "height")?,
            },
            "letter_box" => pf::Transformation::LetterBox {
                outer_width: need(self.outer_width, "outerWidth")?,
                outer_height: need(self.outer_height, "outerHeight")?,
                left,
                top,
                right,
                bottom,
            },
            "padding" => pf::Transformation::Padding {
                left,
                top,
                right,
                bottom,
            },
            "crop" => pf::Transformation::Crop {
                left,
                top,
                right,
                bottom,
            },
            other => {
                return Err(FrameError::InvalidTransformation {
                    reason: format!(
                        "unknown kind {other:?}; expected initial_size, letter_box, padding or crop"
                    ),
                })
            }
        })
    }
}

fn small(value: u64) -> Option<u32> {
    Some(saturating_u32(value))
}

impl From<pf::Transformation> for Transformation {
    fn from(t: pf::Transformation) -> Self {
        match t {
            pf::Transformation::InitialSize { width, height } => Self {
                kind: "initial_size".into(),
                width: small(width),
                height: small(height),
                ..Self::default()
            },
            pf::Transformation::LetterBox {
                outer_width,
                outer_height,
                left,
                top,
                right,
                bottom,
            } => Self {
                kind: "letter_box".into(),
                outer_width: small(outer_width),
                outer_height: small(outer_height),
                ..sides("letter_box", left, top, right, bottom)
            },
            pf::Transformation::Padding {
                left,
                top,
                right,
                bottom,
            } => sides("padding", left, top, right, bottom),
            pf::Transformation::Crop {
                left,
                top,
                right,
                bottom,
            } => sides("crop", left, top, right, bottom),
        }
    }
}

fn sides(kind: &str, left: u64, top: u64, right: u64, bottom: u64) -> Transformation {
    Transformation {
        kind: kind.into(),
        left: small(left),
        top: small(top),
        right: small(right),
        bottom: small(bottom),
        ..Transformation::default()
    }
}
