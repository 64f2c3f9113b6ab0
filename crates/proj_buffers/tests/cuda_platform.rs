//! The CUDA platform on a real GPU: memory round trips, fill and memset,
//! every transform compared with the CPU platform, batches, pool memory
//! and the GPU helpers. Every test here needs an NVIDIA GPU, so each is
//! ignored by default: a machine without one counts them as skipped, never
//! as passed. `scripts/gpu-run.sh` runs them with `--include-ignored`;
//! there a GPU that cannot be used is a failure.
//!
//! `cargo test -p proj_buffers --test cuda_platform -- --ignored bench`
//! times 1920×1080 RGBA → 640×640 letterbox on the GPU against the
//! device's measured copy bandwidth.

use proj_test_support::psnr;
use std::time::Instant;

use proj_buffers::{
    cuda, gpu_architecture, gpu_mem_used_mib, gpu_platform_tag, init_cuda, is_jetson_kernel,
    jetson_model, BufferGenerator, BuffersError, DstPadding, GeneratorOptions, Interpolation,
    MemType, NonUniformBatch, Padding, Rect, SharedBuffer, SurfaceView, TransformConfig,
    UniformBatchGenerator, VideoFormat,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// GPU 0 must be usable: a test here that runs without it fails.
fn require_gpu() {
    let usable = cuda::usable(0);
    let reason = match cuda::device_count() {
        _ if usable => String::new(),
        Err(e) => e.to_string(),
        Ok(0) => "no CUDA device".into(),
        Ok(_) if !cuda::nvrtc_loaded() => "NVRTC (libnvrtc.so.13) is not installed".into(),
        Ok(_) => "GPU 0 did not start".into(),
    };
    assert!(usable, "the CUDA platform cannot run here: {reason}");
}

fn options(mem_type: MemType, pool_size: usize) -> GeneratorOptions {
    GeneratorOptions {
        mem_type,
        pool_size,
        ..GeneratorOptions::default()
    }
}

/// One buffer of `format` and size in `mem_type` memory, holding `bytes`.
fn buffer(
    mem_type: MemType,
    format: VideoFormat,
    (width, height): (u32, u32),
    bytes: &[u8],
) -> Result<SharedBuffer> {
    let generator = BufferGenerator::new(format, width, height, options(mem_type, 1))?;
    assert_eq!(generator.mem_type(), mem_type);
    let buffer = generator.try_acquire(None)?;
    buffer.with_surface_mut(0, |s| s.upload(bytes))??;
    Ok(buffer)
}

fn download(buffer: &SharedBuffer) -> Result<Vec<u8>> {
    Ok(buffer.with_surface(0, |s| s.download())??)
}

/// The shared test picture in the tightly packed layout of `format` (the
/// gradients shifted per plane).
fn pattern(format: VideoFormat, width: u32, height: u32) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    for (index, plane) in format.planes(width, height)?.iter().enumerate() {
        let channels = u32::try_from(plane.bytes_per_pixel)?;
        let phase = u32::try_from(index)?;
        bytes.extend(proj_test_support::pattern(
            plane.width,
            plane.height,
            channels,
            phase,
            false,
        ));
    }
    Ok(bytes)
}

const GPU_MEMORY: [MemType; 3] = [
    MemType::CudaDevice,
    MemType::CudaUnified,
    MemType::CudaPinned,
];

const FORMATS: [VideoFormat; 7] = [
    VideoFormat::Rgba,
    VideoFormat::Bgrx,
    VideoFormat::Gray8,
    VideoFormat::Nv12,
    VideoFormat::Nv21,
    VideoFormat::I420,
    VideoFormat::Uyvy,
];

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn helpers_describe_the_gpu() -> Result<()> {
    require_gpu();
    init_cuda(0)?;
    let architecture = gpu_architecture(0)?;
    let tag = gpu_platform_tag(0)?;
    let used = gpu_mem_used_mib(0)?;
    println!("architecture {architecture:?}, platform tag {tag}, {used} MiB used");
    assert!(architecture.is_some());
    assert!(!tag.is_empty());
    assert!(used > 0);
    assert!(!is_jetson_kernel());
    assert_eq!(jetson_model(0)?, None);
    let count = u32::try_from(cuda::device_count()?)?;
    assert!(matches!(
        init_cuda(count),
        Err(BuffersError::CudaUnavailable { .. })
    ));
    // Default memory is CUDA device memory where a GPU is usable.
    let generator = BufferGenerator::new(VideoFormat::Rgba, 64, 64, options(MemType::Default, 1))?;
    assert_eq!(generator.mem_type(), MemType::CudaDevice);
    Ok(())
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn every_format_round_trips_through_gpu_memory() -> Result<()> {
    require_gpu();
    for mem_type in GPU_MEMORY {
        for format in FORMATS {
            // Odd sizes where the format allows them: pitch ≠ width.
            let size = match format {
                VideoFormat::Rgba | VideoFormat::Bgrx | VideoFormat::Gray8 => (333, 201),
                _ => (334, 202),
            };
            let bytes = pattern(format, size.0, size.1)?;
            let b = buffer(mem_type, format, size, &bytes)?;
            assert!(download(&b)? == bytes, "{mem_type:?} {format}: round trip");
            let info = b.surface_info(0)?;
            assert_eq!(info.mem_type, mem_type);
            assert_ne!(info.data_ptr, 0);
            assert_eq!(info.gpu_id, Some(0));
            if mem_type != MemType::CudaPinned {
                assert_ne!(info.cuda_stream, 0, "{mem_type:?}: a stream of its own");
                assert!(info.pitch >= size.0 as usize);
            }
            b.with_surface_mut(0, |s| s.memset(7))??;
            assert!(
                download(&b)?.iter().all(|&v| v == 7),
                "{mem_type:?} {format}: memset"
            );
            if let Some(channels) = format.channels() {
                let color: Vec<u8> = (1..=u8::try_from(channels)?).collect();
                b.with_surface_mut(0, |s| s.fill(&color))??;
                let out = download(&b)?;
                assert!(
                    out.chunks(channels).all(|p| p == color),
                    "{mem_type:?} {format}: fill"
                );
            }
        }
    }
    Ok(())
}

struct Case {
    name: &'static str,
    src: (u32, u32),
    crop: Option<Rect>,
    dst: (u32, u32),
    padding: Padding,
    dst_padding: DstPadding,
}

const NO_PADDING: DstPadding = DstPadding {
    left: 0,
    top: 0,
    right: 0,
    bottom: 0,
};

const CASES: [Case; 5] = [
    Case {
        name: "800x600 → 800x800",
        src: (800, 600),
        crop: None,
        dst: (800, 800),
        padding: Padding::Symmetric,
        dst_padding: NO_PADDING,
    },
    Case {
        name: "1920x1080 → 640x640",
        src: (1920, 1080),
        crop: None,
        dst: (640, 640),
        padding: Padding::Symmetric,
        dst_padding: NO_PADDING,
    },
    Case {
        name: "crop, right-bottom, dst padding, upscale",
        src: (320, 240),
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
            top: 4,
            right: 10,
            bottom: 2,
        },
    },
    Case {
        name: "no padding (stretch)",
        src: (1280, 720),
        crop: None,
        dst: (416, 416),
        padding: Padding::None,
        dst_padding: NO_PADDING,
    },
    Case {
        name: "the 16-pixel minimum",
        src: (2000, 60),
        crop: None,
        dst: (320, 320),
        padding: Padding::Symmetric,
        dst_padding: NO_PADDING,
    },
];

/// Runs one transform in `mem_type` memory and returns the destination.
fn transformed(
    mem_type: MemType,
    (src_format, dst_format): (VideoFormat, VideoFormat),
    case: &Case,
    config: &TransformConfig,
    bytes: &[u8],
) -> Result<Vec<u8>> {
    let src = buffer(mem_type, src_format, case.src, bytes)?;
    let dst_generator =
        BufferGenerator::new(dst_format, case.dst.0, case.dst.1, options(mem_type, 1))?;
    let dst = dst_generator.try_acquire(None)?;
    dst.with_surface_mut(0, |s| s.memset(99))??;
    BufferGenerator::transform_into(&src, 0, case.crop, &dst, 0, config)?;
    download(&dst)
}

/// Every case, format pair and filter on the GPU against the CPU; the
/// floors are those of the issue (bilinear ≥ 40 dB) and of the host-run
/// kernels for the others.
#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn transforms_match_the_cpu() -> Result<()> {
    require_gpu();
    let pairs = [
        (VideoFormat::Rgba, VideoFormat::Rgba),
        (VideoFormat::Bgrx, VideoFormat::Bgrx),
        (VideoFormat::Gray8, VideoFormat::Gray8),
        (VideoFormat::Nv12, VideoFormat::Nv12),
        (VideoFormat::I420, VideoFormat::I420),
        (VideoFormat::Nv12, VideoFormat::Rgba),
        (VideoFormat::Nv21, VideoFormat::Bgrx),
        (VideoFormat::I420, VideoFormat::Rgba),
    ];
    let mut failures = Vec::new();
    let mut worst_bilinear = f64::INFINITY;
    for case in &CASES {
        for pair in pairs {
            let bytes = pattern(pair.0, case.src.0, case.src.1)?;
            for interpolation in Interpolation::ALL {
                let config = TransformConfig {
                    interpolation,
                    padding: case.padding,
                    dst_padding: case.dst_padding,
                    ..TransformConfig::default()
                };
                let cpu = transformed(MemType::System, pair, case, &config, &bytes)?;
                let gpu = transformed(MemType::CudaDevice, pair, case, &config, &bytes)?;
                let unified = transformed(MemType::CudaUnified, pair, case, &config, &bytes)?;
                let db = psnr(&cpu, &gpu);
                let floor = if interpolation == Interpolation::Bilinear {
                    worst_bilinear = worst_bilinear.min(db);
                    40.0
                } else {
                    33.0
                };
                let label = format!("{} {}→{} {interpolation:?}", case.name, pair.0, pair.1);
                println!("{label}: {db:.1} dB");
                if db < floor {
                    failures.push(format!("{label}: {db:.1} dB < {floor}"));
                }
                if unified != gpu {
                    failures.push(format!(
                        "{label}: unified memory differs from device memory"
                    ));
                }
            }
        }
    }
    println!("worst bilinear PSNR, CUDA vs CPU: {worst_bilinear:.1} dB");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn mixed_memory_is_a_typed_error() -> Result<()> {
    require_gpu();
    let bytes = pattern(VideoFormat::Rgba, 64, 64)?;
    let host = buffer(MemType::System, VideoFormat::Rgba, (64, 64), &bytes)?;
    let device = buffer(
        MemType::CudaDevice,
        VideoFormat::Rgba,
        (32, 32),
        &bytes[..32 * 32 * 4],
    )?;
    let config = TransformConfig::default();
    for (src, dst) in [(&host, &device), (&device, &host)] {
        assert!(matches!(
            BufferGenerator::transform_into(src, 0, None, dst, 0, &config),
            Err(BuffersError::UnsupportedFormat { .. })
        ));
    }
    // Nothing was lost: the device surface still holds its upload.
    assert!(download(&device)? == bytes[..32 * 32 * 4]);
    Ok(())
}

/// A uniform batch filled on the GPU from sources of mixed sizes equals
/// the same batch filled on the CPU; a non-uniform batch of GPU surfaces
/// reaches the same memory without copying.
#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn batches_of_mixed_sources_match_the_cpu() -> Result<()> {
    require_gpu();
    let sizes = [(1920, 1080), (1280, 720), (640, 480), (333, 777)];
    let config = TransformConfig::default();
    let mut outputs = Vec::new();
    for mem_type in [MemType::System, MemType::CudaDevice] {
        let generator =
            UniformBatchGenerator::new(VideoFormat::Rgba, 640, 640, 4, options(mem_type, 2))?;
        let mut batch = generator.try_acquire_batch(config, Vec::new())?;
        let mut sources = Vec::new();
        for (slot, &size) in sizes.iter().enumerate() {
            let bytes = pattern(VideoFormat::Rgba, size.0, size.1)?;
            let src = buffer(mem_type, VideoFormat::Rgba, size, &bytes)?;
            batch.transform_slot(slot, &src, None)?;
            sources.push(src);
        }
        batch.finalize()?;
        let shared = batch.shared_buffer()?;
        assert_eq!(shared.num_filled(), 4);
        let slots = (0..4)
            .map(|slot| shared.with_surface(slot, |s| s.download())?)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        outputs.push(slots);
        if mem_type == MemType::CudaDevice {
            let mut nonuniform = NonUniformBatch::new(0);
            for src in &sources {
                nonuniform.add(&SurfaceView::new(src, 0)?)?;
            }
            let joined = nonuniform.finalize(Vec::new())?;
            for (slot, src) in sources.iter().enumerate() {
                assert_eq!(
                    joined.surface_info(slot)?.data_ptr,
                    src.surface_info(0)?.data_ptr,
                    "slot {slot}: zero-copy"
                );
            }
        }
    }
    for (slot, (cpu, gpu)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
        let db = psnr(cpu, gpu);
        println!("batch slot {slot} {:?}: {db:.1} dB", sizes[slot]);
        assert!(db >= 40.0, "slot {slot}: {db:.1} dB");
    }
    Ok(())
}

/// 100,000 acquire/release cycles and 200 generators made and dropped
/// leave the GPU's memory where it started.
#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn pools_leave_gpu_memory_where_it_started() -> Result<()> {
    require_gpu();
    // Warm up: the context, the kernels and one generator.
    drop(BufferGenerator::new(
        VideoFormat::Rgba,
        1920,
        1080,
        options(MemType::CudaDevice, 4),
    )?);
    let before = gpu_mem_used_mib(0)?;
    let generator = BufferGenerator::new(
        VideoFormat::Rgba,
        1920,
        1080,
        options(MemType::CudaDevice, 4),
    )?;
    for _ in 0..100_000 {
        drop(generator.try_acquire(None)?);
    }
    drop(generator);
    for _ in 0..200 {
        let g = BufferGenerator::new(
            VideoFormat::Nv12,
            1920,
            1080,
            options(MemType::CudaDevice, 4),
        )?;
        let b = g.try_acquire(None)?;
        b.with_surface_mut(0, |s| s.memset(1))??;
    }
    let after = gpu_mem_used_mib(0)?;
    println!("GPU memory used: {before} MiB before, {after} MiB after");
    // 200 generators of 4 × 3 MiB would leak 2.4 GiB.
    assert!(after <= before + 8, "{before} MiB → {after} MiB");
    Ok(())
}

/// GPU letterbox throughput against the copy bandwidth it can reach.
#[test]
#[ignore = "benchmark: run with --ignored on a GPU machine"]
fn bench() -> Result<()> {
    require_gpu();
    let context = cuda::context(0)?;
    let stream = context.default_stream();
    // The memory-bandwidth ceiling: a 1 GiB device-to-device copy.
    let len = 1 << 30;
    let a = stream.alloc_zeros::<u8>(len)?;
    let mut b = stream.alloc_zeros::<u8>(len)?;
    stream.memcpy_dtod(&a, &mut b)?;
    stream.synchronize()?;
    let rounds = 20;
    let start = Instant::now();
    for _ in 0..rounds {
        stream.memcpy_dtod(&a, &mut b)?;
    }
    stream.synchronize()?;
    let copy_bandwidth = (2 * len * rounds) as f64 / start.elapsed().as_secs_f64();
    drop((a, b));
    println!(
        "device-to-device copy: {:.0} GB/s (read + write)",
        copy_bandwidth / 1e9
    );

    let bytes = pattern(VideoFormat::Rgba, 1920, 1080)?;
    for interpolation in [
        Interpolation::Nearest,
        Interpolation::Bilinear,
        Interpolation::GpuCubicVic5Tap,
        Interpolation::GpuSuperVic10Tap,
        Interpolation::GpuLanczosVicSmart,
    ] {
        let config = TransformConfig {
            interpolation,
            ..TransformConfig::default()
        };
        let src = buffer(MemType::CudaDevice, VideoFormat::Rgba, (1920, 1080), &bytes)?;
        let dst_generator =
            BufferGenerator::new(VideoFormat::Rgba, 640, 640, options(MemType::CudaDevice, 1))?;
        let dst = dst_generator.try_acquire(None)?;
        let batches = UniformBatchGenerator::new(
            VideoFormat::Rgba,
            640,
            640,
            16,
            options(MemType::CudaDevice, 1),
        )?;
        let frame = |n: usize| -> Result<f64> {
            let start = Instant::now();
            for _ in 0..n {
                BufferGenerator::transform_into(&src, 0, None, &dst, 0, &config)?;
            }
            Ok(start.elapsed().as_secs_f64() / n as f64)
        };
        let batch = |n: usize| -> Result<f64> {
            let start = Instant::now();
            for _ in 0..n {
                let mut batch = batches.try_acquire_batch(config, Vec::new())?;
                for slot in 0..16 {
                    batch.transform_slot(slot, &src, None)?;
                }
                batch.finalize()?;
            }
            Ok(start.elapsed().as_secs_f64() / (n * 16) as f64)
        };
        frame(50)?;
        batch(5)?;
        let mut frames: Vec<f64> = (0..15).map(|_| frame(200)).collect::<Result<_>>()?;
        let mut batched: Vec<f64> = (0..15).map(|_| batch(20)).collect::<Result<_>>()?;
        frames.sort_by(f64::total_cmp);
        batched.sort_by(f64::total_cmp);
        // The fewest bytes: read the source once, write the destination.
        let bound = (1920.0 * 1080.0 * 4.0 + 640.0 * 640.0 * 4.0) / copy_bandwidth;
        println!(
            "GPU {interpolation:?} 1920x1080 RGBA → 640x640: {:.1} µs/frame median \
             ({:.0} fps; min {:.1}, max {:.1}), in batches of 16 {:.1} µs/frame ({:.0} fps); \
             bandwidth bound {:.1} µs ({:.0} fps)",
            frames[7] * 1e6,
            1.0 / frames[7],
            frames[0] * 1e6,
            frames[14] * 1e6,
            batched[7] * 1e6,
            1.0 / batched[7],
            bound * 1e6,
            1.0 / bound
        );
    }
    Ok(())
}
