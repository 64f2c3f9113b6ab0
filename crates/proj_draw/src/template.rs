//! Label templates: one line of a `LabelDraw.format`, parsed once when the
//! spec is built (an unknown placeholder is an error then, never per frame)
//! and expanded per object.

use std::fmt::Write as _;

use proj_frame::{RBBox, VideoObject};

use crate::error::{DrawError, Result};

/// What a placeholder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// The object's draw label, else its label.
    Label,
    /// The object's namespace.
    Model,
    Confidence,
    TrackId,
    Det(BoxField),
    Track(BoxField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoxField {
    Xc,
    Yc,
    Width,
    Height,
    Angle,
}

impl BoxField {
    fn of(self, bbox: &RBBox) -> f64 {
        match self {
            Self::Xc => bbox.xc,
            Self::Yc => bbox.yc,
            Self::Width => bbox.width,
            Self::Height => bbox.height,
            Self::Angle => bbox.angle.unwrap_or(0.0),
        }
    }
}

/// Every placeholder name a template may use.
pub const PLACEHOLDERS: [&str; 14] = [
    "label",
    "model",
    "confidence",
    "track_id",
    "det_xc",
    "det_yc",
    "det_width",
    "det_height",
    "det_angle",
    "track_xc",
    "track_yc",
    "track_width",
    "track_height",
    "track_angle",
];

fn field(name: &str) -> Option<Field> {
    let boxed = |rest: &str| match rest {
        "xc" => Some(BoxField::Xc),
        "yc" => Some(BoxField::Yc),
        "width" => Some(BoxField::Width),
        "height" => Some(BoxField::Height),
        "angle" => Some(BoxField::Angle),
        _ => None,
    };
    match name {
        "label" => Some(Field::Label),
        "model" => Some(Field::Model),
        "confidence" => Some(Field::Confidence),
        "track_id" => Some(Field::TrackId),
        _ => {
            if let Some(rest) = name.strip_prefix("det_") {
                boxed(rest).map(Field::Det)
            } else {
                boxed(name.strip_prefix("track_")?).map(Field::Track)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Value {
        field: Field,
        precision: Option<usize>,
    },
}

/// One parsed line of a label template.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelTemplate {
    source: String,
    parts: Vec<Part>,
}

impl LabelTemplate {
    /// Parses `{name}` and `{name:.Nf}` placeholders; `{{` and `}}` are
    /// literal braces (Python's `str.format` rules).
    pub fn parse(source: &str) -> Result<Self> {
        let fail = |reason: String| DrawError::Template {
            template: source.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => return Err(fail("a single '}' (write '}}' for a brace)".into())),
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => return Err(fail("a '{' that does not close".into())),
                        }
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(placeholder(&inner).map_err(fail)?);
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The line for `object`; a value it lacks (no track, no confidence)
    /// is an empty string.
    pub fn expand(&self, object: &VideoObject) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Value { field, precision } => {
                    write_value(&mut out, object, *field, *precision)
                }
            }
        }
        out
    }
}

fn placeholder(inner: &str) -> std::result::Result<Part, String> {
    let (name, spec) = match inner.split_once(':') {
        Some((name, spec)) => (name.trim(), Some(spec)),
        None => (inner.trim(), None),
    };
    let field = field(name).ok_or_else(|| {
        format!(
            "unknown placeholder {{{name}}}; known: {}",
            PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
        )
    })?;
    let precision = match spec {
        None => None,
        Some(spec) => {
            if matches!(field, Field::Label | Field::Model | Field::TrackId) {
                return Err(format!("{{{name}}} takes no format spec, got {spec:?}"));
            }
            let digits = spec
                .strip_prefix('.')
                .and_then(|s| s.strip_suffix('f'))
                .filter(|d| !d.is_empty() && d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    format!("format spec {spec:?} of {{{name}}}: only .Nf (N = 0–20) is supported")
                })?;
            let n: usize = digits
                .parse()
                .map_err(|_| format!("bad precision {digits:?}"))?;
            if n > 20 {
                return Err(format!("precision {n} of {{{name}}} is over 20"));
            }
            Some(n)
        }
    };
    Ok(Part::Value { field, precision })
}

fn write_number(out: &mut String, value: f64, precision: Option<usize>) {
    // `{:?}` writes 100.0 as "100.0" and 0.87 as "0.87", as Python's str() does.
    let _ = match precision {
        Some(p) => write!(out, "{value:.p$}"),
        None => write!(out, "{value:?}"),
    };
}

fn write_value(out: &mut String, object: &VideoObject, field: Field, precision: Option<usize>) {
    match field {
        Field::Label => out.push_str(object.draw_label.as_deref().unwrap_or(&object.label)),
        Field::Model => out.push_str(&object.namespace),
        Field::Confidence => {
            if let Some(c) = object.confidence {
                write_number(out, c, precision);
            }
        }
        Field::TrackId => {
            if let Some(id) = object.track_id {
                let _ = write!(out, "{id}");
            }
        }
        Field::Det(f) => write_number(out, f.of(&object.detection_box), precision),
        Field::Track(f) => {
            if let Some(bbox) = &object.track_box {
                write_number(out, f.of(bbox), precision);
            }
        }
    }
}
