use napi_derive::napi;
use proj_frame::{self as pf, Result};
/// A box by centre, size and optional rotation in degrees.
#[napi(object)]
#[derive(Debug, Clone, Copy)]
pub struct RbBox {
    pub xc: f64,
    pub yc: f64,
    pub width: f64,
    pub height: f64,
    pub angle: Option<f64>,
}

impl RbBox {
    pub fn into_model(self) -> Result<pf::RBBox> {
        pf::RBBox::new(self.xc, self.yc, self.width, self.height, self.angle)
    }
}

impl From<pf::RBBox> for RbBox {
    fn from(b: pf::RBBox) -> Self {
        Self {
            xc: b.xc,
            yc: b.yc,
            width: b.width,
            height: b.height,
            angle: b.angle,
        }
    }
}
