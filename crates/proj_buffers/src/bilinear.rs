//! 2 × 2 bilinear scaling of 4-channel planes that reads only the two
//! source rows each output row needs (fast_image_resize filters every row
//! of the crop), with 8-bit weights. Same sampling as `fast_image_resize`'s
//! `Interpolation(Bilinear)` and the CUDA kernel: pixel centres, edges
//! clamped.

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
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let index = |v: f64| v.clamp(0.0, last) as usize;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
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
            #[allow(clippy::cast_possible_truncation)] // weights are ≤ 256
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

/// One source row blended across into 16-bit values, four per column.
fn blend_across(row: &[u8], columns: &[Column], out: &mut [u16]) {
    for (o, column) in out.chunks_exact_mut(4).zip(columns) {
        let Some(pair) = row.get(column.offset..column.offset + 8) else {
            continue;
        };
        let (w, keep) = (column.weight, 256 - column.weight);
        for c in 0..4 {
            o[c] = (u16::from(pair[c]) * keep + u16::from(pair[c + 4]) * w + 128) >> 8;
        }
    }
}

/// Two blended rows blended down into bytes, with one weight.
fn blend_down(top: &[u16], bottom: &[u16], weight: u16, out: &mut [u8]) {
    let keep = 256 - weight;
    for ((o, &a), &b) in out.iter_mut().zip(top).zip(bottom) {
        #[allow(clippy::cast_possible_truncation)] // ≤ 255 after the shift
        let v = ((a * keep + b * weight + 128) >> 8) as u8;
        *o = v;
    }
}

/// Scales `crop` (left, top, width, height; source pixels) of a
/// `src_size` 4-channel plane (at least 2 pixels wide) into `region` of the
/// destination plane. Per output row: each of the two source rows it needs
/// is blended across at the output columns only, then the two are blended
/// down; a source row shared by consecutive output rows is blended once.
pub(crate) fn scale_4ch(
    src: &[u8],
    src_pitch: usize,
    src_size: (u32, u32),
    crop: [f64; 4],
    dst: &mut [u8],
    dst_pitch: usize,
    region: Rect,
) {
    let columns = columns(
        &taps(crop[0], crop[2], region.width, src_size.0),
        src_size.0,
    );
    let rows = taps(crop[1], crop[3], region.height, src_size.1);
    let n = columns.len() * 4;
    let (mut top, mut bottom) = (vec![0u16; n], vec![0u16; n]);
    let (mut top_row, mut bottom_row) = (usize::MAX, usize::MAX);
    let row_of = |index: usize| {
        src.get(index * src_pitch..(index + 1) * src_pitch)
            .unwrap_or_default()
    };
    for (y, tap) in rows.iter().enumerate() {
        if tap.first == bottom_row {
            std::mem::swap(&mut top, &mut bottom);
            (top_row, bottom_row) = (bottom_row, top_row);
        }
        if tap.first != top_row {
            blend_across(row_of(tap.first), &columns, &mut top);
            top_row = tap.first;
        }
        if tap.second != bottom_row {
            blend_across(row_of(tap.second), &columns, &mut bottom);
            bottom_row = tap.second;
        }
        let start = (region.top as usize + y) * dst_pitch + region.left as usize * 4;
        let Some(out) = dst.get_mut(start..start + n) else {
            return;
        };
        #[allow(clippy::cast_possible_truncation)]
        blend_down(&top, &bottom, tap.weight as u16, out);
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
}
