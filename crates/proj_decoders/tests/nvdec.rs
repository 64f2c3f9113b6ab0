//! NVDEC through `FlexibleDecoder` with its pool on the GPU: every decoded
//! picture against the software decode of the same packets (RGBA, PSNR ≥
//! 40 dB), and proof that 8-bit 4:2:0 output stayed in GPU memory (the
//! pictures reach the appsink as `memory:CUDAMemory` and our kernel
//! converts them there). Streams are made in-process by GStreamer's
//! encoders, so the GPU machine needs GStreamer and nothing else.
//!
//! Each case has a software half (`software_*`: the stream encodes and
//! decodes whole, against the source pictures), which runs everywhere, and
//! a GPU half (`nvdec_*`), ignored by default so that a machine without a
//! GPU counts it as skipped, never as passed. `scripts/gpu-run.sh` runs the
//! GPU halves with `--include-ignored`; there a missing GPU or `nvcodec`
//! is a failure. The ignored `bench` measures NVDEC frames per second for
//! 1 and 8 streams at 1080p.

mod support;

use std::sync::Arc;
use std::time::Instant;

use gstreamer as gst;
use proj_buffers::MemType;
use proj_decoders::{FlexibleDecoderPool, FlexibleDecoderPoolConfig, Output};
use proj_frame::VideoCodec;
use proj_test_support::psnr;
use support::{decode, frame, gst_packets, gst_source_rgba, Packet, Result};

/// NVDEC and CUDA must be there: a GPU half that runs without them fails.
fn require_nvdec() {
    let gst = gst::init().is_ok() && gst::ElementFactory::find("nvh264dec").is_some();
    let cuda = proj_buffers::cuda::usable(0);
    assert!(
        gst && cuda,
        "NVDEC unavailable (CUDA usable: {cuda}, nvh264dec registered: {gst})"
    );
}

const FRAMES: u32 = 45;

/// One stream to decode: how GStreamer encodes it, and what its GPU run
/// expects.
struct Case {
    name: &'static str,
    codec: VideoCodec,
    size: (u32, u32),
    encode: &'static str,
    /// The GPU run's pool memory.
    pool: MemType,
    /// Whether the pictures must arrive in GPU memory (`None`: not checked).
    zero_copy: Option<bool>,
}

const H264: Case = Case {
    name: "h264",
    codec: VideoCodec::H264,
    size: (642, 362),
    encode: "x264enc bframes=2 key-int-max=15 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
    pool: MemType::CudaDevice,
    zero_copy: Some(true),
};
const HEVC: Case = Case {
    name: "hevc",
    codec: VideoCodec::Hevc,
    size: (640, 360),
    encode:
        "x265enc key-int-max=15 ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au",
    pool: MemType::CudaDevice,
    zero_copy: Some(true),
};
const VP8: Case = Case {
    name: "vp8",
    codec: VideoCodec::Vp8,
    size: (640, 360),
    encode: "vp8enc deadline=1 keyframe-max-dist=15 target-bitrate=4000000",
    pool: MemType::CudaDevice,
    zero_copy: Some(true),
};
const VP9: Case = Case {
    name: "vp9",
    codec: VideoCodec::Vp9,
    size: (640, 360),
    encode: "vp9enc deadline=1 keyframe-max-dist=15 target-bitrate=4000000",
    pool: MemType::CudaDevice,
    zero_copy: Some(true),
};
const AV1: Case = Case {
    name: "av1",
    codec: VideoCodec::Av1,
    size: (640, 360),
    encode: "av1enc cpu-used=8 usage-profile=realtime target-bitrate=4000 max-quantizer=30 keyframe-max-dist=15 ! av1parse ! video/x-av1,stream-format=obu-stream,alignment=tu",
    pool: MemType::CudaDevice,
    zero_copy: Some(true),
};
/// A pool in pinned host memory gets NVDEC's pictures through system
/// memory (no kernel can write there), every one of them.
const H264_PINNED: Case = Case {
    name: "h264 pinned",
    codec: VideoCodec::H264,
    size: (640, 360),
    encode:
        "x264enc key-int-max=15 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
    pool: MemType::CudaPinned,
    zero_copy: Some(false),
};
/// JPEG through NVDEC's JPEG decoder where the size suits it (sides
/// multiples of 8), through jpegdec where it does not; pixels right either
/// way. jpegenc is given RGB: given I420 it stores limited-range values in
/// a full-range JFIF file (26 dB against the source for ffmpeg's decode too).
const JPEG: Case = Case {
    name: "jpeg",
    codec: VideoCodec::Jpeg,
    size: (640, 360),
    encode: "videoconvert ! video/x-raw,format=RGB ! jpegenc quality=95",
    pool: MemType::CudaDevice,
    zero_copy: None,
};
const JPEG_ODD: Case = Case {
    name: "jpeg odd size",
    codec: VideoCodec::Jpeg,
    size: (642, 362),
    encode: "videoconvert ! video/x-raw,format=RGB ! jpegenc quality=95",
    pool: MemType::CudaDevice,
    zero_copy: Some(false),
};
/// A 10-bit stream is decoded by NVDEC too, through system memory (P010
/// converted by videoconvert), instead of failing to negotiate.
const HEVC_10_BIT: Case = Case {
    name: "hevc 10-bit",
    codec: VideoCodec::Hevc,
    size: (640, 360),
    encode: "videoconvert ! video/x-raw,format=I420_10LE ! x265enc key-int-max=15 ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au",
    pool: MemType::CudaDevice,
    zero_copy: Some(false),
};

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

/// The software half: the case's packets, its source pictures and (where
/// this machine has the decoder) the software decode, which must be within
/// 35 dB of the source (catches wrong planes, pitches and matrices).
type Decoded = (Vec<Packet>, Vec<Vec<u8>>, Option<Vec<(i64, Vec<u8>)>>);

fn software(case: &Case) -> Result<Decoded> {
    let packets = gst_packets(case.encode, case.size, FRAMES)?;
    let source = gst_source_rgba(case.size, FRAMES)?;
    let name = case.name;
    if !software_decoder(case.codec) {
        println!("{name}: no software decoder here");
        return Ok((packets, source, None));
    }
    let (pictures, _) = decode(case.codec, case.size, &packets, MemType::System)?;
    let db = worst(&pictures, &source);
    println!("{name}: software decode against the source: worst {db:.1} dB");
    assert!(db >= 35.0, "{name}: software decode {db:.1} dB < 35 dB");
    Ok((packets, source, Some(pictures)))
}

/// The GPU half: NVDEC against the source (≥ 35 dB) and against the
/// software decode (≥ 40 dB), and where the pictures arrived.
fn on_nvdec(case: &Case) -> Result<()> {
    require_nvdec();
    let (packets, source, software) = software(case)?;
    let name = case.name;
    let (pictures, others) = decode(case.codec, case.size, &packets, case.pool)?;
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
    if let Some(zero_copy) = case.zero_copy {
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
fn software_h264_with_b_frames() -> Result<()> {
    software(&H264).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_h264_with_b_frames() -> Result<()> {
    on_nvdec(&H264)
}

#[test]
fn software_hevc() -> Result<()> {
    software(&HEVC).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_hevc() -> Result<()> {
    on_nvdec(&HEVC)
}

#[test]
fn software_vp8() -> Result<()> {
    software(&VP8).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_vp8() -> Result<()> {
    on_nvdec(&VP8)
}

#[test]
fn software_vp9() -> Result<()> {
    software(&VP9).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_vp9() -> Result<()> {
    on_nvdec(&VP9)
}

#[test]
fn software_av1() -> Result<()> {
    software(&AV1).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_av1() -> Result<()> {
    on_nvdec(&AV1)
}

#[test]
fn software_h264_into_a_pinned_pool() -> Result<()> {
    software(&H264_PINNED).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_h264_into_a_pinned_pool() -> Result<()> {
    on_nvdec(&H264_PINNED)
}

#[test]
fn software_jpeg() -> Result<()> {
    software(&JPEG).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_jpeg() -> Result<()> {
    on_nvdec(&JPEG)
}

#[test]
fn software_jpeg_odd_size() -> Result<()> {
    software(&JPEG_ODD).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_jpeg_odd_size() -> Result<()> {
    on_nvdec(&JPEG_ODD)
}

#[test]
fn software_hevc_10_bit() -> Result<()> {
    software(&HEVC_10_BIT).map(drop)
}

#[test]
#[ignore = "needs an NVIDIA GPU: scripts/gpu-run.sh"]
fn nvdec_hevc_10_bit() -> Result<()> {
    on_nvdec(&HEVC_10_BIT)
}

/// NVDEC frames per second, 1080p H.264: one stream through a decoder and
/// 8 through the pool at once, pictures delivered as RGBA in GPU memory.
#[test]
#[ignore = "benchmark: cargo test --release --test nvdec -- --ignored --nocapture"]
fn bench() -> Result<()> {
    require_nvdec();
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
