//! Text: glyph outlines from skrifa, hinted by FreeType's auto-hinter in
//! light mode (vertical only: what Skia does with subpixel text) and
//! rasterised with exact area coverage (ab_glyph's rasteriser), laid out
//! as Skia's `draw_str` does with subpixel positioning: no shaping, no
//! kerning, linear advances, each glyph's x snapped to a quarter pixel and
//! its baseline to a whole one; masks go through Skia's gamma/contrast
//! correction for the text colour's luminance, are cached per (font,
//! glyph, size, quarter, luminance), and blended by the SIMD mask loop.

#![expect(
    clippy::cast_possible_truncation,
    reason = "glyph boxes are at most 4096 px and coverages 0–1; pen positions are clipped to the picture"
)]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use ab_glyph_rasterizer::{point, Point, Rasterizer};
use skrifa::instance::{LocationRef, Size};
use skrifa::outline::{
    DrawSettings, Engine, HintingInstance, HintingOptions, OutlinePen, SmoothMode,
    Target as HintTarget,
};
use skrifa::{GlyphId, MetadataProvider};

use crate::font::Font;
use crate::raster::Raster;
use crate::spec::Color;

/// One rasterised glyph.
#[derive(Debug)]
pub struct Glyph {
    /// Offset of the mask's left column from the snapped pen.
    pub left: i32,
    /// Offset of the mask's top row from the baseline (negative: above).
    pub top: i32,
    pub width: usize,
    pub height: usize,
    pub mask: Vec<u8>,
}

/// The most glyphs kept; the cache starts over when it is full.
const MAX_GLYPHS: usize = 8192;

/// Horizontal positions per pixel a glyph may start at (Skia's 2 bits).
const SUBPIXELS: f32 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    font: usize,
    glyph: u16,
    size: u32,
    quarter: u8,
    luminance: u8,
}

/// Glyph masks of one renderer, with the hinting set up per size and the
/// characters already looked up.
#[derive(Default)]
pub struct GlyphCache {
    glyphs: HashMap<Key, Arc<Glyph>>,
    hinting: HashMap<(usize, u32), Option<HintingInstance>>,
    chars: HashMap<(usize, char), (u16, f32)>,
}

impl std::fmt::Debug for GlyphCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlyphCache")
            .field("glyphs", &self.glyphs.len())
            .finish_non_exhaustive()
    }
}

fn font_id(font: &Arc<Font>) -> usize {
    Arc::as_ptr(font) as usize
}

impl GlyphCache {
    pub(crate) fn len(&self) -> usize {
        self.glyphs.len()
    }

    /// The glyph of `c` in `font` and its advance per pixel of size.
    fn lookup(&mut self, font: &Arc<Font>, c: char) -> (u16, f32) {
        if self.chars.len() >= MAX_GLYPHS {
            self.chars.clear();
        }
        *self
            .chars
            .entry((font_id(font), c))
            .or_insert_with(|| font.glyph(c))
    }

    fn glyph(
        &mut self,
        font: &Arc<Font>,
        glyph: u16,
        size: f32,
        quarter: u8,
        luminance: u8,
    ) -> Arc<Glyph> {
        let key = Key {
            font: font_id(font),
            glyph,
            size: size.to_bits(),
            quarter,
            luminance,
        };
        if let Some(g) = self.glyphs.get(&key) {
            return Arc::clone(g);
        }
        if self.glyphs.len() >= MAX_GLYPHS {
            self.glyphs.clear();
            self.hinting.clear();
        }
        let hinting = self
            .hinting
            .entry((key.font, key.size))
            .or_insert_with(|| hinting_for(font, size));
        let glyph = Arc::new(rasterise(
            font,
            hinting.as_ref(),
            glyph,
            size,
            quarter,
            luminance,
        ));
        self.glyphs.insert(key, Arc::clone(&glyph));
        glyph
    }
}

/// FreeType's auto-hinter in light mode, as Skia asks for it with
/// subpixel positioning; `None` (unhinted) where a font cannot be hinted.
fn hinting_for(font: &Font, size: f32) -> Option<HintingInstance> {
    let f = font.font_ref()?;
    let options = HintingOptions {
        engine: Engine::Auto(Some(font.styles().clone())),
        target: HintTarget::Smooth {
            mode: SmoothMode::Light,
            symmetric_rendering: true,
            preserve_linear_metrics: true,
        },
    };
    HintingInstance::new(
        &f.outline_glyphs(),
        Size::new(size),
        LocationRef::default(),
        options,
    )
    .ok()
}

/// Collects an outline in pixels, y down, shifted right by `dx`.
struct Collect {
    dx: f32,
    segments: Vec<Segment>,
    start: Point,
    at: Point,
}

enum Segment {
    Line(Point, Point),
    Quad(Point, Point, Point),
    Cubic(Point, Point, Point, Point),
}

impl Collect {
    fn p(&self, x: f32, y: f32) -> Point {
        point(x + self.dx, -y)
    }
}

impl OutlinePen for Collect {
    fn move_to(&mut self, x: f32, y: f32) {
        self.start = self.p(x, y);
        self.at = self.start;
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.p(x, y);
        self.segments.push(Segment::Line(self.at, p));
        self.at = p;
    }
    fn quad_to(&mut self, cx: f32, cy: f32, x: f32, y: f32) {
        let (c, p) = (self.p(cx, cy), self.p(x, y));
        self.segments.push(Segment::Quad(self.at, c, p));
        self.at = p;
    }
    fn curve_to(&mut self, c0x: f32, c0y: f32, c1x: f32, c1y: f32, x: f32, y: f32) {
        let (c0, c1, p) = (self.p(c0x, c0y), self.p(c1x, c1y), self.p(x, y));
        self.segments.push(Segment::Cubic(self.at, c0, c1, p));
        self.at = p;
    }
    fn close(&mut self) {
        if self.at != self.start {
            self.segments.push(Segment::Line(self.at, self.start));
        }
        self.at = self.start;
    }
}

fn rasterise(
    font: &Font,
    hinting: Option<&HintingInstance>,
    glyph: u16,
    size: f32,
    quarter: u8,
    luminance: u8,
) -> Glyph {
    let empty = Glyph {
        left: 0,
        top: 0,
        width: 0,
        height: 0,
        mask: Vec::new(),
    };
    let Some(f) = font.font_ref() else {
        return empty;
    };
    let outlines = f.outline_glyphs();
    let Some(outline) = outlines.get(GlyphId::new(u32::from(glyph))) else {
        return empty;
    };
    let mut pen = Collect {
        dx: f32::from(quarter) / SUBPIXELS,
        segments: Vec::new(),
        start: point(0.0, 0.0),
        at: point(0.0, 0.0),
    };
    let drawn = match hinting {
        Some(h) => outline.draw(DrawSettings::hinted(h, false), &mut pen),
        None => outline.draw(
            DrawSettings::unhinted(Size::new(size), LocationRef::default()),
            &mut pen,
        ),
    };
    if drawn.is_err() || pen.segments.is_empty() {
        return empty;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    let mut extend = |p: &Point| {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    };
    for s in &pen.segments {
        match s {
            Segment::Line(a, b) => [a, b].into_iter().for_each(&mut extend),
            Segment::Quad(a, b, c) => [a, b, c].into_iter().for_each(&mut extend),
            Segment::Cubic(a, b, c, d) => [a, b, c, d].into_iter().for_each(&mut extend),
        }
    }
    if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
        return empty;
    }
    let (left, top) = (x0.floor(), y0.floor());
    let (width, height) = ((x1.ceil() - left) as usize, (y1.ceil() - top) as usize);
    if width == 0 || height == 0 || width > 4096 || height > 4096 {
        return empty;
    }
    let shift = |p: Point| point(p.x - left, p.y - top);
    let mut raster = Rasterizer::new(width, height);
    for s in pen.segments {
        match s {
            Segment::Line(a, b) => raster.draw_line(shift(a), shift(b)),
            Segment::Quad(a, b, c) => raster.draw_quad(shift(a), shift(b), shift(c)),
            Segment::Cubic(a, b, c, d) => raster.draw_cubic(shift(a), shift(b), shift(c), shift(d)),
        }
    }
    let lut = correction(luminance);
    let mut mask = vec![0u8; width * height];
    raster.for_each_pixel(|i, c| {
        if let Some(m) = mask.get_mut(i) {
            *m = lut[(c.clamp(0.0, 1.0) * 255.0 + 0.5) as usize];
        }
    });
    Glyph {
        left: left as i32,
        top: top as i32,
        width,
        height,
        mask,
    }
}

/// sRGB-encoded value to linear light.
fn to_linear(v: f32) -> f32 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn from_linear(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// Skia's text contrast (`SK_GAMMA_CONTRAST`; 0.5 fits real Skia's black
/// and white masks, see the golden tests of `@proj/picasso`).
const CONTRAST: f32 = 0.5;

/// The luminance Skia corrects a text colour's masks for: its luma in
/// sRGB, kept to 3 bits as Skia's mask gamma does.
fn luminance_bucket(color: Color) -> u8 {
    let luma = 0.2126 * to_linear(f32::from(color.r) / 255.0)
        + 0.7152 * to_linear(f32::from(color.g) / 255.0)
        + 0.0722 * to_linear(f32::from(color.b) / 255.0);
    let lum = (from_linear(luma) * 255.0 + 0.5) as u8;
    lum >> 5
}

/// The coverage table of a luminance bucket: the mask value that, blended
/// linearly onto the background Skia guesses (the opposite luminance),
/// gives what blending in linear light with a contrast boost would.
fn correction(bucket: u8) -> &'static [u8; 256] {
    static TABLES: OnceLock<[[u8; 256]; 8]> = OnceLock::new();
    let tables = TABLES.get_or_init(|| {
        let mut tables = [[0u8; 256]; 8];
        for (b, table) in tables.iter_mut().enumerate() {
            let b = b as u32;
            let src = ((b << 5) | (b << 2) | (b >> 1)) as f32 / 255.0;
            let dst = 1.0 - src;
            let (lin_src, lin_dst) = (to_linear(src), to_linear(dst));
            let contrast = CONTRAST * lin_dst;
            for (i, out) in table.iter_mut().enumerate() {
                let raw = i as f32 / 255.0;
                let a = raw + (1.0 - raw) * contrast * raw;
                let v = if (src - dst).abs() < 1.0 / 256.0 {
                    a
                } else {
                    let wanted = from_linear(lin_src * a + (1.0 - a) * lin_dst);
                    (wanted - dst) / (src - dst)
                };
                *out = (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            }
        }
        tables
    });
    &tables[usize::from(bucket.min(7))]
}

/// A font and its fallback for characters it lacks.
#[derive(Debug, Clone)]
pub struct FontSet {
    pub primary: Arc<Font>,
    pub fallback: Option<Arc<Font>>,
}

impl FontSet {
    /// The font that has `c` (the primary, else the fallback), its glyph
    /// and advance per pixel of size.
    fn lookup(&self, cache: &mut GlyphCache, c: char) -> (Arc<Font>, u16, f32) {
        let (index, advance) = cache.lookup(&self.primary, c);
        if index == 0 {
            if let Some(f) = &self.fallback {
                let (i, a) = cache.lookup(f, c);
                if i != 0 {
                    return (Arc::clone(f), i, a);
                }
            }
        }
        (Arc::clone(&self.primary), index, advance)
    }
}

/// Sizes above this are not drawn (a label 1,200 px tall is 12 × 100).
pub const MAX_FONT_SIZE: f32 = 1200.0;

fn drawable_size(size: f32) -> bool {
    size > 0.0 && size <= MAX_FONT_SIZE
}

/// A line's advance width at `size` pixels (Skia's `measure_str`).
pub fn measure(cache: &mut GlyphCache, fonts: &FontSet, text: &str, size: f32) -> f32 {
    if !drawable_size(size) {
        return 0.0;
    }
    text.chars()
        .map(|c| fonts.lookup(cache, c).2 * size)
        .sum::<f32>()
}

/// Draws `text` with its baseline starting at (`x`, `y`).
#[expect(clippy::too_many_arguments, reason = "a line's place, size and colour")]
pub fn draw_line(
    target: &mut impl Raster,
    cache: &mut GlyphCache,
    fonts: &FontSet,
    text: &str,
    x: f32,
    y: f32,
    size: f32,
    color: Color,
) {
    if !color.visible() || !drawable_size(size) || !x.is_finite() || !y.is_finite() {
        return;
    }
    let (width, height) = (target.width() as f32, target.height() as f32);
    if y + 2.0 * size < 0.0 || y - 2.0 * size > height || x > width {
        return;
    }
    let luminance = luminance_bucket(color);
    // Skia's rounding for subpixel glyphs: x + 1/8 split into a whole
    // pixel and a quarter, y + 1/2 floored.
    let baseline = (y + 0.5).floor() as i64;
    let mut pen = x;
    for c in text.chars() {
        if pen > width {
            break;
        }
        let (font, index, advance) = fonts.lookup(cache, c);
        let advance = advance * size;
        if pen + advance + size >= 0.0 {
            let at = pen + 0.5 / SUBPIXELS;
            let whole = at.floor();
            let quarter = (((at - whole) * SUBPIXELS) as u8).min(SUBPIXELS as u8 - 1);
            let glyph = cache.glyph(&font, index, size, quarter, luminance);
            if glyph.width > 0 {
                let gx = whole as i64 + i64::from(glyph.left);
                let gy = baseline + i64::from(glyph.top);
                let key = [
                    font.uid(),
                    (u32::from(index) << 16) | (u32::from(quarter) << 8) | u32::from(luminance),
                    size.to_bits(),
                ];
                target.blit_glyph(key, &glyph.mask, glyph.width, glyph.height, gx, gy, color);
            }
        }
        pen += advance;
    }
}
