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
        (w as usize).min(1 << 12)
    } else {
        1
    }
}

/// The three passes as (reach left, reach right) of each box: an odd
/// window is centred three times; an even one is shifted left, then right,
/// then widened by one and centred, as Skia does.
fn passes(window: usize) -> [(usize, usize); 3] {
    if window % 2 == 1 {
        let r = window / 2;
        [(r, r); 3]
    } else {
        let h = window / 2;
        [(h, h - 1), (h - 1, h), (h, h)]
    }
}

/// One box pass along a line of `n` pixels whose channel `c` of pixel `i`
/// is at `src[i * step + c]`, clamped at both ends.
fn box_line(src: &[u8], dst: &mut [u8], n: usize, step: usize, (left, right): (usize, usize)) {
    let size = (left + right + 1) as u64;
    // sum / size, rounded, as a multiply: exact for sums up to 255 × 8193.
    let inv = (1u64 << 32).div_ceil(size);
    let at = |i: i64| (i.clamp(0, n as i64 - 1) as usize) * step;
    for c in 0..4 {
        let mut sum: u64 = (-(left as i64)..=right as i64)
            .map(|i| u64::from(src[at(i) + c]))
            .sum();
        for i in 0..n {
            dst[i * step + c] = ((sum * inv + (1u64 << 31)) >> 32).min(255) as u8;
            sum += u64::from(src[at(i as i64 + right as i64 + 1) + c]);
            sum -= u64::from(src[at(i as i64 - left as i64) + c]);
        }
    }
}

/// Blurs a `w × h` RGBA picture held in `pixels` (rows of `w × 4` bytes),
/// using `scratch` as the second buffer.
pub fn blur_pixels(pixels: &mut [u8], scratch: &mut Vec<u8>, w: usize, h: usize, sigma: f32) {
    if w == 0 || h == 0 || pixels.len() < w * h * 4 {
        return;
    }
    let passes = passes(window(sigma));
    scratch.clear();
    scratch.resize(w * h * 4, 0);
    // Horizontal: rows are contiguous.
    for pass in passes {
        for (src, dst) in pixels
            .chunks_exact(w * 4)
            .zip(scratch.chunks_exact_mut(w * 4))
        {
            box_line(src, dst, w, 4, pass);
        }
        pixels[..w * h * 4].copy_from_slice(scratch);
    }
    // Vertical: running column sums, row after row, so memory is read in order.
    for pass in passes {
        box_columns(pixels, scratch, w, h, pass);
        pixels[..w * h * 4].copy_from_slice(scratch);
    }
}

fn box_columns(src: &[u8], dst: &mut [u8], w: usize, h: usize, (up, down): (usize, usize)) {
    let size = (up + down + 1) as u64;
    let inv = (1u64 << 32).div_ceil(size);
    let row = |i: i64| {
        let y = i.clamp(0, h as i64 - 1) as usize;
        &src[y * w * 4..(y + 1) * w * 4]
    };
    let mut sums = vec![0u32; w * 4];
    for i in -(up as i64)..=down as i64 {
        for (s, &v) in sums.iter_mut().zip(row(i)) {
            *s += u32::from(v);
        }
    }
    for y in 0..h {
        let out = &mut dst[y * w * 4..(y + 1) * w * 4];
        for (o, &s) in out.iter_mut().zip(&sums) {
            *o = ((u64::from(s) * inv + (1u64 << 31)) >> 32).min(255) as u8;
        }
        let (add, sub) = (row(y as i64 + down as i64 + 1), row(y as i64 - up as i64));
        for ((s, &a), &b) in sums.iter_mut().zip(add).zip(sub) {
            *s = *s + u32::from(a) - u32::from(b);
        }
    }
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
        let mut scratch = Vec::new();
        blur_pixels(&mut flat, &mut scratch, w, h, 5.0);
        assert!(flat.iter().all(|&v| v == 77));

        let mut step: Vec<u8> = (0..w * h)
            .flat_map(|i| if i % w < w / 2 { [0u8; 4] } else { [200u8; 4] })
            .collect();
        blur_pixels(&mut step, &mut scratch, w, h, 3.0);
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
