use napi_derive::napi;
use proj_frame::{self as pf, Result};

use crate::frame::attribute::Attribute;
use crate::frame::bbox::RbBox;

/// A detected object. `id` may be left out when adding (the frame picks
/// the next free one).
#[napi(object)]
#[expect(missing_debug_implementations, reason = "napi's Buffer has no Debug")]
pub struct VideoObject {
    pub id: Option<i64>,
    pub namespace: String,
    pub label: String,
    pub draw_label: Option<String>,
    pub detection_box: RbBox,
    pub confidence: Option<f64>,
    pub parent_id: Option<i64>,
    pub track_id: Option<i64>,
    pub track_box: Option<RbBox>,
    pub attributes: Option<Vec<Attribute>>,
}

impl VideoObject {
    pub fn into_model(self, default_id: i64) -> Result<pf::VideoObject> {
        Ok(pf::VideoObject {
            id: self.id.unwrap_or(default_id),
            namespace: self.namespace,
            label: self.label,
            draw_label: self.draw_label,
            detection_box: self.detection_box.into_model()?,
            confidence: self.confidence,
            parent_id: self.parent_id,
            track_id: self.track_id,
            track_box: self.track_box.map(RbBox::into_model).transpose()?,
            attributes: self
                .attributes
                .unwrap_or_default()
                .into_iter()
                .map(Attribute::into_model)
                .collect::<Result<_>>()?,
        })
    }

    pub fn from_model(o: &pf::VideoObject) -> Self {
        Self {
            id: Some(o.id),
            namespace: o.namespace.clone(),
            label: o.label.clone(),
            draw_label: o.draw_label.clone(),
            detection_box: o.detection_box.into(),
            confidence: o.confidence,
            parent_id: o.parent_id,
            track_id: o.track_id,
            track_box: o.track_box.map(Into::into),
            attributes: Some(o.attributes.iter().map(Attribute::from_model).collect()),
        }
    }
}
