//! The drawing benchmark's scenes timed in Rust alone (no Node, no worker
//! hop): `cargo test --release -p proj_draw --test bench -- --ignored --nocapture`.

use std::time::Instant;

use proj_draw::{ChannelOrder, Painter, Target};

mod support;
use support::scene;

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
