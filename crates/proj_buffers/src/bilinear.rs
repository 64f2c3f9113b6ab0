//! 2 × 2 bilinear scaling of 4-channel planes that reads only the two
//! source rows each output row needs (fast_image_resize filters every row
//! of the crop), with 8-bit weights. Same sampling
//! as the CUDA kernel: pixel centres, two taps at any scale, edges clamped;
//! tested against exact floating-point sampling.

use crate::geometry::Rect;

/// One output column or row: the two source indices and the weight of the
/// second (0–256).
#[derive(Debug, Clone, Copy)]
struct Tap {
    first: usize,
    second: usize,
    weight: u64,
}

fn taps(origin: f64, length: f64, outputs: u32, size: u32) -> Vec<Tap> {
    let scale = length / f64::from(outputs);
    let last = f64::from(size.saturating_sub(1));
    (0..outputs)
        .map(|i| {
            let position = origin + (f64::from(i) + 0.5) * scale - 0.5;
            let floor = position.floor();
            let fraction = position - floor;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to the last source index first"
            )]
            let index = |v: f64| v.clamp(0.0, last) as usize;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a fraction times 256: 0 to 256"
            )]
            let weight = (fraction * 256.0).round() as u64;
            Tap {
                first: index(floor),
                second: index(floor + 1.0),
                weight,
            }
        })
        .collect()
}

/// One output column: the byte offset of the left of its two neighbouring
/// source pixels and the weight of the right one (0–256).
#[derive(Debug, Clone, Copy)]
struct Column {
    offset: usize,
    weight: u16,
}

/// Columns that always read a pixel and its right neighbour: a tap clamped
/// at an edge becomes the edge pair with weight 0 or 256.
fn columns(taps: &[Tap], width: u32) -> Vec<Column> {
    let last = (width as usize).saturating_sub(1);
    taps.iter()
        .map(|t| {
            #[expect(clippy::cast_possible_truncation, reason = "weights are ≤ 256")]
            let (left, weight) = match (t.first, t.second) {
                (f, s) if s == f + 1 => (f, t.weight as u16),
                (0, _) => (0, 0),
                _ => (last.saturating_sub(1), 256),
            };
            Column {
                offset: left * 4,
                weight,
            }
        })
        .collect()
}

/// Two source rows blended down into one, byte by byte (contiguous
/// 16-bit arithmetic, which the compiler vectorises).
fn blend_down(top: &[u8], bottom: &[u8], weight: u16, out: &mut [u8]) {
    let keep = 256 - weight;
    for ((o, &a), &b) in out.iter_mut().zip(top).zip(bottom) {
        // ≤ 255 after the shift (clippy sees it too).
        let v = ((u16::from(a) * keep + u16::from(b) * weight + 128) >> 8) as u8;
        *o = v;
    }
}

/// One row blended across at the output columns, four channels each.
fn blend_across(row: &[u8], columns: &[Column], out: &mut [u8]) {
    for (o, column) in out.chunks_exact_mut(4).zip(columns) {
        let Some(pair) = row
            .get(column.offset..column.offset + 8)
            .and_then(|pair| <&[u8; 8]>::try_from(pair).ok())
        else {
            continue;
        };
        let (w, keep) = (column.weight, 256 - column.weight);
        for c in 0..4 {
            // ≤ 255 after the shift (clippy sees it too).
            let v = ((u16::from(pair[c]) * keep + u16::from(pair[c + 4]) * w + 128) >> 8) as u8;
            o[c] = v;
        }
    }
}

/// Scales `crop` (left, top, width, height; source pixels) of a
/// `src_size` 4-channel plane (at least 2 pixels wide) into `region` of the
/// destination plane. Per output row: the two source rows it needs are
/// blended down over the columns the crop reads (contiguous, vectorised;
/// skipped when one row has all the weight), then that row is blended
/// across at the output columns.
pub(crate) fn scale_4ch(
    src: &[u8],
    src_pitch: usize,
    src_size: (u32, u32),
    crop: [f64; 4],
    dst: &mut [u8],
    dst_pitch: usize,
    region: Rect,
) {
    let mut columns = columns(
        &taps(crop[0], crop[2], region.width, src_size.0),
        src_size.0,
    );
    let rows = taps(crop[1], crop[3], region.height, src_size.1);
    // The bytes of a source row the columns read; offsets become relative.
    let first = columns.iter().map(|c| c.offset).min().unwrap_or(0);
    let end = columns.iter().map(|c| c.offset + 8).max().unwrap_or(0);
    for column in &mut columns {
        column.offset -= first;
    }
    let span = |index: usize| {
        let start = index * src_pitch + first;
        src.get(start..index * src_pitch + end).unwrap_or_default()
    };
    let mut blended = vec![0u8; end - first];
    let n = columns.len() * 4;
    for (y, tap) in rows.iter().enumerate() {
        let start = (region.top as usize + y) * dst_pitch + region.left as usize * 4;
        let Some(out) = dst.get_mut(start..start + n) else {
            return;
        };
        let row = match tap.weight {
            0 => span(tap.first),
            256 => span(tap.second),
            #[expect(clippy::cast_possible_truncation, reason = "weights are < 256")]
            weight => {
                blend_down(
                    span(tap.first),
                    span(tap.second),
                    weight as u16,
                    &mut blended,
                );
                &blended
            }
        };
        blend_across(row, &columns, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_pixel_gradient_halves() {
        // 2x1 → 4x1: centres at 0.25, 0.75, 1.25, 1.75 source px.
        let src = [0, 0, 0, 0, 200, 200, 200, 200];
        let mut dst = [9u8; 16];
        scale_4ch(
            &src,
            8,
            (2, 1),
            [0.0, 0.0, 2.0, 1.0],
            &mut dst,
            16,
            Rect::new(0, 0, 4, 1),
        );
        let firsts: Vec<u8> = dst.chunks(4).map(|p| p[0]).collect();
        assert_eq!(firsts, [0, 50, 150, 200]);
    }
    /// 2 × 2 bilinear sampling in floating point: pixel centres, edges
    /// clamped.
    fn reference(src: &[u8], size: (u32, u32), crop: [f64; 4], out: (u32, u32)) -> Vec<u8> {
        let (w, h) = (i64::from(size.0), i64::from(size.1));
        let at = |x: i64, y: i64, c: usize| {
            let (x, y) = (x.clamp(0, w - 1), y.clamp(0, h - 1));
            #[expect(
                clippy::cast_sign_loss,
                clippy::cast_possible_truncation,
                reason = "indices of the test picture"
            )]
            f64::from(src[(y * w + x) as usize * 4 + c])
        };
        let mut bytes = Vec::new();
        for j in 0..out.1 {
            for i in 0..out.0 {
                let fx = crop[0] + (f64::from(i) + 0.5) * crop[2] / f64::from(out.0) - 0.5;
                let fy = crop[1] + (f64::from(j) + 0.5) * crop[3] / f64::from(out.1) - 0.5;
                let (tx, ty) = (fx - fx.floor(), fy - fy.floor());
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "coordinates inside the test picture"
                )]
                let (x, y) = (fx.floor() as i64, fy.floor() as i64);
                for c in 0..4 {
                    let top = at(x, y, c) * (1.0 - tx) + at(x + 1, y, c) * tx;
                    let bottom = at(x, y + 1, c) * (1.0 - tx) + at(x + 1, y + 1, c) * tx;
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "a blend of bytes stays a byte"
                    )]
                    bytes.push((top * (1.0 - ty) + bottom * ty).round() as u8);
                }
            }
        }
        bytes
    }

    /// Downscale, upscale and a fractional crop agree with exact bilinear
    /// sampling within the rounding of 8-bit weights.
    #[test]
    fn matches_exact_bilinear_sampling() {
        let (w, h) = (301u32, 173u32);
        let mut seed = 0x2545_f491_u32;
        let src: Vec<u8> = (0..w * h * 4)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                // A continuous triangle wave over every byte value plus
                // a little noise.
                let (x, y, c) = (i / 4 % w, i / 4 / w, i % 4);
                let t = (x * 3 + y * 2 + c * 40) % 500;
                let v = if t > 250 { 500 - t } else { t } + (seed & 3);
                u8::try_from(v).unwrap_or(u8::MAX)
            })
            .collect();
        for (crop, out) in [
            ([0.0, 0.0, 301.0, 173.0], (97u32, 61u32)),
            ([0.0, 0.0, 301.0, 173.0], (640, 400)),
            ([10.5, 7.25, 200.0, 120.5], (150, 90)),
        ] {
            let mut ours = vec![0u8; (out.0 * out.1 * 4) as usize];
            scale_4ch(
                &src,
                w as usize * 4,
                (w, h),
                crop,
                &mut ours,
                out.0 as usize * 4,
                Rect::new(0, 0, out.0, out.1),
            );
            let exact = reference(&src, (w, h), crop, out);
            let worst = ours
                .iter()
                .zip(&exact)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap_or(0);
            assert!(worst <= 2, "{crop:?} → {out:?}: off by {worst}");
        }
    }
}
