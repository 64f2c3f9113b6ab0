//! A custom draw list (the reference's `on_render` Skia canvas, as data):
//! shapes, text, images and blurs under a save/restore transform stack,
//! decoded from the compact command stream TypeScript's `DrawList` writes.

#![expect(
    clippy::cast_possible_truncation,
    reason = "draw-list numbers become f32 coordinates and 32-bit colours; out-of-range geometry is clipped when drawn"
)]

use std::sync::Arc;

use crate::error::{DrawError, Result};
use crate::spec::Color;

/// An RGBA picture (straight alpha) to draw.
#[derive(Debug, Clone)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Arc<Vec<u8>>,
}

/// A fill and/or a stroke.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Paint {
    pub fill: Option<Color>,
    pub stroke: Option<(Color, f32)>,
}

#[derive(Debug, Clone)]
pub enum DrawOp {
    Save,
    Restore,
    Translate(f32, f32),
    /// Degrees, clockwise on screen.
    Rotate(f32),
    Scale(f32, f32),
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        paint: Paint,
    },
    Line {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        color: Color,
        width: f32,
    },
    Poly {
        points: Vec<(f32, f32)>,
        closed: bool,
        paint: Paint,
    },
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        paint: Paint,
    },
    /// Lines of `text` (split at '\n') in a box whose top-left is (x, y),
    /// laid out as labels are: baseline at top + padding + size, line
    /// height 1.25 × size, background behind the padded block.
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Color,
        background: Option<Color>,
        padding: f32,
        text: String,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Image,
    },
    /// Blurs what is under the rectangle; `sigma ≤ 0` picks the objects'
    /// rule (10 % of the smaller side, 2–40).
    Blur {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        sigma: f32,
    },
}

/// Opcodes of the command stream (kept in step with `draw-list.ts`).
mod op {
    pub const SAVE: u32 = 0;
    pub const RESTORE: u32 = 1;
    pub const TRANSLATE: u32 = 2;
    pub const ROTATE: u32 = 3;
    pub const SCALE: u32 = 4;
    pub const RECT: u32 = 10;
    pub const LINE: u32 = 11;
    pub const POLY: u32 = 12;
    pub const CIRCLE: u32 = 13;
    pub const TEXT: u32 = 14;
    pub const IMAGE: u32 = 15;
    pub const BLUR: u32 = 16;
}

/// The most commands and points one list may hold.
pub const MAX_COMMANDS: usize = 1 << 20;

struct Reader<'a> {
    cmds: &'a [f64],
    at: usize,
}

impl Reader<'_> {
    fn fail(&self, reason: impl Into<String>) -> DrawError {
        DrawError::DrawList {
            reason: format!("{} (at number {})", reason.into(), self.at),
        }
    }

    fn num(&mut self) -> Result<f64> {
        let v = *self
            .cmds
            .get(self.at)
            .ok_or_else(|| self.fail("the list ends inside a command"))?;
        self.at += 1;
        Ok(v)
    }

    fn f(&mut self) -> Result<f32> {
        Ok(self.num()? as f32)
    }

    fn index(&mut self, len: usize, what: &str) -> Result<usize> {
        let v = self.num()?;
        if v.fract() == 0.0 && v >= 0.0 && (v as usize) < len {
            Ok(v as usize)
        } else {
            Err(self.fail(format!("{what} index {v} is not one of the {len} given")))
        }
    }

    /// A colour packed as 0xRRGGBBAA; 0 is none.
    fn color(&mut self) -> Result<Option<Color>> {
        let v = self.num()?;
        if !(v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v)) {
            return Err(self.fail(format!("colour {v} is not a 32-bit 0xRRGGBBAA")));
        }
        let [r, g, b, a] = (v as u32).to_be_bytes();
        Ok(Some(Color::rgba(r, g, b, a)).filter(|c| c.visible()))
    }

    fn paint(&mut self) -> Result<Paint> {
        let fill = self.color()?;
        let stroke = self.color()?;
        let width = self.f()?;
        Ok(Paint {
            fill,
            stroke: stroke
                .filter(|_| width > 0.0 && width.is_finite())
                .map(|c| (c, width)),
        })
    }
}

/// Decodes a command stream; `strings` and `images` are what its text and
/// image commands point at.
pub fn decode(cmds: &[f64], strings: &[String], images: &[Image]) -> Result<Vec<DrawOp>> {
    if cmds.len() > MAX_COMMANDS * 8 {
        return Err(DrawError::DrawList {
            reason: format!(
                "{} numbers is over the limit of {}",
                cmds.len(),
                MAX_COMMANDS * 8
            ),
        });
    }
    let mut r = Reader { cmds, at: 0 };
    let mut ops = Vec::new();
    let mut depth = 0usize;
    while r.at < cmds.len() {
        let code = r.num()?;
        let op = match code as u32 {
            _ if code.fract() != 0.0 || code < 0.0 => return Err(r.fail(format!("opcode {code}"))),
            op::SAVE => {
                depth += 1;
                DrawOp::Save
            }
            op::RESTORE => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| r.fail("restore() without a save()"))?;
                DrawOp::Restore
            }
            op::TRANSLATE => DrawOp::Translate(r.f()?, r.f()?),
            op::ROTATE => DrawOp::Rotate(r.f()?),
            op::SCALE => DrawOp::Scale(r.f()?, r.f()?),
            op::RECT => DrawOp::Rect {
                x: r.f()?,
                y: r.f()?,
                w: r.f()?,
                h: r.f()?,
                paint: r.paint()?,
            },
            op::LINE => {
                let (x0, y0, x1, y1) = (r.f()?, r.f()?, r.f()?, r.f()?);
                let color = r.color()?.unwrap_or(Color::TRANSPARENT);
                DrawOp::Line {
                    x0,
                    y0,
                    x1,
                    y1,
                    color,
                    width: r.f()?,
                }
            }
            op::POLY => {
                let n = r.num()?;
                if !(n.fract() == 0.0 && n >= 0.0 && n <= (cmds.len() / 2) as f64) {
                    return Err(r.fail(format!("point count {n}")));
                }
                let closed = r.num()? != 0.0;
                let paint = r.paint()?;
                let points = (0..n as usize)
                    .map(|_| Ok((r.f()?, r.f()?)))
                    .collect::<Result<_>>()?;
                DrawOp::Poly {
                    points,
                    closed,
                    paint,
                }
            }
            op::CIRCLE => DrawOp::Circle {
                cx: r.f()?,
                cy: r.f()?,
                r: r.f()?,
                paint: r.paint()?,
            },
            op::TEXT => {
                let (x, y, size) = (r.f()?, r.f()?, r.f()?);
                let color = r.color()?.unwrap_or(Color::TRANSPARENT);
                let background = r.color()?;
                let padding = r.f()?;
                let text = strings[r.index(strings.len(), "string")?].clone();
                DrawOp::Text {
                    x,
                    y,
                    size,
                    color,
                    background,
                    padding,
                    text,
                }
            }
            op::IMAGE => {
                let (x, y, w, h) = (r.f()?, r.f()?, r.f()?, r.f()?);
                let image = images[r.index(images.len(), "image")?].clone();
                DrawOp::Image { x, y, w, h, image }
            }
            op::BLUR => DrawOp::Blur {
                x: r.f()?,
                y: r.f()?,
                w: r.f()?,
                h: r.f()?,
                sigma: r.f()?,
            },
            other => return Err(r.fail(format!("unknown opcode {other}"))),
        };
        ops.push(op);
    }
    Ok(ops)
}

impl Image {
    /// Checks that `rgba` holds `width × height` pixels.
    pub fn new(width: u32, height: u32, rgba: Vec<u8>) -> Result<Self> {
        let needed = width as usize * height as usize * 4;
        if width == 0
            || height == 0
            || width > crate::target::MAX_SIDE
            || height > crate::target::MAX_SIDE
            || rgba.len() != needed
        {
            return Err(DrawError::DrawList {
                reason: format!(
                    "an image of {width}×{height} needs {needed} RGBA bytes, got {}",
                    rgba.len()
                ),
            });
        }
        Ok(Self {
            width,
            height,
            rgba: Arc::new(rgba),
        })
    }
}
