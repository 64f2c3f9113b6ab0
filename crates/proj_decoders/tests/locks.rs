//! Nothing waits behind a decoder that waits: a consumer that holds every
//! output buffer makes `submit` wait (back-pressure), and meanwhile the
//! getters answer, `shutdown()` ends at once, other sources of a pool are
//! evicted on time, and the pool closes. Each test fails within seconds
//! (instead of hanging) if a wait leaks into a lock.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use proj_buffers::{MemType, SharedBuffer};
use proj_decoders::{
    FlexibleDecoder, FlexibleDecoderConfig, FlexibleDecoderPool, FlexibleDecoderPoolConfig, Output,
    OutputCallback,
};
use proj_frame::{
    FrameContent, Rational, TranscodingMethod, VideoCodec, VideoFrame, VideoFrameParams,
};
use support::{encode, frame, packets, Result};

const LIMIT: Duration = Duration::from_secs(5);

/// Runs `f` on a thread and waits at most `LIMIT` for it.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::spawn(f);
    finishes(&thread, what);
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn finishes<T>(thread: &JoinHandle<T>, what: &str) {
    let started = Instant::now();
    while !thread.is_finished() {
        assert!(
            started.elapsed() < LIMIT,
            "{what}: still waiting after {LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Outputs, with every decoded buffer kept (the consumer never releases).
#[derive(Clone, Default)]
struct Hoarder {
    held: Arc<Mutex<Vec<SharedBuffer>>>,
    frames: Arc<AtomicUsize>,
    errors: Arc<Mutex<Vec<u128>>>,
    skipped: Arc<Mutex<Vec<&'static str>>>,
}

impl Hoarder {
    fn callback(&self) -> OutputCallback {
        let me = self.clone();
        Arc::new(move |output| match output {
            Output::Frame { buffer, .. } => {
                me.frames.fetch_add(1, Ordering::SeqCst);
                me.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(buffer);
            }
            Output::Error { frames, .. } => me
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(frames.iter().map(|f| f.uuid().as_u128())),
            Output::Skipped { reason, .. } => me
                .skipped
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(reason.name()),
            _ => {}
        })
    }

    fn release(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

fn raw_frame(source: &str, pts: i64, time_base: Rational) -> Result<VideoFrame> {
    Ok(VideoFrame::new(VideoFrameParams {
        source_id: source.into(),
        fps: Rational { num: 30, den: 1 },
        width: 4,
        height: 2,
        content: FrameContent::None,
        transcoding_method: TranscodingMethod::Copy,
        codec: Some(VideoCodec::RawRgba),
        keyframe: Some(true),
        time_base,
        pts,
        dts: None,
        duration: None,
    })?)
}

const NS: Rational = Rational {
    num: 1,
    den: 1_000_000_000,
};
const PICTURE: [u8; 32] = [7; 32];

/// Feeds `count` raw frames to `submit` on a thread of its own.
fn feeder(
    source: &'static str,
    count: i64,
    submit: impl Fn(VideoFrame) -> proj_decoders::Result<()> + Send + 'static,
) -> JoinHandle<Vec<u128>> {
    std::thread::spawn(move || {
        let mut accepted = Vec::new();
        for pts in 0..count {
            let Ok(f) = raw_frame(source, pts * 1000, NS) else {
                break;
            };
            let uuid = f.uuid().as_u128();
            if submit(f).is_err() {
                break;
            }
            accepted.push(uuid);
        }
        accepted
    })
}

fn raw_decoder(hoarder: &Hoarder) -> Result<Arc<FlexibleDecoder>> {
    let mut config = FlexibleDecoderConfig::new("cam", 0, 1);
    config.settings.mem_type = MemType::System;
    Ok(Arc::new(FlexibleDecoder::new(config, hoarder.callback())?))
}

/// A raw-picture decoder whose consumer holds its only buffer: the second
/// submit waits. `is_shut_down` and `Debug` answer at once, `shutdown()`
/// returns and releases the waiting submit, and the frame it carried is
/// reported (before, raw sessions had no way to stop: this hung forever).
#[test]
fn raw_decoder_stops_while_its_consumer_holds_every_buffer() -> Result<()> {
    let hoarder = Hoarder::default();
    let decoder = raw_decoder(&hoarder)?;
    let d = decoder.clone();
    let feeding = feeder("cam", 3, move |f| d.submit(f, Some(PICTURE.to_vec())));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !feeding.is_finished(),
        "the second submit waits for a buffer"
    );
    assert_eq!(hoarder.frames.load(Ordering::SeqCst), 1);

    let d = decoder.clone();
    let (shut, text) = within("is_shut_down and Debug while a submit waits", move || {
        (d.is_shut_down(), format!("{d:?}"))
    });
    assert!(!shut);
    assert!(text.contains("FlexibleDecoder"));

    let d = decoder.clone();
    within("shutdown() while a submit waits", move || d.shutdown());
    finishes(&feeding, "the waiting submit returns after shutdown");
    let accepted = feeding.join().map_err(|_| "feeder panicked")?;
    // Every accepted frame has exactly one output: one decoded, the one
    // that waited reported in an error.
    let errors = hoarder.errors.lock().map(|e| e.clone()).unwrap_or_default();
    assert_eq!(
        accepted.len(),
        2,
        "the third submit is refused after shutdown"
    );
    assert_eq!(errors, vec![accepted[1]]);
    assert!(decoder.is_shut_down());
    Ok(())
}

/// The same with a GStreamer session (H.264): getters and `Debug` answer
/// while a submit waits for room.
#[test]
fn getters_answer_while_a_stream_submit_waits() -> Result<()> {
    let h264 = ["-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p"];
    let packets = packets(
        &encode("locks-h264", (160, 120), 30, &h264)?,
        "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au",
    )?;
    let hoarder = Hoarder::default();
    let mut config = FlexibleDecoderConfig::new("cam", 0, 1);
    config.settings.mem_type = MemType::System;
    let decoder = Arc::new(FlexibleDecoder::new(config, hoarder.callback())?);
    let d = decoder.clone();
    let feeding = std::thread::spawn(move || {
        for p in &packets {
            let Ok(f) = frame("cam", VideoCodec::H264, (160, 120), p) else {
                return;
            };
            if d.submit(f, Some(p.data.clone())).is_err() {
                return;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        !feeding.is_finished(),
        "the feeder waits for output buffers"
    );
    for _ in 0..20 {
        let d = decoder.clone();
        within("is_shut_down while a submit waits", move || {
            d.is_shut_down()
        });
        let d = decoder.clone();
        within("Debug while a submit waits", move || format!("{d:?}"));
    }
    let d = decoder.clone();
    within("shutdown() while a submit waits", move || d.shutdown());
    finishes(&feeding, "the waiting submit returns after shutdown");
    Ok(())
}

/// A pool source whose submit has waited longer than the TTL is busy, not
/// idle: it is not evicted, and another source's eviction and the pool's
/// shutdown are not held up behind it (before, the sweeper blocked on the
/// waiting decoder).
#[test]
fn a_waiting_source_holds_up_no_other() -> Result<()> {
    let hoarder = Hoarder::default();
    let mut config = FlexibleDecoderPoolConfig::new(0, 1, Duration::from_millis(200));
    config.settings.mem_type = MemType::System;
    let pool = Arc::new(FlexibleDecoderPool::new(config, hoarder.callback(), None)?);
    let p = pool.clone();
    let feeding = feeder("stuck", 3, move |f| p.submit(f, Some(PICTURE.to_vec())));
    // "stuck" waits longer than its TTL before "idle" arrives.
    std::thread::sleep(Duration::from_millis(300));
    assert!(!feeding.is_finished());
    pool.submit(raw_frame("idle", 0, NS)?, Some(PICTURE.to_vec()))?;
    assert_eq!(pool.len(), 2);
    // "idle" is evicted after its TTL although "stuck" waits all along.
    let started = Instant::now();
    while pool.len() > 1 {
        assert!(
            started.elapsed() < LIMIT,
            "the idle source is evicted while another waits"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(pool.len(), 1, "the waiting source is busy, not idle");
    assert!(!feeding.is_finished());
    // Its consumer lets go: the waiting source goes on.
    hoarder.release();
    std::thread::sleep(Duration::from_millis(100));
    hoarder.release();
    finishes(&feeding, "the source goes on once its buffers come back");
    let p = pool.clone();
    within("the pool shuts down", move || p.shutdown());
    Ok(())
}

/// A timestamp beyond GStreamer's 64-bit nanoseconds (time base 1/1, pts
/// 2e10 s) is refused as that frame's problem; the decoder goes on (it
/// panicked before, and later frames got no output).
#[test]
fn a_timestamp_beyond_64_bit_nanoseconds_is_skipped() -> Result<()> {
    let hoarder = Hoarder::default();
    let decoder = raw_decoder(&hoarder)?;
    let seconds = Rational { num: 1, den: 1 };
    let (huge, fine) = (
        raw_frame("cam", 20_000_000_000, seconds)?,
        raw_frame("cam", 2, seconds)?,
    );
    // The pool has one buffer and the consumer keeps it: were the huge
    // frame decoded, the next submit would wait for ever.
    within("two submits", move || -> proj_decoders::Result<()> {
        decoder.submit(huge, Some(PICTURE.to_vec()))?;
        decoder.submit(fine, Some(PICTURE.to_vec()))
    })?;
    assert_eq!(
        hoarder
            .skipped
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default(),
        ["invalid_payload"]
    );
    assert_eq!(hoarder.frames.load(Ordering::SeqCst), 1);
    Ok(())
}

/// One source's back-pressure never holds up another: with "stuck"'s
/// consumer holding its only buffer (its submits wait), "busy" decodes 200
/// frames through the same pool, each promptly.
#[test]
fn one_source_waiting_never_holds_up_another() -> Result<()> {
    let stuck = Hoarder::default();
    let busy_frames = Arc::new(AtomicUsize::new(0));
    let (keep, count) = (stuck.callback(), busy_frames.clone());
    let mut config = FlexibleDecoderPoolConfig::new(0, 1, Duration::from_secs(60));
    config.settings.mem_type = MemType::System;
    let pool = Arc::new(FlexibleDecoderPool::new(
        config,
        Arc::new(move |output| match &output {
            // "busy"'s consumer lets go at once (the buffer drops here).
            Output::Frame { frame, .. } if frame.source_id() == "busy" => {
                count.fetch_add(1, Ordering::SeqCst);
            }
            _ => keep(output),
        }),
        None,
    )?);
    let p = pool.clone();
    let waiting = feeder("stuck", 3, move |f| p.submit(f, Some(PICTURE.to_vec())));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiting.is_finished(), "stuck's second submit waits");
    let p = pool.clone();
    let slowest = within(
        "200 frames of another source",
        move || -> std::result::Result<Duration, String> {
            let mut slowest = Duration::ZERO;
            for pts in 0..200 {
                let started = Instant::now();
                let frame = raw_frame("busy", pts * 1000, NS).map_err(|e| e.to_string())?;
                p.submit(frame, Some(PICTURE.to_vec()))
                    .map_err(|e| e.to_string())?;
                slowest = slowest.max(started.elapsed());
            }
            Ok(slowest)
        },
    )?;
    assert_eq!(busy_frames.load(Ordering::SeqCst), 200);
    assert!(
        slowest < Duration::from_secs(1),
        "slowest busy submit took {slowest:?}"
    );
    assert!(!waiting.is_finished(), "stuck still waits");
    stuck.release();
    std::thread::sleep(Duration::from_millis(100));
    stuck.release();
    finishes(&waiting, "stuck goes on once its buffers come back");
    let p = pool.clone();
    within("the pool shuts down", move || p.shutdown());
    Ok(())
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// What a source costs in threads (for the docs), and that a pool gives
/// them all back: 8 H.264 sources, then shutdown.
#[test]
fn sources_cost_a_bounded_number_of_threads_and_give_them_back() -> Result<()> {
    let h264 = ["-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p"];
    let packets = packets(
        &encode("threads-h264", (160, 120), 10, &h264)?,
        "h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au",
    )?;
    let before = threads();
    assert!(before > 0, "/proc/self/task readable");
    let mut config = FlexibleDecoderPoolConfig::new(0, 4, Duration::from_secs(60));
    config.settings.mem_type = MemType::System;
    let pool = FlexibleDecoderPool::new(config, Arc::new(|_| {}), None)?;
    let with_pool = threads();
    for source in 0..8 {
        let id = format!("cam{source}");
        for p in &packets {
            pool.submit(
                frame(&id, VideoCodec::H264, (160, 120), p)?,
                Some(p.data.clone()),
            )?;
        }
    }
    let busy = threads();
    let per_source = (busy - with_pool) as f64 / 8.0;
    println!("threads: {before} before, {with_pool} with the pool, {busy} with 8 H.264 sources ({per_source:.1} per source)");
    pool.graceful_shutdown()?;
    drop(pool);
    let started = Instant::now();
    while threads() > before + 2 && started.elapsed() < LIMIT {
        std::thread::sleep(Duration::from_millis(20));
    }
    let after = threads();
    println!("threads after shutdown: {after}");
    assert!(per_source <= 8.0, "{per_source} threads per source");
    assert!(
        after <= before + 2,
        "threads left behind: {before} → {after}"
    );
    Ok(())
}
