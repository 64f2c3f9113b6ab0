use crate::error::invalid;
use crate::{RBBox, Result};

/// A point, e.g. a keypoint of a pose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// What an attribute value holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    String(String),
    /// A tensor or any binary blob, with its dimensions.
    Bytes {
        dims: Vec<i64>,
        data: Vec<u8>,
    },
    Booleans(Vec<bool>),
    Integers(Vec<i64>),
    Floats(Vec<f64>),
    Strings(Vec<String>),
    BBox(RBBox),
    BBoxes(Vec<RBBox>),
    Point(Point),
    Points(Vec<Point>),
    /// A JSON document, kept as text.
    Json(String),
}

/// One value of an attribute, with the model's confidence in it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeValue {
    pub value: Value,
    pub confidence: Option<f64>,
}

/// A named result attached to a frame or an object: `(namespace, name)` is
/// its key, e.g. `("classifier", "color")`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub namespace: String,
    pub name: String,
    pub values: Vec<AttributeValue>,
    /// Free text about where the values came from (a model name, say).
    pub hint: Option<String>,
    /// Kept when temporary attributes are cleared.
    pub persistent: bool,
    /// Not meant for display or export.
    pub hidden: bool,
}

impl Attribute {
    /// Checks names and numbers: non-empty namespace and name, finite
    /// floats, confidences in [0, 1], byte length matching `dims`.
    pub fn validate(&self) -> Result<()> {
        if self.namespace.is_empty() || self.name.is_empty() {
            return Err(invalid("attribute", "namespace and name must not be empty"));
        }
        for value in &self.values {
            check_confidence(value.confidence)?;
            value.value.validate()?;
        }
        Ok(())
    }

    pub fn key(&self) -> (&str, &str) {
        (&self.namespace, &self.name)
    }
}

pub(crate) fn check_confidence(confidence: Option<f64>) -> Result<()> {
    match confidence {
        Some(c) if !(0.0..=1.0).contains(&c) => {
            Err(invalid("confidence", format!("{c} is not between 0 and 1")))
        }
        _ => Ok(()),
    }
}

impl Value {
    fn validate(&self) -> Result<()> {
        fn finite(mut values: impl Iterator<Item = f64>) -> Result<()> {
            values
                .all(f64::is_finite)
                .then_some(())
                .ok_or_else(|| invalid("attribute value", "numbers must be finite"))
        }
        match self {
            Self::Float(v) => finite(std::iter::once(*v)),
            Self::Floats(v) => finite(v.iter().copied()),
            Self::Point(p) => finite([p.x, p.y].into_iter()),
            Self::Points(v) => finite(v.iter().flat_map(|p| [p.x, p.y])),
            Self::BBox(b) => RBBox::new(b.xc, b.yc, b.width, b.height, b.angle).map(drop),
            Self::BBoxes(v) => v
                .iter()
                .try_for_each(|b| RBBox::new(b.xc, b.yc, b.width, b.height, b.angle).map(drop)),
            Self::Bytes { dims, data } => {
                let elements =
                    dims.iter()
                        .try_fold(1i64, |n, &d| if d < 0 { None } else { n.checked_mul(d) });
                match elements {
                    Some(n) if dims.is_empty() || usize::try_from(n).ok() == Some(data.len()) => {
                        Ok(())
                    }
                    _ => Err(invalid(
                        "attribute value",
                        format!("{} bytes do not match dims {dims:?}", data.len()),
                    )),
                }
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(values: Vec<AttributeValue>) -> Attribute {
        Attribute {
            namespace: "classifier".into(),
            name: "color".into(),
            values,
            hint: None,
            persistent: false,
            hidden: false,
        }
    }

    fn value(value: Value, confidence: Option<f64>) -> AttributeValue {
        AttributeValue { value, confidence }
    }

    #[test]
    fn validates_values() {
        let ok = attribute(vec![
            value(Value::String("red".into()), Some(0.9)),
            value(
                Value::Bytes {
                    dims: vec![2, 3],
                    data: vec![0; 6],
                },
                None,
            ),
        ]);
        assert_eq!(ok.validate(), Ok(()));
        for bad in [
            value(Value::Float(f64::NAN), None),
            value(Value::Integer(1), Some(1.5)),
            value(
                Value::Bytes {
                    dims: vec![2, 3],
                    data: vec![0; 5],
                },
                None,
            ),
            value(
                Value::Bytes {
                    dims: vec![-1],
                    data: vec![],
                },
                None,
            ),
        ] {
            assert!(attribute(vec![bad.clone()]).validate().is_err(), "{bad:?}");
        }
        let mut unnamed = attribute(vec![]);
        unnamed.name.clear();
        assert!(unnamed.validate().is_err());
    }
}
