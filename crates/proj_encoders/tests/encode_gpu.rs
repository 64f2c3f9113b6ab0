//! Encoding frames that live in CUDA memory. Ignored by default: a machine
//! without an NVIDIA GPU counts them as skipped, never as passed;
//! `scripts/gpu-run.sh` runs them with `--include-ignored` (and skips the
//! NVENC test by name where GStreamer registered no `nvh264enc`, as on
//! H100/H200/A100).

#![expect(
    clippy::cast_possible_truncation,
    reason = "test pictures and frame counts are small"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proj_buffers::{cuda, BufferGenerator, GeneratorOptions, MemType, VideoFormat};
use proj_encoders::{to_i420, Encoder, EncoderConfig, EncoderOutput, FrameData, Layout};
use proj_gstreamer::Codec;
use proj_test_support::psnr;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (642, 362);
const FRAMES: u64 = 24;

fn require_gpu() {
    assert!(
        cuda::usable(0),
        "the CUDA platform cannot run here (no GPU 0, or no NVRTC)"
    );
}

fn picture(i: u64) -> Vec<u8> {
    proj_test_support::pattern(SIZE.0, SIZE.1, 4, i as u32 * 3, false)
}

/// An RGBA CUDA pool's buffer → I420 on the GPU (1.5 bytes per pixel
/// copied down) → x264: the conversion matches the CPU's, and every frame
/// comes out in order.
#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn rgba_in_cuda_memory_is_converted_on_the_gpu_and_encoded() -> TestResult {
    require_gpu();
    let pool = BufferGenerator::new(
        VideoFormat::Rgba,
        SIZE.0,
        SIZE.1,
        GeneratorOptions {
            mem_type: MemType::CudaDevice,
            pool_size: 1,
            ..GeneratorOptions::default()
        },
    )?;
    let outputs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outputs);
    let config = EncoderConfig {
        format: VideoFormat::Rgba,
        ..EncoderConfig::new(Codec::H264, SIZE.0, SIZE.1)
    };
    let encoder = Encoder::with_plans(
        config,
        vec![proj_encoders::cpu_encoder(Codec::H264, None)?],
        Arc::new(move |o| sink.lock().unwrap_or_else(|e| e.into_inner()).push(o)),
    )?;
    let strides = Layout::tight(VideoFormat::I420, SIZE.0, SIZE.1)?.strides;
    let mut worst = f64::INFINITY;
    for i in 0..FRAMES {
        let rgba = picture(i);
        let buffer = pool.try_acquire(None)?;
        buffer.with_surface_mut(0, |s| s.upload(&rgba))??;
        let i420 = buffer
            .with_surface(0, |s| s.download_i420(false))?
            .ok_or("no GPU conversion for an RGBA CUDA surface")??;
        assert_eq!(i420.len(), (SIZE.0 * SIZE.1 * 3 / 2) as usize);
        let host = to_i420(&FrameData::new(
            VideoFormat::Rgba,
            SIZE.0,
            SIZE.1,
            &rgba,
            &[SIZE.0 as usize * 4],
        )?)?;
        worst = worst.min(psnr(&i420, &host));
        let frame = FrameData::new(VideoFormat::I420, SIZE.0, SIZE.1, &i420, &strides)?;
        let prepared = encoder.prepare_i420(&frame, false)?;
        drop(buffer);
        encoder.submit_prepared(prepared, i * 40_000_000, None, Some(u128::from(i)))?;
    }
    encoder.finish(Duration::from_secs(60))?;
    println!("GPU RGBA → I420 against the CPU's: worst {worst:.1} dB");
    assert!(worst >= 40.0, "{worst:.1} dB");
    let outputs = outputs.lock().unwrap_or_else(|e| e.into_inner());
    let ids: Vec<Option<u128>> = outputs
        .iter()
        .filter_map(|o| match o {
            EncoderOutput::Frame(f) => Some(f.frame_id),
            _ => None,
        })
        .collect();
    assert_eq!(
        ids,
        (0..FRAMES).map(|i| Some(u128::from(i))).collect::<Vec<_>>()
    );
    Ok(())
}

/// Where GStreamer registered NVENC, a config without a set encodes on it
/// and every frame comes out in order with its PTS.
#[test]
#[ignore = "needs an NVIDIA GPU with NVENC: scripts/gpu-run.sh"]
fn nvenc_encodes_where_the_gpu_has_it() -> TestResult {
    require_gpu();
    proj_gstreamer::init()?;
    assert!(
        gstreamer::ElementFactory::find("nvh264enc").is_some(),
        "no nvh264enc registered here"
    );
    let outputs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outputs);
    let config = EncoderConfig {
        format: VideoFormat::Rgba,
        ..EncoderConfig::new(Codec::H264, SIZE.0, SIZE.1)
    };
    let encoder = Encoder::new(
        config,
        Arc::new(move |o| sink.lock().unwrap_or_else(|e| e.into_inner()).push(o)),
    )?;
    assert_eq!(encoder.backend(), "nvh264enc");
    for i in 0..FRAMES {
        let rgba = picture(i);
        let frame = FrameData::new(
            VideoFormat::Rgba,
            SIZE.0,
            SIZE.1,
            &rgba,
            &[SIZE.0 as usize * 4],
        )?;
        encoder.submit(&frame, i * 40_000_000, None, Some(u128::from(i)))?;
    }
    encoder.finish(Duration::from_secs(60))?;
    let outputs = outputs.lock().unwrap_or_else(|e| e.into_inner());
    let pts: Vec<u64> = outputs
        .iter()
        .filter_map(|o| match o {
            EncoderOutput::Frame(f) => Some(f.pts_ns),
            _ => None,
        })
        .collect();
    assert_eq!(pts, (0..FRAMES).map(|i| i * 40_000_000).collect::<Vec<_>>());
    Ok(())
}
