//! The CUDA kernels (src/cuda/kernels.cu) compiled by the host C++
//! compiler and run on the CPU (tests/host_kernels/harness.cpp), compared
//! with the CPU platform's output for the same transform. This checks the
//! kernels' sampling, filters, letterbox bars, pitch handling and colour
//! conversion on machines with no GPU; the NVRTC build and the run on a
//! real GPU are checked by `nvrtc_compile.rs` and `cuda_platform.rs`.

use proj_test_support::psnr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use proj_buffers::{
    import_yuv420, transform, ColorMatrix, DstPadding, Interpolation, Padding, Rect, Surface,
    TransformConfig, VideoFormat, Yuv420,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn harness() -> &'static PathBuf {
    static HARNESS: OnceLock<PathBuf> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kernels-harness");
        let compiler = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
        let status = Command::new(&compiler)
            .args(["-O2", "-std=c++17", "-Wall", "-Werror", "-o"])
            .arg(&out)
            .arg(root.join("tests/host_kernels/harness.cpp"))
            .arg("-I")
            .arg(root.join("src/cuda"))
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "{compiler} could not build the kernel harness: {status:?}"
        );
        out
    })
}

fn run_harness(kind: &str, input: &[u8], args: &[String]) -> Result<Vec<u8>> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let id = format!("{}-{kind}-{}", std::process::id(), args.join("_"));
    let (inp, out) = (dir.join(format!("{id}.in")), dir.join(format!("{id}.out")));
    std::fs::write(&inp, input)?;
    let status = Command::new(harness())
        .arg(kind)
        .arg(&inp)
        .arg(&out)
        .args(args)
        .status()?;
    assert!(status.success(), "harness {kind} {args:?}: {status}");
    let bytes = std::fs::read(&out)?;
    std::fs::remove_file(inp)?;
    std::fs::remove_file(out)?;
    Ok(bytes)
}

/// The shared test picture, with hard-edged blocks.
fn pattern(width: u32, height: u32, channels: u32) -> Vec<u8> {
    proj_test_support::pattern(width, height, channels, 0, true)
}

fn filter(interpolation: Interpolation) -> i32 {
    match interpolation {
        Interpolation::Nearest | Interpolation::Default => 0,
        Interpolation::Bilinear => 1,
        Interpolation::GpuCubicVic5Tap => 2,
        Interpolation::GpuSuperVic10Tap => 3,
        Interpolation::GpuLanczosVicSmart | Interpolation::GpuIgnoredVicNicest => 4,
    }
}

struct Case {
    src: (u32, u32),
    crop: Option<Rect>,
    dst: (u32, u32),
    padding: Padding,
    dst_padding: DstPadding,
}

const CASES: [Case; 3] = [
    // 1080p-like downscale into a square model input.
    Case {
        src: (480, 270),
        crop: None,
        dst: (160, 160),
        padding: Padding::Symmetric,
        dst_padding: DstPadding {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        },
    },
    // Upscale of a source crop, right-bottom, destination padding.
    Case {
        src: (200, 150),
        crop: Some(Rect {
            left: 31,
            top: 17,
            width: 90,
            height: 70,
        }),
        dst: (250, 170),
        padding: Padding::RightBottom,
        dst_padding: DstPadding {
            left: 6,
            top: 3,
            right: 10,
            bottom: 0,
        },
    },
    // The design example's shape, scaled down by 8.
    Case {
        src: (100, 75),
        crop: None,
        dst: (100, 100),
        padding: Padding::None,
        dst_padding: DstPadding {
            left: 0,
            top: 0,
            right: 0,
            bottom: 0,
        },
    },
];

fn config(case: &Case, interpolation: Interpolation) -> TransformConfig {
    TransformConfig {
        interpolation,
        padding: case.padding,
        dst_padding: case.dst_padding,
        ..TransformConfig::default()
    }
}

/// The kernel's output for every filter and case matches the CPU
/// platform's; the bars are exactly black in both.
#[test]
fn letterbox_kernel_matches_the_cpu_platform() -> Result<()> {
    for (format, channels) in [(VideoFormat::Rgba, 4u32), (VideoFormat::Gray8, 1)] {
        for case in &CASES {
            let input = pattern(case.src.0, case.src.1, channels);
            let mut src = Surface::new(format, case.src.0, case.src.1)?;
            src.upload(&input)?;
            for interpolation in Interpolation::ALL {
                let config = config(case, interpolation);
                let mut dst = Surface::new(format, case.dst.0, case.dst.1)?;
                let p = transform(&src, case.crop, &mut dst, &config)?;
                let cpu = dst.download()?;
                let (s, d) = (p.src, p.dst);
                let args: Vec<String> = [case.src.0, case.src.1, channels, case.dst.0, case.dst.1]
                    .iter()
                    .map(u32::to_string)
                    .chain([s.left, s.top, s.width, s.height].map(|v| v.to_string()))
                    .chain([d.left, d.top, d.width, d.height].map(|v| v.to_string()))
                    .chain([filter(interpolation), 0, 0, 0, 0].map(|v| v.to_string()))
                    .collect();
                let gpu = run_harness("letterbox", &input, &args)?;
                let db = psnr(&cpu, &gpu);
                let floor = match interpolation {
                    Interpolation::Bilinear => 40.0,
                    _ => 33.0,
                };
                println!("{format} {:?} {interpolation:?}: {db:.1} dB", case.src);
                assert!(
                    db >= floor,
                    "{format} {:?} {interpolation:?}: {db:.1} dB < {floor}",
                    case.src
                );
                // Outside the picture both are black, byte for byte.
                let row = (case.dst.0 * channels) as usize;
                for y in 0..case.dst.1 {
                    for x in 0..case.dst.0 {
                        let inside = x >= d.left
                            && x < d.left + d.width
                            && y >= d.top
                            && y < d.top + d.height;
                        if !inside {
                            let at = y as usize * row + (x * channels) as usize;
                            assert_eq!(
                                gpu[at..at + channels as usize],
                                cpu[at..at + channels as usize]
                            );
                            assert!(gpu[at..at + channels as usize].iter().all(|&b| b == 0));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// NV12/NV21/I420 → RGBA/BGRx in one kernel matches the CPU platform's
/// scale (to 4:4:4) then convert, for every filter: the chroma planes are
/// sampled at half the luma's scale.
#[test]
fn yuv420_kernel_matches_the_cpu_platform() -> Result<()> {
    for (format, layout) in [
        (VideoFormat::Nv12, 0),
        (VideoFormat::Nv21, 1),
        (VideoFormat::I420, 2),
    ] {
        for (src_size, dst_size) in [
            ((480u32, 270u32), (160u32, 160u32)),
            ((1280, 720), (320, 320)),
        ] {
            // A YUV picture: luma from the pattern, chroma smooth.
            let luma = pattern(src_size.0, src_size.1, 1);
            let (cw, ch) = (src_size.0.div_ceil(2), src_size.1.div_ceil(2));
            let mut input = luma;
            let chroma = pattern(cw, ch, 2)
                .iter()
                .map(|&v| 128 + (i32::from(v) - 128) * 2 / 3)
                .map(|v| u8::try_from(v).unwrap_or(128))
                .collect::<Vec<_>>();
            if format == VideoFormat::I420 {
                input.extend(chroma.iter().step_by(2));
                input.extend(chroma.iter().skip(1).step_by(2));
            } else {
                input.extend(&chroma);
            }
            let mut src = Surface::new(format, src_size.0, src_size.1)?;
            src.upload(&input)?;
            for ((dst_format, bgr), interpolation) in
                [(VideoFormat::Rgba, 0), (VideoFormat::Bgrx, 1)]
                    .into_iter()
                    .flat_map(|pair| Interpolation::ALL.map(|i| (pair, i)))
            {
                let mut dst = Surface::new(dst_format, dst_size.0, dst_size.1)?;
                let case_config = TransformConfig {
                    interpolation,
                    ..TransformConfig::default()
                };
                let p = transform(&src, None, &mut dst, &case_config)?;
                let cpu = dst.download()?;
                let (s, d) = (p.src, p.dst);
                let matrix = i32::from(src_size.1 > 576);
                let args: Vec<String> = [
                    layout,
                    src_size.0 as i32,
                    src_size.1 as i32,
                    dst_size.0 as i32,
                    dst_size.1 as i32,
                ]
                .iter()
                .map(i32::to_string)
                .chain([s.left, s.top, s.width, s.height].map(|v| v.to_string()))
                .chain([d.left, d.top, d.width, d.height].map(|v| v.to_string()))
                .chain([filter(interpolation), bgr, matrix, 0].map(|v| v.to_string()))
                .collect();
                let gpu = run_harness("yuv420", &input, &args)?;
                let db = psnr(&cpu, &gpu);
                println!("{format} → {dst_format} {src_size:?} {interpolation:?}: {db:.1} dB");
                assert!(
                    db >= 35.0,
                    "{format} → {dst_format} {src_size:?} {interpolation:?}: {db:.1} dB"
                );
            }
        }
    }
    Ok(())
}

/// A decoder's picture converted on the GPU (`import_device_yuv420`: the
/// kernel at 1:1 with the stream's matrix and range) matches the CPU's
/// conversion of the same picture (`import_yuv420`, yuvutils) for every
/// matrix and range.
#[test]
fn yuv420_kernel_matches_the_cpu_import_for_every_matrix_and_range() -> Result<()> {
    let (w, h) = (202u32, 134u32);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let luma = pattern(w, h, 1);
    let chroma = pattern(cw, ch, 2);
    let mut input = luma.clone();
    input.extend(&chroma);
    for (matrix, index) in [
        (ColorMatrix::Bt601, 0),
        (ColorMatrix::Bt709, 1),
        (ColorMatrix::Bt2020, 2),
    ] {
        for full_range in [false, true] {
            let mut cpu = Surface::new(VideoFormat::Rgba, w, h)?;
            import_yuv420(
                &mut cpu,
                &Yuv420 {
                    width: w,
                    height: h,
                    planes: [&luma, &chroma, &[]],
                    strides: [w as usize, cw as usize * 2, 0],
                    semi_planar: true,
                    matrix,
                    full_range,
                },
            )?;
            let args: Vec<String> = [0, w, h, w, h, 0, 0, w, h, 0, 0, w, h]
                .iter()
                .map(|v| v.to_string())
                .chain(
                    [
                        "0",
                        "0",
                        &index.to_string(),
                        &i32::from(full_range).to_string(),
                    ]
                    .map(String::from),
                )
                .collect();
            let gpu = run_harness("yuv420", &input, &args)?;
            let cpu = cpu.download()?;
            let db = psnr(&cpu, &gpu);
            let worst = cpu.iter().zip(&gpu).map(|(a, b)| a.abs_diff(*b)).max();
            println!("{matrix:?} full={full_range}: {db:.1} dB, worst {worst:?}");
            assert!(db >= 40.0, "{matrix:?} full={full_range}: {db:.1} dB");
        }
    }
    Ok(())
}

/// The encoders' RGBA → I420 on the GPU against FFmpeg's swscale (BT.601,
/// limited and full range) at an odd size: the luma within one step; the
/// chroma near (swscale's chroma filter is not a 2×2 mean: 37–38 dB apart
/// on this picture whatever its flags).
#[test]
fn rgb_to_i420_matches_ffmpeg() -> Result<()> {
    let (w, h) = (243u32, 131u32);
    let input = proj_test_support::pattern(w, h, 4, 0, false);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let raw = dir.join(format!("{}-rgba.raw", std::process::id()));
    std::fs::write(&raw, &input)?;
    for full_range in [false, true] {
        let range = if full_range { "full" } else { "limited" };
        let gpu = run_harness(
            "rgb_i420",
            &input,
            &[
                w.to_string(),
                h.to_string(),
                i32::from(full_range).to_string(),
            ],
        )?;
        let output = Command::new("ffmpeg")
            .args(["-v", "error", "-f", "rawvideo", "-pix_fmt", "rgba", "-s"])
            .arg(format!("{w}x{h}"))
            .arg("-i")
            .arg(&raw)
            .args(["-sws_flags", "bilinear+accurate_rnd", "-vf"])
            .arg(format!("scale=out_color_matrix=bt601:out_range={range}"))
            .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
            .output()?;
        assert!(output.status.success(), "ffmpeg: {output:?}");
        let ffmpeg = output.stdout;
        assert_eq!(gpu.len(), ffmpeg.len());
        let luma = (w * h) as usize;
        let worst_luma = gpu[..luma]
            .iter()
            .zip(&ffmpeg[..luma])
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        let chroma_db = psnr(&gpu[luma..], &ffmpeg[luma..]);
        println!("RGBA → I420 {range}: luma worst {worst_luma:?}, chroma {chroma_db:.1} dB against FFmpeg");
        assert!(worst_luma <= Some(1), "{range}");
        assert!(chroma_db >= 36.0, "{range}: {chroma_db:.1} dB");
    }
    std::fs::remove_file(raw)?;
    Ok(())
}
