//! Fonts: DejaVu Sans built in (what Skia's "sans-serif" resolves to on
//! Debian), any TTF/OTF a user registers under a family name. Read with
//! skrifa (Google's fontations, which Chrome's Skia also uses), which
//! hints outlines with FreeType's auto-hinter as Skia does.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use skrifa::instance::{LocationRef, Size};
use skrifa::outline::GlyphStyles;
use skrifa::{FontRef, MetadataProvider};

use crate::error::{DrawError, Result};

#[derive(Clone)]
enum Bytes {
    Static(&'static [u8]),
    Owned(Arc<[u8]>),
}

/// A checked font and what is worked out once per font.
pub struct Font {
    family: String,
    bytes: Bytes,
    /// Pixels per font unit at a size of 1 px (Skia's sizes are em sizes).
    em_scale: f32,
    /// The auto-hinter's glyph classification, computed once.
    styles: GlyphStyles,
    /// Unique in the process: names the font's glyphs in a GPU atlas.
    uid: u32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl Font {
    /// Reads TTF/OTF bytes; an error if they are not a font with outlines.
    pub fn from_bytes(family: &str, bytes: Vec<u8>) -> Result<Self> {
        Self::new(family, Bytes::Owned(bytes.into()))
    }

    fn new(family: &str, bytes: Bytes) -> Result<Self> {
        let fail = |reason: String| DrawError::Font {
            name: family.to_owned(),
            reason,
        };
        let data = match &bytes {
            Bytes::Static(b) => *b,
            Bytes::Owned(b) => b,
        };
        let font = FontRef::new(data).map_err(|e| fail(format!("not a TTF/OTF font: {e}")))?;
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        if upem <= 0.0 {
            return Err(fail("no units per em".into()));
        }
        let outlines = font.outline_glyphs();
        if outlines.format().is_none() {
            return Err(fail("no glyph outlines".into()));
        }
        let styles = GlyphStyles::new(&outlines);
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        Ok(Self {
            uid: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            family: family.to_owned(),
            em_scale: 1.0 / upem,
            styles,
            bytes,
        })
    }

    pub fn family(&self) -> &str {
        &self.family
    }

    /// The font's tables (cheap: reads the table directory).
    pub(crate) fn font_ref(&self) -> Option<FontRef<'_>> {
        let data = match &self.bytes {
            Bytes::Static(b) => *b,
            Bytes::Owned(b) => b,
        };
        FontRef::new(data).ok()
    }

    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }

    pub(crate) fn styles(&self) -> &GlyphStyles {
        &self.styles
    }

    /// The glyph for `c` (0 where the font has none) and its unhinted
    /// advance per pixel of size (Skia's linear advance).
    pub(crate) fn glyph(&self, c: char) -> (u16, f32) {
        let Some(font) = self.font_ref() else {
            return (0, 0.0);
        };
        let id = font.charmap().map(c).unwrap_or_default();
        let advance = font
            .glyph_metrics(Size::unscaled(), LocationRef::default())
            .advance_width(id)
            .unwrap_or(0.0);
        (
            u16::try_from(id.to_u32()).unwrap_or(0),
            advance * self.em_scale,
        )
    }
}

/// The family names of the built-in font.
pub const BUILT_IN: [&str; 4] = ["sans-serif", "sans", "dejavu sans", "default"];

fn built_in() -> Result<Arc<Font>> {
    static FONT: OnceLock<std::result::Result<Arc<Font>, DrawError>> = OnceLock::new();
    FONT.get_or_init(|| {
        Font::new("DejaVu Sans", Bytes::Static(dejavu::sans::regular())).map(Arc::new)
    })
    .clone()
}

fn registry() -> &'static RwLock<HashMap<String, Arc<Font>>> {
    static REGISTRY: OnceLock<RwLock<HashMap<String, Arc<Font>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn key(family: &str) -> String {
    family.trim().to_lowercase()
}

/// Registers `bytes` (a TTF or OTF file) as `family` (names are
/// case-insensitive); a later registration of the same name replaces it
/// for renderers made afterwards.
pub fn register_font(family: &str, bytes: &[u8]) -> Result<()> {
    let k = key(family);
    if k.is_empty() || BUILT_IN.contains(&k.as_str()) {
        return Err(DrawError::Font {
            name: family.to_owned(),
            reason: format!("an empty name or a built-in one ({})", BUILT_IN.join(", ")),
        });
    }
    let font = Arc::new(Font::from_bytes(family.trim(), bytes.to_vec())?);
    registry()
        .write()
        .map_err(|_| poisoned(family))?
        .insert(k, font);
    Ok(())
}

fn poisoned(family: &str) -> DrawError {
    DrawError::Font {
        name: family.to_owned(),
        reason: "the font registry was poisoned by a panic".into(),
    }
}

/// The font for `family`: the built-in DejaVu Sans for its names, else a
/// registered one.
pub fn font(family: &str) -> Result<Arc<Font>> {
    let k = key(family);
    if BUILT_IN.contains(&k.as_str()) {
        return built_in();
    }
    let found = registry()
        .read()
        .map_err(|_| poisoned(family))?
        .get(&k)
        .cloned();
    found.ok_or_else(|| DrawError::Font {
        name: family.to_owned(),
        reason: format!(
            "not registered; known: {}",
            families().unwrap_or_default().join(", ")
        ),
    })
}

/// The built-in font.
pub fn default_font() -> Result<Arc<Font>> {
    built_in()
}

/// Every family name that `font` answers.
pub fn families() -> Result<Vec<String>> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|s| (*s).to_owned()).collect();
    let registered = registry().read().map_err(|_| poisoned("*"))?;
    let mut extra: Vec<String> = registered.values().map(|f| f.family().to_owned()).collect();
    extra.sort();
    names.extend(extra);
    Ok(names)
}
