//! Muxes an x264 stream with B-frames, made by GStreamer at test time, and
//! checks the file with ffprobe, which we did not write.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{encoded, Frame};
use proj_gstreamer::{Codec, GstreamerError, Mp4Muxer, Mp4MuxerOptions};

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// `frames` Annex-B access units from x264 with two B-frames, in decode order.
fn encode_h264(frames: u32) -> common::Result<Vec<Frame>> {
    encoded(
        "ball",
        (320, 240),
        frames,
        "x264enc bframes=2 key-int-max=30 speed-preset=ultrafast ! h264parse \
         ! video/x-h264,stream-format=byte-stream,alignment=au",
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proj-gstreamer-tests-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

/// `stream=codec_name,nb_read_frames,r_frame_rate` as one line.
fn ffprobe(path: &Path) -> std::result::Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-of",
            "csv=p=0",
        ])
        .args([
            "-show_entries",
            "stream=codec_name,nb_read_frames,r_frame_rate",
        ])
        .arg(path)
        .output()?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

#[test]
fn b_frame_stream_plays_with_every_frame() -> TestResult {
    let frames = encode_h264(90)?;
    assert_eq!(frames.len(), 90);
    assert!(
        frames.iter().any(|f| f.pts_ns != f.dts_ns),
        "x264 should have produced B-frames"
    );
    let path = scratch("b-frames.mp4");
    let muxer = Mp4Muxer::new(Codec::H264, &path, &Mp4MuxerOptions::default())?;
    for frame in &frames {
        muxer.push(&frame.data, frame.pts_ns, Some(frame.dts_ns), None)?;
    }
    assert_eq!(muxer.stats().frames, 90);
    muxer.finish()?;
    muxer.finish()?;
    assert!(matches!(
        muxer.push(&frames[0].data, 0, None, None),
        Err(GstreamerError::Finished)
    ));
    assert_eq!(ffprobe(&path)?, "h264,30/1,90");
    Ok(())
}

#[test]
fn rejected_frames_leave_the_muxer_usable() -> TestResult {
    let frames = encode_h264(30)?;
    let path = scratch("rejections.mp4");
    let muxer = Mp4Muxer::new(Codec::H264, &path, &Mp4MuxerOptions::default())?;
    // A delta frame first, garbage, HEVC-looking data: all typed errors.
    let delta = frames.get(1).ok_or("too few frames")?;
    assert!(matches!(
        muxer.push(&delta.data, delta.pts_ns, Some(delta.dts_ns), None),
        Err(GstreamerError::NeedsKeyframe { .. })
    ));
    assert!(matches!(
        muxer.push(&[0xde, 0xad, 0xbe, 0xef], 0, None, None),
        Err(GstreamerError::InvalidData { .. })
    ));
    for (i, frame) in frames.iter().enumerate() {
        muxer.push(&frame.data, frame.pts_ns, Some(frame.dts_ns), None)?;
        if i == 10 {
            assert!(matches!(
                muxer.push(&frame.data, frame.pts_ns, Some(frame.dts_ns), None),
                Err(GstreamerError::DtsNotIncreasing { .. })
            ));
        }
    }
    // Finishing from another thread: the muxer is Send + Sync.
    std::thread::scope(|s| s.spawn(|| muxer.finish()).join())
        .map_err(|_| "finish thread panicked")??;
    assert_eq!(ffprobe(&path)?, "h264,30/1,30");
    Ok(())
}

#[test]
fn unwritable_path_is_a_typed_error() {
    let result = Mp4Muxer::new(
        Codec::H264,
        "/nonexistent-dir/out.mp4",
        &Mp4MuxerOptions::default(),
    );
    assert!(
        matches!(result, Err(GstreamerError::OutputOpen { .. })),
        "{result:?}"
    );
}
