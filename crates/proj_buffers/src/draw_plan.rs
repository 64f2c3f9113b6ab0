//! A draw list for a picture in GPU memory: the primitives the drawing
//! crate records (frames, coverage masks, premultiplied layers, blurs), cut
//! into runs between blurs and binned into 16 × 16 tiles, ready for
//! `cuda/draw.cu` (and its host harness, which runs the same plan).

#![expect(
    clippy::cast_possible_truncation,
    reason = "tile, item and primitive counts stay under MAX_ITEMS (< 2^31), pixel coordinates under 32768"
)]

/// The most tile entries one plan holds; primitives past it are not drawn
/// (and a warning is logged). 2^26 entries is 256 MiB of items.
pub const MAX_ITEMS: usize = 1 << 26;

/// Side of a tile in pixels.
pub const TILE: i32 = 16;

/// What a primitive is (`DRAW_*` in draw.cu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrimKind {
    /// `outer` minus `inner`, exact area coverage.
    #[default]
    Frame = 0,
    /// A coverage mask from the arena, landing on `rect`.
    Mask = 1,
    /// Premultiplied pixels from the arena for `rect`.
    Layer = 2,
    /// A blur of `rect`.
    Blur = 3,
    /// A glyph's coverage from the glyph atlas, landing on `rect`; until
    /// the plan is resolved against an atlas, `offset` is its index in
    /// `DrawPlan::glyphs`.
    Glyph = 4,
}

/// How a blur is laid back (`SOFT_*` in draw.cu).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlurSoft {
    #[default]
    Whole = 0,
    /// Area coverage of `outer`.
    Aligned = 1,
    /// A coverage mask of `rect`'s size from the arena.
    Mask = 2,
}

/// One primitive; `words` lays it out as draw.cu's `DrawPrim`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DrawPrim {
    pub kind: PrimKind,
    /// The colour's bytes in the picture's channel order, alpha lane 255.
    pub pixel: [u8; 4],
    pub alpha: u8,
    pub offset: u32,
    pub outer: [f32; 4],
    /// A frame's hole; `[1, 0, 0, 0]` (left > right) for none.
    pub inner: [f32; 4],
    /// x0, y0, x1, y1.
    pub rect: [i32; 4],
    pub soft: BlurSoft,
    pub passes: [u32; 6],
    pub inv: [u32; 3],
}

impl DrawPrim {
    /// Four-byte words per primitive.
    pub const WORDS: usize = 26;

    pub fn words(&self, out: &mut Vec<u32>) {
        out.push(self.kind as u32);
        out.push(u32::from_le_bytes(self.pixel));
        out.push(u32::from(self.alpha));
        out.push(self.offset);
        out.extend(self.outer.map(f32::to_bits));
        out.extend(self.inner.map(f32::to_bits));
        out.extend(self.rect.map(|v| v as u32));
        out.push(self.soft as u32);
        out.extend(self.passes);
        out.extend(self.inv);
    }

    /// The pixels it can touch, clipped to the picture (`None`: none).
    fn bounds(&self, width: i32, height: i32) -> Option<[i32; 4]> {
        let [x0, y0, x1, y1] = match self.kind {
            PrimKind::Frame => {
                let [l, t, r, b] = self.outer;
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "a frame is clipped to the picture when recorded"
                )]
                let bounds = [
                    l.floor() as i32,
                    t.floor() as i32,
                    r.ceil() as i32,
                    b.ceil() as i32,
                ];
                bounds
            }
            PrimKind::Mask | PrimKind::Layer | PrimKind::Blur | PrimKind::Glyph => self.rect,
        };
        let (x0, y0, x1, y1) = (x0.max(0), y0.max(0), x1.min(width), y1.min(height));
        (x0 < x1 && y0 < y1).then_some([x0, y0, x1, y1])
    }
}

/// One launch, or a blur's pair of launches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawStep {
    /// `draw_tiles` over `tiles[first .. first + count]`.
    Tiles { first: u32, count: u32 },
    /// `draw_blur_rows` then `draw_blur_columns` for primitive `prim`.
    Blur { prim: u32, width: u32, height: u32 },
}

/// Everything a picture's draw list needs on the GPU.
#[derive(Debug, Clone, Default)]
pub struct DrawPlan {
    /// The primitives, `DrawPrim::WORDS` words each.
    pub prims: Vec<u32>,
    /// Per tile: its first pixel (x, y) and its items (start, end).
    pub tiles: Vec<[i32; 4]>,
    /// Primitive numbers, tile after tile, in drawing order within a tile.
    pub items: Vec<i32>,
    pub steps: Vec<DrawStep>,
    /// Masks, layers and blur coverages.
    pub arena: Vec<u8>,
    /// The largest blur region, in bytes (each of two scratch buffers).
    pub blur_bytes: usize,
    /// The glyphs the plan draws: their names and masks (in the arena).
    pub glyphs: Vec<GlyphRef>,
}

/// A glyph a plan draws: its name (font, glyph, size, quarter, luminance)
/// and where its mask lies in the plan's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlyphRef {
    pub key: [u32; 3],
    pub arena_offset: u32,
    pub len: u32,
}

impl DrawPlan {
    /// Cuts `prims` into runs between blurs and bins each run's
    /// primitives into the tiles they touch, keeping their order.
    pub fn build(
        width: u32,
        height: u32,
        prims: &[DrawPrim],
        arena: Vec<u8>,
        glyphs: Vec<GlyphRef>,
    ) -> Self {
        let (w, h) = (
            i32::try_from(width).unwrap_or(i32::MAX),
            i32::try_from(height).unwrap_or(i32::MAX),
        );
        let (tiles_x, tiles_y) = ((w + TILE - 1) / TILE, (h + TILE - 1) / TILE);
        let tile_count = (tiles_x * tiles_y) as usize;
        let mut plan = Self {
            arena,
            glyphs,
            ..Self::default()
        };
        for p in prims {
            p.words(&mut plan.prims);
        }
        let mut counts = vec![0u32; tile_count];
        let mut run: Vec<(usize, [i32; 4])> = Vec::new();
        let mut flush = |plan: &mut Self, run: &mut Vec<(usize, [i32; 4])>| {
            if run.is_empty() {
                return;
            }
            counts.iter_mut().for_each(|c| *c = 0);
            for (_, [x0, y0, x1, y1]) in run.iter() {
                for ty in y0 / TILE..=(y1 - 1) / TILE {
                    for tx in x0 / TILE..=(x1 - 1) / TILE {
                        counts[(ty * tiles_x + tx) as usize] += 1;
                    }
                }
            }
            let first = plan.tiles.len() as u32;
            let mut cursor = vec![0usize; tile_count];
            for (t, &n) in counts.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let start = plan.items.len();
                cursor[t] = start;
                plan.items.resize(start + n as usize, 0);
                let t = t as i32;
                plan.tiles.push([
                    (t % tiles_x) * TILE,
                    (t / tiles_x) * TILE,
                    start as i32,
                    (start + n as usize) as i32,
                ]);
            }
            for (index, [x0, y0, x1, y1]) in run.iter() {
                for ty in y0 / TILE..=(y1 - 1) / TILE {
                    for tx in x0 / TILE..=(x1 - 1) / TILE {
                        let t = (ty * tiles_x + tx) as usize;
                        plan.items[cursor[t]] = *index as i32;
                        cursor[t] += 1;
                    }
                }
            }
            let count = plan.tiles.len() as u32 - first;
            plan.steps.push(DrawStep::Tiles { first, count });
            run.clear();
        };
        let mut planned = 0usize;
        for (index, p) in prims.iter().enumerate() {
            let Some(bounds) = p.bounds(w, h) else {
                continue;
            };
            let [x0, y0, x1, y1] = bounds;
            planned +=
                (((x1 - 1) / TILE - x0 / TILE + 1) * ((y1 - 1) / TILE - y0 / TILE + 1)) as usize;
            if planned > MAX_ITEMS {
                tracing::warn!(
                    "a draw list of {} primitives is too large for one GPU plan: {} not drawn",
                    prims.len(),
                    prims.len() - index
                );
                break;
            }
            if p.kind == PrimKind::Blur {
                flush(&mut plan, &mut run);
                let [x0, y0, x1, y1] = p.rect;
                if bounds != p.rect {
                    continue; // recorded blurs are clipped already; anything else is skipped
                }
                plan.blur_bytes = plan.blur_bytes.max(((x1 - x0) * (y1 - y0) * 4) as usize);
                plan.steps.push(DrawStep::Blur {
                    prim: index as u32,
                    width: (x1 - x0) as u32,
                    height: (y1 - y0) as u32,
                });
            } else {
                run.push((index, bounds));
            }
        }
        flush(&mut plan, &mut run);
        plan
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Points the plan's glyph primitives at their masks in `atlas`,
    /// adding the glyphs it lacks; returns the atlas bytes to upload.
    pub fn resolve_glyphs(&mut self, atlas: &mut GlyphAtlas) -> AtlasUpload {
        let mut whole = false;
        // A full atlas starts over, and the plan's glyphs are placed again
        // in the fresh one (then allowed past the limit, so this ends).
        let offsets = loop {
            let mut offsets = Vec::with_capacity(self.glyphs.len());
            let mut restarted = false;
            for g in &self.glyphs {
                let start = g.arena_offset as usize;
                let mask = self
                    .arena
                    .get(start..start + g.len as usize)
                    .unwrap_or_default();
                let (offset, r) = atlas.offset_of(g.key, mask, !whole);
                if r {
                    restarted = true;
                    break;
                }
                offsets.push(offset);
            }
            if !restarted {
                break offsets;
            }
            whole = true;
        };
        for prim in self.prims.chunks_exact_mut(DrawPrim::WORDS) {
            if prim[0] == PrimKind::Glyph as u32 {
                prim[3] = offsets.get(prim[3] as usize).copied().unwrap_or(0);
            }
        }
        if whole {
            AtlasUpload::Whole
        } else {
            atlas.pending()
        }
    }
}

/// What of an atlas a device copy lacks after a plan was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtlasUpload {
    Nothing,
    /// The bytes from this offset on.
    From(usize),
    /// Everything (the atlas started over).
    Whole,
}

/// Glyph masks kept for a GPU from frame to frame: each glyph is stored
/// (and uploaded) once, as the atlas grows; a full atlas starts over.
#[derive(Debug, Default)]
pub struct GlyphAtlas {
    bytes: Vec<u8>,
    index: std::collections::HashMap<[u32; 3], (u32, u32)>,
    /// How many bytes the device copy holds.
    uploaded: usize,
}

impl GlyphAtlas {
    /// The most bytes an atlas keeps before it starts over.
    pub const MAX_BYTES: usize = 64 << 20;

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn glyphs(&self) -> usize {
        self.index.len()
    }

    /// The device copy now holds everything.
    pub fn mark_uploaded(&mut self) {
        self.uploaded = self.bytes.len();
    }

    fn pending(&self) -> AtlasUpload {
        if self.uploaded < self.bytes.len() {
            AtlasUpload::From(self.uploaded)
        } else {
            AtlasUpload::Nothing
        }
    }

    /// The offset of `key`'s mask, added if new. When it does not fit and
    /// `may_restart`, the atlas is emptied instead and `(0, true)` says so.
    fn offset_of(&mut self, key: [u32; 3], mask: &[u8], may_restart: bool) -> (u32, bool) {
        if let Some(&(offset, len)) = self.index.get(&key) {
            if len as usize == mask.len() {
                return (offset, false);
            }
        }
        if may_restart && self.bytes.len() + mask.len() > Self::MAX_BYTES {
            self.bytes.clear();
            self.index.clear();
            self.uploaded = 0;
            return (0, true);
        }
        let offset = self.bytes.len() as u32;
        self.bytes.extend_from_slice(mask);
        self.index.insert(key, (offset, mask.len() as u32));
        (offset, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_cut_at_blurs_and_tiles_keep_the_order() {
        let frame = |l: f32, t: f32, r: f32, b: f32| DrawPrim {
            outer: [l, t, r, b],
            inner: [1.0, 0.0, 0.0, 0.0],
            alpha: 255,
            ..DrawPrim::default()
        };
        let blur = DrawPrim {
            kind: PrimKind::Blur,
            rect: [0, 0, 8, 8],
            ..DrawPrim::default()
        };
        let prims = [
            frame(0.0, 0.0, 40.0, 20.0),
            frame(10.5, 2.0, 12.0, 3.0),
            blur,
            frame(34.0, 34.0, 37.0, 37.0),
            frame(-5.0, -5.0, -1.0, -1.0),
        ];
        let plan = DrawPlan::build(64, 48, &prims, Vec::new(), Vec::new());
        assert_eq!(plan.prims.len(), prims.len() * DrawPrim::WORDS);
        assert_eq!(plan.steps.len(), 3);
        let DrawStep::Tiles { first: 0, count } = plan.steps[0] else {
            panic!("a run of tiles first: {:?}", plan.steps[0]);
        };
        assert_eq!(count, 3 * 2, "the first frame covers 3 × 2 tiles");
        let first_tile = plan.tiles[0];
        assert_eq!(
            &plan.items[first_tile[2] as usize..first_tile[3] as usize],
            &[0, 1]
        );
        assert_eq!(
            plan.steps[1],
            DrawStep::Blur {
                prim: 2,
                width: 8,
                height: 8
            }
        );
        assert_eq!(
            plan.steps[2],
            DrawStep::Tiles { first: 6, count: 1 },
            "the off-picture frame is dropped"
        );
        assert_eq!(plan.blur_bytes, 8 * 8 * 4);
    }

    #[test]
    fn glyphs_are_stored_once_and_uploaded_as_the_atlas_grows() {
        let glyph = |index: u32| DrawPrim {
            kind: PrimKind::Glyph,
            offset: index,
            rect: [0, 0, 2, 2],
            alpha: 255,
            ..DrawPrim::default()
        };
        let refs = |keys: &[u32]| -> (Vec<u8>, Vec<GlyphRef>) {
            let mut arena = Vec::new();
            let glyphs = keys
                .iter()
                .map(|&k| {
                    let at = arena.len() as u32;
                    arena.extend_from_slice(&[k as u8; 4]);
                    GlyphRef {
                        key: [1, k, 0],
                        arena_offset: at,
                        len: 4,
                    }
                })
                .collect();
            (arena, glyphs)
        };
        let mut atlas = GlyphAtlas::default();
        let (arena, glyphs) = refs(&[7, 9]);
        let mut first = DrawPlan::build(8, 8, &[glyph(0), glyph(1)], arena, glyphs);
        assert_eq!(first.resolve_glyphs(&mut atlas), AtlasUpload::From(0));
        atlas.mark_uploaded();
        assert_eq!(atlas.bytes(), &[7, 7, 7, 7, 9, 9, 9, 9]);
        assert_eq!(first.prims[3], 0);
        assert_eq!(first.prims[DrawPrim::WORDS + 3], 4);
        // The next frame reuses 9 and adds 5: only 5's bytes go up.
        let (arena, glyphs) = refs(&[9, 5]);
        let mut second = DrawPlan::build(8, 8, &[glyph(0), glyph(1)], arena, glyphs);
        assert_eq!(second.resolve_glyphs(&mut atlas), AtlasUpload::From(8));
        assert_eq!(second.prims[3], 4);
        assert_eq!(second.prims[DrawPrim::WORDS + 3], 8);
        atlas.mark_uploaded();
        let (arena, glyphs) = refs(&[5]);
        let mut third = DrawPlan::build(8, 8, &[glyph(0)], arena, glyphs);
        assert_eq!(third.resolve_glyphs(&mut atlas), AtlasUpload::Nothing);
        assert_eq!(atlas.glyphs(), 3);
    }
}
