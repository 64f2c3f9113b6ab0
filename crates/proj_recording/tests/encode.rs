//! The encoder end to end, checked with ffprobe (not ours).

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proj_recording::{
    AudioStreamSpec, EncoderOptions, Event, RecordingError, Result, StreamingMediaEncoder,
    VideoStreamSpec,
};

fn probe(path: &str, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            entries,
            "-of",
            "csv=p=0",
            path,
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.trim().to_owned()
}

fn frames(n: usize, w: usize, h: usize) -> Vec<u8> {
    (0..n * w * h * 3)
        .map(|i| u8::try_from(((i / 3 % w) * 255 / w) ^ ((i / (3 * w * h)) * 8 % 256)).unwrap_or(0))
        .collect()
}

fn sine(samples: usize, channels: usize) -> Vec<u8> {
    (0..samples)
        .flat_map(|i| {
            let v = (i as f32 * 440.0 * std::f32::consts::TAU / 48_000.0).sin() * 0.5;
            std::iter::repeat_n(v, channels)
        })
        .flat_map(f32::to_le_bytes)
        .collect()
}

fn quiet() -> proj_recording::EventCallback {
    Arc::new(|_| {})
}

#[test]
fn video_and_audio_into_fragmented_mp4_have_every_frame_and_sample() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join("av.mp4");
    let path = path.to_str().unwrap_or_default();
    let enc = StreamingMediaEncoder::new(Some(path), None, EncoderOptions::default(), quiet())?;
    let v = enc.add_video_stream(&VideoStreamSpec {
        frame_rate: 30.0,
        width: 320,
        height: 240,
        ..Default::default()
    })?;
    let a = enc.add_audio_stream(&AudioStreamSpec {
        sample_rate: 48_000,
        num_channels: 2,
        ..Default::default()
    })?;
    enc.set_metadata(vec![("title".into(), "smoke".into())])?;
    enc.open(&[])?;
    for second in 0..2 {
        enc.write_video_chunk(v, &frames(30, 320, 240), None)?;
        enc.write_audio_chunk(a, &sine(48_000, 2), None)?;
        let _ = second;
    }
    enc.close(Duration::from_secs(30))?;
    assert_eq!(
        probe(path, "stream=codec_name,nb_read_frames"),
        "h264,60\naac,95"
    );
    Ok(())
}

#[test]
fn a_writer_gets_bytes_in_order_and_never_a_seek() -> Result<()> {
    let got = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = Arc::clone(&got);
    let enc = Arc::new(StreamingMediaEncoder::new(
        None,
        Some("matroska"),
        EncoderOptions::default(),
        Arc::new(move |e| {
            if let Event::Data(bytes) = e {
                sink.lock().map(|mut g| g.extend_from_slice(&bytes)).ok();
            }
        }),
    )?);
    let v = enc.add_video_stream(&VideoStreamSpec {
        frame_rate: 30.0,
        width: 160,
        height: 120,
        ..Default::default()
    })?;
    let d = enc.add_data_stream()?;
    enc.open(&[])?;
    for i in 0..30 {
        enc.write_video_chunk(v, &frames(1, 160, 120), None)?;
        if i % 10 == 0 {
            enc.write_data(
                d,
                format!("{{\"frame\":{i}}}\n").as_bytes(),
                Some(i as f64 / 30.0),
                None,
            )?;
        }
        let n = got.lock().map(|g| g.len()).unwrap_or(0) as u64;
        enc.ack(n);
    }
    enc.close(Duration::from_secs(30))?;
    let bytes = got.lock().map(|g| g.clone()).unwrap_or_default();
    let file = std::env::temp_dir().join(format!("rec-w-{}.mkv", std::process::id()));
    std::fs::write(&file, &bytes).ok();
    let p = file.to_str().unwrap_or_default();
    assert_eq!(
        probe(p, "stream=codec_name,nb_read_frames"),
        "h264,30\nsubrip,3"
    );
    Ok(())
}

#[test]
fn a_data_stream_silent_from_the_start_never_holds_matroska() -> Result<()> {
    let path = std::env::temp_dir().join(format!("rec-sparse-{}.mkv", std::process::id()));
    let path = path.to_str().unwrap_or_default().to_owned();
    // The default queues: the gap comes from the one-second lag alone.
    let enc = StreamingMediaEncoder::new(Some(&path), None, EncoderOptions::default(), quiet())?;
    let v = enc.add_video_stream(&VideoStreamSpec {
        frame_rate: 30.0,
        width: 160,
        height: 120,
        encoder_option: vec![("crf".into(), "5".into())],
        ..Default::default()
    })?;
    let d = enc.add_data_stream()?;
    enc.open(&[])?;
    for _ in 0..120 {
        enc.write_video_chunk(v, &frames(1, 160, 120), None)?;
    }
    enc.write_data(d, b"{\"a\":1}", Some(3.5), None)?;
    // The gaps given to the muxer are final: a payload before them is refused.
    assert!(matches!(
        enc.write_data(d, b"late", Some(1.0), None),
        Err(RecordingError::InvalidArgument { name: "pts", .. })
    ));
    enc.write_video_chunk(v, &frames(30, 160, 120), None)?;
    enc.close(Duration::from_secs(30))?;
    assert_eq!(
        probe(&path, "stream=codec_name,nb_read_frames"),
        "h264,150\nsubrip,1"
    );
    Ok(())
}
