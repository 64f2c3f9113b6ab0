use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use proj_frame::{self as pf, Result};

use crate::frame::attribute::invalid;

/// Where a frame's picture is: `internal` (data), `external` (method,
/// location) or `none`.
#[napi(object)]
#[expect(missing_debug_implementations, reason = "napi's Buffer has no Debug")]
pub struct FrameContent {
    pub kind: String,
    pub data: Option<Buffer>,
    pub method: Option<String>,
    pub location: Option<String>,
}

impl FrameContent {
    pub fn into_model(self) -> Result<pf::FrameContent> {
        match self.kind.as_str() {
            "internal" => Ok(pf::FrameContent::Internal(
                self.data.map(|d| d.to_vec()).unwrap_or_default(),
            )),
            "external" => Ok(pf::FrameContent::External {
                method: self
                    .method
                    .ok_or_else(|| invalid("content", "external content needs a method"))?,
                location: self.location,
            }),
            "none" => Ok(pf::FrameContent::None),
            other => Err(invalid(
                "content",
                format!("unknown kind {other:?}; expected internal, external or none"),
            )),
        }
    }

    pub fn from_model(content: &pf::FrameContent) -> Self {
        let (kind, data, method, location) = match content {
            pf::FrameContent::Internal(data) => ("internal", Some(data.clone().into()), None, None),
            pf::FrameContent::External { method, location } => {
                ("external", None, Some(method.clone()), location.clone())
            }
            pf::FrameContent::None => ("none", None, None, None),
        };
        Self {
            kind: kind.into(),
            data,
            method,
            location,
        }
    }
}
