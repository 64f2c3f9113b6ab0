//! torio's `CodecConfig`, and the parsing shared by the encoders' option
//! maps.

use crate::error::invalid;
use crate::Result;

/// torio's `CodecConfig`: `None` (torio's -1) leaves the encoder's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodecConfig {
    /// bit/s.
    pub bit_rate: Option<u32>,
    pub compression_level: Option<i32>,
    pub qscale: Option<i32>,
    pub gop_size: Option<u32>,
    pub max_b_frames: Option<u32>,
}

/// A frame rate as a fraction: whole numbers as they are, FFmpeg's NTSC
/// rates (29.97…) as n·1000/1001, anything else to 1/1000.
pub fn rational(name: &'static str, rate: f64) -> Result<(u32, u32)> {
    if !rate.is_finite() || rate <= 0.0 || rate > 1000.0 {
        return Err(invalid(
            name,
            format!("{rate} is not a frame rate (0 to 1000 per second)"),
        ));
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked: 0 < rate ≤ 1000, ×1001 at most"
    )]
    let to_u32 = |v: f64| v.round() as u32;
    if (rate - rate.round()).abs() < 1e-9 {
        return Ok((to_u32(rate), 1));
    }
    let ntsc = rate * 1001.0 / 1000.0;
    if (ntsc - ntsc.round()).abs() < 1e-6 {
        return Ok((to_u32(ntsc) * 1000, 1001));
    }
    let milli = to_u32(rate * 1000.0);
    if milli == 0 {
        return Err(invalid(name, format!("{rate} is too small")));
    }
    Ok((milli, 1000))
}

/// A bit rate in FFmpeg's spelling (`2500000`, `2500k`, `2.5M`).
pub fn bit_rate(name: &'static str, text: &str) -> Result<u32> {
    let t = text.trim();
    let (number, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('m' | 'M') => (&t[..t.len() - 1], 1e6),
        _ => (t, 1.0),
    };
    number
        .parse::<f64>()
        .ok()
        .map(|v| v * scale)
        .filter(|v| v.is_finite() && *v >= 1.0 && *v <= f64::from(u32::MAX))
        .map(|v| {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "checked: 1 ≤ v ≤ u32::MAX"
            )]
            let bps = v.round() as u32;
            bps
        })
        .ok_or_else(|| {
            invalid(
                name,
                format!("{text:?} is not a bit rate (e.g. 2500000, 2500k, 2.5M)"),
            )
        })
}

pub fn integer(name: &'static str, text: &str, min: i64, max: i64) -> Result<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            invalid(
                name,
                format!("{text:?} is not a whole number from {min} to {max}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_bit_rates_parse_as_ffmpeg_spells_them() -> Result<()> {
        assert_eq!(rational("r", 30.0)?, (30, 1));
        assert_eq!(rational("r", 30000.0 / 1001.0)?, (30000, 1001));
        assert_eq!(rational("r", 12.5)?, (12500, 1000));
        assert!(rational("r", f64::NAN).is_err());
        assert_eq!(bit_rate("b", "2.5M")?, 2_500_000);
        assert_eq!(bit_rate("b", "800k")?, 800_000);
        assert!(bit_rate("b", "fast").is_err());
        Ok(())
    }
}
