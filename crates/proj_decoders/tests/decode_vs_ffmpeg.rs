//! Decoded pixels against ffmpeg's decode of the same streams (RGBA,
//! PSNR ≥ 40 dB for every frame), for streams made at test time by real
//! encoders: H.264 (High, B-frames, odd size; Annex-B and length-prefixed),
//! HEVC (both framings), VP8, VP9, AV1, JPEG, PNG, and a stream whose size
//! changes mid-way.

mod support;

use proj_buffers::MemType;
use proj_decoders::Output;
use proj_frame::VideoCodec;
use proj_test_support::psnr;
use support::{decode, decoder, encode, frame, packets, reference_rgba, Collector, Record, Result};

const FRAMES: u32 = 45;

fn check(
    name: &str,
    codec: VideoCodec,
    size: (u32, u32),
    args: &[&str],
    parse: &str,
) -> Result<()> {
    let path = encode(name, size, FRAMES, args)?;
    let reference = reference_rgba(&path, size)?;
    let packets = packets(&path, parse)?;
    if parse.contains("stream-format=avc") || parse.contains("stream-format=hvc1") {
        assert_ne!(
            packets[0].data[..3],
            [0, 0, 1],
            "{name}: length-prefixed input"
        );
        assert_ne!(
            packets[0].data[..4],
            [0, 0, 0, 1],
            "{name}: length-prefixed input"
        );
    }
    let (pictures, others) = decode(codec, size, &packets, MemType::System)?;
    for output in &others {
        assert!(
            matches!(output, Output::Event { .. }),
            "{name}: unexpected output {output:?}"
        );
    }
    assert_eq!(
        pictures.len(),
        reference.len(),
        "{name}: every frame decoded"
    );
    let worst = pictures
        .iter()
        .zip(&reference)
        .map(|((_, ours), theirs)| psnr(ours, theirs))
        .fold(f64::INFINITY, f64::min);
    println!(
        "{name}: {} frames, worst PSNR against ffmpeg {worst:.1} dB",
        pictures.len()
    );
    assert!(worst >= 40.0, "{name}: {worst:.1} dB < 40 dB");
    Ok(())
}

const H264: &[&str] = &[
    "-c:v",
    "libx264",
    "-profile:v",
    "high",
    "-bf",
    "3",
    "-g",
    "15",
    "-pix_fmt",
    "yuv420p",
];
const HEVC: &[&str] = &[
    "-c:v",
    "libx265",
    "-x265-params",
    "log-level=error:bframes=3:keyint=15",
    "-pix_fmt",
    "yuv420p",
];

#[test]
fn h264_high_b_frames_odd_size_annex_b() -> Result<()> {
    check(
        "h264-high-202x134",
        VideoCodec::H264,
        (202, 134),
        H264,
        "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au",
    )
}

#[test]
fn h264_length_prefixed_builds_its_codec_data() -> Result<()> {
    check(
        "h264-high-202x134",
        VideoCodec::H264,
        (202, 134),
        H264,
        "h264parse config-interval=-1 ! video/x-h264,stream-format=avc,alignment=au",
    )
}

#[test]
fn hevc_annex_b() -> Result<()> {
    check(
        "hevc-320x240",
        VideoCodec::Hevc,
        (320, 240),
        HEVC,
        "h265parse config-interval=-1 ! video/x-h265,stream-format=byte-stream,alignment=au",
    )
}

#[test]
fn hevc_length_prefixed_builds_its_codec_data() -> Result<()> {
    check(
        "hevc-320x240",
        VideoCodec::Hevc,
        (320, 240),
        HEVC,
        "h265parse config-interval=-1 ! video/x-h265,stream-format=hvc1,alignment=au",
    )
}

#[test]
fn vp8() -> Result<()> {
    check(
        "vp8-320x240",
        VideoCodec::Vp8,
        (320, 240),
        &["-c:v", "libvpx", "-b:v", "2M", "-g", "15"],
        "video/x-vp8",
    )
}

#[test]
fn vp9() -> Result<()> {
    check(
        "vp9-320x240",
        VideoCodec::Vp9,
        (320, 240),
        &[
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "2M",
            "-g",
            "15",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
        "video/x-vp9",
    )
}

#[test]
fn av1() -> Result<()> {
    check(
        "av1-320x240",
        VideoCodec::Av1,
        (320, 240),
        &[
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-b:v",
            "1M",
            "-g",
            "15",
            "-usage",
            "realtime",
        ],
        "av1parse ! video/x-av1,stream-format=obu-stream,alignment=tu",
    )
}

#[test]
fn jpeg() -> Result<()> {
    check(
        "jpeg-322x242",
        VideoCodec::Jpeg,
        (322, 242),
        &["-c:v", "mjpeg", "-q:v", "2", "-pix_fmt", "yuvj420p"],
        "image/jpeg",
    )
}

#[test]
fn png() -> Result<()> {
    check(
        "png-160x120",
        VideoCodec::Png,
        (160, 120),
        &["-c:v", "png"],
        "image/png",
    )
}

/// 30 frames at 320×240, then 30 at 480×270: one parameter change, every
/// frame decoded at its own size.
#[test]
fn size_change_mid_stream() -> Result<()> {
    let parse =
        "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au";
    let small = encode("h264-320x240", (320, 240), 30, H264)?;
    let large = encode("h264-480x270", (480, 270), 30, H264)?;
    let collector = Collector::default();
    let decoder = decoder("cam", MemType::System, &collector)?;
    let offset = 30 * 33_333_333;
    for (path, size, shift) in [(&small, (320, 240), 0), (&large, (480, 270), offset)] {
        for mut packet in packets(path, parse)? {
            packet.pts_ns += shift;
            packet.dts_ns = packet.dts_ns.map(|d| d + shift);
            decoder.submit(
                frame("cam", VideoCodec::H264, size, &packet)?,
                Some(packet.data),
            )?;
        }
    }
    decoder.graceful_shutdown()?;
    let records = collector.take();
    let changes: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Other(o) => match &**o {
                Output::ParameterChange { old, new } => Some((*old, *new)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 1, "one parameter change");
    assert_eq!((changes[0].0.width, changes[0].1.width), (320, 480));
    let mut pictures: Vec<(i64, Vec<u8>)> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Frame { pts, rgba, .. } => Some((pts, rgba)),
            _ => None,
        })
        .collect();
    pictures.sort_by_key(|(pts, _)| *pts);
    assert_eq!(pictures.len(), 60);
    let reference: Vec<Vec<u8>> = reference_rgba(&small, (320, 240))?
        .into_iter()
        .chain(reference_rgba(&large, (480, 270))?)
        .collect();
    for (i, ((_, ours), theirs)) in pictures.iter().zip(&reference).enumerate() {
        let db = psnr(ours, theirs);
        assert!(db >= 40.0, "frame {i}: {db:.1} dB");
    }
    Ok(())
}
