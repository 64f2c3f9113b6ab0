//! The spec's encoder enums (and our CPU preset). Names are lower
//! snake_case, the toolkit's rule; `from_name` takes any case and `-` or
//! `_`, so the seed's spellings (`VARIABLE_BITRATE`, `P4`) parse too.

use crate::{EncodersError, Result};

macro_rules! named {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Parses a name in any case, with `-` or `_`.
            pub fn from_name(name: &str) -> Result<Self> {
                let folded = name.trim().to_ascii_lowercase().replace('-', "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name() == folded)
                    .ok_or_else(|| EncodersError::UnknownName {
                        what: $what,
                        name: name.to_owned(),
                        expected: Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

named!(
    /// Where hardware encoding runs: a discrete GPU's NVENC or a Jetson's.
    Platform, "platform", { Dgpu = "dgpu", Jetson = "jetson" }
);

named!(
    /// Rate control of the spec (`control-rate` 0/1/2).
    RateControl, "rate control", {
        VariableBitrate = "variable_bitrate",
        ConstantBitrate = "constant_bitrate",
        ConstantQp = "constant_qp",
    }
);

named!(
    /// NVENC presets P1 (fastest) to P7 (best quality).
    DgpuPreset, "dGPU preset", {
        P1 = "p1", P2 = "p2", P3 = "p3", P4 = "p4", P5 = "p5", P6 = "p6", P7 = "p7",
    }
);

named!(
    /// NVENC tuning (`tuning-info-id` 1..4).
    TuningPreset, "tuning preset", {
        HighQuality = "high_quality",
        LowLatency = "low_latency",
        UltraLowLatency = "ultra_low_latency",
        Lossless = "lossless",
    }
);

named!(
    H264Profile, "H.264 profile", {
        Baseline = "baseline", Main = "main", High = "high", High444 = "high444",
    }
);

named!(
    HevcProfile, "HEVC profile", { Main = "main", Main10 = "main10", Frext = "frext" }
);

named!(
    /// Jetson's `preset-level` 0..4.
    JetsonPresetLevel, "Jetson preset level", {
        Disabled = "disabled", UltraFast = "ultra_fast", Fast = "fast", Medium = "medium", Slow = "slow",
    }
);

named!(
    /// x264's and x265's speed presets, fastest first (ours: the spec has no
    /// CPU sets).
    CpuPreset, "CPU preset", {
        Ultrafast = "ultrafast", Superfast = "superfast", Veryfast = "veryfast", Faster = "faster",
        Fast = "fast", Medium = "medium", Slow = "slow", Slower = "slower", Veryslow = "veryslow",
    }
);

impl DgpuPreset {
    /// 1..7.
    pub fn number(self) -> u32 {
        match self {
            Self::P1 => 1,
            Self::P2 => 2,
            Self::P3 => 3,
            Self::P4 => 4,
            Self::P5 => 5,
            Self::P6 => 6,
            Self::P7 => 7,
        }
    }
}

impl CpuPreset {
    /// The x264/x265 preset closest in speed to an NVENC preset (a
    /// suggestion: the scales differ): P1-P3 ultrafast, P4 superfast, P5
    /// veryfast, P6 faster, P7 fast.
    pub fn for_dgpu(preset: DgpuPreset) -> Self {
        match preset {
            DgpuPreset::P1 | DgpuPreset::P2 | DgpuPreset::P3 => Self::Ultrafast,
            DgpuPreset::P4 => Self::Superfast,
            DgpuPreset::P5 => Self::Veryfast,
            DgpuPreset::P6 => Self::Faster,
            DgpuPreset::P7 => Self::Fast,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_the_seeds_spelling_and_ours() -> Result<()> {
        assert_eq!(
            RateControl::from_name("VARIABLE_BITRATE")?,
            RateControl::VariableBitrate
        );
        assert_eq!(
            TuningPreset::from_name("ultra-low-latency")?,
            TuningPreset::UltraLowLatency
        );
        assert_eq!(DgpuPreset::from_name("P7")?.number(), 7);
        assert_eq!(
            JetsonPresetLevel::from_name("ULTRA_FAST")?,
            JetsonPresetLevel::UltraFast
        );
        assert!(matches!(
            H264Profile::from_name("extended"),
            Err(EncodersError::UnknownName { .. })
        ));
        for p in DgpuPreset::ALL {
            assert_eq!(DgpuPreset::from_name(p.name())?, *p);
        }
        Ok(())
    }
}
