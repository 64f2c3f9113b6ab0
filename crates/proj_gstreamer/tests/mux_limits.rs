//! The muxer's limits: a slow output makes `push` say so (never wait) and
//! refuse past a hard limit without losing what it accepted; time-lapse
//! rates; timestamps at the edge of the range; file descriptors released
//! at `finish`; a bad path; a file with no frame. Files are checked with
//! ffprobe.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{encoded, Result};
use proj_gstreamer::{Codec, GstreamerError, Mp4Muxer, Mp4MuxerOptions};

/// Encoded frames of videotestsrc's snow (little compression), data only.
fn snow(encode: &str, size: (u32, u32), frames: u32) -> Result<Vec<Vec<u8>>> {
    Ok(encoded("snow", size, frames, encode)?
        .into_iter()
        .map(|f| f.data)
        .collect())
}

fn jpeg(size: (u32, u32)) -> Result<Vec<u8>> {
    snow("jpegenc quality=95", size, 1)?
        .pop()
        .ok_or_else(|| "no JPEG".into())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proj-mux-limits-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

fn probe(path: &Path, entries: &str) -> Result<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", entries, "-of", "default=nw=1"])
        .arg(path)
        .output()?;
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

const SECOND: u64 = 1_000_000_000;

/// One frame an hour at 1/3600 fps: every frame is in the file, with a
/// real timescale (qtmux's automatic one was 0: one frame played).
#[test]
fn time_lapse_keeps_every_frame() -> Result {
    let frames = snow(
        "x264enc key-int-max=1 speed-preset=ultrafast ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au",
        (160, 120),
        10,
    )?;
    let path = scratch("time-lapse.mp4");
    let options = Mp4MuxerOptions {
        fps_num: 1,
        fps_den: 3600,
        ..Mp4MuxerOptions::default()
    };
    let muxer = Mp4Muxer::new(Codec::H264, &path, &options)?;
    for (i, frame) in frames.iter().enumerate() {
        muxer.push(frame, i as u64 * 3600 * SECOND, None, None)?;
    }
    muxer.finish()?;
    assert_eq!(
        probe(&path, "stream=nb_read_frames,time_base")?,
        "time_base=1/90000\nnb_read_frames=10"
    );
    Ok(())
}

/// Timestamps and durations up to 2^64-2 ns are GStreamer's; 2^64-1 is a
/// typed error (it panicked inside gstreamer-rs), and the muxer goes on.
#[test]
fn timestamps_at_the_edge_of_the_range() -> Result {
    let image = jpeg((64, 48))?;
    let path = scratch("edge.mp4");
    let muxer = Mp4Muxer::new(Codec::Jpeg, &path, &Mp4MuxerOptions::default())?;
    for (pts, duration) in [(u64::MAX, None), (0, Some(u64::MAX))] {
        assert!(matches!(
            muxer.push(&image, pts, None, duration),
            Err(GstreamerError::InvalidArgument { .. })
        ));
    }
    muxer.push(&image, 0, None, None)?;
    muxer.push(&image, SECOND, None, None)?;
    muxer.finish()?;
    assert_eq!(probe(&path, "stream=nb_read_frames")?, "nb_read_frames=2");
    Ok(())
}

fn open_fds() -> Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

/// A finished muxer lets its pipeline go: 200 of them leave no file
/// descriptors behind (each kept two before, until dropped).
#[test]
fn finish_releases_file_descriptors() -> Result {
    let image = jpeg((64, 48))?;
    let mut kept = Vec::new();
    let before = open_fds()?;
    for i in 0..200 {
        let muxer = Mp4Muxer::new(
            Codec::Jpeg,
            scratch(&format!("fd-{i}.mp4")),
            &Mp4MuxerOptions::default(),
        )?;
        muxer.push(&image, 0, None, None)?;
        muxer.finish()?;
        kept.push(muxer);
    }
    let after = open_fds()?;
    assert!(
        after < before + 10,
        "{before} fds before, {after} with 200 finished muxers alive"
    );
    Ok(())
}

#[test]
fn a_path_with_a_nul_is_refused() {
    let result = Mp4Muxer::new(
        Codec::Jpeg,
        scratch("a\0b.mp4"),
        &Mp4MuxerOptions::default(),
    );
    assert!(matches!(result, Err(GstreamerError::OutputOpen { .. })));
}

/// A muxer finished with no frame says so instead of reporting success
/// for a file no player opens.
#[test]
fn finish_without_a_frame_is_an_error() -> Result {
    let muxer = Mp4Muxer::new(
        Codec::H264,
        scratch("empty.mp4"),
        &Mp4MuxerOptions::default(),
    )?;
    assert!(matches!(
        muxer.push(b"junk", 0, None, None),
        Err(GstreamerError::InvalidData { .. })
    ));
    assert!(matches!(
        muxer.finish(),
        Err(GstreamerError::NoFrames { .. })
    ));
    Ok(())
}

/// Lets the reader go when dropped.
struct Release(Option<mpsc::Sender<()>>);

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(go) = self.0.take() {
            let _ = go.send(());
        }
    }
}

/// Output into a pipe nobody reads yet (a stalled disk): `push` never
/// waits; it says `false` past the high-water mark and refuses frames past
/// the hard limit; once the reader reads, `wait_drained` returns and every
/// accepted frame is in the file.
#[test]
fn a_stalled_output_is_back_pressure_not_a_blocked_push() -> Result {
    let fifo = scratch("stalled.fifo");
    let _ = std::fs::remove_file(&fifo);
    let status = Command::new("mkfifo").arg(&fifo).status()?;
    assert!(status.success(), "mkfifo");
    let (go, wait) = mpsc::channel::<()>();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || -> std::io::Result<Vec<u8>> {
            let mut file = std::fs::File::open(fifo)?;
            let _ = wait.recv();
            let mut all = Vec::new();
            file.read_to_end(&mut all)?;
            Ok(all)
        })
    };
    let image = jpeg((640, 480))?;
    // Short fragments: qtmux holds a fragment's frames before it writes
    // (and blocks), so that is what it takes from the queue meanwhile.
    let options = Mp4MuxerOptions {
        fragment_duration_ms: 100,
        high_water_bytes: 4 << 20,
        max_queued_bytes: 8 << 20,
        ..Mp4MuxerOptions::default()
    };
    let muxer = Mp4Muxer::new(Codec::Jpeg, &fifo, &options)?;
    // Declared after the muxer, so dropped before it if the test fails:
    // the reader then reads and the muxer's drop can finish.
    let go = Release(Some(go));
    let (mut accepted, mut saw_false) = (0u64, false);
    let started = Instant::now();
    loop {
        let pts = accepted * SECOND / 30;
        let push = Instant::now();
        let outcome = muxer.push(&image, pts, None, None);
        assert!(push.elapsed() < Duration::from_millis(500), "push waited");
        match outcome {
            // (qtmux still takes frames while it completes a fragment, so
            // the answer can go back to true for a while.)
            Ok(true) => {}
            Ok(false) => saw_false = true,
            Err(GstreamerError::QueueFull { queued, limit }) => {
                assert!(queued + image.len() as u64 > limit);
                break;
            }
            Err(e) => return Err(e.into()),
        }
        accepted += 1;
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the queue never filled"
        );
    }
    assert!(saw_false, "push said to slow down before the hard limit");
    assert!(muxer.stats().queued_bytes >= 4 << 20);
    assert!(matches!(
        muxer.wait_drained(Some(Duration::from_millis(200))),
        Err(GstreamerError::Timeout { .. })
    ));
    drop(go);
    muxer.wait_drained(Some(Duration::from_secs(20)))?;
    assert!(
        muxer.push(&image, accepted * SECOND / 30, None, None)?,
        "drained: full speed again"
    );
    accepted += 1;
    muxer.finish()?;
    let bytes = reader.join().map_err(|_| "reader panicked")??;
    let copy = scratch("stalled.mp4");
    std::fs::write(&copy, bytes)?;
    assert_eq!(
        probe(&copy, "stream=nb_read_frames")?,
        format!("nb_read_frames={accepted}")
    );
    Ok(())
}

/// A pipeline that fails (a disk that is full: /dev/full) is reported as a
/// typed error by `push` or `finish`, never as success, and never hangs.
#[test]
fn a_failing_output_is_a_pipeline_error() -> Result {
    let image = jpeg((64, 48))?;
    let muxer = Mp4Muxer::new(Codec::Jpeg, "/dev/full", &Mp4MuxerOptions::default())?;
    let started = Instant::now();
    let mut failed = None;
    for i in 0..200u64 {
        if let Err(e) = muxer.push(&image, i * SECOND / 30, None, None) {
            failed = Some(e);
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let finished = muxer.finish();
    assert!(started.elapsed() < Duration::from_secs(30));
    let error = failed
        .or(finished.err())
        .ok_or("/dev/full reported success")?;
    assert!(
        matches!(error, GstreamerError::Pipeline { .. }),
        "{error:?}"
    );
    Ok(())
}

/// `finish` on an output that never drains (a hung disk) gives up after
/// `finish_timeout` with a typed error instead of never returning, and the
/// pipeline still stops once the output moves again.
#[test]
fn finish_on_a_stalled_output_times_out() -> Result {
    let fifo = scratch("finish-stalled.fifo");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo").arg(&fifo).status()?.success());
    let (go, wait) = mpsc::channel::<()>();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || -> std::io::Result<usize> {
            let mut file = std::fs::File::open(fifo)?;
            let _ = wait.recv();
            let mut all = Vec::new();
            file.read_to_end(&mut all)
        })
    };
    let image = jpeg((640, 480))?;
    let options = Mp4MuxerOptions {
        fragment_duration_ms: 100,
        finish_timeout: Duration::from_millis(300),
        ..Mp4MuxerOptions::default()
    };
    let muxer = Mp4Muxer::new(Codec::Jpeg, &fifo, &options)?;
    let go = Release(Some(go));
    // More than the pipe holds, so the output stalls.
    for i in 0..60u64 {
        muxer.push(&image, i * SECOND / 30, None, None)?;
    }
    let started = Instant::now();
    let finished = muxer.finish();
    let waited = started.elapsed();
    assert!(
        matches!(finished, Err(GstreamerError::Timeout { .. })),
        "{finished:?}"
    );
    assert!(waited < Duration::from_secs(5), "finish took {waited:?}");
    drop(go);
    assert!(reader.join().map_err(|_| "reader panicked")?? > 0);
    Ok(())
}
