use crate::attribute::check_confidence;
use crate::error::invalid;
use crate::{Attribute, RBBox, Result};

/// A detected object on a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoObject {
    /// Unique within its frame.
    pub id: i64,
    /// Who produced it, e.g. the detector's name.
    pub namespace: String,
    pub label: String,
    /// Shown instead of `label` when drawn.
    pub draw_label: Option<String>,
    pub detection_box: RBBox,
    pub confidence: Option<f64>,
    /// Another object of the same frame this one belongs to (a face of a
    /// person, say).
    pub parent_id: Option<i64>,
    pub track_id: Option<i64>,
    pub track_box: Option<RBBox>,
    pub attributes: Vec<Attribute>,
}

/// What `VideoFrame::add_object` does when the object's id is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdPolicy {
    /// Fail with `DuplicateObjectId`.
    #[default]
    Error,
    /// Give the object the next free id.
    GenerateNewId,
    /// Replace the object that has the id.
    Overwrite,
}

impl VideoObject {
    /// Checks everything but `parent_id`, which only the frame can check.
    pub fn validate(&self) -> Result<()> {
        if self.namespace.is_empty() || self.label.is_empty() {
            return Err(invalid("object", "namespace and label must not be empty"));
        }
        check_confidence(self.confidence)?;
        for bbox in std::iter::once(&self.detection_box).chain(&self.track_box) {
            RBBox::new(bbox.xc, bbox.yc, bbox.width, bbox.height, bbox.angle)?;
        }
        if self.track_box.is_some() && self.track_id.is_none() {
            return Err(invalid("object", "a track box needs a track id"));
        }
        let mut keys: Vec<_> = self.attributes.iter().map(Attribute::key).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(invalid(
                "object",
                "two attributes share a namespace and name",
            ));
        }
        self.attributes.iter().try_for_each(Attribute::validate)
    }
}
