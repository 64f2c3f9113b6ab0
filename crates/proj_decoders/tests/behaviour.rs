//! The decoder's rules (design §6): keyframe wait with the detection
//! buffer, payload validation, source and codec checks, raw pictures,
//! source EOS, shutdown; and an accounting run where many sources get a
//! random mix of valid, truncated, corrupt and mislabelled packets.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proj_buffers::MemType;
use proj_decoders::{
    DecoderConfig, DecodersError, EvictionDecision, FlexibleDecoder, FlexibleDecoderConfig,
    FlexibleDecoderPool, FlexibleDecoderPoolConfig, Output,
};
use proj_frame::{FrameContent, VideoCodec};
use proj_test_support::psnr;
use support::{encode, frame, packets, Collector, Packet, Record, Result};

const H264: &[&str] = &[
    "-c:v", "libx264", "-bf", "2", "-g", "10", "-pix_fmt", "yuv420p",
];
const ANNEX_B: &str =
    "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au";

fn h264_packets() -> Result<Vec<Packet>> {
    packets(&encode("behaviour-h264", (160, 120), 30, H264)?, ANNEX_B)
}

fn decoder(collector: &Collector, limit: usize) -> Result<FlexibleDecoder> {
    let mut config = FlexibleDecoderConfig::new("cam", 0, 4);
    config.settings.mem_type = MemType::System;
    config.settings.detect_buffer_limit = limit;
    Ok(FlexibleDecoder::new(config, collector.callback())?)
}

fn skip_reasons(records: &[Record]) -> Vec<&'static str> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Other(o) => match &**o {
                Output::Skipped { reason, .. } => Some(reason.name()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn frames(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| matches!(r, Record::Frame { .. }))
        .count()
}

/// A stream joined mid-GOP: packets before the next IDR are held, then
/// reported `waiting_for_keyframe`; decoding starts at the IDR.
#[test]
fn waits_for_a_keyframe() -> Result<()> {
    let packets = h264_packets()?;
    let collector = Collector::default();
    let decoder = decoder(&collector, 30)?;
    // Packets 3.. : the first IDR after them is packet 10 (GOP 10).
    let idr = packets
        .iter()
        .skip(3)
        .position(|p| p.keyframe)
        .ok_or("no IDR")?
        + 3;
    for p in &packets[3..] {
        decoder.submit(
            frame("cam", VideoCodec::H264, (160, 120), p)?,
            Some(p.data.clone()),
        )?;
    }
    decoder.graceful_shutdown()?;
    let records = collector.take();
    let reasons = skip_reasons(&records);
    assert_eq!(reasons, vec!["waiting_for_keyframe"; idr - 3]);
    assert_eq!(frames(&records), packets.len() - idr);
    Ok(())
}

/// More held packets than the limit: all reported
/// `detection_buffer_overflow`.
#[test]
fn detection_buffer_overflows() -> Result<()> {
    let packets = h264_packets()?;
    let deltas: Vec<&Packet> = packets.iter().filter(|p| !p.keyframe).take(5).collect();
    let collector = Collector::default();
    let decoder = decoder(&collector, 3)?;
    for p in &deltas {
        decoder.submit(
            frame("cam", VideoCodec::H264, (160, 120), p)?,
            Some(p.data.clone()),
        )?;
    }
    decoder.graceful_shutdown()?;
    let reasons = skip_reasons(&collector.take());
    // 4 overflow at the 4th packet; the 5th is held, then dropped at the end.
    assert_eq!(&reasons[..4], &["detection_buffer_overflow"; 4]);
    assert_eq!(reasons[4..], ["waiting_for_keyframe"]);
    Ok(())
}

/// Bad frames are skipped with their reason and the decoder goes on.
#[test]
fn rejects_bad_frames_and_goes_on() -> Result<()> {
    let packets = h264_packets()?;
    let collector = Collector::default();
    let decoder = decoder(&collector, 30)?;
    let first = &packets[0];
    let make = |codec| frame("cam", codec, (160, 120), first);
    // Another source.
    decoder.submit(
        frame("other", VideoCodec::H264, (160, 120), first)?,
        Some(first.data.clone()),
    )?;
    // No payload at all.
    decoder.submit(make(VideoCodec::H264)?, None)?;
    // No decoder for raw NV12.
    decoder.submit(make(VideoCodec::RawNv12)?, Some(vec![0; 160 * 120 * 3 / 2]))?;
    // A JPEG that is not one, a PNG with no IHDR, a raw picture too short.
    decoder.submit(make(VideoCodec::Jpeg)?, Some(vec![0xff, 0xd8, 0xff, 0xd9]))?;
    decoder.submit(make(VideoCodec::Png)?, Some(b"\x89PNG\r\n\x1a\n".to_vec()))?;
    decoder.submit(make(VideoCodec::RawRgba)?, Some(vec![0; 100]))?;
    // Then a good stream, its payload in the frame's content.
    for p in &packets {
        let mut f = frame("cam", VideoCodec::H264, (160, 120), p)?;
        f.set_content(FrameContent::Internal(p.data.clone()));
        decoder.submit(f, None)?;
    }
    decoder.graceful_shutdown()?;
    let records = collector.take();
    let reasons = skip_reasons(&records);
    assert_eq!(
        reasons,
        [
            "source_id_mismatch",
            "no_payload",
            "unsupported_codec",
            "invalid_payload",
            "invalid_payload",
            "invalid_payload"
        ]
    );
    assert_eq!(frames(&records), packets.len());
    // After shutdown: a typed error.
    let late = decoder.submit(
        frame("cam", VideoCodec::H264, (160, 120), first)?,
        Some(first.data.clone()),
    );
    assert!(matches!(late, Err(DecodersError::ShutDown)));
    Ok(())
}

/// Raw RGB pictures are expanded to RGBA; the config callback sees every
/// new session; source EOS comes after the frames before it.
#[test]
fn raw_pictures_config_callback_and_source_eos() -> Result<()> {
    let collector = Collector::default();
    let seen = Arc::new(AtomicUsize::new(0));
    let mut config = FlexibleDecoderConfig::new("cam", 0, 2);
    config.settings.mem_type = MemType::System;
    let counter = seen.clone();
    config.settings.decoder_config_callback = Some(Arc::new(move |c: DecoderConfig, _: &_| {
        counter.fetch_add(1, Ordering::Relaxed);
        c
    }));
    let decoder = FlexibleDecoder::new(config, collector.callback())?;
    let rgb: Vec<u8> = (0..24u8).map(|i| i * 10).collect();
    for pts in 0..3u64 {
        let packet = Packet {
            data: rgb.clone(),
            pts_ns: pts * 1000,
            dts_ns: None,
            keyframe: true,
        };
        decoder.submit(
            frame("cam", VideoCodec::RawRgb, (4, 2), &packet)?,
            Some(packet.data.clone()),
        )?;
    }
    decoder.source_eos("cam")?;
    let records = collector.take();
    assert_eq!(frames(&records), 3);
    let Some(Record::Frame { rgba, .. }) = records.first() else {
        return Err("no frame first".into());
    };
    assert_eq!(&rgba[..8], &[0, 10, 20, 255, 30, 40, 50, 255]);
    assert!(
        matches!(records.last(), Some(Record::Other(o)) if matches!(&**o, Output::SourceEos { source_id } if source_id == "cam"))
    );
    assert_eq!(seen.load(Ordering::Relaxed), 1);
    Ok(())
}

/// A consumer that holds every output buffer makes submit wait; an
/// immediate shutdown releases it, and every frame is still accounted for.
#[test]
fn shutdown_releases_a_submit_waiting_for_buffers() -> Result<()> {
    let packets = h264_packets()?;
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let reported = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (keep, seen) = (held.clone(), reported.clone());
    let mut config = FlexibleDecoderConfig::new("cam", 0, 1);
    config.settings.mem_type = MemType::System;
    let decoder = Arc::new(FlexibleDecoder::new(
        config,
        Arc::new(move |output: Output| {
            let mut seen = seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match output {
                Output::Frame { frame, buffer, .. } => {
                    seen.push(frame.uuid());
                    keep.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(buffer);
                }
                Output::Skipped { frame, .. } => seen.push(frame.uuid()),
                Output::Error { frames, .. } => seen.extend(frames.iter().map(|f| f.uuid())),
                _ => {}
            }
        }),
    )?);
    let frames: Vec<_> = packets
        .iter()
        .map(|p| frame("cam", VideoCodec::H264, (160, 120), p).map(|f| (f, p.data.clone())))
        .collect::<Result<_>>()?;
    let feeder = {
        let decoder = decoder.clone();
        std::thread::spawn(move || {
            let mut accepted = Vec::new();
            for (f, data) in frames {
                let uuid = f.uuid();
                if decoder.submit(f, Some(data)).is_err() {
                    break;
                }
                accepted.push(uuid);
            }
            accepted
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    assert!(!feeder.is_finished(), "the feeder waits for output buffers");
    assert_eq!(held.lock().map(|h| h.len()).unwrap_or(0), 1);
    // Shut down from a thread of its own, so a deadlock fails the test
    // instead of hanging it.
    let shutdown = {
        let decoder = decoder.clone();
        std::thread::spawn(move || decoder.shutdown())
    };
    let started = std::time::Instant::now();
    fn finishes<T>(thread: &std::thread::JoinHandle<T>, started: std::time::Instant, what: &str) {
        while !thread.is_finished() {
            assert!(started.elapsed() < Duration::from_secs(5), "{what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    finishes(
        &shutdown,
        started,
        "shutdown() returns while a submit waits for output buffers",
    );
    finishes(&feeder, started, "shutdown released the feeder");
    let _ = shutdown.join();
    let accepted = feeder.join().map_err(|_| "feeder panicked")?;
    let reported = reported.lock().map(|r| r.clone()).unwrap_or_default();
    // Every frame the decoder accepted (its submit returned Ok, the one
    // that waited included) has exactly one output; the feeder's next
    // submit was refused with an error, so it needs none.
    let mut counts: HashMap<_, usize> = HashMap::new();
    for uuid in &reported {
        *counts.entry(*uuid).or_default() += 1;
    }
    assert!(
        accepted.len() > 1,
        "frames were accepted before the shutdown"
    );
    for uuid in &accepted {
        assert_eq!(
            counts.get(uuid),
            Some(&1),
            "accepted frame {uuid} reported once"
        );
    }
    assert_eq!(reported.len(), accepted.len(), "nothing else reported");
    Ok(())
}

/// Tiny xorshift: reproducible randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Eight sources through one pool, each packet valid, truncated, corrupt,
/// or labelled with the wrong codec or size: every submitted frame gets
/// exactly one Frame, Skipped or Error, nothing crashes, and later rounds
/// do not grow memory.
#[test]
fn every_frame_is_accounted_for_exactly_once() -> Result<()> {
    let streams: Vec<(VideoCodec, Vec<Packet>)> = vec![
        (VideoCodec::H264, h264_packets()?),
        (
            VideoCodec::Hevc,
            packets(
                &encode(
                    "behaviour-hevc",
                    (160, 120),
                    30,
                    &["-c:v", "libx265", "-x265-params", "log-level=error:keyint=10", "-pix_fmt", "yuv420p"],
                )?,
                "h265parse config-interval=-1 ! video/x-h265,stream-format=byte-stream,alignment=au",
            )?,
        ),
        (
            VideoCodec::Vp9,
            packets(
                &encode("behaviour-vp9", (160, 120), 30, &["-c:v", "libvpx-vp9", "-g", "10", "-deadline", "realtime"])?,
                "video/x-vp9",
            )?,
        ),
        (
            VideoCodec::Jpeg,
            packets(&encode("behaviour-jpeg", (160, 120), 30, &["-c:v", "mjpeg"])?, "image/jpeg")?,
        ),
    ];
    let collector = Collector::default();
    let mut config = FlexibleDecoderPoolConfig::new(0, 4, Duration::from_millis(300));
    config.settings.mem_type = MemType::System;
    let evictions = Arc::new(AtomicUsize::new(0));
    let counter = evictions.clone();
    let pool = FlexibleDecoderPool::new(
        config,
        collector.callback(),
        Some(Arc::new(move |_: &str| {
            counter.fetch_add(1, Ordering::Relaxed);
            EvictionDecision::Evict
        })),
    )?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut submitted: HashMap<u128, ()> = HashMap::new();
    let mut seen: HashMap<u128, &'static str> = HashMap::new();
    let mut reasons: HashMap<&'static str, usize> = HashMap::new();
    // Counts outputs and drops them (with their pixels) at once.
    let mut account = |records: Vec<Record>| {
        let mut count = |uuid: u128, kind: &'static str| {
            let before = seen.insert(uuid, kind);
            assert!(
                before.is_none(),
                "frame {uuid:x} reported twice: {before:?} and {kind}"
            );
        };
        for record in records {
            match record {
                Record::Frame { uuid, .. } => count(uuid, "frame"),
                Record::Other(o) => match *o {
                    Output::Skipped { frame, reason, .. } => {
                        *reasons.entry(reason.name()).or_default() += 1;
                        count(frame.uuid().as_u128(), "skipped");
                    }
                    Output::Error { frames, .. } => {
                        for f in frames {
                            count(f.uuid().as_u128(), "error");
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    };
    let mut rss = Vec::new();
    for round in 0..4 {
        for step in 0..300 {
            let source = rng.below(8);
            let (codec, packets) = &streams[source % streams.len()];
            let packet = &packets[(step / 8 + round * 7) % packets.len()];
            let mut data = packet.data.clone();
            let (mut codec, mut size) = (*codec, (160u32, 120u32));
            match rng.below(10) {
                0 => data.truncate(rng.below(data.len().max(1))),
                1 => {
                    for _ in 0..8 {
                        let at = rng.below(data.len().max(1));
                        if let Some(b) = data.get_mut(at) {
                            *b ^= 1 << rng.below(8);
                        }
                    }
                }
                2 => {
                    codec = [
                        VideoCodec::H264,
                        VideoCodec::Hevc,
                        VideoCodec::Vp8,
                        VideoCodec::Av1,
                        VideoCodec::Png,
                    ][rng.below(5)]
                }
                3 => size = (320, 240),
                _ => {}
            }
            let mut p = packet.clone();
            let shift = (round * 1000 + step) as u64 * 1_000_000_000;
            p.pts_ns += shift;
            p.dts_ns = p.dts_ns.map(|d| d + shift);
            let f = frame(&format!("cam-{source}"), codec, size, &p)?;
            submitted.insert(f.uuid().as_u128(), ());
            pool.submit(f, Some(data))?;
        }
        // Let idle sources be evicted (drained), then measure.
        std::thread::sleep(Duration::from_millis(900));
        account(collector.take());
        rss.push(rss_kib());
    }
    pool.graceful_shutdown()?;
    account(collector.take());
    assert!(matches!(
        pool.submit(
            frame("cam-0", VideoCodec::H264, (160, 120), &streams[0].1[0])?,
            None
        ),
        Err(DecodersError::ShutDown)
    ));
    let missing = submitted.keys().filter(|u| !seen.contains_key(u)).count();
    println!(
        "{} frames submitted: {} decoded, skipped {reasons:?}, {missing} missing; {} evictions; RSS {rss:?} KiB",
        submitted.len(),
        seen.values().filter(|k| **k == "frame").count(),
        evictions.load(Ordering::Relaxed)
    );
    assert_eq!(missing, 0, "every frame has an output");
    assert_eq!(seen.len(), submitted.len());
    assert!(
        evictions.load(Ordering::Relaxed) > 0,
        "idle sources were offered for eviction"
    );
    // Memory settles after the first round (pools, sessions, caches):
    // the last round may not hold more than 64 MiB over the second.
    assert!(rss.iter().all(|&kib| kib > 0), "RSS readable: {rss:?}");
    let (settled, last) = (rss[1], rss[rss.len() - 1]);
    assert!(
        last < settled + 64 * 1024,
        "memory grew from {settled} to {last} KiB over the rounds"
    );
    Ok(())
}

/// libvpx-vp9, fast, a keyframe every 10 frames.
const VP9_ARGS: &[&str] = &[
    "-c:v",
    "libvpx-vp9",
    "-b:v",
    "1M",
    "-g",
    "10",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
];

/// VP8, VP9 and AV1 joined mid-GOP: frames before the next keyframe are
/// `waiting_for_keyframe` (they are not held: only H.264/HEVC detect),
/// decoding starts at the keyframe, and every frame has one output.
#[test]
fn vp8_vp9_av1_wait_for_a_keyframe() -> Result<()> {
    let cases: [(&str, VideoCodec, &[&str], &str); 3] = [
        (
            "keywait-vp8",
            VideoCodec::Vp8,
            &["-c:v", "libvpx", "-b:v", "1M", "-g", "10"],
            "video/x-vp8",
        ),
        ("keywait-vp9", VideoCodec::Vp9, VP9_ARGS, "video/x-vp9"),
        (
            "keywait-av1",
            VideoCodec::Av1,
            &[
                "-c:v",
                "libaom-av1",
                "-cpu-used",
                "8",
                "-b:v",
                "500k",
                "-g",
                "10",
                "-usage",
                "realtime",
            ],
            "av1parse ! video/x-av1,stream-format=obu-stream,alignment=tu",
        ),
    ];
    for (name, codec, args, parse) in cases {
        let packets = packets(&encode(name, (160, 120), 25, args)?, parse)?;
        let first_key = packets
            .iter()
            .skip(3)
            .position(|p| p.keyframe)
            .ok_or("no keyframe after packet 3")?
            + 3;
        let collector = Collector::default();
        let decoder = decoder(&collector, 30)?;
        for p in &packets[3..] {
            decoder.submit(frame("cam", codec, (160, 120), p)?, Some(p.data.clone()))?;
        }
        decoder.graceful_shutdown()?;
        let records = collector.take();
        let reasons = skip_reasons(&records);
        assert_eq!(
            reasons,
            vec!["waiting_for_keyframe"; first_key - 3],
            "{name}: frames before the keyframe at {first_key}"
        );
        assert_eq!(
            frames(&records),
            packets.len() - first_key,
            "{name}: every frame from the keyframe on"
        );
    }
    Ok(())
}

/// A frame whose PTS repeats the previous one's still gets its picture:
/// no `decode_failed`, no orphan picture (H.264 and VP9 re-time duplicated
/// PTS; each such frame was lost before).
#[test]
fn a_duplicated_pts_loses_no_frame() -> Result<()> {
    let cases: [(&str, VideoCodec, &[&str], &str); 2] = [
        (
            "dup-h264",
            VideoCodec::H264,
            &[
                "-c:v", "libx264", "-bf", "0", "-g", "10", "-pix_fmt", "yuv420p",
            ],
            ANNEX_B,
        ),
        ("dup-vp9", VideoCodec::Vp9, VP9_ARGS, "video/x-vp9"),
    ];
    for (name, codec, args, parse) in cases {
        let mut packets = packets(&encode(name, (160, 120), 20, args)?, parse)?;
        for i in [5, 12] {
            packets[i].pts_ns = packets[i - 1].pts_ns;
            packets[i].dts_ns = packets[i - 1].dts_ns;
        }
        let collector = Collector::default();
        let decoder = decoder(&collector, 30)?;
        for p in &packets {
            decoder.submit(frame("cam", codec, (160, 120), p)?, Some(p.data.clone()))?;
        }
        decoder.graceful_shutdown()?;
        let records = collector.take();
        assert_eq!(skip_reasons(&records), Vec::<&str>::new(), "{name}");
        assert!(
            !records.iter().any(|r| matches!(r, Record::Orphan { .. })),
            "{name}: no orphan picture"
        );
        assert_eq!(
            frames(&records),
            packets.len(),
            "{name}: every frame decoded"
        );
    }
    Ok(())
}

/// JPEG and PNG pictures go to their frames in submission order, whatever
/// the PTS (a camera's clock can step back): each decoded picture is the
/// image of the frame it comes with.
#[test]
fn images_match_their_frames_in_submission_order() -> Result<()> {
    let size = (160, 120);
    let path = encode(
        "order-jpeg",
        size,
        6,
        &["-c:v", "mjpeg", "-q:v", "2", "-pix_fmt", "yuvj420p"],
    )?;
    let reference = support::reference_rgba(&path, size)?;
    let mut packets = packets(&path, "image/jpeg")?;
    // PTS out of order: 0, 3, 1, 4, 2, 5 frame times.
    let step = 33_333_333;
    for (packet, slot) in packets.iter_mut().zip([0u64, 3, 1, 4, 2, 5]) {
        packet.pts_ns = slot * step;
        packet.dts_ns = None;
    }
    let collector = Collector::default();
    let decoder = decoder(&collector, 30)?;
    for p in &packets {
        decoder.submit(
            frame("cam", VideoCodec::Jpeg, size, p)?,
            Some(p.data.clone()),
        )?;
    }
    decoder.graceful_shutdown()?;
    let mut checked = 0;
    for record in collector.take() {
        let Record::Frame { pts, rgba, .. } = record else {
            continue;
        };
        let index = packets
            .iter()
            .position(|p| i64::try_from(p.pts_ns).ok() == Some(pts))
            .ok_or("a picture for a frame nobody submitted")?;
        let own = psnr(&rgba, &reference[index]);
        assert!(
            own >= 35.0,
            "frame {index}: {own:.1} dB against its own image"
        );
        checked += 1;
    }
    assert_eq!(checked, packets.len());
    Ok(())
}
