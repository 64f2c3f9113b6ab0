//! The GPU's drawing kernels (proj_buffers' cuda/draw.cu) compiled by the
//! host C++ compiler and run on the CPU (tests/host_kernels/draw_harness.cpp)
//! over recorded draw lists: every scene must come out byte for byte as the
//! CPU renderer draws it, on a picture with row padding. The NVRTC build
//! of the same source is checked by proj_buffers' `nvrtc_compile.rs`; a
//! run on a real GPU by `packages/picasso/test/gpu.test.ts`.

#![expect(
    clippy::cast_possible_truncation,
    reason = "random numbers cut to the ranges being tried"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use proj_buffers::{DrawPlan, DrawStep, GlyphAtlas};
use proj_draw::{
    decode_draw_list, BBoxSource, BoundingBoxDraw, ChannelOrder, Color, DotDraw, Image, LabelDraw,
    LabelPosition, LabelPositionKind, ObjectDraw, Padding, Painter, Recording, Target,
};
use proj_frame::{RBBox, VideoObject};

fn harness() -> &'static PathBuf {
    static HARNESS: OnceLock<PathBuf> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("draw-harness");
        let written = std::fs::create_dir_all(&dir).and_then(|()| {
            std::fs::write(dir.join("draw.cu"), proj_buffers::cuda::DRAW_KERNEL_SOURCE)
        });
        assert!(written.is_ok(), "{written:?}");
        let out = dir.join("draw_harness");
        let compiler = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
        let status = Command::new(&compiler)
            .args([
                "-O2",
                "-std=c++17",
                "-Wall",
                "-Werror",
                "-ffp-contract=off",
                "-o",
            ])
            .arg(&out)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/host_kernels/draw_harness.cpp"))
            .arg("-I")
            .arg(&dir)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "{compiler} could not build the draw harness: {status:?}"
        );
        out
    })
}

fn push(out: &mut Vec<u8>, words: impl IntoIterator<Item = u32>) {
    for w in words {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

/// Runs `plan` on `picture` (rows of `pitch` bytes) in the harness, with
/// the glyph atlas's bytes.
fn run_on_host(
    plan: &DrawPlan,
    atlas: &[u8],
    width: u32,
    height: u32,
    pitch: usize,
    picture: &[u8],
    name: &str,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    let n = |v: usize| v as u32;
    push(
        &mut bytes,
        [
            width,
            height,
            n(pitch),
            n(plan.prims.len()),
            n(plan.tiles.len()),
            n(plan.items.len()),
            n(plan.steps.len()),
            n(plan.arena.len()),
            n(plan.blur_bytes),
            n(atlas.len()),
        ],
    );
    push(&mut bytes, plan.prims.iter().copied());
    push(&mut bytes, plan.tiles.iter().flatten().map(|&v| v as u32));
    push(&mut bytes, plan.items.iter().map(|&v| v as u32));
    for step in &plan.steps {
        match *step {
            DrawStep::Tiles { first, count } => push(&mut bytes, [0, first, count, 0]),
            DrawStep::Blur {
                prim,
                width,
                height,
            } => push(&mut bytes, [1, prim, width, height]),
        }
    }
    bytes.extend_from_slice(&plan.arena);
    bytes.extend_from_slice(atlas);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let id = format!("{}-{name}", std::process::id());
    let (p, i, o) = (
        dir.join(format!("{id}.plan")),
        dir.join(format!("{id}.in")),
        dir.join(format!("{id}.out")),
    );
    let written = std::fs::write(&p, &bytes).and_then(|()| std::fs::write(&i, picture));
    assert!(written.is_ok(), "{written:?}");
    let status = Command::new(harness()).arg(&p).arg(&i).arg(&o).status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "harness on {name}: {status:?}"
    );
    let out = std::fs::read(&o).unwrap_or_default();
    for f in [p, i, o] {
        let _ = std::fs::remove_file(f);
    }
    out
}

struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    fn color(&mut self) -> Color {
        let a = [0, 255, 128, self.below(256) as u8][self.below(4) as usize];
        Color::rgba(
            self.below(256) as u8,
            self.below(256) as u8,
            self.below(256) as u8,
            a,
        )
    }
    fn f(&mut self, span: u64) -> f64 {
        self.below(span * 4) as f64 / 4.0
    }
}

fn background(width: u32, height: u32, pitch: usize) -> Vec<u8> {
    let mut bytes = vec![0xA5u8; pitch * height as usize];
    for y in 0..height as usize {
        for x in 0..width as usize {
            let checker = if ((x >> 4) + (y >> 4)) & 1 == 1 {
                50
            } else {
                0
            };
            bytes[y * pitch + x * 4..y * pitch + x * 4 + 4].copy_from_slice(&[
                (x * 3) as u8,
                (y * 2) as u8,
                100 + checker,
                255,
            ]);
        }
    }
    bytes
}

fn objects(rng: &mut Lcg, width: u32, height: u32) -> Vec<(VideoObject, ObjectDraw)> {
    let formats = [
        "{label} #{track_id}".to_owned(),
        "conf {confidence:.2f}".to_owned(),
        "{det_width}x{det_height}".to_owned(),
    ];
    (0..50)
        .map(|i| {
            let bbox = |rng: &mut Lcg| RBBox {
                xc: rng.f(u64::from(width) + 40) - 20.0,
                yc: rng.f(u64::from(height) + 40) - 20.0,
                width: 4.0 + rng.f(120),
                height: 4.0 + rng.f(90),
                angle: match rng.below(3) {
                    0 => Some(rng.below(360) as f64 - 180.0 + 0.5),
                    _ => None,
                },
            };
            let object = VideoObject {
                id: i,
                namespace: "n".into(),
                label: "thing".into(),
                draw_label: None,
                detection_box: bbox(rng),
                confidence: Some(rng.below(100) as f64 / 100.0),
                parent_id: None,
                track_id: Some(rng.below(10_000) as i64),
                track_box: (rng.below(2) == 0).then(|| bbox(rng)),
                attributes: Vec::new(),
            };
            let side = |rng: &mut Lcg| rng.below(6) as u32;
            let padding = |rng: &mut Lcg| Padding {
                left: side(rng),
                top: side(rng),
                right: side(rng),
                bottom: side(rng),
            };
            let lines = (rng.below(3) + 1) as usize;
            let kind = [
                LabelPositionKind::TopLeftInside,
                LabelPositionKind::TopLeftOutside,
                LabelPositionKind::Center,
            ][rng.below(3) as usize];
            let label = LabelDraw::new(
                rng.color(),
                rng.color(),
                rng.color(),
                0.6 + rng.below(150) as f64 / 100.0,
                rng.below(4) as i64,
                LabelPosition::new(kind, rng.below(10) as i64 - 5, rng.below(20) as i64 - 10)
                    .unwrap_or_default(),
                padding(rng),
                &formats[..lines],
            );
            let draw = ObjectDraw {
                bounding_box: (rng.below(5) > 0).then(|| BoundingBoxDraw {
                    border_color: rng.color(),
                    background_color: rng.color(),
                    thickness: rng.below(7) as u32,
                    padding: padding(rng),
                }),
                central_dot: (rng.below(3) == 0).then(|| DotDraw {
                    color: rng.color(),
                    radius: rng.below(12) as u32,
                }),
                label: if rng.below(2) == 0 { label.ok() } else { None },
                blur: rng.below(6) == 0,
                bbox_source: if rng.below(2) == 0 {
                    BBoxSource::Track
                } else {
                    BBoxSource::Detection
                },
            };
            (object, draw)
        })
        .collect()
}

fn overlay() -> proj_draw::Result<Vec<proj_draw::DrawOp>> {
    let c = |r: u8, g: u8, b: u8, a: u8| f64::from(u32::from_be_bytes([r, g, b, a]));
    let cmds = [
        vec![
            0.0,
            2.0,
            150.0,
            60.0,
            3.0,
            25.0,
            10.0,
            -30.0,
            -12.0,
            60.0,
            24.0,
            c(0, 90, 255, 140),
            c(255, 255, 0, 255),
            2.5,
            1.0,
        ],
        vec![11.0, 5.0, 200.0, 120.0, 230.0, c(255, 0, 0, 255), 3.0],
        vec![
            12.0,
            4.0,
            1.0,
            c(0, 200, 100, 128),
            c(255, 0, 0, 255),
            2.0,
            200.0,
            100.0,
            260.0,
            90.0,
            290.0,
            140.0,
            230.0,
            170.0,
        ],
        vec![
            13.0,
            60.0,
            180.0,
            25.0,
            c(255, 255, 255, 200),
            c(0, 0, 0, 255),
            3.0,
        ],
        vec![
            14.0,
            110.0,
            180.0,
            14.0,
            c(255, 255, 255, 255),
            c(0, 0, 0, 160),
            3.0,
            0.0,
        ],
        vec![15.0, 250.0, 185.0, 32.0, 32.0, 0.0],
        vec![0.0, 4.0, 1.5, 1.5, 16.0, 20.0, 20.0, 40.5, 30.0, 0.0, 1.0],
        vec![16.0, 10.0, 140.0, 80.0, 60.0, 4.0],
    ]
    .concat();
    let image = Image::new(4, 4, (0..64).map(|i| (i * 4) as u8).collect())?;
    decode_draw_list(&cmds, &["Zone A\nentries 12".to_owned()], &[image])
}

#[test]
fn recorded_draw_lists_run_by_the_gpu_kernels_match_the_cpu_byte_for_byte(
) -> Result<(), Box<dyn std::error::Error>> {
    let (width, height) = (320u32, 240u32);
    let mut painter = Painter::with_default_font()?;
    let mut rng = Lcg(0xD8A3);
    let mut steps = (0, 0);
    // One atlas for every round, as a GPU keeps it: later rounds reuse
    // glyphs placed by earlier ones.
    let mut atlas = GlyphAtlas::default();
    let mut glyphs_seen = Vec::new();
    for round in 0..6 {
        let order = if round % 2 == 0 {
            ChannelOrder::Rgba
        } else {
            ChannelOrder::Bgra
        };
        let scene = objects(&mut rng, width, height);
        let ops = overlay()?;
        // CPU: tight rows.
        let tight = width as usize * 4;
        let mut cpu = background(width, height, tight);
        {
            let mut target = Target::new(&mut cpu, width, height, tight, order)?;
            for (object, draw) in &scene {
                painter.draw_object(&mut target, object, draw);
            }
            painter.draw_list(&mut target, &ops);
        }
        // "GPU": recorded, planned, run by the kernels, on padded rows.
        let mut recording = Recording::new(width, height, order);
        for (object, draw) in &scene {
            painter.draw_object(&mut recording, object, draw);
        }
        painter.draw_list(&mut recording, &ops);
        let mut plan = recording.plan();
        let _ = plan.resolve_glyphs(&mut atlas);
        atlas.mark_uploaded();
        glyphs_seen.push(atlas.glyphs());
        for step in &plan.steps {
            match step {
                DrawStep::Tiles { .. } => steps.0 += 1,
                DrawStep::Blur { .. } => steps.1 += 1,
            }
        }
        let pitch = tight + 52;
        let gpu = run_on_host(
            &plan,
            atlas.bytes(),
            width,
            height,
            pitch,
            &background(width, height, pitch),
            &format!("round{round}"),
        );
        assert_eq!(gpu.len(), pitch * height as usize);
        let mut differing = 0;
        for y in 0..height as usize {
            let (g, c) = (
                &gpu[y * pitch..y * pitch + tight],
                &cpu[y * tight..(y + 1) * tight],
            );
            differing += g.iter().zip(c).filter(|(a, b)| a != b).count();
            assert!(
                gpu[y * pitch + tight..(y + 1) * pitch]
                    .iter()
                    .all(|&b| b == 0xA5),
                "round {round}: row {y}'s padding was written"
            );
        }
        assert_eq!(
            differing, 0,
            "round {round}: {differing} bytes differ between the kernels and the CPU"
        );
    }
    assert!(
        steps.0 >= 6 && steps.1 >= 6,
        "the scenes ran draws and blurs: {steps:?}"
    );
    Ok(())
}
