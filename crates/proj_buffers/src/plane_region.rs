use crate::format::Plane;
use crate::geometry::{Placement, Rect};

/// For plane `index` of a transform placed by `placement`: the source crop
/// (left, top, width, height in that plane's pixels, fractional for 4:2:0
/// chroma) and the rectangle of `dst_plane` the picture covers. Chroma
/// planes (index > 0) are half size, so their rectangles are halved.
pub(crate) fn plane_region(
    placement: &Placement,
    index: usize,
    dst_plane: &Plane,
) -> ([f64; 4], Rect) {
    let sub = if index == 0 { 1 } else { 2 };
    let (s, d) = (placement.src, placement.dst);
    let crop = [s.left, s.top, s.width, s.height].map(|v| f64::from(v) / f64::from(sub));
    let (left, top) = (d.left / sub, d.top / sub);
    let right = (d.left + d.width).div_ceil(sub).min(dst_plane.width);
    let bottom = (d.top + d.height).div_ceil(sub).min(dst_plane.height);
    let region = Rect::new(
        top,
        left,
        right.saturating_sub(left).max(1),
        bottom.saturating_sub(top).max(1),
    );
    (crop, region)
}
