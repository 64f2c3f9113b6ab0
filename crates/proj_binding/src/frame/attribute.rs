use napi::bindgen_prelude::Buffer;
use napi_derive::napi;
use proj_frame::{self as pf, FrameError, Result, Value};

use crate::frame::bbox::RbBox;

pub fn invalid(name: &'static str, reason: impl Into<String>) -> FrameError {
    FrameError::InvalidArgument {
        name,
        reason: reason.into(),
    }
}

#[napi(object)]
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// One attribute value. `kind` names the field that holds it: `none`,
/// `boolean`, `integer`, `float`, `string`, `bytes` (+ `dims`), `booleans`,
/// `integers`, `floats`, `strings`, `bbox`, `bboxes`, `point`, `points`,
/// `json` (text in `string`).
#[napi(object)]
#[derive(Default)]
#[expect(missing_debug_implementations, reason = "napi's Buffer has no Debug")]
pub struct AttributeValue {
    pub kind: String,
    pub confidence: Option<f64>,
    pub boolean: Option<bool>,
    pub integer: Option<i64>,
    pub float: Option<f64>,
    pub string: Option<String>,
    pub bytes: Option<Buffer>,
    pub dims: Option<Vec<i64>>,
    pub booleans: Option<Vec<bool>>,
    pub integers: Option<Vec<i64>>,
    pub floats: Option<Vec<f64>>,
    pub strings: Option<Vec<String>>,
    pub bbox: Option<RbBox>,
    pub bboxes: Option<Vec<RbBox>>,
    pub point: Option<Point>,
    pub points: Option<Vec<Point>>,
}

#[napi(object)]
#[expect(missing_debug_implementations, reason = "napi's Buffer has no Debug")]
pub struct Attribute {
    pub namespace: String,
    pub name: String,
    pub values: Vec<AttributeValue>,
    pub hint: Option<String>,
    pub persistent: Option<bool>,
    pub hidden: Option<bool>,
}

fn field<T>(value: Option<T>, kind: &str) -> Result<T> {
    value.ok_or_else(|| {
        invalid(
            "attribute value",
            format!("a {kind} value needs its {kind} field"),
        )
    })
}

fn point(p: Point) -> pf::Point {
    pf::Point { x: p.x, y: p.y }
}

impl AttributeValue {
    fn into_model(self) -> Result<pf::AttributeValue> {
        let kind = self.kind.as_str();
        let value = match kind {
            "none" => Value::None,
            "boolean" => Value::Boolean(field(self.boolean, kind)?),
            "integer" => Value::Integer(field(self.integer, kind)?),
            "float" => Value::Float(field(self.float, kind)?),
            "string" => Value::String(field(self.string, kind)?),
            "json" => Value::Json(field(self.string, "string")?),
            "bytes" => Value::Bytes {
                dims: self.dims.unwrap_or_default(),
                data: field(self.bytes, kind)?.to_vec(),
            },
            "booleans" => Value::Booleans(field(self.booleans, kind)?),
            "integers" => Value::Integers(field(self.integers, kind)?),
            "floats" => Value::Floats(field(self.floats, kind)?),
            "strings" => Value::Strings(field(self.strings, kind)?),
            "bbox" => Value::BBox(field(self.bbox, kind)?.into_model()?),
            "bboxes" => Value::BBoxes(
                field(self.bboxes, kind)?
                    .into_iter()
                    .map(RbBox::into_model)
                    .collect::<Result<_>>()?,
            ),
            "point" => Value::Point(point(field(self.point, kind)?)),
            "points" => Value::Points(field(self.points, kind)?.into_iter().map(point).collect()),
            other => {
                return Err(invalid(
                    "attribute value",
                    format!("unknown kind {other:?}"),
                ))
            }
        };
        Ok(pf::AttributeValue {
            value,
            confidence: self.confidence,
        })
    }

    fn from_model(v: &pf::AttributeValue) -> Self {
        let of = |kind: &str| Self {
            kind: kind.into(),
            confidence: v.confidence,
            ..Self::default()
        };
        let js = |p: &pf::Point| Point { x: p.x, y: p.y };
        match &v.value {
            Value::None => of("none"),
            Value::Boolean(b) => Self {
                boolean: Some(*b),
                ..of("boolean")
            },
            Value::Integer(i) => Self {
                integer: Some(*i),
                ..of("integer")
            },
            Value::Float(f) => Self {
                float: Some(*f),
                ..of("float")
            },
            Value::String(s) => Self {
                string: Some(s.clone()),
                ..of("string")
            },
            Value::Json(s) => Self {
                string: Some(s.clone()),
                ..of("json")
            },
            Value::Bytes { dims, data } => Self {
                dims: Some(dims.clone()),
                bytes: Some(data.clone().into()),
                ..of("bytes")
            },
            Value::Booleans(v) => Self {
                booleans: Some(v.clone()),
                ..of("booleans")
            },
            Value::Integers(v) => Self {
                integers: Some(v.clone()),
                ..of("integers")
            },
            Value::Floats(v) => Self {
                floats: Some(v.clone()),
                ..of("floats")
            },
            Value::Strings(v) => Self {
                strings: Some(v.clone()),
                ..of("strings")
            },
            Value::BBox(b) => Self {
                bbox: Some((*b).into()),
                ..of("bbox")
            },
            Value::BBoxes(v) => Self {
                bboxes: Some(v.iter().map(|b| (*b).into()).collect()),
                ..of("bboxes")
            },
            Value::Point(p) => Self {
                point: Some(js(p)),
                ..of("point")
            },
            Value::Points(v) => Self {
                points: Some(v.iter().map(js).collect()),
                ..of("points")
            },
        }
    }
}

impl Attribute {
    pub fn into_model(self) -> Result<pf::Attribute> {
        Ok(pf::Attribute {
            namespace: self.namespace,
            name: self.name,
            values: self
                .values
                .into_iter()
                .map(AttributeValue::into_model)
                .collect::<Result<_>>()?,
            hint: self.hint,
            persistent: self.persistent.unwrap_or(false),
            hidden: self.hidden.unwrap_or(false),
        })
    }

    pub fn from_model(a: &pf::Attribute) -> Self {
        Self {
            namespace: a.namespace.clone(),
            name: a.name.clone(),
            values: a.values.iter().map(AttributeValue::from_model).collect(),
            hint: a.hint.clone(),
            persistent: Some(a.persistent),
            hidden: Some(a.hidden),
        }
    }
}
