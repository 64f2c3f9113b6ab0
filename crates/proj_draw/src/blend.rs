//! Source-over blending of one colour onto rows of 8-bit pixels: the inner
//! loops every drawn pixel goes through, in explicit SIMD (SSE2 on x86_64,
//! where it is always present; NEON on aarch64) with a scalar twin the
//! tests hold them to.
//!
//! One formula everywhere (and in the GPU kernel): with the colour's
//! channels `s` (alpha lane 255), effective alpha `a` (colour alpha ×
//! coverage, 0–255) and the pixel `d`, `out = (s·a + d·(255−a)) / 255`
//! rounded to nearest. On an opaque picture this is exact src-over; on a
//! transparent canvas it leaves premultiplied colour, as Skia's surface
//! holds it.

#![expect(
    clippy::cast_possible_truncation,
    reason = "channel arithmetic: every value is /255 of a product of two bytes, so it fits a byte"
)]

/// `v / 255` rounded to nearest, for `v ≤ 65025`.
#[inline(always)]
pub(crate) fn div255(v: u32) -> u32 {
    let v = v + 128;
    (v + (v >> 8)) >> 8
}

/// `alpha × coverage / 255`, rounded: the effective alpha of a pixel.
#[inline(always)]
pub(crate) fn scale_alpha(alpha: u8, coverage: u8) -> u8 {
    div255(u32::from(alpha) * u32::from(coverage)) as u8
}

#[inline(always)]
fn blend_pixel_scalar(d: &mut [u8], s: [u8; 4], a: u32) {
    let ia = 255 - a;
    for (d, s) in d.iter_mut().zip(s) {
        *d = div255(u32::from(s) * a + u32::from(*d) * ia) as u8;
    }
}

/// Blends `pixel` (its alpha byte must be 255) at alpha `a` onto every
/// pixel of `row` (4 bytes each).
pub fn blend_span(row: &mut [u8], pixel: [u8; 4], a: u8) {
    match a {
        0 => {}
        255 => {
            for d in row.chunks_exact_mut(4) {
                d.copy_from_slice(&pixel);
            }
        }
        _ => simd::blend_span(row, pixel, a),
    }
}

/// Blends `pixel` onto `row` with a per-pixel effective alpha of
/// `alpha × coverage[i] / 255` (`coverage` holds one byte per pixel).
pub fn blend_mask(row: &mut [u8], pixel: [u8; 4], alpha: u8, coverage: &[u8]) {
    if alpha == 0 {
        return;
    }
    simd::blend_mask(row, pixel, alpha, coverage);
}

pub(crate) mod scalar {
    use super::{blend_pixel_scalar, scale_alpha};

    pub(crate) fn blend_span(row: &mut [u8], pixel: [u8; 4], a: u8) {
        for d in row.chunks_exact_mut(4) {
            blend_pixel_scalar(d, pixel, u32::from(a));
        }
    }

    pub(crate) fn blend_mask(row: &mut [u8], pixel: [u8; 4], alpha: u8, coverage: &[u8]) {
        for (d, &c) in row.chunks_exact_mut(4).zip(coverage) {
            let a = scale_alpha(alpha, c);
            if a != 0 {
                blend_pixel_scalar(d, pixel, u32::from(a));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    //! SSE2 (part of x86_64 itself) everywhere, AVX2 for spans where the
    //! CPU has it (checked at run time, once).
    use core::arch::x86_64::*;

    use super::scalar;

    /// `v / 255` rounded, per u16 lane, where `v` already holds the +128:
    /// `(v · 257) >> 16` equals `(v + (v >> 8)) >> 8` for every such `v`.
    #[inline(always)]
    fn div255_biased(v: __m128i) -> __m128i {
        // SAFETY: SSE2 is always present on x86_64; register-only arithmetic.
        unsafe { _mm_mulhi_epu16(v, _mm_set1_epi16(257)) }
    }

    /// The colour's four channels twice, as u16 lanes.
    #[inline(always)]
    fn pixel16(pixel: [u8; 4]) -> __m128i {
        let p = |i: usize| i16::from(pixel[i]);
        // SAFETY: SSE2 is always present on x86_64.
        unsafe { _mm_setr_epi16(p(0), p(1), p(2), p(3), p(0), p(1), p(2), p(3)) }
    }

    pub(super) fn blend_span(row: &mut [u8], pixel: [u8; 4], a: u8) {
        if is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { blend_span_avx2(row, pixel, a) };
            return;
        }
        let whole = row.len() / 16 * 16;
        let (body, tail) = row.split_at_mut(whole);
        // SAFETY: SSE2 is always present on x86_64; every load and store is
        // an unaligned 16-byte access inside `body` (chunks_exact_mut(16)).
        unsafe {
            let sa = _mm_add_epi16(
                _mm_mullo_epi16(pixel16(pixel), _mm_set1_epi16(i16::from(a))),
                _mm_set1_epi16(128),
            );
            let ia = _mm_set1_epi16(255 - i16::from(a));
            let zero = _mm_setzero_si128();
            for chunk in body.chunks_exact_mut(16) {
                let p = chunk.as_mut_ptr().cast::<__m128i>();
                let d = _mm_loadu_si128(p);
                let lo = div255_biased(_mm_add_epi16(
                    _mm_mullo_epi16(_mm_unpacklo_epi8(d, zero), ia),
                    sa,
                ));
                let hi = div255_biased(_mm_add_epi16(
                    _mm_mullo_epi16(_mm_unpackhi_epi8(d, zero), ia),
                    sa,
                ));
                _mm_storeu_si128(p, _mm_packus_epi16(lo, hi));
            }
        }
        scalar::blend_span(tail, pixel, a);
    }

    /// 8 pixels a step. Unpacking and packing work within each 128-bit
    /// half, so pixels come back where they were.
    #[target_feature(enable = "avx2")]
    unsafe fn blend_span_avx2(row: &mut [u8], pixel: [u8; 4], a: u8) {
        let whole = row.len() / 32 * 32;
        let (body, tail) = row.split_at_mut(whole);
        let s = _mm256_broadcastsi128_si256(pixel16(pixel));
        let sa = _mm256_add_epi16(
            _mm256_mullo_epi16(s, _mm256_set1_epi16(i16::from(a))),
            _mm256_set1_epi16(128),
        );
        let ia = _mm256_set1_epi16(255 - i16::from(a));
        let m257 = _mm256_set1_epi16(257);
        let zero = _mm256_setzero_si256();
        for chunk in body.chunks_exact_mut(32) {
            let p = chunk.as_mut_ptr().cast::<__m256i>();
            // SAFETY: a 32-byte unaligned access inside `chunk`.
            let d = unsafe { _mm256_loadu_si256(p) };
            let lo = _mm256_mulhi_epu16(
                _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpacklo_epi8(d, zero), ia), sa),
                m257,
            );
            let hi = _mm256_mulhi_epu16(
                _mm256_add_epi16(_mm256_mullo_epi16(_mm256_unpackhi_epi8(d, zero), ia), sa),
                m257,
            );
            // SAFETY: as the load.
            unsafe { _mm256_storeu_si256(p, _mm256_packus_epi16(lo, hi)) };
        }
        scalar::blend_span(tail, pixel, a);
    }

    pub(super) fn blend_mask(row: &mut [u8], pixel: [u8; 4], alpha: u8, coverage: &[u8]) {
        let pixels = (row.len() / 4).min(coverage.len());
        let whole = pixels / 4 * 4;
        let (body, tail) = row.split_at_mut(whole * 4);
        let (cov_body, cov_tail) = coverage.split_at(whole);
        // SAFETY: SSE2 is always present on x86_64; each 16-byte access is
        // inside `body` (chunks_exact_mut(16)); coverage is read as a u32
        // from a 4-byte chunk.
        unsafe {
            let s = pixel16(pixel);
            let alpha16 = _mm_set1_epi16(i16::from(alpha));
            let bias = _mm_set1_epi16(128);
            let full = _mm_set1_epi16(255);
            let zero = _mm_setzero_si128();
            for (chunk, cov) in body.chunks_exact_mut(16).zip(cov_body.chunks_exact(4)) {
                let c = u32::from_le_bytes([cov[0], cov[1], cov[2], cov[3]]);
                if c == 0 {
                    continue;
                }
                // Four effective alphas, then each spread over its pixel's four lanes.
                let c16 = _mm_unpacklo_epi8(_mm_cvtsi32_si128(c as i32), zero);
                let a4 = div255_biased(_mm_add_epi16(_mm_mullo_epi16(c16, alpha16), bias));
                let a2 = _mm_unpacklo_epi16(a4, a4);
                let a_lo = _mm_unpacklo_epi32(a2, a2);
                let a_hi = _mm_unpackhi_epi32(a2, a2);
                let p = chunk.as_mut_ptr().cast::<__m128i>();
                let d = _mm_loadu_si128(p);
                let blend = |d16: __m128i, a: __m128i| {
                    let v = _mm_add_epi16(
                        _mm_add_epi16(
                            _mm_mullo_epi16(s, a),
                            _mm_mullo_epi16(d16, _mm_sub_epi16(full, a)),
                        ),
                        bias,
                    );
                    div255_biased(v)
                };
                let lo = blend(_mm_unpacklo_epi8(d, zero), a_lo);
                let hi = blend(_mm_unpackhi_epi8(d, zero), a_hi);
                _mm_storeu_si128(p, _mm_packus_epi16(lo, hi));
            }
        }
        scalar::blend_mask(tail, pixel, alpha, cov_tail);
    }
}

#[cfg(target_arch = "aarch64")]
mod simd {
    //! NEON: part of aarch64 itself (Jetson included).
    use core::arch::aarch64::*;

    use super::scalar;

    pub(super) fn blend_span(row: &mut [u8], pixel: [u8; 4], a: u8) {
        let whole = row.len() / 16 * 16;
        let (body, tail) = row.split_at_mut(whole);
        // SAFETY: NEON is always present on aarch64; every load and store is
        // a 16-byte access inside `body` (chunks_exact_mut(16)).
        unsafe {
            let px = u32::from_le_bytes(pixel);
            let s = vreinterpretq_u8_u32(vdupq_n_u32(px));
            let sa_lo = vaddq_u16(vmull_u8(vget_low_u8(s), vdup_n_u8(a)), vdupq_n_u16(128));
            let sa_hi = vaddq_u16(vmull_u8(vget_high_u8(s), vdup_n_u8(a)), vdupq_n_u16(128));
            let ia = vdup_n_u8(255 - a);
            for chunk in body.chunks_exact_mut(16) {
                let d = vld1q_u8(chunk.as_ptr());
                let lo = vmlal_u8(sa_lo, vget_low_u8(d), ia);
                let hi = vmlal_u8(sa_hi, vget_high_u8(d), ia);
                let lo = vshrn_n_u16(vsraq_n_u16(lo, lo, 8), 8);
                let hi = vshrn_n_u16(vsraq_n_u16(hi, hi, 8), 8);
                vst1q_u8(chunk.as_mut_ptr(), vcombine_u8(lo, hi));
            }
        }
        scalar::blend_span(tail, pixel, a);
    }

    pub(super) fn blend_mask(row: &mut [u8], pixel: [u8; 4], alpha: u8, coverage: &[u8]) {
        // Glyph and shape masks are short rows with many zeros: the scalar
        // loop skips those and is what aarch64 runs until measured otherwise.
        scalar::blend_mask(row, pixel, alpha, coverage);
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod simd {
    pub(super) use super::scalar::{blend_mask, blend_span};
}

/// Blends a premultiplied RGBA pixel (an image's, after scaling) over `d`.
#[inline]
pub(crate) fn blend_premultiplied(d: &mut [u8], s: [u8; 4]) {
    let ia = 255 - u32::from(s[3]);
    for (d, s) in d.iter_mut().zip(s) {
        *d = (u32::from(s) + div255(u32::from(*d) * ia)).min(255) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(n: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn div255_rounds_to_nearest_everywhere() {
        for v in 0..=65025u32 {
            assert_eq!(div255(v), (v as f64 / 255.0).round() as u32, "v = {v}");
        }
    }

    #[test]
    fn simd_span_equals_scalar_for_every_alpha_and_length() {
        for a in 0..=255u8 {
            for len in [0, 1, 3, 4, 5, 7, 8, 9, 31, 64] {
                let base = picture(len * 4, u32::from(a) + len as u32);
                let mut ours = base.clone();
                let mut reference = base.clone();
                blend_span(&mut ours, [200, 10, 99, 255], a);
                if a == 255 {
                    for d in reference.chunks_exact_mut(4) {
                        d.copy_from_slice(&[200, 10, 99, 255]);
                    }
                } else {
                    scalar::blend_span(&mut reference, [200, 10, 99, 255], a);
                }
                assert_eq!(ours, reference, "a = {a}, len = {len}");
            }
        }
    }

    #[test]
    fn simd_mask_equals_scalar() {
        for alpha in [1u8, 77, 128, 254, 255] {
            for len in [1usize, 4, 5, 13, 100] {
                let base = picture(len * 4, len as u32);
                let mut coverage = picture(len, 7 + len as u32);
                coverage.iter_mut().step_by(3).for_each(|c| *c = 0);
                let mut ours = base.clone();
                let mut reference = base.clone();
                blend_mask(&mut ours, [3, 250, 17, 255], alpha, &coverage);
                scalar::blend_mask(&mut reference, [3, 250, 17, 255], alpha, &coverage);
                assert_eq!(ours, reference, "alpha = {alpha}, len = {len}");
            }
        }
    }

    #[test]
    fn opaque_colour_at_full_alpha_replaces_and_half_alpha_averages() {
        let mut row = vec![0u8, 0, 0, 255, 100, 100, 100, 255];
        blend_span(&mut row, [255, 255, 255, 255], 128);
        assert_eq!(row, vec![128, 128, 128, 255, 178, 178, 178, 255]);
    }
}
