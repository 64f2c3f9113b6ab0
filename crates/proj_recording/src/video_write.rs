//! A video stream's frames into its encoder: converted (and scaled) on a
//! thread of their own while the encoder takes the previous frame, then
//! submitted in order into the frame slots of the encoder's rate.

use std::sync::mpsc::sync_channel;

use fast_image_resize::Resizer;
use proj_buffers::VideoFormat;
use proj_encoders as pe;

use crate::error::invalid;
use crate::pixels::{resize_i420, to_i420, I420};
use crate::stream::{Clock, Stream};
use crate::video::VideoPlan;
use crate::{RecordingError, Result};

/// `units` of `1/(num/den)` s in nanoseconds.
pub(crate) fn ns(units: u64, den: u64, num: u64) -> u64 {
    u64::try_from(u128::from(units) * u128::from(den) * 1_000_000_000 / u128::from(num.max(1)))
        .unwrap_or(u64::MAX)
}

/// Seconds (a user's `pts`) as a whole count of `1/(num/den)` steps, truncated.
pub(crate) fn steps(name: &'static str, seconds: f64, num: u32, den: u32) -> Result<u64> {
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(invalid(
            name,
            format!("{seconds} is not a time in seconds (0 to 1e9)"),
        ));
    }
    let value = (seconds * f64::from(num) / f64::from(den) + 1e-9).floor();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked: 0 ≤ value ≤ 1e9·rate"
    )]
    Ok(value as u64)
}

/// A frame at the encoder's size, and what the encoder takes of it.
struct Converted {
    frame: I420,
    prepared: pe::Prepared,
}

/// `frame` laid out for `encoder` (its planes, tight).
pub(crate) fn prepare(encoder: &pe::Encoder, frame: &I420) -> Result<pe::Prepared> {
    let layout = pe::Layout::tight(VideoFormat::I420, frame.width, frame.height)?;
    let data = pe::FrameData::new(
        VideoFormat::I420,
        frame.width,
        frame.height,
        &frame.data,
        &layout.strides,
    )?;
    Ok(encoder.prepare(&data)?)
}

fn convert(
    encoder: &pe::Encoder,
    plan: &VideoPlan,
    resizer: &mut Resizer,
    frame: I420,
) -> Result<Converted> {
    let frame = resize_i420(resizer, frame, plan.config.width, plan.config.height)?;
    let prepared = prepare(encoder, &frame)?;
    Ok(Converted { frame, prepared })
}

/// The frame's encoder slots: its own number at an unchanged rate; none,
/// one or several at another (FFmpeg's `fps`: dropped or repeated).
fn slots(plan: &VideoPlan, clock: &mut Clock, number: u64) -> Vec<u64> {
    if plan.encoder_rate == plan.rate {
        return vec![number];
    }
    let ((rn, rd), (en, ed)) = (plan.rate, plan.encoder_rate);
    let end = u128::from(number + 1) * u128::from(rd) * u128::from(en);
    let mut out = Vec::new();
    let mut slot = clock.next_slot;
    while u128::from(slot) * u128::from(ed) * u128::from(rn) < end {
        out.push(slot);
        slot += 1;
    }
    clock.next_slot = slot;
    out
}

fn submit(
    encoder: &pe::Encoder,
    stream: &Stream,
    plan: &VideoPlan,
    clock: &mut Clock,
    converted: Converted,
    pts: Option<f64>,
) -> Result<()> {
    let (rn, rd) = plan.rate;
    let number = match pts {
        Some(seconds) => steps("pts", seconds, rn, rd)?,
        None => clock.next,
    };
    if clock.started && number < clock.next {
        return Err(invalid(
            "pts",
            format!(
                "frame {number} comes after frame {}: pts must increase",
                clock.next.saturating_sub(1)
            ),
        ));
    }
    let (en, ed) = (
        u64::from(plan.encoder_rate.0),
        u64::from(plan.encoder_rate.1),
    );
    let duration = ns(1, ed, en);
    let Converted { frame, prepared } = converted;
    let mut prepared = Some(prepared);
    for slot in slots(plan, clock, number) {
        let this = match prepared.take() {
            Some(p) => p,
            // A repeated frame (a higher encoder rate).
            None => prepare(encoder, &frame)?,
        };
        encoder.submit_prepared(this, ns(slot, ed, en), Some(duration), None)?;
    }
    clock.started = true;
    clock.next = number + 1;
    stream.counters.wrote(1, frame.data.len());
    Ok(())
}

/// Encodes `frames` (their raw bytes, or I420 already) in order; the first
/// at `pts` if given. Several frames: the next is converted on a thread of
/// its own while the encoder takes this one.
pub(crate) fn write_frames(
    encoder: &pe::Encoder,
    stream: &Stream,
    plan: &VideoPlan,
    clock: &mut Clock,
    frames: Vec<Input<'_>>,
    pts: Option<f64>,
) -> Result<()> {
    let to_i420 = |input: Input<'_>| match input {
        Input::Raw(bytes) => to_i420(plan.format, plan.width, plan.height, bytes),
        Input::I420(frame) => Ok(frame),
    };
    if frames.len() <= 1 {
        let mut resizer = Resizer::new();
        for input in frames {
            let converted = convert(encoder, plan, &mut resizer, to_i420(input)?)?;
            submit(encoder, stream, plan, clock, converted, pts)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        // Two frames ahead at most: memory stays a few frames whatever the chunk.
        let (tx, rx) = sync_channel::<Result<Converted>>(2);
        std::thread::Builder::new()
            .name("recorder-convert".into())
            .spawn_scoped(scope, move || {
                let mut resizer = Resizer::new();
                for input in frames {
                    let out = to_i420(input).and_then(|f| convert(encoder, plan, &mut resizer, f));
                    let failed = out.is_err();
                    // The receiver gone (a failed submit) or an error sent: stop.
                    if tx.send(out).is_err() || failed {
                        break;
                    }
                }
            })
            .map_err(|e| RecordingError::Pipeline {
                reason: format!("no thread to convert frames on: {e}"),
            })?;
        for (n, converted) in rx.into_iter().enumerate() {
            submit(
                encoder,
                stream,
                plan,
                clock,
                converted?,
                if n == 0 { pts } else { None },
            )?;
        }
        Ok(())
    })
}

/// One frame as written.
pub(crate) enum Input<'a> {
    Raw(&'a [u8]),
    I420(I420),
}
