//! Drawing entry points: objects of a frame, draw lists and canvases onto
//! a pool buffer, off the JS thread (our worker threads), with renderers
//! (and their glyph caches) kept between calls.

use std::sync::{Arc, Mutex, PoisonError};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;
use proj_draw as pd;

use super::list::DrawListInit;
use super::spec::ObjectDrawSpec;
use crate::buffers::{SharedBuffer, TransformConfig};
use crate::entry::{entry, promise, Outcome};
use crate::error::{from_buffers, from_draw, invalid_argument, Code};
use crate::frame::VideoFrame;
use crate::workers;

/// Renderers not in use, at most this many kept.
const KEPT_PAINTERS: usize = 16;

fn painters() -> &'static Mutex<Vec<pd::Painter>> {
    static PAINTERS: Mutex<Vec<pd::Painter>> = Mutex::new(Vec::new());
    &PAINTERS
}

/// Runs `f` with a renderer for `family` (the built-in font when `None`):
/// one kept from an earlier call, else a new one. The pool's lock is held
/// only to take and to give back, never while drawing.
fn with_painter<R>(
    family: Option<&str>,
    f: impl FnOnce(&mut pd::Painter) -> Outcome<R>,
) -> Outcome<R> {
    let font = match family {
        Some(name) => pd::font(name),
        None => pd::default_font(),
    }
    .map_err(from_draw)?;
    let taken = {
        let mut kept = painters().lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter()
            .position(|p| Arc::ptr_eq(p.font(), &font))
            .map(|i| kept.swap_remove(i))
    };
    let mut painter = match taken {
        Some(p) => p,
        None => pd::Painter::new(font).map_err(from_draw)?,
    };
    let out = f(&mut painter);
    let mut kept = painters().lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() < KEPT_PAINTERS {
        kept.push(painter);
    }
    out
}

fn channel_order(format: pb::VideoFormat) -> Outcome<pd::ChannelOrder> {
    match format {
        pb::VideoFormat::Rgba => Ok(pd::ChannelOrder::Rgba),
        pb::VideoFormat::Bgrx => Ok(pd::ChannelOrder::Bgra),
        other => Err(Error::new(
            Code("ERR_PROJ_UNSUPPORTED_FORMAT"),
            format!("drawing needs an RGBA or BGRx buffer, got {}", other.name()),
        )),
    }
}

/// The picture drawing lands on: a host picture drawn at once, or the
/// recording of one in CUDA memory, which its GPU then executes.
enum Picture<'a> {
    Host(pd::Target<'a>),
    Device(pd::Recording),
}

impl pd::Raster for Picture<'_> {
    fn width(&self) -> u32 {
        match self {
            Self::Host(t) => pd::Raster::width(t),
            Self::Device(r) => pd::Raster::width(r),
        }
    }
    fn height(&self) -> u32 {
        match self {
            Self::Host(t) => pd::Raster::height(t),
            Self::Device(r) => pd::Raster::height(r),
        }
    }
    fn order(&self) -> pd::ChannelOrder {
        match self {
            Self::Host(t) => pd::Raster::order(t),
            Self::Device(r) => pd::Raster::order(r),
        }
    }
    fn fill_frame(&mut self, outer: pd::RectF, inner: Option<pd::RectF>, color: pd::Color) {
        match self {
            Self::Host(t) => t.fill_frame(outer, inner, color),
            Self::Device(r) => r.fill_frame(outer, inner, color),
        }
    }
    fn blit_mask(&mut self, mask: &[u8], w: usize, h: usize, x: i64, y: i64, color: pd::Color) {
        match self {
            Self::Host(t) => t.blit_mask(mask, w, h, x, y, color),
            Self::Device(r) => r.blit_mask(mask, w, h, x, y, color),
        }
    }
    fn blur(&mut self, region: pd::Region, sigma: f32, soft: pd::Soft<'_>) {
        match self {
            Self::Host(t) => t.blur(region, sigma, soft),
            Self::Device(r) => r.blur(region, sigma, soft),
        }
    }
    fn composite(&mut self, layer: &[u8], region: pd::Region) {
        match self {
            Self::Host(t) => t.composite(layer, region),
            Self::Device(r) => r.composite(layer, region),
        }
    }
}

/// Runs `draw` on the picture in `slot` of `buffer`. A picture in CUDA
/// memory is drawn by its GPU (the draw-list kernels): the drawing is
/// recorded here without the buffer's lock, launched under it, and waited
/// for after it is let go; the picture never comes down.
fn with_target<R>(
    buffer: &pb::SharedBuffer,
    slot: usize,
    draw: impl FnOnce(&mut Picture<'_>) -> Outcome<R>,
) -> Outcome<R> {
    let (format, w, h, on_host) = buffer
        .with_surface(slot, |s| {
            (s.format(), s.width(), s.height(), s.host_data().is_some())
        })
        .map_err(from_buffers)?;
    let order = channel_order(format)?;
    if on_host {
        return buffer
            .with_surface_mut(slot, |surface| {
                let bytes = surface.host_data_mut().ok_or_else(|| {
                    invalid_argument("the picture left system memory while being drawn")
                })?;
                let target =
                    pd::Target::new(bytes, w, h, w as usize * 4, order).map_err(from_draw)?;
                draw(&mut Picture::Host(target))
            })
            .map_err(from_buffers)?;
    }
    let mut picture = Picture::Device(pd::Recording::new(w, h, order));
    let out = draw(&mut picture)?;
    if let Picture::Device(recording) = picture {
        let plan = recording.plan();
        let drawing = buffer
            .with_surface(slot, |surface| surface.draw_on_gpu(plan))
            .map_err(from_buffers)?
            .map_err(from_buffers)?;
        drawing.wait().map_err(from_buffers)?;
    }
    Ok(out)
}

#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct DrawOptions {
    /// A family `registerFont` knows, or `sans-serif` (the built-in
    /// DejaVu Sans, the default).
    pub font_family: Option<String>,
    /// The buffer's slot (default 0).
    pub slot: Option<u32>,
}

/// One object's draw chosen for this call in place of the spec's entry
/// (an `onObjectDrawSpec` answer): `draw` null skips the object.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ObjectDrawChoice {
    pub id: i64,
    pub draw: Option<super::spec::ObjectDrawInit>,
}

/// The choices, checked: object id → its draw, or `None` to skip it.
fn parse_choices(
    choices: Option<Vec<ObjectDrawChoice>>,
) -> Outcome<std::collections::HashMap<i64, Option<pd::ObjectDraw>>> {
    choices
        .unwrap_or_default()
        .into_iter()
        .map(|c| Ok((c.id, c.draw.as_ref().map(|d| d.parse()).transpose()?)))
        .collect()
}

#[napi(object)]
#[derive(Debug, Clone)]
pub struct DrawResult {
    /// Objects that had a spec entry and were drawn.
    pub objects: u32,
}

/// Draws every object of `frame` that `spec` has an entry for onto the
/// buffer's picture (boxes in the buffer's pixels), then `overlay` if
/// given.
#[napi(ts_return_type = "Promise<DrawResult>")]
pub fn draw_objects<'env>(
    env: &'env Env,
    frame: &VideoFrame,
    buffer: &SharedBuffer,
    spec: &ObjectDrawSpec,
    options: Option<DrawOptions>,
    overlay: Option<DrawListInit>,
    choices: Option<Vec<ObjectDrawChoice>>,
) -> Result<PromiseRaw<'env, DrawResult>, Code> {
    entry("draw_objects", || {
        let frame = frame.model();
        let buffer = buffer.get()?;
        let spec = spec.snapshot();
        let options = options.unwrap_or_default();
        let overlay = overlay.map(|o| o.decode()).transpose()?;
        let choices = parse_choices(choices)?;
        let name = "draw_objects";
        promise(
            env,
            name,
            workers::run(name, move || {
                with_painter(options.font_family.as_deref(), |painter| {
                    with_target(&buffer, options.slot.unwrap_or(0) as usize, |target| {
                        let drawn = if choices.is_empty() {
                            painter.draw_objects(target, &frame, &spec)
                        } else {
                            let mut drawn = 0;
                            for object in frame.objects() {
                                let draw = match choices.get(&object.id) {
                                    Some(choice) => choice.as_ref(),
                                    None => spec.lookup(&object.namespace, &object.label),
                                };
                                if let Some(draw) = draw {
                                    painter.draw_object(target, object, draw);
                                    drawn += 1;
                                }
                            }
                            drawn
                        };
                        if let Some(ops) = &overlay {
                            painter.draw_list(target, ops);
                        }
                        Ok(DrawResult {
                            objects: u32::try_from(drawn).unwrap_or(u32::MAX),
                        })
                    })
                })
            }),
            Ok,
        )
    })
}

/// Executes a draw list on the buffer's picture.
#[napi(ts_return_type = "Promise<void>")]
pub fn draw_list<'env>(
    env: &'env Env,
    buffer: &SharedBuffer,
    list: DrawListInit,
    options: Option<DrawOptions>,
) -> Result<PromiseRaw<'env, ()>, Code> {
    entry("draw_list", || {
        let buffer = buffer.get()?;
        let ops = list.decode()?;
        let options = options.unwrap_or_default();
        let name = "draw_list";
        promise(
            env,
            name,
            workers::run(name, move || {
                with_painter(options.font_family.as_deref(), |painter| {
                    with_target(&buffer, options.slot.unwrap_or(0) as usize, |target| {
                        painter.draw_list(target, &ops);
                        Ok(())
                    })
                })
            }),
            Ok,
        )
    })
}

fn check_canvas_size(width: u32, height: u32) -> Outcome<()> {
    if width == 0 || height == 0 || width > pd::MAX_SIDE || height > pd::MAX_SIDE {
        return Err(invalid_argument(format!(
            "a canvas of {width}×{height} is outside 1–{}",
            pd::MAX_SIDE
        )));
    }
    Ok(())
}

/// Draws `ops` on a transparent `width × height` picture (premultiplied,
/// as Skia's surface holds it).
fn rasterize(
    width: u32,
    height: u32,
    ops: &[pd::DrawOp],
    order: pd::ChannelOrder,
    family: Option<&str>,
) -> Outcome<Vec<u8>> {
    let mut pixels = Vec::new();
    let size = width as usize * height as usize * 4;
    pixels.try_reserve_exact(size).map_err(|_| {
        Error::new(
            Code("ERR_PROJ_OUT_OF_MEMORY"),
            format!("a canvas of {width}×{height} needs {size} bytes"),
        )
    })?;
    pixels.resize(size, 0);
    with_painter(family, |painter| {
        let mut target = pd::Target::new(&mut pixels, width, height, width as usize * 4, order)
            .map_err(from_draw)?;
        painter.draw_list(&mut target, ops);
        Ok(())
    })?;
    Ok(pixels)
}

/// Renders a canvas's draw list to RGBA bytes (premultiplied alpha).
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn rasterize_canvas<'env>(
    env: &'env Env,
    width: u32,
    height: u32,
    list: DrawListInit,
    options: Option<DrawOptions>,
) -> Result<PromiseRaw<'env, Buffer>, Code> {
    entry("rasterize_canvas", || {
        check_canvas_size(width, height)?;
        let ops = list.decode()?;
        let family = options.and_then(|o| o.font_family);
        let name = "rasterize_canvas";
        promise(
            env,
            name,
            workers::run(name, move || {
                rasterize(
                    width,
                    height,
                    &ops,
                    pd::ChannelOrder::Rgba,
                    family.as_deref(),
                )
            }),
            |pixels| Ok(Buffer::from(pixels)),
        )
    })
}

/// Renders a canvas into the buffer's picture (`render_to_nvbuf`): 1:1
/// when the sizes match and no config is given, else scaled and
/// letterboxed as `config` says.
#[napi(ts_return_type = "Promise<void>")]
pub fn render_canvas<'env>(
    env: &'env Env,
    width: u32,
    height: u32,
    list: DrawListInit,
    buffer: &SharedBuffer,
    config: Option<TransformConfig>,
    options: Option<DrawOptions>,
) -> Result<PromiseRaw<'env, ()>, Code> {
    entry("render_canvas", || {
        check_canvas_size(width, height)?;
        let ops = list.decode()?;
        let buffer = buffer.get()?;
        let transform = config
            .as_ref()
            .map(|c| TransformConfig::parse(Some(c)))
            .transpose()?;
        let options = options.unwrap_or_default();
        let name = "render_canvas";
        promise(
            env,
            name,
            workers::run(name, move || {
                let slot = options.slot.unwrap_or(0) as usize;
                // Rasterised before the buffer is locked: the lock is held
                // only for the copy.
                let format = buffer
                    .with_surface(slot, pb::Surface::format)
                    .map_err(from_buffers)?;
                let pixels = rasterize(
                    width,
                    height,
                    &ops,
                    channel_order(format)?,
                    options.font_family.as_deref(),
                )?;
                buffer
                    .with_surface_mut(slot, |dst| {
                        copy_into(dst, width, height, &pixels, transform.as_ref())
                    })
                    .map_err(from_buffers)?
            }),
            Ok,
        )
    })
}

/// Puts a rasterised canvas into `dst`, scaling when asked or needed.
fn copy_into(
    dst: &mut pb::Surface,
    width: u32,
    height: u32,
    pixels: &[u8],
    config: Option<&pb::TransformConfig>,
) -> Outcome<()> {
    let same = dst.width() == width && dst.height() == height;
    if same && config.is_none() {
        return dst.upload(pixels).map_err(from_buffers);
    }
    let Some(config) = config else {
        return Err(invalid_argument(format!(
            "a {width}×{height} canvas into a {}×{} buffer needs a transform config",
            dst.width(),
            dst.height()
        )));
    };
    let mut src = pb::Surface::new(dst.format(), width, height).map_err(from_buffers)?;
    src.upload(pixels).map_err(from_buffers)?;
    if dst.host_data().is_some() {
        pb::transform(&src, None, dst, config).map_err(from_buffers)?;
        return Ok(());
    }
    let mut staged =
        pb::Surface::new(dst.format(), dst.width(), dst.height()).map_err(from_buffers)?;
    pb::transform(&src, None, &mut staged, config).map_err(from_buffers)?;
    let bytes = staged.host_data().unwrap_or_default().to_vec();
    dst.upload(&bytes).map_err(from_buffers)
}

/// Registers a TTF/OTF font under `family` for `fontFamily` options.
#[napi]
pub fn register_font(family: String, data: Uint8Array) -> Result<(), Code> {
    entry("register_font", || {
        pd::register_font(&family, &data).map_err(from_draw)
    })
}

/// The font families drawing knows: the built-in names, then registered ones.
#[napi]
pub fn font_families() -> Result<Vec<String>, Code> {
    entry("font_families", || pd::families().map_err(from_draw))
}
