//! Thousands of random objects, specs and draw lists (huge, negative, NaN
//! and infinite geometry included) drawn on pictures with and without row
//! padding: the bytes around the picture and in its row padding never
//! change, and nothing panics.

#![expect(
    clippy::cast_possible_truncation,
    reason = "random numbers cut to the ranges being tried"
)]

use proj_draw::{
    decode_draw_list, BBoxSource, BoundingBoxDraw, ChannelOrder, Color, DotDraw, LabelDraw,
    LabelPosition, LabelPositionKind, ObjectDraw, Padding, Painter, Target,
};
use proj_frame::{RBBox, VideoObject};

/// A small deterministic generator (no dependency, same run every time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// A coordinate: usually on or near the picture, sometimes absurd.
    fn coord(&mut self, span: f64) -> f64 {
        match self.below(20) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => -1e12,
            3 => 1e9,
            4 => -(self.below(5000) as f64),
            _ => {
                self.below((span * 1.5) as u64 + 1) as f64 - span * 0.25
                    + self.below(100) as f64 / 100.0
            }
        }
    }
    fn size(&mut self, span: f64) -> f64 {
        match self.below(25) {
            0 => f64::NAN,
            1 => 0.0,
            2 => -5.0,
            3 => 1e7,
            4 => f64::INFINITY,
            _ => self.below(span as u64 + 1) as f64 + 0.5,
        }
    }
    fn color(&mut self) -> Color {
        let a = match self.below(4) {
            0 => 0,
            1 => 255,
            _ => self.below(256) as u8,
        };
        Color::rgba(
            self.below(256) as u8,
            self.below(256) as u8,
            self.below(256) as u8,
            a,
        )
    }
    fn padding(&mut self) -> Padding {
        let mut side = || {
            if self.chance(5) {
                100_000
            } else {
                self.below(12) as u32
            }
        };
        Padding {
            left: side(),
            top: side(),
            right: side(),
            bottom: side(),
        }
    }
}

const FORMATS: [&str; 6] = [
    "{label}",
    "{label} #{track_id}",
    "{confidence:.2f}",
    "{model} {det_xc:.1f},{det_yc:.1f} {det_width}x{det_height} {det_angle}",
    "{track_xc} {track_yc} {track_width} {track_height} {track_angle} ✓ 漢字",
    "",
];

fn random_box(rng: &mut Lcg, w: f64, h: f64) -> RBBox {
    // Built field by field: `RBBox::new` would refuse what we want to try.
    RBBox {
        xc: rng.coord(w),
        yc: rng.coord(h),
        width: rng.size(w),
        height: rng.size(h),
        angle: match rng.below(6) {
            0 => None,
            1 => Some(f64::NAN),
            2 => Some(rng.below(720) as f64 - 360.0),
            _ => Some(0.0),
        },
    }
}

fn random_draw(rng: &mut Lcg) -> proj_draw::Result<ObjectDraw> {
    let bounding_box = rng.chance(80).then(|| BoundingBoxDraw {
        border_color: rng.color(),
        background_color: rng.color(),
        thickness: if rng.chance(3) {
            500
        } else {
            rng.below(9) as u32
        },
        padding: rng.padding(),
    });
    let central_dot = rng.chance(40).then(|| DotDraw {
        color: rng.color(),
        radius: rng.below(101) as u32,
    });
    let label = rng.chance(60).then(|| {
        let lines: Vec<String> = (0..rng.below(5))
            .map(|_| FORMATS[rng.below(6) as usize].to_owned())
            .collect();
        let kind = [
            LabelPositionKind::TopLeftInside,
            LabelPositionKind::TopLeftOutside,
            LabelPositionKind::Center,
        ][rng.below(3) as usize];
        let scale = if rng.chance(2) {
            100.0
        } else {
            0.05 + rng.below(300) as f64 / 100.0
        };
        let position = LabelPosition::new(
            kind,
            rng.below(200) as i64 - 100,
            rng.below(200) as i64 - 100,
        );
        LabelDraw::new(
            rng.color(),
            rng.color(),
            rng.color(),
            scale,
            rng.below(6) as i64,
            position.unwrap_or_default(),
            rng.padding(),
            &lines,
        )
    });
    Ok(ObjectDraw {
        bounding_box,
        central_dot,
        label: label.transpose()?,
        blur: rng.chance(15),
        bbox_source: if rng.chance(50) {
            BBoxSource::Track
        } else {
            BBoxSource::Detection
        },
    })
}

fn random_list(rng: &mut Lcg, w: f64, h: f64) -> Vec<f64> {
    let mut cmds = Vec::new();
    let mut depth = 0;
    for _ in 0..rng.below(12) {
        let color = |rng: &mut Lcg| {
            let c = rng.color();
            f64::from(u32::from_be_bytes([c.r, c.g, c.b, c.a]))
        };
        match rng.below(13) {
            0 => {
                cmds.push(0.0);
                depth += 1;
            }
            1 if depth > 0 => {
                cmds.push(1.0);
                depth -= 1;
            }
            2 => cmds.extend([2.0, rng.coord(w), rng.coord(h)]),
            3 => cmds.extend([3.0, rng.coord(360.0)]),
            4 => cmds.extend([4.0, rng.size(4.0), rng.size(4.0)]),
            5 => cmds.extend([
                10.0,
                rng.coord(w),
                rng.coord(h),
                rng.size(w),
                rng.size(h),
                color(rng),
                color(rng),
                rng.size(10.0),
            ]),
            6 => cmds.extend([
                11.0,
                rng.coord(w),
                rng.coord(h),
                rng.coord(w),
                rng.coord(h),
                color(rng),
                rng.size(10.0),
            ]),
            7 => {
                let n = rng.below(6);
                cmds.extend([
                    12.0,
                    n as f64,
                    rng.below(2) as f64,
                    color(rng),
                    color(rng),
                    rng.size(6.0),
                ]);
                for _ in 0..n {
                    cmds.extend([rng.coord(w), rng.coord(h)]);
                }
            }
            8 => cmds.extend([
                13.0,
                rng.coord(w),
                rng.coord(h),
                rng.size(w),
                color(rng),
                color(rng),
                rng.size(8.0),
            ]),
            9 => cmds.extend([
                14.0,
                rng.coord(w),
                rng.coord(h),
                rng.size(40.0),
                color(rng),
                color(rng),
                rng.size(10.0),
                0.0,
            ]),
            10 => cmds.extend([
                15.0,
                rng.coord(w),
                rng.coord(h),
                rng.size(w),
                rng.size(h),
                0.0,
            ]),
            11 => cmds.extend([
                16.0,
                rng.coord(w),
                rng.coord(h),
                rng.size(w),
                rng.size(h),
                rng.size(50.0),
            ]),
            _ => {}
        }
    }
    cmds
}

const CANARY: u8 = 0xA5;
const GUARD: usize = 512;

#[test]
fn random_objects_and_lists_never_write_outside_the_picture() {
    let mut rng = Lcg(0x5eed_2026);
    let mut painter = match Painter::with_default_font() {
        Ok(p) => p,
        Err(e) => panic!("built-in font: {e}"),
    };
    let image = match proj_draw::Image::new(3, 2, (0..24).map(|i| (i * 10) as u8).collect()) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    };
    let mut objects_drawn = 0;
    for round in 0..1200 {
        let (w, h) = (1 + rng.below(160) as u32, 1 + rng.below(120) as u32);
        let pad = if round % 2 == 0 {
            0
        } else {
            1 + rng.below(40) as usize
        };
        let pitch = w as usize * 4 + pad;
        let len = (h as usize - 1) * pitch + w as usize * 4;
        let mut bytes = vec![CANARY; GUARD + len + GUARD];
        for y in 0..h as usize {
            let row = GUARD + y * pitch;
            for (i, b) in bytes[row..row + w as usize * 4].iter_mut().enumerate() {
                *b = (i * 7 + y * 13) as u8;
            }
        }
        let order = if round % 3 == 0 {
            ChannelOrder::Bgra
        } else {
            ChannelOrder::Rgba
        };
        {
            let mut target = match Target::new(&mut bytes[GUARD..GUARD + len], w, h, pitch, order) {
                Ok(t) => t,
                Err(e) => panic!("{e}"),
            };
            for _ in 0..6 {
                let object = VideoObject {
                    id: 1,
                    namespace: "fuzz".into(),
                    label: "thing".into(),
                    draw_label: rng.chance(30).then(|| "drawn".into()),
                    detection_box: random_box(&mut rng, f64::from(w), f64::from(h)),
                    confidence: rng.chance(50).then(|| rng.below(1000) as f64 / 1000.0),
                    parent_id: None,
                    track_id: rng.chance(50).then(|| rng.below(100_000) as i64),
                    track_box: rng
                        .chance(40)
                        .then(|| random_box(&mut rng, f64::from(w), f64::from(h))),
                    attributes: Vec::new(),
                };
                let draw = match random_draw(&mut rng) {
                    Ok(d) => d,
                    Err(e) => panic!("the fuzz formats are valid: {e}"),
                };
                painter.draw_object(&mut target, &object, &draw);
                objects_drawn += 1;
            }
            let cmds = random_list(&mut rng, f64::from(w), f64::from(h));
            let ops = match decode_draw_list(
                &cmds,
                &["fuzz ✓\nline".to_owned()],
                std::slice::from_ref(&image),
            ) {
                Ok(ops) => ops,
                Err(e) => panic!("round {round}: a valid list was refused: {e}"),
            };
            painter.draw_list(&mut target, &ops);
        }
        assert!(
            bytes[..GUARD].iter().all(|&b| b == CANARY),
            "round {round}: bytes before the picture changed"
        );
        assert!(
            bytes[GUARD + len..].iter().all(|&b| b == CANARY),
            "round {round}: bytes after the picture changed"
        );
        for y in 0..h as usize - 1 {
            let padding = GUARD + y * pitch + w as usize * 4..GUARD + (y + 1) * pitch;
            assert!(
                bytes[padding].iter().all(|&b| b == CANARY),
                "round {round}: row {y}'s padding changed"
            );
        }
    }
    assert_eq!(objects_drawn, 7200);
}

#[test]
fn malformed_lists_are_errors_not_panics() {
    let mut rng = Lcg(7);
    for _ in 0..5000 {
        let cmds: Vec<f64> = (0..rng.below(20))
            .map(|_| match rng.below(6) {
                0 => f64::NAN,
                1 => -1.0,
                2 => rng.below(20) as f64,
                3 => 1e300,
                4 => 0.5,
                _ => rng.below(5) as f64,
            })
            .collect();
        // Whatever it decides, it must not panic; a decoded list must draw.
        if let Ok(ops) = decode_draw_list(&cmds, &[], &[]) {
            let mut bytes = vec![0u8; 16 * 16 * 4];
            if let (Ok(mut t), Ok(mut p)) = (
                Target::new(&mut bytes, 16, 16, 64, ChannelOrder::Rgba),
                Painter::with_default_font(),
            ) {
                p.draw_list(&mut t, &ops);
            }
        }
    }
    assert!(
        decode_draw_list(&[1.0], &[], &[]).is_err(),
        "restore without save"
    );
    assert!(
        decode_draw_list(&[10.0, 1.0], &[], &[]).is_err(),
        "truncated rect"
    );
    assert!(
        decode_draw_list(&[14.0, 0.0, 0.0, 12.0, 0.0, 0.0, 0.0, 3.0], &[], &[]).is_err(),
        "string index out of range"
    );
    assert!(
        decode_draw_list(&[99.0], &[], &[]).is_err(),
        "unknown opcode"
    );
}
