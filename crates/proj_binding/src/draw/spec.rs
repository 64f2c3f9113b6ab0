//! `ObjectDrawSpec` and the plain objects its entries arrive as.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_draw as pd;

use crate::entry::{entry, Outcome};
use crate::error::{from_draw, invalid_argument, Code};

#[napi(object)]
#[derive(Debug, Clone)]
pub struct BoundingBoxDrawInit {
    pub border_color: Vec<i64>,
    pub background_color: Vec<i64>,
    pub thickness: i64,
    pub padding: Vec<i64>,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct DotDrawInit {
    pub color: Vec<i64>,
    pub radius: i64,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct LabelDrawInit {
    pub font_color: Vec<i64>,
    pub background_color: Vec<i64>,
    pub border_color: Vec<i64>,
    pub font_scale: f64,
    pub thickness: i64,
    /// `TopLeftInside`, `TopLeftOutside` or `Center`.
    pub position: String,
    pub margin_x: i64,
    pub margin_y: i64,
    pub padding: Vec<i64>,
    pub format: Vec<String>,
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct ObjectDrawInit {
    pub bounding_box: Option<BoundingBoxDrawInit>,
    pub central_dot: Option<DotDrawInit>,
    pub label: Option<LabelDrawInit>,
    pub blur: bool,
    /// `detection` or `track`.
    pub bbox_source: String,
}

fn four(field: &'static str, values: &[i64]) -> Outcome<[i64; 4]> {
    <[i64; 4]>::try_from(values)
        .map_err(|_| invalid_argument(format!("{field} takes 4 numbers, got {}", values.len())))
}

fn color(field: &'static str, values: &[i64]) -> Outcome<pd::Color> {
    pd::Color::checked(field, four(field, values)?).map_err(from_draw)
}

fn padding(field: &'static str, values: &[i64]) -> Outcome<pd::Padding> {
    pd::Padding::checked(field, four(field, values)?).map_err(from_draw)
}

fn position_kind(name: &str) -> Outcome<pd::LabelPositionKind> {
    match name.to_ascii_lowercase().replace('_', "").as_str() {
        "topleftinside" => Ok(pd::LabelPositionKind::TopLeftInside),
        "topleftoutside" => Ok(pd::LabelPositionKind::TopLeftOutside),
        "center" => Ok(pd::LabelPositionKind::Center),
        _ => Err(Error::new(
            Code("ERR_PROJ_UNKNOWN_NAME"),
            format!(
                "unknown label position {name:?}; expected TopLeftInside, TopLeftOutside or Center"
            ),
        )),
    }
}

impl ObjectDrawInit {
    pub fn parse(&self) -> Outcome<pd::ObjectDraw> {
        let bounding_box = self
            .bounding_box
            .as_ref()
            .map(|b| {
                pd::BoundingBoxDraw::new(
                    color("borderColor", &b.border_color)?,
                    color("backgroundColor", &b.background_color)?,
                    b.thickness,
                    padding("padding", &b.padding)?,
                )
                .map_err(from_draw)
            })
            .transpose()?;
        let central_dot = self
            .central_dot
            .as_ref()
            .map(|d| pd::DotDraw::new(color("color", &d.color)?, d.radius).map_err(from_draw))
            .transpose()?;
        let label = self
            .label
            .as_ref()
            .map(|l| {
                pd::LabelDraw::new(
                    color("fontColor", &l.font_color)?,
                    color("backgroundColor", &l.background_color)?,
                    color("borderColor", &l.border_color)?,
                    l.font_scale,
                    l.thickness,
                    pd::LabelPosition::new(position_kind(&l.position)?, l.margin_x, l.margin_y)
                        .map_err(from_draw)?,
                    padding("padding", &l.padding)?,
                    &l.format,
                )
                .map_err(from_draw)
            })
            .transpose()?;
        let bbox_source = match self.bbox_source.to_ascii_lowercase().as_str() {
            "detection" | "detection_box" | "detectionbox" => pd::BBoxSource::Detection,
            "track" | "tracking" | "tracking_box" | "trackingbox" | "track_box" => {
                pd::BBoxSource::Track
            }
            other => {
                return Err(Error::new(
                    Code("ERR_PROJ_UNKNOWN_NAME"),
                    format!("unknown bboxSource {other:?}; expected detection or track"),
                ))
            }
        };
        Ok(pd::ObjectDraw {
            bounding_box,
            central_dot,
            label,
            blur: self.blur,
            bbox_source,
        })
    }
}

/// Checks label template lines as a spec would, throwing
/// `ERR_PROJ_LABEL_TEMPLATE` for an unknown placeholder or a stray brace.
#[napi]
pub fn check_label_format(format: Vec<String>) -> Result<(), Code> {
    entry("check_label_format", || {
        for line in &format {
            pd::LabelTemplate::parse(line).map_err(from_draw)?;
        }
        Ok(())
    })
}

/// Draw specs keyed by (namespace, label), shared with the renderer: a
/// draw takes a snapshot, so inserting while frames are drawn is safe.
#[napi]
#[derive(Debug, Default)]
pub struct ObjectDrawSpec {
    inner: Mutex<Arc<pd::ObjectDrawSpec>>,
}

impl ObjectDrawSpec {
    fn lock(&self) -> MutexGuard<'_, Arc<pd::ObjectDrawSpec>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The spec as it is now.
    pub fn snapshot(&self) -> Arc<pd::ObjectDrawSpec> {
        Arc::clone(&self.lock())
    }
}

#[napi]
impl ObjectDrawSpec {
    #[napi(constructor)]
    pub fn new() -> Result<Self, Code> {
        entry("ObjectDrawSpec::new", || Ok(Self::default()))
    }

    /// Inserts (or replaces) the entry for (namespace, label); every value
    /// and template is checked first, so a bad one changes nothing.
    #[napi]
    pub fn insert(
        &self,
        namespace: String,
        label: String,
        draw: ObjectDrawInit,
    ) -> Result<(), Code> {
        entry("ObjectDrawSpec::insert", || {
            let draw = draw.parse()?;
            let mut spec = self.lock();
            Arc::make_mut(&mut spec).insert(&namespace, &label, draw);
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn len(&self) -> Result<u32, Code> {
        entry("ObjectDrawSpec::len", || {
            Ok(u32::try_from(self.lock().len()).unwrap_or(u32::MAX))
        })
    }
}

/// The lines a label with `format` draws for `object` (an empty format
/// draws its label); `ERR_PROJ_LABEL_TEMPLATE` for a bad template.
#[napi]
pub fn expand_label_format(
    format: Vec<String>,
    object: crate::frame::VideoObject,
) -> Result<Vec<String>, Code> {
    entry("expand_label_format", || {
        let object = object.into_model(0).map_err(crate::error::from_frame)?;
        if format.is_empty() {
            return Ok(vec![object
                .draw_label
                .clone()
                .unwrap_or_else(|| object.label.clone())]);
        }
        format
            .iter()
            .map(|line| {
                pd::LabelTemplate::parse(line)
                    .map(|t| t.expand(&object))
                    .map_err(from_draw)
            })
            .collect()
    })
}
