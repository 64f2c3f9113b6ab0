//! The CPU encoder against tools we did not write: every codec from RGBA,
//! NV12 and I420 at an odd-but-even size, muxed by our Mp4Muxer, read back
//! by ffprobe (frame count, no B-frames, keyframes exactly at the interval
//! and where asked) and decoded by ffmpeg (PSNR against the source).

#![expect(
    clippy::cast_possible_truncation,
    reason = "test pictures and frame counts are small"
)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proj_buffers::VideoFormat;
use proj_encoders::{
    Av1CpuProps, EncodedFrame, Encoder, EncoderConfig, EncoderOutput, EncoderProperties, FrameData,
    H264CpuProps, HevcCpuProps, JpegProps,
};
use proj_gstreamer::{Codec, Mp4Muxer, Mp4MuxerOptions};
use proj_test_support::psnr;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (642, 362);
const FRAMES: u64 = 24;
const INTERVAL: u32 = 10;
const ASKED: u64 = 15;
const START_NS: u64 = 5_000_000_000;
const STEP_NS: u64 = 40_000_000;

/// RGBA frame `i`: the shared test picture (one channel: the detail is in
/// luma, as in camera pictures; 4:2:0 would blur per-channel stripes) with
/// smooth colour gradients, moving 2 px per frame.
fn rgba(i: u64) -> Vec<u8> {
    let (w, h) = (SIZE.0 as usize, SIZE.1 as usize);
    let base = proj_test_support::pattern(SIZE.0 + 64, SIZE.1, 1, 0, true);
    let shift = (i as usize * 2) % 64;
    let mut out = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        for x in 0..w {
            let luma = u32::from(base[y * (w + 64) + x + shift]);
            let (gx, gy) = ((x * 255 / w) as u32, (y * 255 / h) as u32);
            let mix = |grad: u32| u8::try_from((luma * 3 + grad) / 4).unwrap_or(255);
            out.extend_from_slice(&[mix(gx), mix(128), mix(gy), 255]);
        }
    }
    out
}

/// The same frame in `format` (NV12/I420 from our own RGBA→I420).
fn frame_bytes(format: VideoFormat, i: u64) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let source = rgba(i);
    if format == VideoFormat::Rgba {
        return Ok(source);
    }
    let (w, h) = (SIZE.0 as usize, SIZE.1 as usize);
    let pitches = [w * 4];
    let frame = FrameData::new(VideoFormat::Rgba, SIZE.0, SIZE.1, &source, &pitches)?;
    let i420 = proj_encoders::to_i420(&frame)?;
    if format == VideoFormat::I420 {
        return Ok(i420);
    }
    let (y, chroma) = i420.split_at(w * h);
    let (u, v) = chroma.split_at(w / 2 * (h / 2));
    let mut nv12 = y.to_vec();
    for (a, b) in u.iter().zip(v) {
        nv12.push(*a);
        nv12.push(*b);
    }
    Ok(nv12)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("proj_encoders_tests");
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

fn run(tool: &str, args: &[&str]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let out = Command::new(tool).args(args).output()?;
    if !out.status.success() {
        return Err(format!("{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(out.stdout)
}

/// `openh264`: Cisco's encoder instead of x264 (H.264 only).
fn props(codec: Codec, openh264: bool) -> Option<EncoderProperties> {
    match codec {
        Codec::H264 => Some(EncoderProperties::H264Cpu(H264CpuProps {
            keyframe_interval: Some(INTERVAL),
            openh264: Some(openh264),
            ..H264CpuProps::default()
        })),
        Codec::Hevc => Some(EncoderProperties::HevcCpu(HevcCpuProps {
            keyframe_interval: Some(INTERVAL),
            ..HevcCpuProps::default()
        })),
        Codec::Av1 => Some(EncoderProperties::Av1Cpu(Av1CpuProps {
            keyframe_interval: Some(INTERVAL),
            cpu_used: Some(10),
            ..Av1CpuProps::default()
        })),
        Codec::Jpeg => Some(EncoderProperties::Jpeg(JpegProps { quality: Some(90) })),
        Codec::Png => None,
    }
}

fn encode(
    codec: Codec,
    format: VideoFormat,
    openh264: bool,
) -> Result<Vec<EncodedFrame>, Box<dyn std::error::Error>> {
    let config = EncoderConfig {
        format,
        fps_num: 25,
        properties: props(codec, openh264),
        ..EncoderConfig::new(codec, SIZE.0, SIZE.1)
    };
    config.check(None)?;
    let outputs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outputs);
    let encoder = Encoder::new(
        config,
        Arc::new(move |o| sink.lock().unwrap_or_else(|e| e.into_inner()).push(o)),
    )?;
    let layout = format.planes(SIZE.0, SIZE.1)?;
    let pitches: Vec<usize> = layout.iter().map(|p| p.pitch).collect();
    for i in 0..FRAMES {
        if i == ASKED {
            // GStreamer 1.22's av1enc cannot force a keyframe: it says so.
            assert_eq!(encoder.request_keyframe(), codec != Codec::Av1);
        }
        let bytes = frame_bytes(format, i)?;
        let frame = FrameData::new(format, SIZE.0, SIZE.1, &bytes, &pitches)?;
        encoder.submit(
            &frame,
            START_NS + i * STEP_NS,
            Some(STEP_NS),
            Some(u128::from(i) + 1000),
        )?;
        // Zero delay: the frame is out before submit returns (x265 may
        // hold one).
        assert_eq!(encoder.zero_delay(), codec != Codec::Hevc);
        if encoder.zero_delay() {
            let out = outputs.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
            assert_eq!(
                out,
                i + 1,
                "{codec:?} from {format:?}: frame {i} not out before the next submit"
            );
        }
    }
    encoder.finish(Duration::from_secs(60))?;
    let outputs = std::mem::take(&mut *outputs.lock().unwrap_or_else(|e| e.into_inner()));
    outputs
        .into_iter()
        .map(|o| match o {
            EncoderOutput::Frame(f) => Ok(f),
            EncoderOutput::Error(e) => Err(e.into()),
            EncoderOutput::BackendChanged(c) => {
                Err(format!("a change of backend here: {c:?}").into())
            }
        })
        .collect()
}

#[test]
fn every_codec_from_every_format_matches_what_was_submitted() -> TestResult {
    let cases = [
        (Codec::H264, VideoFormat::Rgba, false),
        (Codec::H264, VideoFormat::Nv12, false),
        (Codec::H264, VideoFormat::I420, false),
        (Codec::H264, VideoFormat::I420, true),
        (Codec::Hevc, VideoFormat::Nv12, false),
        (Codec::Hevc, VideoFormat::Rgba, false),
        (Codec::Hevc, VideoFormat::I420, false),
        (Codec::Av1, VideoFormat::I420, false),
        (Codec::Av1, VideoFormat::Rgba, false),
        (Codec::Av1, VideoFormat::Nv12, false),
        (Codec::Jpeg, VideoFormat::Rgba, false),
        (Codec::Jpeg, VideoFormat::Nv12, false),
        (Codec::Jpeg, VideoFormat::I420, false),
        (Codec::Png, VideoFormat::Rgba, false),
        (Codec::Png, VideoFormat::Nv12, false),
        (Codec::Png, VideoFormat::I420, false),
    ];
    for (codec, format, openh264) in cases {
        let backend = if openh264 { " (openh264)" } else { "" };
        let label = format!("{}{backend} from {}", codec.name(), format.name());
        let frames = encode(codec, format, openh264)?;
        // Exactly the frames submitted, in order, with their timestamps and ids.
        assert_eq!(frames.len() as u64, FRAMES, "{label}");
        for (i, f) in frames.iter().enumerate() {
            let i = i as u64;
            assert_eq!(f.pts_ns, START_NS + i * STEP_NS, "{label} frame {i} pts");
            assert_eq!(
                f.frame_id,
                Some(u128::from(i) + 1000),
                "{label} frame {i} id"
            );
            assert!(
                f.dts_ns.is_none_or(|d| d <= f.pts_ns),
                "{label} frame {i} dts"
            );
        }
        let keyframes: Vec<u64> = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| f.keyframe)
            .map(|(i, _)| i as u64)
            .collect();
        if matches!(codec, Codec::Jpeg | Codec::Png) {
            assert_eq!(
                keyframes.len() as u64,
                FRAMES,
                "{label}: every image is a keyframe"
            );
        } else {
            // Every INTERVAL frames, and where asked (which starts a new
            // GOP); av1enc keeps to the interval.
            let expected = if codec == Codec::Av1 {
                [0, 10, 20]
            } else {
                [0, u64::from(INTERVAL), ASKED]
            };
            // Seen once in a loaded CI run (HEVC from I420: frame 0 not
            // flagged): say what the unflagged frames hold, next time.
            let unflagged: Vec<String> = expected
                .iter()
                .filter(|i| !keyframes.contains(i))
                .filter_map(|&i| frames.get(i as usize).map(|f| (i, f)))
                .map(|(i, f)| {
                    let head: Vec<String> =
                        f.data.iter().take(48).map(|b| format!("{b:02x}")).collect();
                    format!(
                        "frame {i}: {} bytes, {:?}, starts {}",
                        f.data.len(),
                        proj_gstreamer::inspect_access_unit(codec, &f.data),
                        head.join("")
                    )
                })
                .collect();
            assert_eq!(keyframes, expected, "{label} keyframes; {unflagged:?}");
        }
        // Muxed by our Mp4Muxer, read by ffprobe, decoded by ffmpeg.
        let path = scratch(&format!(
            "{}-{}-{openh264}.mp4",
            codec.name(),
            format.name()
        ));
        let muxer = Mp4Muxer::new(
            codec,
            &path,
            &Mp4MuxerOptions {
                fps_num: 25,
                ..Mp4MuxerOptions::default()
            },
        )?;
        for f in &frames {
            muxer.push(
                &f.data,
                f.pts_ns - START_NS,
                f.dts_ns.map(|d| d - START_NS),
                f.duration_ns,
            )?;
        }
        muxer.finish()?;
        let path_str = path.to_str().ok_or("path")?;
        let types = String::from_utf8(run(
            "ffprobe",
            &[
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "frame=pict_type,key_frame",
                "-of",
                "csv=p=0",
                path_str,
            ],
        )?)?;
        if codec == Codec::Hevc {
            // Keyframes are IDR (never CRA) with VPS/SPS/PPS in the same
            // access unit, as FFmpeg's own bitstream reader sees them: its
            // trace names each packet, then the NAL units in it.
            let trace = Command::new("ffmpeg")
                .args([
                    "-i",
                    path_str,
                    "-c",
                    "copy",
                    "-bsf:v",
                    "trace_headers",
                    "-f",
                    "null",
                    "-",
                ])
                .output()?;
            let trace = String::from_utf8_lossy(&trace.stderr);
            let mut packets: Vec<(bool, Vec<u32>)> = Vec::new();
            for line in trace.lines() {
                if let Some(at) = line.find("Packet: ") {
                    packets.push((line[at..].contains("key frame"), Vec::new()));
                } else if line.contains(" nal_unit_type ") {
                    let nal = line.rsplit("= ").next().and_then(|t| t.trim().parse().ok());
                    if let (Some(packet), Some(nal)) = (packets.last_mut(), nal) {
                        packet.1.push(nal);
                    }
                }
            }
            let keys: Vec<u64> = (0u64..)
                .zip(&packets)
                .filter(|(_, p)| p.0)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(keys, keyframes, "{label}: key packets");
            for (i, (key, nals)) in packets.iter().enumerate() {
                assert!(!nals.contains(&21), "{label}: a CRA picture in packet {i}");
                if *key {
                    for set in [32, 33, 34] {
                        assert!(
                            nals.contains(&set),
                            "{label}: packet {i} lacks NAL type {set}: {nals:?}"
                        );
                    }
                    // (FFmpeg leaves the slice of a packet with a long SEI
                    // out of its trace; where it is there, it is IDR.)
                    let slices: Vec<&u32> = nals.iter().filter(|t| **t < 32).collect();
                    assert!(
                        slices.iter().all(|t| matches!(t, 19 | 20)),
                        "{label}: packet {i}: {nals:?}"
                    );
                }
            }
        }
        let lines: Vec<&str> = types.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len() as u64, FRAMES, "{label}: ffprobe frames");
        assert!(!types.contains('B'), "{label}: B-frames in {types}");
        let decoded = run(
            "ffmpeg",
            &[
                "-v", "error", "-i", path_str, "-f", "rawvideo", "-pix_fmt", "rgba", "-",
            ],
        )?;
        let size = (SIZE.0 * SIZE.1 * 4) as usize;
        assert_eq!(
            decoded.len(),
            size * FRAMES as usize,
            "{label}: decoded size"
        );
        let worst = (0..FRAMES)
            .map(|i| {
                psnr(
                    &decoded[i as usize * size..(i as usize + 1) * size],
                    &rgba(i),
                )
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "{label}: {} frames, keyframes {keyframes:?}, worst PSNR vs source {worst:.1} dB",
            frames.len()
        );
        assert!(worst >= 38.0, "{label}: {worst:.1} dB");
    }
    Ok(())
}

/// Shut down with frames in flight: every submitted frame is either out or
/// named in the one error output, never lost without a word.
#[test]
fn a_shutdown_accounts_for_every_submitted_frame() -> TestResult {
    let outputs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outputs);
    let config = EncoderConfig {
        format: VideoFormat::I420,
        ..EncoderConfig::new(Codec::Hevc, SIZE.0, SIZE.1)
    };
    let encoder = Encoder::new(
        config,
        Arc::new(move |o| sink.lock().unwrap_or_else(|e| e.into_inner()).push(o)),
    )?;
    let bytes = frame_bytes(VideoFormat::I420, 0)?;
    let pitches: Vec<usize> = VideoFormat::I420
        .planes(SIZE.0, SIZE.1)?
        .iter()
        .map(|p| p.pitch)
        .collect();
    let frame = FrameData::new(VideoFormat::I420, SIZE.0, SIZE.1, &bytes, &pitches)?;
    let submitted = 12u64;
    for i in 0..submitted {
        encoder.submit(&frame, i * STEP_NS, None, None)?;
    }
    encoder.shutdown();
    let outputs = outputs.lock().unwrap_or_else(|e| e.into_inner());
    let out = outputs
        .iter()
        .filter(|o| matches!(o, EncoderOutput::Frame(_)))
        .count() as u64;
    let listed: u64 = outputs
        .iter()
        .filter_map(|o| match o {
            EncoderOutput::Error(message) => message
                .split("pts ns ")
                .nth(1)
                .map(|l| l.split(", ").count() as u64),
            EncoderOutput::Frame(_) | EncoderOutput::BackendChanged(_) => None,
        })
        .sum();
    println!("shutdown with frames in flight: {out} out, {listed} reported");
    assert_eq!(out + listed, submitted);
    assert!(matches!(
        encoder.submit(&frame, 99 * STEP_NS, None, None),
        Err(proj_encoders::EncodersError::Finished)
    ));
    Ok(())
}

/// Constant bitrate holds its target: 10 s of moving pictures at 2 Mbit/s
/// come out within ±15 % for x264, x265 and libaom (openh264: no more than
/// 15 % over).
#[test]
fn constant_bitrate_is_within_15_percent_over_10_seconds() -> TestResult {
    use proj_encoders::RateControl;
    let target = 2_000_000u32;
    let fps = 25u64;
    let frames = 10 * fps;
    for (codec, openh264) in [
        (Codec::H264, false),
        (Codec::H264, true),
        (Codec::Hevc, false),
        (Codec::Av1, false),
    ] {
        let properties = match codec {
            Codec::H264 => EncoderProperties::H264Cpu(H264CpuProps {
                rate_control: Some(RateControl::ConstantBitrate),
                bitrate: Some(target),
                openh264: Some(openh264),
                ..H264CpuProps::default()
            }),
            Codec::Hevc => EncoderProperties::HevcCpu(HevcCpuProps {
                rate_control: Some(RateControl::ConstantBitrate),
                bitrate: Some(target),
                ..HevcCpuProps::default()
            }),
            _ => EncoderProperties::Av1Cpu(Av1CpuProps {
                rate_control: Some(RateControl::ConstantBitrate),
                bitrate: Some(target),
                cpu_used: Some(10),
                ..Av1CpuProps::default()
            }),
        };
        let config = EncoderConfig {
            format: VideoFormat::I420,
            fps_num: 25,
            properties: Some(properties),
            ..EncoderConfig::new(codec, SIZE.0, SIZE.1)
        };
        let bytes = Arc::new(Mutex::new(0u64));
        let sink = Arc::clone(&bytes);
        let encoder = Encoder::new(
            config,
            Arc::new(move |o| {
                if let EncoderOutput::Frame(f) = o {
                    *sink.lock().unwrap_or_else(|e| e.into_inner()) += f.data.len() as u64;
                }
            }),
        )?;
        let pitches: Vec<usize> = VideoFormat::I420
            .planes(SIZE.0, SIZE.1)?
            .iter()
            .map(|p| p.pitch)
            .collect();
        // 64 distinct pictures, cycled: the encoder sees motion throughout.
        let pictures: Vec<Vec<u8>> = (0..32)
            .map(|i| frame_bytes(VideoFormat::I420, i))
            .collect::<Result<_, _>>()?;
        let step = 1_000_000_000 / fps;
        for i in 0..frames {
            let picture = &pictures[(i % 32) as usize];
            let frame = FrameData::new(VideoFormat::I420, SIZE.0, SIZE.1, picture, &pitches)?;
            encoder.submit(&frame, i * step, Some(step), None)?;
        }
        encoder.finish(Duration::from_secs(120))?;
        let bits = *bytes.lock().unwrap_or_else(|e| e.into_inner()) * 8;
        let rate = bits as f64 / 10.0;
        let ratio = rate / f64::from(target);
        let backend = encoder.backend();
        println!(
            "{codec:?} ({backend}) CBR {target} bit/s: {rate:.0} bit/s over 10 s ({ratio:.3}×)"
        );
        // openh264's rate control spends less than the target where the
        // picture needs less (0.74× here; 1.004× on a zone plate with
        // gst-launch): only an overshoot, the costly side, fails it.
        let bounds = if openh264 { 0.0..=1.15 } else { 0.85..=1.15 };
        assert!(
            bounds.contains(&ratio),
            "{codec:?} ({backend}): {ratio:.3}× the target"
        );
    }
    Ok(())
}
