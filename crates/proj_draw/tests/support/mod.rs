//! The benchmark's scenes (benchmarks/draw.mjs's, in Rust), shared by the
//! CPU benchmark and the GPU test.

#![expect(
    clippy::cast_possible_truncation,
    reason = "pixel sizes of a benchmark scene"
)]

use proj_draw::{
    BoundingBoxDraw, Color, LabelDraw, LabelPosition, LabelPositionKind, ObjectDraw, Padding,
};
use proj_frame::{RBBox, VideoObject};

const PALETTE: [[u8; 3]; 8] = [
    [255, 64, 64],
    [64, 220, 64],
    [64, 128, 255],
    [255, 200, 0],
    [220, 64, 220],
    [0, 220, 220],
    [255, 128, 0],
    [160, 96, 255],
];

/// benchmarks/draw.mjs's scenes: `kind` 0 = boxes50, 1 = blur10, 2 = objects200.
pub fn scene(kind: u32, frame: u32) -> Vec<(VideoObject, ObjectDraw)> {
    let (count, min_w, max_w, min_h, max_h) = if kind == 2 {
        (200, 40, 150, 40, 190)
    } else {
        (50, 80, 300, 80, 380)
    };
    let mut s: u32 = if kind == 2 { 0x200 } else { 0x50 };
    let mut int = |lo: u32, hi: u32| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        lo + ((f64::from(s) / 4_294_967_296.0) * f64::from(hi - lo + 1)) as u32
    };
    (0..count)
        .map(|i| {
            let (w, h) = (int(min_w, max_w), int(min_h, max_h));
            let xc = int(w.div_ceil(2), 1920 - w / 2);
            let yc = int(h.div_ceil(2), 1080 - h / 2);
            let [r, g, b] = PALETTE[i % 8];
            let object = VideoObject {
                id: i as i64,
                namespace: "detector".into(),
                label: "person".into(),
                draw_label: None,
                detection_box: RBBox {
                    xc: f64::from(xc),
                    yc: f64::from(yc),
                    width: f64::from(w),
                    height: f64::from(h),
                    angle: None,
                },
                confidence: Some(f64::from(50 + (i as u32 * 17 + frame * 7) % 50) / 100.0),
                parent_id: None,
                track_id: Some(1000 + i as i64),
                track_box: None,
                attributes: Vec::new(),
            };
            let label = LabelDraw::new(
                Color::rgba(255, 255, 255, 255),
                Color::rgba(0, 0, 0, 180),
                Color::TRANSPARENT,
                16.0 / 12.0,
                0,
                LabelPosition::new(LabelPositionKind::TopLeftOutside, 0, -2).unwrap_or_default(),
                Padding {
                    left: 4,
                    top: 4,
                    right: 4,
                    bottom: 4,
                },
                &[
                    "{label} #{track_id}".to_owned(),
                    "conf {confidence:.2f}".to_owned(),
                ],
            )
            .ok();
            let draw = ObjectDraw {
                bounding_box: BoundingBoxDraw::new(
                    Color::rgba(r, g, b, 255),
                    Color::rgba(r, g, b, 64),
                    2,
                    Padding::default(),
                )
                .ok(),
                central_dot: None,
                label,
                blur: kind == 1 && i % 5 == 0,
                bbox_source: Default::default(),
            };
            (object, draw)
        })
        .collect()
}
