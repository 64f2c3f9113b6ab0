//! A picture's drawing recorded instead of done: the primitives the
//! painter produces (frames, coverage masks, glyphs, blurs, layers), in
//! order, with their masks in one arena (glyphs named, for the GPU's glyph
//! atlas to keep from frame to frame), for the GPU to execute
//! (`proj_buffers::DrawPlan`, `cuda/draw.cu`) with the same arithmetic as
//! the CPU `Target`.

use std::collections::HashMap;

use proj_buffers::{BlurSoft, DrawPlan, DrawPrim, GlyphRef, PrimKind};

use crate::blur::{passes, reciprocal, window};
use crate::geometry::RectF;
use crate::raster::{clip_frame, Raster, Region, Soft};
use crate::spec::Color;
use crate::target::{ChannelOrder, MAX_SIDE};

/// The most arena bytes one picture's drawing may use (masks, layers).
const MAX_ARENA: usize = 1 << 30;

/// Primitives for a `width × height` picture.
#[derive(Debug)]
pub struct Recording {
    width: u32,
    height: u32,
    order: ChannelOrder,
    prims: Vec<DrawPrim>,
    arena: Vec<u8>,
    /// Masks already in the arena (a glyph drawn twice is stored once):
    /// (address, length) → offset, checked byte for byte on a hit.
    stored: HashMap<(usize, usize), u32>,
    /// The glyphs drawn, each once: name → index in `glyph_refs`.
    glyphs: HashMap<[u32; 3], u32>,
    glyph_refs: Vec<GlyphRef>,
}

impl Recording {
    pub fn new(width: u32, height: u32, order: ChannelOrder) -> Self {
        Self {
            width: width.min(MAX_SIDE),
            height: height.min(MAX_SIDE),
            order,
            prims: Vec::new(),
            arena: Vec::new(),
            stored: HashMap::new(),
            glyphs: HashMap::new(),
            glyph_refs: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.prims.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prims.is_empty()
    }

    /// The plan the GPU runs (its glyphs still to be resolved against the
    /// GPU's glyph atlas).
    pub fn plan(self) -> DrawPlan {
        DrawPlan::build(
            self.width,
            self.height,
            &self.prims,
            self.arena,
            self.glyph_refs,
        )
    }

    /// Stores `bytes` in the arena (once per mask); `None` when full.
    fn store(&mut self, bytes: &[u8]) -> Option<u32> {
        let key = (bytes.as_ptr() as usize, bytes.len());
        if let Some(&at) = self.stored.get(&key) {
            let at_usize = at as usize;
            if self.arena.get(at_usize..at_usize + bytes.len()) == Some(bytes) {
                return Some(at);
            }
        }
        if self.arena.len() + bytes.len() > MAX_ARENA {
            return None;
        }
        let at = u32::try_from(self.arena.len()).ok()?;
        self.arena.extend_from_slice(bytes);
        self.stored.insert(key, at);
        Some(at)
    }
}

impl Recording {
    /// A visible mask's bytes and where it lands (unclipped), or `None`
    /// when nothing of it would show.
    fn placed<'m>(
        &self,
        mask: &'m [u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    ) -> Option<(&'m [u8], [i32; 4])> {
        let size = mask_w * mask_h;
        if !color.visible() || mask_w == 0 || mask.len() < size {
            return None;
        }
        let (w, h) = (i64::from(self.width), i64::from(self.height));
        let (x1, y1) = (x + mask_w as i64, y + mask_h as i64);
        if x1 <= 0 || y1 <= 0 || x >= w || y >= h {
            return None;
        }
        Some((
            &mask[..size],
            [x, y, x1, y1].map(|v| i32::try_from(v).unwrap_or(i32::MAX)),
        ))
    }

    fn push_mask(&mut self, kind: PrimKind, offset: u32, rect: [i32; 4], color: Color) {
        self.prims.push(DrawPrim {
            kind,
            pixel: self.order.pixel(color),
            alpha: color.a,
            offset,
            rect,
            ..DrawPrim::default()
        });
    }
}

fn region_rect(r: Region) -> [i32; 4] {
    [r.x0, r.y0, r.x1, r.y1].map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

impl Raster for Recording {
    fn width(&self) -> u32 {
        self.width
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn order(&self) -> ChannelOrder {
        self.order
    }

    fn fill_frame(&mut self, outer: RectF, inner: Option<RectF>, color: Color) {
        if !color.visible() {
            return;
        }
        let Some((outer, inner)) = clip_frame(outer, inner, self.width, self.height) else {
            return;
        };
        let inner = inner.map_or([1.0, 0.0, 0.0, 0.0], |i| [i.left, i.top, i.right, i.bottom]);
        self.prims.push(DrawPrim {
            kind: PrimKind::Frame,
            pixel: self.order.pixel(color),
            alpha: color.a,
            outer: [outer.left, outer.top, outer.right, outer.bottom],
            inner,
            ..DrawPrim::default()
        });
    }

    fn blit_mask(
        &mut self,
        mask: &[u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    ) {
        let Some((mask, rect)) = self.placed(mask, mask_w, mask_h, x, y, color) else {
            return;
        };
        if let Some(offset) = self.store(mask) {
            self.push_mask(PrimKind::Mask, offset, rect, color);
        }
    }

    fn blit_glyph(
        &mut self,
        key: [u32; 3],
        mask: &[u8],
        mask_w: usize,
        mask_h: usize,
        x: i64,
        y: i64,
        color: Color,
    ) {
        let Some((mask, rect)) = self.placed(mask, mask_w, mask_h, x, y, color) else {
            return;
        };
        let index = match self.glyphs.get(&key) {
            Some(&i) => i,
            None => {
                let Some(arena_offset) = self.store(mask) else {
                    return;
                };
                let Ok(i) = u32::try_from(self.glyph_refs.len()) else {
                    return;
                };
                let len = u32::try_from(mask.len()).unwrap_or(u32::MAX);
                self.glyph_refs.push(GlyphRef {
                    key,
                    arena_offset,
                    len,
                });
                self.glyphs.insert(key, i);
                i
            }
        };
        self.push_mask(PrimKind::Glyph, index, rect, color);
    }

    fn blur(&mut self, region: Region, sigma: f32, soft: Soft<'_>) {
        let [p0, p1, p2] = passes(window(sigma));
        let reach =
            |(l, r): (usize, usize)| [u32::try_from(l).unwrap_or(0), u32::try_from(r).unwrap_or(0)];
        let inv = [p0, p1, p2].map(|(l, r)| reciprocal(l + r + 1));
        let mut prim = DrawPrim {
            kind: PrimKind::Blur,
            rect: region_rect(region),
            inv,
            ..DrawPrim::default()
        };
        let [a, b] = reach(p0);
        let [c, d] = reach(p1);
        let [e, f] = reach(p2);
        prim.passes = [a, b, c, d, e, f];
        match soft {
            Soft::Whole => prim.soft = BlurSoft::Whole,
            Soft::Aligned(r) => {
                prim.soft = BlurSoft::Aligned;
                prim.outer = [r.left, r.top, r.right, r.bottom];
            }
            Soft::Mask(coverage) => {
                // A fresh mask each time: never deduplicated by address.
                let Some(offset) = u32::try_from(self.arena.len()).ok() else {
                    return;
                };
                if self.arena.len() + coverage.len() > MAX_ARENA {
                    return;
                }
                self.arena.extend_from_slice(coverage);
                prim.soft = BlurSoft::Mask;
                prim.offset = offset;
            }
        }
        self.prims.push(prim);
    }

    fn composite(&mut self, layer: &[u8], region: Region) {
        let size = region.width() * region.height() * 4;
        if layer.len() < size || self.arena.len() + size > MAX_ARENA {
            return;
        }
        let Some(offset) = u32::try_from(self.arena.len()).ok() else {
            return;
        };
        self.arena.extend_from_slice(&layer[..size]);
        self.prims.push(DrawPrim {
            kind: PrimKind::Layer,
            offset,
            rect: region_rect(region),
            ..DrawPrim::default()
        });
    }
}
