//! `ChunkedWriter` end to end, every chunk read back with ffprobe (not ours).
//! (The TS suite, `packages/gstreamer/test/chunked-writer.test.ts`, covers
//! stalls, crashes and durability; this is the crate's own check.)
#![expect(
    clippy::cast_possible_truncation,
    reason = "ffprobe's small stream indexes and second-scale times"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proj_recording::chunked::{
    ChunkEvent, ChunkedOptions, ChunkedWriter, DataStreamConfig, StreamConfig, VideoStreamConfig,
};
use proj_recording::Result;

/// (stream index, pts in ns, keyframe, data) of every packet.
fn packets(path: &Path) -> Vec<(usize, i64, bool, Vec<u8>)> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_packets", "-show_data", "-of", "json"])
        .arg(path)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    let mut result = Vec::new();
    for p in json["packets"].as_array().cloned().unwrap_or_default() {
        let stream = p["stream_index"].as_u64().unwrap_or(99) as usize;
        let pts = p["pts_time"]
            .as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .map_or(-1, |t| (t * 1e9).round() as i64);
        let key = p["flags"].as_str().is_some_and(|f| f.starts_with('K'));
        let data = dump_bytes(p["data"].as_str().unwrap_or(""));
        result.push((stream, pts, key, data));
    }
    result
}

/// ffprobe's `-show_data` hex dump back into bytes.
fn dump_bytes(dump: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for line in dump.lines() {
        let Some((_, rest)) = line.split_once(": ") else {
            continue;
        };
        let hex: String = rest
            .chars()
            .take(40)
            .filter(|c| !c.is_whitespace())
            .collect();
        for i in (0..hex.len()).step_by(2) {
            if let Ok(b) = u8::from_str_radix(&hex[i..i + 2], 16) {
                bytes.push(b);
            }
        }
    }
    bytes
}

fn frame(w: u32, h: u32, n: u32) -> Vec<u8> {
    proj_test_support::pattern(w, h, 3, n, true)
}

fn video(w: u32, h: u32) -> StreamConfig {
    StreamConfig::Video(VideoStreamConfig {
        width: w,
        height: h,
        fps: 30.0,
        stream_options: vec![("preset".into(), "ultrafast".into())],
        ..VideoStreamConfig::default()
    })
}

fn chunks(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "mkv"));
    files.sort();
    files
}

#[test]
fn chunks_rotate_on_a_shared_timeline_with_every_track_starting_on_a_keyframe() -> Result<()> {
    let dir = tempdir("rotate");
    let events: Arc<Mutex<Vec<ChunkEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let writer = ChunkedWriter::new(
        "test",
        &dir,
        vec![
            ("cam0".into(), video(160, 120)),
            ("cam1".into(), video(96, 64)),
            (
                "imu".into(),
                StreamConfig::Data(DataStreamConfig::default()),
            ),
        ],
        ChunkedOptions {
            chunk_length: Duration::from_millis(500),
            ..ChunkedOptions::default()
        },
        Arc::new(move |e| {
            if let Ok(mut events) = sink.lock() {
                events.push(e);
            }
        }),
    )?;
    writer.start()?;
    let t0 = 1_764_000_000_000_000_000u64;
    let n = 90u32;
    for i in 0..n {
        let ts = t0 + u64::from(i) * 1_000_000_000 / 30;
        writer.write_frame(0, &frame(160, 120, i), ts)?;
        writer.write_frame(1, &frame(96, 64, i + 7), ts)?;
        let payload = format!("{{\"i\":{i},\"bytes\":\"\\u0000\"}}\n").into_bytes();
        writer.write_data(2, &payload, ts)?;
    }
    let manifest = writer.stop(Duration::from_secs(20))?;
    let files = chunks(&dir);
    assert_eq!(files.len(), 6, "{files:?}");
    assert_eq!(manifest.chunks.len(), 6);
    let mut counts = [0usize; 3];
    let mut last = [-1i64; 3];
    let mut data = Vec::new();
    for file in &files {
        let packets = packets(file);
        for s in 0..3 {
            let mine: Vec<_> = packets.iter().filter(|p| p.0 == s).collect();
            assert!(!mine.is_empty(), "{file:?} lacks track {s}");
            if s < 2 {
                assert!(mine[0].2, "{file:?}: track {s} starts on a non-keyframe");
                assert_eq!(mine.len(), 15, "{file:?} track {s}");
            }
            let first = mine[0].1;
            if last[s] >= 0 {
                let gap = first - last[s];
                assert!(
                    gap > 0 && gap <= 34_000_000,
                    "{file:?} track {s}: gap {gap} ns"
                );
            }
            last[s] = mine.last().map_or(-1, |p| p.1);
            counts[s] += mine.len();
        }
        data.extend(packets.iter().filter(|p| p.0 == 2).map(|p| p.3.clone()));
    }
    assert_eq!(counts, [90, 90, 90]);
    for (i, d) in data.iter().enumerate() {
        assert_eq!(
            d,
            &format!("{{\"i\":{i},\"bytes\":\"\\u0000\"}}\n").into_bytes()
        );
    }
    let durable = events
        .lock()
        .map(|e| {
            e.iter()
                .filter(|e| matches!(e, ChunkEvent::Durable { .. }))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(durable, 6);
    Ok(())
}

#[test]
fn a_part_killed_before_its_first_whole_frame_is_dropped_and_one_with_frames_salvaged() -> Result<()>
{
    // A whole chunk to cut from.
    let source = tempdir("salvage-source");
    let writer = ChunkedWriter::new(
        "test",
        &source,
        vec![("cam0".into(), video(160, 120))],
        ChunkedOptions::default(),
        Arc::new(|_| {}),
    )?;
    writer.start()?;
    for i in 0..30u32 {
        writer.write_frame(
            0,
            &frame(160, 120, i),
            1_764_000_000_000_000_000 + u64::from(i) * 33_333_333,
        )?;
    }
    writer.stop(Duration::from_secs(20))?;
    let whole =
        std::fs::read(&chunks(&source)[0]).map_err(|e| proj_recording::RecordingError::Io {
            what: "reading",
            path: String::new(),
            reason: e.to_string(),
        })?;
    let cluster = whole
        .windows(4)
        .position(|w| w == [0x1F, 0x43, 0xB6, 0x75])
        .unwrap_or(whole.len());
    // As a SIGKILL leaves them: the headers and the start of a cluster, and
    // two thirds of the file.
    let dir = tempdir("salvage");
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).ok();
    write("00000.mkv.part", &whole[..cluster + 10]);
    write("00001.mkv.part", &whole[..whole.len() * 2 / 3]);
    let events: Arc<Mutex<Vec<ChunkEvent>>> = Arc::default();
    let sink = Arc::clone(&events);
    let writer = ChunkedWriter::new(
        "test",
        &dir,
        vec![("cam0".into(), video(160, 120))],
        ChunkedOptions::default(),
        Arc::new(move |e| {
            if let Ok(mut events) = sink.lock() {
                events.push(e);
            }
        }),
    )?;
    writer.start()?;
    writer.stop(Duration::from_secs(20))?;
    let names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(!names.iter().any(|n| n.ends_with(".part")), "{names:?}");
    assert_eq!(chunks(&dir), vec![dir.join("00001.mkv")]);
    let frames = packets(&dir.join("00001.mkv")).len();
    assert!((1..30).contains(&frames), "{frames} frames salvaged");
    let events = events
        .lock()
        .map(|e| e.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(
        !events.iter().any(|e| e.contains("SalvageFailed")),
        "{events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| e.starts_with("Salvaged")).count(),
        1,
        "{events:?}"
    );
    Ok(())
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proj-chunked-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok();
    dir
}
