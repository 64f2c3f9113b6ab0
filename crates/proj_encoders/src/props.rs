//! The property sets of the spec (`*DgpuProps`, `*JetsonProps`,
//! `JpegProps`, `PngProps`) and our CPU sets, each field optional and
//! range-checked by `check()` when a config is built.

use proj_gstreamer::Codec;

use crate::error::{in_range, invalid};
use crate::{
    CpuPreset, DgpuPreset, H264Profile, HevcProfile, JetsonPresetLevel, Platform, RateControl,
    Result, TuningPreset,
};

/// The largest bitrate a set may ask for, in bit/s (far beyond what any
/// encoder here reaches: NVENC tops out near 800 Mbit/s).
pub const MAX_BITRATE: u32 = 2_000_000_000;

/// `qp-range` of NVENC and Jetson: `"MinQpP,MaxQpP:MinQpI,MaxQpI:MinQpB,MaxQpB"`
/// (NVIDIA's parser's form), each −1 (unset) or 0..51, min ≤ max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QpRange {
    /// (min, max) for P, I and B frames.
    pub p: (i32, i32),
    pub i: (i32, i32),
    pub b: (i32, i32),
}

impl QpRange {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |reason: &str| {
            invalid(
                "qpRange",
                format!(
                    "{reason} in {text:?} (expected \"MinQpP,MaxQpP:MinQpI,MaxQpI:MinQpB,MaxQpB\")"
                ),
            )
        };
        let pairs = text
            .split(':')
            .map(|pair| {
                let numbers = pair
                    .split(',')
                    .map(|n| n.trim().parse::<i32>().map_err(|_| bad("not a number")))
                    .collect::<Result<Vec<_>>>()?;
                match numbers[..] {
                    [min, max] => Ok((min, max)),
                    _ => Err(bad("a pair is not two numbers")),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let [p, i, b] = pairs[..] else {
            return Err(bad("not three pairs"));
        };
        for (min, max) in [p, i, b] {
            if !(-1..=51).contains(&min) || !(-1..=51).contains(&max) {
                return Err(bad("a QP is outside -1..51"));
            }
            if min >= 0 && max >= 0 && min > max {
                return Err(bad("a minimum is above its maximum"));
            }
        }
        Ok(Self { p, i, b })
    }

    pub fn text(&self) -> String {
        let (p, i, b) = (self.p, self.i, self.b);
        format!("{},{}:{},{}:{},{}", p.0, p.1, i.0, i.1, b.0, b.1)
    }
}

/// `constqp` / `initqp`: `"I:P:B"`, each 0..51.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qps {
    pub i: u32,
    pub p: u32,
    pub b: u32,
}

impl Qps {
    pub fn parse(field: &'static str, text: &str) -> Result<Self> {
        let numbers = text
            .split(':')
            .map(|n| n.trim().parse::<u32>().ok().filter(|q| *q <= 51))
            .collect::<Option<Vec<_>>>();
        match numbers.as_deref() {
            Some(&[i, p, b]) => Ok(Self { i, p, b }),
            _ => Err(invalid(
                field,
                format!("expected \"I:P:B\" with each QP 0..51, got {text:?}"),
            )),
        }
    }

    pub fn text(&self) -> String {
        format!("{}:{}:{}", self.i, self.p, self.b)
    }
}

fn bitrate(field: &'static str, value: Option<u32>) -> Result<()> {
    in_range(field, value, 1_000, MAX_BITRATE)
}

fn interval(field: &'static str, value: Option<u32>) -> Result<()> {
    in_range(field, value, 1, 100_000)
}

/// NVENC (dGPU) properties of H.264 and HEVC (`H264DgpuProps`,
/// `HevcDgpuProps`); `profile` holds the codec's profile name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DgpuProps {
    /// bit/s.
    pub bitrate: Option<u32>,
    pub control_rate: Option<RateControl>,
    pub h264_profile: Option<H264Profile>,
    pub hevc_profile: Option<HevcProfile>,
    pub iframeinterval: Option<u32>,
    pub idrinterval: Option<u32>,
    pub preset: Option<DgpuPreset>,
    pub tuning_info: Option<TuningPreset>,
    pub qp_range: Option<QpRange>,
    pub const_qp: Option<Qps>,
    pub init_qp: Option<Qps>,
    /// bit/s.
    pub max_bitrate: Option<u32>,
    /// bits.
    pub vbv_buf_size: Option<u32>,
    /// bits.
    pub vbv_init: Option<u32>,
    pub cq: Option<u32>,
    pub aq: Option<u32>,
    pub temporal_aq: Option<bool>,
    pub extended_colorformat: Option<bool>,
}

impl DgpuProps {
    pub fn check(&self) -> Result<()> {
        bitrate("bitrate", self.bitrate)?;
        bitrate("maxBitrate", self.max_bitrate)?;
        interval("iframeinterval", self.iframeinterval)?;
        interval("idrinterval", self.idrinterval)?;
        in_range("vbvBufSize", self.vbv_buf_size, 1, MAX_BITRATE)?;
        in_range("vbvInit", self.vbv_init, 1, MAX_BITRATE)?;
        in_range("cq", self.cq, 0, 51)?;
        in_range("aq", self.aq, 0, 15)?;
        if let (Some(max), Some(rate)) = (self.max_bitrate, self.bitrate) {
            if max < rate {
                return Err(invalid(
                    "maxBitrate",
                    format!("{max} is below bitrate {rate}"),
                ));
            }
        }
        if self.const_qp.is_some() && self.control_rate != Some(RateControl::ConstantQp) {
            return Err(invalid(
                "constQp",
                "applies with controlRate constant_qp only",
            ));
        }
        Ok(())
    }
}

/// `Av1DgpuProps`: the dGPU fields AV1 has (no profile, const/init QP or
/// extended colour format).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Av1DgpuProps {
    pub bitrate: Option<u32>,
    pub control_rate: Option<RateControl>,
    pub iframeinterval: Option<u32>,
    pub idrinterval: Option<u32>,
    pub preset: Option<DgpuPreset>,
    pub tuning_info: Option<TuningPreset>,
    pub qp_range: Option<QpRange>,
    pub max_bitrate: Option<u32>,
    pub vbv_buf_size: Option<u32>,
    pub vbv_init: Option<u32>,
    pub cq: Option<u32>,
    pub aq: Option<u32>,
    pub temporal_aq: Option<bool>,
}

impl Av1DgpuProps {
    /// The same fields as H.264's, checked the same way.
    pub fn as_dgpu(&self) -> DgpuProps {
        DgpuProps {
            bitrate: self.bitrate,
            control_rate: self.control_rate,
            iframeinterval: self.iframeinterval,
            idrinterval: self.idrinterval,
            preset: self.preset,
            tuning_info: self.tuning_info,
            qp_range: self.qp_range,
            max_bitrate: self.max_bitrate,
            vbv_buf_size: self.vbv_buf_size,
            vbv_init: self.vbv_init,
            cq: self.cq,
            aq: self.aq,
            temporal_aq: self.temporal_aq,
            ..DgpuProps::default()
        }
    }
}

/// Jetson (`nvv4l2*enc`) fields all three codecs share.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JetsonProps {
    pub bitrate: Option<u32>,
    /// Variable or constant bitrate: Jetson has no constant-QP mode (use
    /// `ratecontrol_enable: false` with the `quant_*` fields).
    pub control_rate: Option<RateControl>,
    pub iframeinterval: Option<u32>,
    pub idrinterval: Option<u32>,
    pub preset_level: Option<JetsonPresetLevel>,
    pub peak_bitrate: Option<u32>,
    pub vbv_size: Option<u32>,
    pub qp_range: Option<QpRange>,
    pub quant_i_frames: Option<u32>,
    pub quant_p_frames: Option<u32>,
    pub ratecontrol_enable: Option<bool>,
    pub maxperf_enable: Option<bool>,
    pub two_pass_cbr: Option<bool>,
    pub num_ref_frames: Option<u32>,
}

impl JetsonProps {
    pub fn check(&self) -> Result<()> {
        bitrate("bitrate", self.bitrate)?;
        bitrate("peakBitrate", self.peak_bitrate)?;
        in_range("vbvSize", self.vbv_size, 1, MAX_BITRATE)?;
        interval("iframeinterval", self.iframeinterval)?;
        interval("idrinterval", self.idrinterval)?;
        in_range("quantIFrames", self.quant_i_frames, 0, 51)?;
        in_range("quantPFrames", self.quant_p_frames, 0, 51)?;
        in_range("numRefFrames", self.num_ref_frames, 0, 8)?;
        if self.control_rate == Some(RateControl::ConstantQp) {
            return Err(invalid(
                "controlRate",
                "Jetson has no constant_qp: set ratecontrolEnable false and quantIFrames/quantPFrames",
            ));
        }
        Ok(())
    }
}

/// `H264JetsonProps`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct H264JetsonProps {
    pub common: JetsonProps,
    pub profile: Option<H264Profile>,
    pub insert_sps_pps: Option<bool>,
    pub insert_aud: Option<bool>,
    pub insert_vui: Option<bool>,
    pub disable_cabac: Option<bool>,
}

/// `HevcJetsonProps`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HevcJetsonProps {
    pub common: JetsonProps,
    pub profile: Option<HevcProfile>,
    pub enable_lossless: Option<bool>,
}

/// `Av1JetsonProps`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Av1JetsonProps {
    pub common: JetsonProps,
    pub quant_b_frames: Option<u32>,
    pub insert_seq_hdr: Option<bool>,
    /// `"Log2Rows,Log2Cols"`, each 0..6.
    pub tiles: Option<(u32, u32)>,
}

impl Av1JetsonProps {
    pub fn parse_tiles(text: &str) -> Result<(u32, u32)> {
        let parts = text
            .split(',')
            .map(|n| n.trim().parse::<u32>().ok().filter(|v| *v <= 6))
            .collect::<Option<Vec<_>>>();
        match parts.as_deref() {
            Some(&[rows, cols]) => Ok((rows, cols)),
            _ => Err(invalid(
                "tiles",
                format!("expected \"Log2Rows,Log2Cols\" with each 0..6, got {text:?}"),
            )),
        }
    }
}

/// `JpegProps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JpegProps {
    /// 0..100 (default 85).
    pub quality: Option<u32>,
}

/// `PngProps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PngProps {
    /// 0..9 (default 6).
    pub compression_level: Option<u32>,
}

/// Our H.264 set for the CPU (x264): for users who target the CPU on
/// purpose. B-frames stay off and no frame is held (`tune=zerolatency`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct H264CpuProps {
    pub preset: Option<CpuPreset>,
    pub rate_control: Option<RateControl>,
    /// bit/s: the target (constant bitrate) or the cap (variable, with `qp`
    /// as the quality).
    pub bitrate: Option<u32>,
    /// 0..51: the constant QP, or the quality (CRF) of variable bitrate.
    pub qp: Option<u32>,
    pub keyframe_interval: Option<u32>,
    pub profile: Option<H264Profile>,
    /// 0 = automatic.
    pub threads: Option<u32>,
    /// Cisco's openh264 (BSD) instead of x264 (GPL), for users who must
    /// avoid GPL code: constrained baseline only, no constant-QP mode.
    pub openh264: Option<bool>,
    /// `false`: x264 may hold a few frames (its frame threads, as FFmpeg
    /// runs it), which encodes faster on several cores; a frame's output
    /// then comes after later frames are submitted. Default `true`
    /// (`tune=zerolatency`: each frame out before the next goes in).
    pub low_latency: Option<bool>,
}

/// Our HEVC set for the CPU (x265).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HevcCpuProps {
    pub preset: Option<CpuPreset>,
    pub rate_control: Option<RateControl>,
    pub bitrate: Option<u32>,
    pub qp: Option<u32>,
    pub keyframe_interval: Option<u32>,
    pub profile: Option<HevcProfile>,
    pub threads: Option<u32>,
}

/// Our AV1 set for the CPU (libaom's av1enc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Av1CpuProps {
    /// 0 (slowest) ..10 (fastest); default 8.
    pub cpu_used: Option<u32>,
    pub rate_control: Option<RateControl>,
    pub bitrate: Option<u32>,
    /// 0..63, AV1's scale.
    pub min_quantizer: Option<u32>,
    pub max_quantizer: Option<u32>,
    pub keyframe_interval: Option<u32>,
    pub threads: Option<u32>,
}

fn check_cpu(
    rate_control: Option<RateControl>,
    bitrate_bps: Option<u32>,
    qp: Option<u32>,
    keyframe_interval: Option<u32>,
    threads: Option<u32>,
) -> Result<()> {
    bitrate("bitrate", bitrate_bps)?;
    in_range("qp", qp, 0, 51)?;
    interval("keyframeInterval", keyframe_interval)?;
    in_range("threads", threads, 0, 256)?;
    if rate_control == Some(RateControl::ConstantQp) && qp.is_none() {
        return Err(invalid("qp", "constant_qp needs a qp"));
    }
    Ok(())
}

/// A property set of the spec (or one of ours for the CPU).
#[derive(Debug, Clone, PartialEq)]
pub enum EncoderProperties {
    H264Dgpu(DgpuProps),
    HevcDgpu(DgpuProps),
    Av1Dgpu(Av1DgpuProps),
    H264Jetson(H264JetsonProps),
    HevcJetson(HevcJetsonProps),
    Av1Jetson(Av1JetsonProps),
    Jpeg(JpegProps),
    Png(PngProps),
    H264Cpu(H264CpuProps),
    HevcCpu(HevcCpuProps),
    Av1Cpu(Av1CpuProps),
}

impl EncoderProperties {
    pub fn codec(&self) -> Codec {
        match self {
            Self::H264Dgpu(_) | Self::H264Jetson(_) | Self::H264Cpu(_) => Codec::H264,
            Self::HevcDgpu(_) | Self::HevcJetson(_) | Self::HevcCpu(_) => Codec::Hevc,
            Self::Av1Dgpu(_) | Self::Av1Jetson(_) | Self::Av1Cpu(_) => Codec::Av1,
            Self::Jpeg(_) => Codec::Jpeg,
            Self::Png(_) => Codec::Png,
        }
    }

    /// The hardware the set is written for; `None` for sets any machine
    /// runs (JPEG, PNG, the CPU sets).
    pub fn platform(&self) -> Option<Platform> {
        match self {
            Self::H264Dgpu(_) | Self::HevcDgpu(_) | Self::Av1Dgpu(_) => Some(Platform::Dgpu),
            Self::H264Jetson(_) | Self::HevcJetson(_) | Self::Av1Jetson(_) => {
                Some(Platform::Jetson)
            }
            _ => None,
        }
    }

    /// The spec's name of the set (`h264Dgpu`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::H264Dgpu(_) => "h264Dgpu",
            Self::HevcDgpu(_) => "hevcDgpu",
            Self::Av1Dgpu(_) => "av1Dgpu",
            Self::H264Jetson(_) => "h264Jetson",
            Self::HevcJetson(_) => "hevcJetson",
            Self::Av1Jetson(_) => "av1Jetson",
            Self::Jpeg(_) => "jpeg",
            Self::Png(_) => "png",
            Self::H264Cpu(_) => "h264Cpu",
            Self::HevcCpu(_) => "hevcCpu",
            Self::Av1Cpu(_) => "av1Cpu",
        }
    }

    /// Every field in range, and the fields consistent with each other.
    pub fn check(&self) -> Result<()> {
        match self {
            Self::H264Dgpu(p) => {
                if p.hevc_profile.is_some() {
                    return Err(invalid("profile", "an HEVC profile in an H.264 set"));
                }
                p.check()
            }
            Self::HevcDgpu(p) => {
                if p.h264_profile.is_some() {
                    return Err(invalid("profile", "an H.264 profile in an HEVC set"));
                }
                p.check()
            }
            Self::Av1Dgpu(p) => p.as_dgpu().check(),
            Self::H264Jetson(p) => p.common.check(),
            Self::HevcJetson(p) => p.common.check(),
            Self::Av1Jetson(p) => {
                in_range("quantBFrames", p.quant_b_frames, 0, 51)?;
                p.common.check()
            }
            Self::Jpeg(p) => in_range("quality", p.quality, 0, 100),
            Self::Png(p) => in_range("compressionLevel", p.compression_level, 0, 9),
            Self::H264Cpu(p) => check_cpu(
                p.rate_control,
                p.bitrate,
                p.qp,
                p.keyframe_interval,
                p.threads,
            ),
            Self::HevcCpu(p) => check_cpu(
                p.rate_control,
                p.bitrate,
                p.qp,
                p.keyframe_interval,
                p.threads,
            ),
            Self::Av1Cpu(p) => {
                in_range("cpuUsed", p.cpu_used, 0, 10)?;
                in_range("minQuantizer", p.min_quantizer, 0, 63)?;
                in_range("maxQuantizer", p.max_quantizer, 0, 63)?;
                if let (Some(min), Some(max)) = (p.min_quantizer, p.max_quantizer) {
                    if min > max {
                        return Err(invalid(
                            "minQuantizer",
                            format!("{min} is above maxQuantizer {max}"),
                        ));
                    }
                }
                check_cpu(
                    p.rate_control,
                    p.bitrate,
                    None,
                    p.keyframe_interval,
                    p.threads,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_strings_parse_in_nvidias_form_and_refuse_the_rest() -> Result<()> {
        let range = QpRange::parse("10,40:5,35:-1,-1")?;
        assert_eq!((range.p, range.i, range.b), ((10, 40), (5, 35), (-1, -1)));
        assert_eq!(range.text(), "10,40:5,35:-1,-1");
        for bad in [
            "10:40",
            "10,40:5,35",
            "40,10:5,35:0,51",
            "0,52:0,51:0,51",
            "a,b:c,d:e,f",
        ] {
            assert!(QpRange::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Qps::parse("constQp", "20:24:28")?.text(), "20:24:28");
        assert!(Qps::parse("constQp", "20:24").is_err());
        assert!(Qps::parse("constQp", "20:24:99").is_err());
        assert_eq!(Av1JetsonProps::parse_tiles("1,0")?, (1, 0));
        assert!(Av1JetsonProps::parse_tiles("7,0").is_err());
        Ok(())
    }

    #[test]
    fn fields_out_of_range_are_errors() {
        let dgpu = |p: DgpuProps| EncoderProperties::H264Dgpu(p).check();
        assert!(dgpu(DgpuProps {
            cq: Some(52),
            ..DgpuProps::default()
        })
        .is_err());
        assert!(dgpu(DgpuProps {
            aq: Some(16),
            ..DgpuProps::default()
        })
        .is_err());
        assert!(dgpu(DgpuProps {
            bitrate: Some(10),
            ..DgpuProps::default()
        })
        .is_err());
        assert!(dgpu(DgpuProps {
            bitrate: Some(4_000_000),
            max_bitrate: Some(1_000_000),
            ..DgpuProps::default()
        })
        .is_err());
        assert!(dgpu(DgpuProps {
            hevc_profile: Some(HevcProfile::Main),
            ..DgpuProps::default()
        })
        .is_err());
        let jetson = JetsonProps {
            control_rate: Some(RateControl::ConstantQp),
            ..JetsonProps::default()
        };
        assert!(EncoderProperties::H264Jetson(H264JetsonProps {
            common: jetson,
            ..H264JetsonProps::default()
        })
        .check()
        .is_err());
        assert!(EncoderProperties::Jpeg(JpegProps { quality: Some(101) })
            .check()
            .is_err());
        assert!(EncoderProperties::Png(PngProps {
            compression_level: Some(10)
        })
        .check()
        .is_err());
        assert!(EncoderProperties::Av1Cpu(Av1CpuProps {
            min_quantizer: Some(40),
            max_quantizer: Some(20),
            ..Av1CpuProps::default()
        })
        .check()
        .is_err());
        assert!(EncoderProperties::Jpeg(JpegProps { quality: Some(100) })
            .check()
            .is_ok());
    }
}
