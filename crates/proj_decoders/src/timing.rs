//! A frame's timestamps in nanoseconds, as GStreamer takes them.

use proj_frame::{Rational, VideoFrame};

/// The largest timestamp GStreamer can carry (`u64::MAX` means "none").
const MAX_NS: u64 = u64::MAX - 1;

/// A frame's timestamps in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timing {
    pub pts_ns: u64,
    pub dts_ns: Option<u64>,
    pub duration_ns: Option<u64>,
}

/// `ticks` of `time_base` in nanoseconds, or `None` past GStreamer's range
/// (e.g. time base 1/1 and pts 2e10). Negative ticks are clamped to 0.
fn nanoseconds(ticks: i64, time_base: Rational) -> Option<u64> {
    let den = i128::from(time_base.den.max(1));
    let ns = i128::from(ticks.max(0))
        .checked_mul(i128::from(time_base.num))?
        .checked_mul(1_000_000_000)?
        / den;
    u64::try_from(ns.max(0)).ok().filter(|&ns| ns <= MAX_NS)
}

impl Timing {
    /// The frame's timing, or which timestamp does not fit.
    pub fn of(frame: &VideoFrame) -> Result<Self, String> {
        let tb = frame.time_base();
        let convert = |name: &str, ticks: i64| {
            nanoseconds(ticks, tb).ok_or_else(|| {
                format!(
                    "{name} {ticks} in time base {}/{} is beyond 2^64-2 ns",
                    tb.num, tb.den
                )
            })
        };
        Ok(Self {
            pts_ns: convert("pts", frame.pts())?,
            dts_ns: frame.dts().map(|t| convert("dts", t)).transpose()?,
            duration_ns: frame
                .duration()
                .map(|t| convert("duration", t))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_timestamps_are_refused_not_wrapped() {
        let seconds = Rational { num: 1, den: 1 };
        assert_eq!(nanoseconds(2, seconds), Some(2_000_000_000));
        // 2e10 s is beyond 2^64 ns: refused (it panicked GStreamer before).
        assert_eq!(nanoseconds(20_000_000_000, seconds), None);
        assert_eq!(
            nanoseconds(
                i64::MAX,
                Rational {
                    num: i64::MAX,
                    den: 1
                }
            ),
            None
        );
        assert_eq!(nanoseconds(-5, seconds), Some(0));
        let ns = Rational {
            num: 1,
            den: 1_000_000_000,
        };
        assert_eq!(nanoseconds(i64::MAX, ns), Some(i64::MAX as u64));
    }
}
