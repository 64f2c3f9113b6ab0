//! NVDEC through `FlexibleDecoder` with its pool on the GPU: every decoded
//! picture against the software decode of the same packets (RGBA, PSNR ≥
//! 40 dB), and proof that 8-bit 4:2:0 output stayed in GPU memory (the
//! pictures reach the appsink as `memory:CUDAMemory` and our kernel
//! converts them there). Streams are made in-process by GStreamer's
//! encoders, so the GPU machine needs GStreamer and nothing else.
//!
//! Without a GPU (or without GStreamer's `nvcodec` decoders) the tests
//! check only their software half (the streams encode and decode whole)
//! and print "SKIPPED" for the GPU half; `PROJ_REQUIRE_CUDA=1` makes that a
//! failure. The ignored `bench` measures NVDEC frames per second for 1 and
//! 8 streams at 1080p.

mod support;

use std::sync::Arc;
use std::time::Instant;

use gstreamer as gst;
use proj_buffers::MemType;
use proj_decoders::{FlexibleDecoderPool, FlexibleDecoderPoolConfig, Output};
use proj_frame::VideoCodec;
use support::{decode, frame, gst_packets, gst_source_rgba, psnr, Result};

/// Whether NVDEC can run here; false (with "SKIPPED" printed) where it
/// cannot, a failure instead when `PROJ_REQUIRE_CUDA=1`.
fn nvdec() -> bool {
    let gst = gst::init().is_ok() && gst::ElementFactory::find("nvh264dec").is_some();
    let cuda = proj_buffers::cuda::usable(0);
    if gst && cuda {
        return true;
    }
    let why = format!("NVDEC unavailable (CUDA usable: {cuda}, nvh264dec registered: {gst})");
    assert!(
        std::env::var_os("PROJ_REQUIRE_CUDA").is_none(),
        "{why}, and PROJ_REQUIRE_CUDA is set"
    );
    println!("SKIPPED: {why}");
    false
}

const FRAMES: u32 = 45;

/// Whether this machine has a software decoder for `codec` (the GPU
/// machine may carry GStreamer without libav).
fn software_decoder(codec: VideoCodec) -> bool {
    let names: &[&str] = match codec {
        VideoCodec::H264 => &["avdec_h264"],
        VideoCodec::Hevc => &["avdec_h265"],
        VideoCodec::Vp8 => &["avdec_vp8", "vp8dec"],
        VideoCodec::Vp9 => &["avdec_vp9", "vp9dec"],
        VideoCodec::Jpeg => &["jpegdec"],
        _ => &["av1dec"],
    };
    names.iter().any(|n| gst::ElementFactory::find(n).is_some())
}

/// The worst per-frame PSNR of `pictures` (PTS, RGBA) against `reference`.
fn worst(pictures: &[(i64, Vec<u8>)], reference: &[Vec<u8>]) -> f64 {
    assert_eq!(pictures.len(), reference.len(), "every frame decoded");
    pictures
        .iter()
        .zip(reference)
        .map(|((_, ours), theirs)| psnr(ours, theirs))
        .fold(f64::INFINITY, f64::min)
}

/// Decodes the packets in software (where this machine has the decoder)
/// and, where NVDEC runs, on the GPU: each against the source pictures (≥
/// 35 dB: catches wrong planes, pitches and matrices), and NVDEC against
/// the software decode (≥ 40 dB). `pool`: the GPU run's pool memory;
/// `zero_copy`: whether the pictures must arrive in GPU memory (`None`:
/// not checked).
fn check(
    pool: MemType,
    name: &str,
    codec: VideoCodec,
    size: (u32, u32),
    encode: &str,
    zero_copy: Option<bool>,
) -> Result<()> {
    let packets = gst_packets(encode, size, FRAMES)?;
    let source = gst_source_rgba(size, FRAMES)?;
    let software = if software_decoder(codec) {
        let (pictures, _) = decode(codec, size, &packets, MemType::System)?;
        let db = worst(&pictures, &source);
        println!("{name}: software decode against the source: worst {db:.1} dB");
        assert!(db >= 35.0, "{name}: software decode {db:.1} dB < 35 dB");
        Some(pictures)
    } else {
        println!("{name}: no software decoder here");
        None
    };
    if !nvdec() {
        return Ok(());
    }
    let (pictures, others) = decode(codec, size, &packets, pool)?;
    let caps: Vec<&str> = others
        .iter()
        .filter_map(|o| match o {
            Output::Event { summary } => summary.strip_prefix("caps "),
            _ => None,
        })
        .collect();
    for output in &others {
        assert!(
            matches!(output, Output::Event { .. }),
            "{name}: unexpected output {output:?}"
        );
    }
    println!("{name}: pictures arrived as {caps:?}");
    if let Some(zero_copy) = zero_copy {
        assert_eq!(
            caps.iter().any(|c| c.contains("memory:CUDAMemory")),
            zero_copy,
            "{name}: GPU memory all the way: {caps:?}"
        );
    }
    let db = worst(&pictures, &source);
    println!("{name}: NVDEC against the source: worst {db:.1} dB");
    assert!(db >= 35.0, "{name}: NVDEC {db:.1} dB < 35 dB");
    if let Some(software) = software {
        let rgba: Vec<Vec<u8>> = software.into_iter().map(|(_, p)| p).collect();
        let db = worst(&pictures, &rgba);
        println!("{name}: NVDEC against the software decode: worst {db:.1} dB");
        assert!(db >= 40.0, "{name}: {db:.1} dB < 40 dB");
    }
    Ok(())
}

#[test]
fn h264_with_b_frames() -> Result<()> {
    check(
        MemType::CudaDevice,
        "h264",
        VideoCodec::H264,
        (642, 362),
        "x264enc bframes=2 key-int-max=15 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
        Some(true),
    )
}

#[test]
fn hevc() -> Result<()> {
    check(
        MemType::CudaDevice,
        "hevc",
        VideoCodec::Hevc,
        (640, 360),
        "x265enc key-int-max=15 ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au",
        Some(true),
    )
}

#[test]
fn vp8_vp9_av1() -> Result<()> {
    check(
        MemType::CudaDevice,
        "vp8",
        VideoCodec::Vp8,
        (640, 360),
        "vp8enc deadline=1 keyframe-max-dist=15 target-bitrate=4000000",
        Some(true),
    )?;
    check(
        MemType::CudaDevice,
        "vp9",
        VideoCodec::Vp9,
        (640, 360),
        "vp9enc deadline=1 keyframe-max-dist=15 target-bitrate=4000000",
        Some(true),
    )?;
    check(
        MemType::CudaDevice,
        "av1",
        VideoCodec::Av1,
        (640, 360),
        "av1enc cpu-used=8 usage-profile=realtime target-bitrate=4000 max-quantizer=30 keyframe-max-dist=15 ! av1parse ! video/x-av1,stream-format=obu-stream,alignment=tu",
        Some(true),
    )
}

/// A pool in pinned host memory gets NVDEC's pictures through system
/// memory (no kernel can write there), every one of them.
#[test]
fn pinned_pool_takes_system_memory() -> Result<()> {
    check(
        MemType::CudaPinned,
        "h264 pinned",
        VideoCodec::H264,
        (640, 360),
        "x264enc key-int-max=15 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
        Some(false),
    )
}

/// JPEG through NVDEC's JPEG decoder where the size suits it (sides
/// multiples of 8), through jpegdec where it does not; pixels right either
/// way. jpegenc is given RGB: given I420 it stores limited-range values in
/// a full-range JFIF file (26 dB against the source for ffmpeg's decode too).
#[test]
fn jpeg() -> Result<()> {
    check(
        MemType::CudaDevice,
        "jpeg",
        VideoCodec::Jpeg,
        (640, 360),
        "videoconvert ! video/x-raw,format=RGB ! jpegenc quality=95",
        None,
    )?;
    check(
        MemType::CudaDevice,
        "jpeg odd size",
        VideoCodec::Jpeg,
        (642, 362),
        "videoconvert ! video/x-raw,format=RGB ! jpegenc quality=95",
        Some(false),
    )
}

/// A 10-bit stream is decoded by NVDEC too, through system memory (P010
/// converted by videoconvert), instead of failing to negotiate.
#[test]
fn hevc_10_bit_goes_through_system_memory() -> Result<()> {
    check(
        MemType::CudaDevice,
        "hevc 10-bit",
        VideoCodec::Hevc,
        (640, 360),
        "videoconvert ! video/x-raw,format=I420_10LE ! x265enc key-int-max=15 ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au",
        Some(false),
    )
}

/// NVDEC frames per second, 1080p H.264: one stream through a decoder and
/// 8 through the pool at once, pictures delivered as RGBA in GPU memory.
#[test]
#[ignore = "benchmark: cargo test --release --test nvdec -- --ignored --nocapture"]
fn bench() -> Result<()> {
    if !nvdec() {
        return Ok(());
    }
    let size = (1920, 1080);
    let packets = Arc::new(gst_packets(
        "x264enc speed-preset=ultrafast key-int-max=60 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
        size,
        300,
    )?);
    for streams in [1usize, 8] {
        let decoded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = decoded.clone();
        let mut config = FlexibleDecoderPoolConfig::new(0, 8, std::time::Duration::from_secs(60));
        config.settings.mem_type = MemType::CudaDevice;
        let pool = Arc::new(FlexibleDecoderPool::new(
            config,
            Arc::new(move |output| {
                if matches!(output, Output::Frame { .. }) {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }),
            None,
        )?);
        let start = Instant::now();
        let feeders: Vec<_> = (0..streams)
            .map(|i| {
                let (pool, packets) = (pool.clone(), packets.clone());
                std::thread::spawn(move || -> std::result::Result<(), String> {
                    let source = format!("cam{i}");
                    for packet in packets.iter() {
                        let f = frame(&source, VideoCodec::H264, size, packet)
                            .map_err(|e| e.to_string())?;
                        pool.submit(f, Some(packet.data.clone()))
                            .map_err(|e| e.to_string())?;
                    }
                    Ok(())
                })
            })
            .collect();
        for feeder in feeders {
            feeder.join().map_err(|_| "feeder panicked")??;
        }
        pool.graceful_shutdown()?;
        let seconds = start.elapsed().as_secs_f64();
        let frames = decoded.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(frames, streams * packets.len(), "every frame decoded");
        println!(
            "NVDEC 1080p H.264, {streams} stream(s): {frames} frames in {seconds:.2} s = {:.0} fps",
            frames as f64 / seconds
        );
    }
    Ok(())
}
