//! Falling back from a backend that does not open, as NVENC does not where
//! a GPU has none or a consumer GPU has no session left. The failure is
//! injected with real elements: a missing `nvh264enc` (fails when the
//! pipeline is built, as on every machine without NVENC) and an x264enc
//! whose options it refuses when its first frame's caps arrive (fails
//! after frames were taken, as `nvcudah264enc` does when
//! `NvEncOpenEncodeSessionEx` returns `NV_ENC_ERR_OUT_OF_MEMORY`). Every
//! frame comes out once, in order, with its timestamps and id; the change
//! is reported before the new backend's first frame.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proj_buffers::VideoFormat;
use proj_encoders::{
    cpu_encoder, nvenc_encoder, Backend, DgpuProps, Encoder, EncoderConfig, EncoderOutput,
    EncoderProperties, FrameData, Plan, RateControl,
};
use proj_gstreamer::Codec;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SIZE: (u32, u32) = (320, 240);
const STEP_NS: u64 = 33_333_333;

type Outputs = Arc<Mutex<Vec<EncoderOutput>>>;

fn collector() -> (Outputs, proj_encoders::OutputCallback) {
    let outputs: Outputs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&outputs);
    (
        outputs,
        Arc::new(move |o| sink.lock().unwrap_or_else(|e| e.into_inner()).push(o)),
    )
}

fn taken(outputs: &Outputs) -> Vec<EncoderOutput> {
    std::mem::take(&mut *outputs.lock().unwrap_or_else(|e| e.into_inner()))
}

/// An I420 frame whose luma says which it is.
fn frame(i: u8) -> Vec<u8> {
    let luma = usize::try_from(SIZE.0 * SIZE.1).unwrap_or(0);
    let mut bytes = vec![i.wrapping_mul(9); luma];
    bytes.resize(luma * 3 / 2, 128);
    bytes
}

fn submit_all(encoder: &Encoder, count: u8) -> TestResult {
    let pitches = [SIZE.0 as usize, SIZE.0 as usize / 2, SIZE.0 as usize / 2];
    for i in 0..count {
        let bytes = frame(i);
        let data = FrameData::new(VideoFormat::I420, SIZE.0, SIZE.1, &bytes, &pitches)?;
        encoder.submit(
            &data,
            u64::from(i) * STEP_NS,
            Some(STEP_NS),
            Some(u128::from(i) + 7),
        )?;
    }
    Ok(())
}

fn config() -> EncoderConfig {
    EncoderConfig {
        format: VideoFormat::I420,
        ..EncoderConfig::new(Codec::H264, SIZE.0, SIZE.1)
    }
}

/// A "hardware" plan that opens no session at its first frame.
fn refuses_first_frame() -> Result<Plan, Box<dyn std::error::Error>> {
    let mut plan = cpu_encoder(Codec::H264, None)?;
    plan.backend = Backend::Nvenc;
    for (name, value) in &mut plan.properties {
        if *name == "option-string" {
            *value = "no-such-option=1".into();
        }
    }
    Ok(plan)
}

/// Every frame once, in order, with its PTS and id; the change first.
fn check_outputs(outputs: &[EncoderOutput], count: u8, from: &str) -> TestResult {
    let Some(EncoderOutput::BackendChanged(change)) = outputs.first() else {
        return Err(format!("the first output is not the change: {:?}", outputs.first()).into());
    };
    assert_eq!((change.from, change.to), (from, "x264enc"));
    println!("change: {change:?}");
    let frames: Vec<_> = outputs
        .iter()
        .skip(1)
        .map(|o| match o {
            EncoderOutput::Frame(f) => Ok(f),
            other => Err(format!("unexpected output {other:?}")),
        })
        .collect::<Result<_, _>>()?;
    assert_eq!(frames.len(), usize::from(count));
    for (i, f) in (0u64..).zip(&frames) {
        assert_eq!(f.pts_ns, i * STEP_NS, "frame {i}");
        assert_eq!(f.frame_id, Some(u128::from(i) + 7), "frame {i}");
    }
    assert!(frames[0].keyframe);
    Ok(())
}

#[test]
fn a_backend_missing_here_hands_over_when_built() -> TestResult {
    proj_gstreamer::init()?;
    let props = EncoderProperties::H264Dgpu(DgpuProps {
        bitrate: Some(2_000_000),
        control_rate: Some(RateControl::ConstantBitrate),
        idrinterval: Some(60),
        ..DgpuProps::default()
    });
    let config = EncoderConfig {
        properties: Some(props.clone()),
        ..config()
    };
    let nvenc = nvenc_encoder(Codec::H264, Some(&props)).ok_or("no NVENC plan")?;
    if gstreamer::ElementFactory::find("nvh264enc").is_some() {
        println!("SKIPPED: nvh264enc is installed here");
        return Ok(());
    }
    // What Encoder::new tries for a dGPU set (NVENC, then the CPU).
    assert_eq!(
        proj_encoders::candidates(&config)?
            .iter()
            .map(|p| p.element)
            .collect::<Vec<_>>(),
        ["nvh264enc", "x264enc"]
    );
    let cpu = cpu_encoder(Codec::H264, Some(&props))?;
    let (outputs, emit) = collector();
    let encoder = Encoder::with_plans(config, vec![nvenc, cpu], emit)?;
    assert_eq!(encoder.backend(), "x264enc");
    assert!(encoder.unmapped().contains(&"idrinterval"));
    submit_all(&encoder, 12)?;
    encoder.finish(Duration::from_secs(30))?;
    let outputs = taken(&outputs);
    check_outputs(&outputs, 12, "nvh264enc")?;
    let changes = encoder.backend_changes();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].reason.contains("nvh264enc"), "{:?}", changes[0]);
    assert_eq!(changes[0].unmapped, encoder.unmapped());
    assert_eq!(changes[0].replayed, 0);
    Ok(())
}

#[test]
fn a_backend_that_fails_at_its_first_frame_loses_and_reorders_nothing() -> TestResult {
    for count in [1u8, 3, 20] {
        let (outputs, emit) = collector();
        let encoder = Encoder::with_plans(
            config(),
            vec![refuses_first_frame()?, cpu_encoder(Codec::H264, None)?],
            emit,
        )?;
        submit_all(&encoder, count)?;
        encoder.finish(Duration::from_secs(30))?;
        let outputs = taken(&outputs);
        check_outputs(&outputs, count, "x264enc")?;
        let changes = encoder.backend_changes();
        assert_eq!(changes.len(), 1);
        assert!(changes[0].replayed >= 1, "{:?}", changes[0]);
        assert!(changes[0].reason.contains("x264enc"), "{:?}", changes[0]);
    }
    Ok(())
}

#[test]
fn frames_taken_before_a_failure_are_reported_when_no_backend_is_left() -> TestResult {
    let (outputs, emit) = collector();
    let encoder = Encoder::with_plans(config(), vec![refuses_first_frame()?], emit)?;
    // The failure comes after the first frame: a later submit or finish
    // says so (an error, never a hang).
    let submitted = submit_all(&encoder, 5);
    let finished = encoder.finish(Duration::from_secs(30));
    assert!(submitted.is_err() || finished.is_err());
    let outputs = taken(&outputs);
    let messages: Vec<&String> = outputs
        .iter()
        .filter_map(|o| match o {
            EncoderOutput::Error(m) => Some(m),
            _ => None,
        })
        .collect();
    println!("{messages:?}");
    assert!(messages
        .iter()
        .any(|m| m.contains("no encoder backend opened")));
    // Every frame it took is named in the final report.
    let accepted = submitted.map_or(1, |()| 5);
    let listed = messages
        .iter()
        .filter_map(|m| m.split("pts ns ").nth(1))
        .map(|l| l.split(", ").count())
        .sum::<usize>();
    assert!(listed >= accepted, "{listed} of {accepted} reported");
    Ok(())
}

/// A backend that cannot fall back and fails while frames queue up behind
/// it (an `identity` standing in for an encoder: slow, then an error at its
/// 6th frame): the submit waiting for room ends with the error, never hangs.
#[test]
fn a_failed_pipeline_ends_the_submit_waiting_for_room() -> TestResult {
    let (outputs, emit) = collector();
    let plan = Plan {
        backend: Backend::Cpu,
        element: "identity",
        properties: vec![("sleep-time", "100000".into()), ("error-after", "6".into())],
        if_present: Vec::new(),
        profile: None,
        unmapped: Vec::new(),
    };
    let config = EncoderConfig {
        format: VideoFormat::I420,
        ..EncoderConfig::new(Codec::Jpeg, SIZE.0, SIZE.1)
    };
    let encoder = Arc::new(Encoder::with_plans(config, vec![plan], emit)?);
    let (done, finished) = std::sync::mpsc::channel();
    {
        let encoder = Arc::clone(&encoder);
        std::thread::spawn(move || {
            // Far more than the queue holds (4 frames).
            let _ = done.send(submit_all(&encoder, 30).map_err(|e| e.to_string()));
        });
    }
    let submitted = finished
        .recv_timeout(Duration::from_secs(20))
        .map_err(|_| "a submit still waits 20 s after the pipeline failed")?;
    let error = submitted
        .err()
        .ok_or("30 frames taken by a failed pipeline")?;
    println!("{error}");
    assert!(encoder.finish(Duration::from_secs(5)).is_err());
    let outputs = taken(&outputs);
    assert!(outputs.iter().any(|o| matches!(o, EncoderOutput::Error(_))));
    Ok(())
}
