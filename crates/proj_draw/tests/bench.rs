//! The drawing benchmark's scenes timed in Rust alone (no Node, no worker
//! hop): `cargo test --release -p proj_draw --test bench -- --ignored --nocapture`.

#![expect(
    clippy::cast_possible_truncation,
    reason = "pixel sizes of a benchmark scene"
)]

use std::time::Instant;

use proj_draw::{
    BoundingBoxDraw, ChannelOrder, Color, LabelDraw, LabelPosition, LabelPositionKind, ObjectDraw,
    Padding, Painter, Target,
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
fn scene(kind: u32, frame: u32) -> Vec<(VideoObject, ObjectDraw)> {
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

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn bench() {
    let mut bytes = vec![128u8; 1920 * 1080 * 4];
    let Ok(mut painter) = Painter::with_default_font() else {
        return;
    };
    let only = std::env::var("PROJ_BENCH_ONLY").ok();
    for (kind, name) in [(0, "boxes50"), (1, "blur10"), (2, "objects200")] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let frames: Vec<_> = (0..8).map(|f| scene(kind, f)).collect();
        let Ok(mut target) = Target::new(&mut bytes, 1920, 1080, 1920 * 4, ChannelOrder::Rgba)
        else {
            return;
        };
        let mut times = Vec::new();
        for round in 0..7 {
            let t0 = Instant::now();
            for i in 0..100 {
                for (object, draw) in &frames[i % 8] {
                    painter.draw_object(&mut target, object, draw);
                }
            }
            if round > 0 {
                times.push(t0.elapsed().as_secs_f64() * 1000.0 / 100.0);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name}: {:.3} ms per frame (median of 6 × 100 frames)",
            times[3]
        );
    }
}
