//! Gaussian-like blur of a region, in place: three box filters per
//! direction with Skia's window for the sigma (`GaussPass` in Skia's
//! `SkBlurEngine.cpp`), edges clamped at the region's bounds as Skia's
//! backdrop filter with `TileMode::Clamp` does. Only the region and a
//! scratch copy of it are touched.

#![expect(
    clippy::cast_possible_truncation,
    reason = "pixel indices clamped to the region and box sums of bytes divided back to bytes"
)]

/// Skia's box window for `sigma`: ⌊σ·3·√(2π)/4 + 0.5⌋, at least 1.
pub fn window(sigma: f32) -> usize {
    let w = (f64::from(sigma) * 3.0 * (2.0 * std::f64::consts::PI).sqrt() / 4.0 + 0.5).floor();
    if w.is_finite() && w >= 1.0 {
        (w as usize).min(1 << 11)
    } else {
        1
    }
}

/// The three passes as (reach left, reach right) of each box: an odd
/// window is centred three times; an even one is shifted left, then right,
/// then widened by one and centred, as Skia does.
pub(crate) fn passes(window: usize) -> [(usize, usize); 3] {
    if window % 2 == 1 {
        let r = window / 2;
        [(r, r); 3]
    } else {
        let h = window / 2;
        [(h, h - 1), (h - 1, h), (h, h)]
    }
}

use crate::geometry::overlap;
use crate::raster::{Region, Soft};
use crate::target::Target;

/// `sum / size` rounded, as a multiply: `(sum · inv + 2^21) >> 22`.
/// With `size` ≤ 2049 (the window is capped at 2048) and sums of bytes,
/// no product leaves a u32.
pub(crate) fn reciprocal(size: usize) -> u32 {
    ((1u64 << 22) as f64 / size as f64).round() as u32
}

#[inline(always)]
fn scaled(sum: u32, inv: u32) -> u8 {
    ((sum * inv + (1 << 21)) >> 22).min(255) as u8
}

/// One horizontal box pass over every row (`w` RGBA pixels each), edges
/// clamped: each output is the mean of the window `[x − left, x + right]`.
#[inline(always)]
fn box_rows(src: &[u8], dst: &mut [u8], w: usize, (left, right): (usize, usize)) {
    let inv = reciprocal(left + right + 1);
    let last = w - 1;
    for (s, d) in src.chunks_exact(w * 4).zip(dst.chunks_exact_mut(w * 4)) {
        let px = |i: usize| &s[i * 4..i * 4 + 4];
        let mut sum = [0u32; 4];
        for i in 0..=left + right {
            let p = px(i.saturating_sub(left).min(last));
            for k in 0..4 {
                sum[k] += u32::from(p[k]);
            }
        }
        for x in 0..w {
            let out = &mut d[x * 4..x * 4 + 4];
            for k in 0..4 {
                out[k] = scaled(sum[k], inv);
            }
            let (add, sub) = (px((x + right + 1).min(last)), px(x.saturating_sub(left)));
            for k in 0..4 {
                sum[k] = sum[k] + u32::from(add[k]) - u32::from(sub[k]);
            }
        }
    }
}

/// One vertical box pass: running sums per column and channel, rows read
/// in order.
#[inline(always)]
fn box_columns(
    src: &[u8],
    dst: &mut [u8],
    w: usize,
    h: usize,
    (up, down): (usize, usize),
    sums: &mut Vec<u32>,
) {
    let inv = reciprocal(up + down + 1);
    let stride = w * 4;
    let row = |y: usize| &src[y * stride..(y + 1) * stride];
    sums.clear();
    sums.resize(stride, 0);
    for i in 0..=up + down {
        for (s, &v) in sums.iter_mut().zip(row(i.saturating_sub(up).min(h - 1))) {
            *s += u32::from(v);
        }
    }
    for y in 0..h {
        for (o, &s) in dst[y * stride..(y + 1) * stride]
            .iter_mut()
            .zip(sums.iter())
        {
            *o = scaled(s, inv);
        }
        let (add, sub) = (row((y + down + 1).min(h - 1)), row(y.saturating_sub(up)));
        for ((s, &a), &b) in sums.iter_mut().zip(add).zip(sub) {
            *s = *s + u32::from(a) - u32::from(b);
        }
    }
}

/// Blurs a `w × h` RGBA picture held in `pixels` (rows of `w × 4` bytes)
/// in place; `scratch` and `sums` are reused between calls. Where the CPU
/// has AVX2 the same loops are compiled for it (u32 multiplies in vector
/// registers), chosen at run time.
pub fn blur_pixels(
    pixels: &mut [u8],
    scratch: &mut Vec<u8>,
    sums: &mut Vec<u32>,
    w: usize,
    h: usize,
    sigma: f32,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { blur_avx2(pixels, scratch, sums, w, h, sigma) };
        return;
    }
    blur_generic(pixels, scratch, sums, w, h, sigma);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn blur_avx2(
    pixels: &mut [u8],
    scratch: &mut Vec<u8>,
    sums: &mut Vec<u32>,
    w: usize,
    h: usize,
    sigma: f32,
) {
    blur_generic(pixels, scratch, sums, w, h, sigma);
}

#[inline(always)]
fn blur_generic(
    pixels: &mut [u8],
    scratch: &mut Vec<u8>,
    sums: &mut Vec<u32>,
    w: usize,
    h: usize,
    sigma: f32,
) {
    let size = w * h * 4;
    if w == 0 || h == 0 || pixels.len() < size {
        return;
    }
    let pixels = &mut pixels[..size];
    let [p0, p1, p2] = passes(window(sigma));
    scratch.clear();
    scratch.resize(size, 0);
    // Six passes ping-ponging between the two buffers, ending in `pixels`.
    box_rows(pixels, scratch, w, p0);
    box_rows(scratch, pixels, w, p1);
    box_rows(pixels, scratch, w, p2);
    box_columns(scratch, pixels, w, h, p0, sums);
    box_columns(pixels, scratch, w, h, p1, sums);
    box_columns(scratch, pixels, w, h, p2, sums);
}

/// Reused memory of the blurs run on one thread.
#[derive(Default)]
struct Scratch {
    region: Vec<u8>,
    original: Vec<u8>,
    scratch: Vec<u8>,
    sums: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// `out = blurred · c + before · (1 − c)` for one pixel, `c` in 0–255.
#[inline(always)]
pub(crate) fn mix(out: &mut [u8], blurred: &[u8], before: &[u8], c: u8) {
    let c = u32::from(c);
    for k in 0..4 {
        out[k] = crate::blend::div255(u32::from(blurred[k]) * c + u32::from(before[k]) * (255 - c))
            as u8;
    }
}

/// The coverage byte of a pixel of a soft-edged rectangle.
#[inline(always)]
pub(crate) fn soft_coverage(v: f32, h: f32) -> u8 {
    (v * h * 255.0 + 0.5) as u8
}

/// Blurs `region` of `target` in place, laid back by `soft`.
pub(crate) fn blur_region(target: &mut Target<'_>, region: Region, sigma: f32, soft: Soft<'_>) {
    SCRATCH.with(|cell| {
        let Ok(mut s) = cell.try_borrow_mut() else {
            return;
        };
        let Scratch {
            region: pixels,
            original,
            scratch,
            sums,
        } = &mut *s;
        let (w, h) = (region.width(), region.height());
        let row_bytes = w * 4;
        pixels.clear();
        for y in region.y0..region.y1 {
            pixels.extend_from_slice(target.span_mut(y, region.x0, region.x1));
        }
        if !matches!(soft, Soft::Whole) {
            original.clear();
            original.extend_from_slice(pixels);
        }
        blur_pixels(pixels, scratch, sums, w, h, sigma);
        match soft {
            Soft::Whole => {
                for (row, y) in (region.y0..region.y1).enumerate() {
                    target
                        .span_mut(y, region.x0, region.x1)
                        .copy_from_slice(&pixels[row * row_bytes..(row + 1) * row_bytes]);
                }
            }
            Soft::Aligned(d) => {
                // Coverage is a row's × a column's: whole inside, soft only
                // on the edge rows and columns.
                let across: Vec<f32> = (region.x0..region.x1)
                    .map(|x| overlap(x, d.left, d.right))
                    .collect();
                let first_full = across.iter().position(|&c| c >= 1.0).unwrap_or(w);
                let end_full = across
                    .iter()
                    .rposition(|&c| c >= 1.0)
                    .map_or(first_full, |i| i + 1);
                for (row, y) in (region.y0..region.y1).enumerate() {
                    let span = target.span_mut(y, region.x0, region.x1);
                    let blurred = &pixels[row * row_bytes..(row + 1) * row_bytes];
                    let before = &original[row * row_bytes..(row + 1) * row_bytes];
                    let v = overlap(y, d.top, d.bottom);
                    let (start, end) = if v >= 1.0 {
                        (first_full, end_full)
                    } else {
                        (w, w)
                    };
                    if start < end {
                        span[start * 4..end * 4].copy_from_slice(&blurred[start * 4..end * 4]);
                    }
                    for i in (0..start).chain(end.max(start)..w) {
                        let c = soft_coverage(v, across[i]);
                        mix(
                            &mut span[i * 4..i * 4 + 4],
                            &blurred[i * 4..i * 4 + 4],
                            &before[i * 4..i * 4 + 4],
                            c,
                        );
                    }
                }
            }
            Soft::Mask(coverage) => {
                for (row, y) in (region.y0..region.y1).enumerate() {
                    let span = target.span_mut(y, region.x0, region.x1);
                    let blurred = &pixels[row * row_bytes..(row + 1) * row_bytes];
                    let before = &original[row * row_bytes..(row + 1) * row_bytes];
                    let Some(cov) = coverage.get(row * w..(row + 1) * w) else {
                        return;
                    };
                    for (i, &c) in cov.iter().enumerate() {
                        mix(
                            &mut span[i * 4..i * 4 + 4],
                            &blurred[i * 4..i * 4 + 4],
                            &before[i * 4..i * 4 + 4],
                            c,
                        );
                    }
                }
            }
        }
    });
}

/// Skia's sigma for an object's blur: 10 % of the box's smaller side,
/// clamped to 2–40.
pub fn object_sigma(width: f32, height: f32) -> f32 {
    (width.min(height) * 0.1).clamp(2.0, 40.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skia_windows() {
        // ⌊σ · 1.88 + 0.5⌋
        assert_eq!(window(2.0), 4);
        assert_eq!(window(20.0), 38);
        assert_eq!(window(40.0), 75);
        assert_eq!(window(0.1), 1);
        assert_eq!(window(f32::NAN), 1);
    }

    #[test]
    fn a_flat_picture_stays_flat_and_an_edge_spreads_symmetrically() {
        let (w, h) = (40, 9);
        let mut flat = vec![77u8; w * h * 4];
        let (mut scratch, mut sums) = (Vec::new(), Vec::new());
        blur_pixels(&mut flat, &mut scratch, &mut sums, w, h, 5.0);
        assert!(flat.iter().all(|&v| v == 77));

        let mut step: Vec<u8> = (0..w * h)
            .flat_map(|i| if i % w < w / 2 { [0u8; 4] } else { [200u8; 4] })
            .collect();
        blur_pixels(&mut step, &mut scratch, &mut sums, w, h, 3.0);
        let at = |x: usize| step[(4 * w + x) * 4];
        assert!(
            at(0) < 5 && at(w - 1) > 195,
            "ends keep their levels (clamp)"
        );
        assert!(
            (i32::from(at(w / 2 - 1)) + i32::from(at(w / 2)) - 200).abs() <= 4,
            "symmetric around the edge"
        );
        assert!((1..w).all(|x| at(x) >= at(x - 1)), "monotonic");
    }
}
