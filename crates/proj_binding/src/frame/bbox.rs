use napi_derive::napi;
use proj_frame::{RBBox, Result};

/// A box by centre, size and optional rotation in degrees.
#[napi(object)]
#[derive(Debug, Clone, Copy)]
pub struct RBBoxJs {
    pub xc: f64,
    pub yc: f64,
    pub width: f64,
    pub height: f64,
    pub angle: Option<f64>,
}

impl RBBoxJs {
    pub fn into_model(self) -> Result<RBBox> {
        RBBox::new(self.xc, self.yc, self.width, self.height, self.angle)
    }
}

impl From<RBBox> for RBBoxJs {
    fn from(b: RBBox) -> Self {
        Self {
            xc: b.xc,
            yc: b.yc,
            width: b.width,
            height: b.height,
            angle: b.angle,
        }
    }
}
