//! A property set onto the CPU encoders (x264enc, x265enc, av1enc,
//! jpegenc, pngenc): what each field becomes, and which fields the element
//! cannot honour (reported when the CPU stands in for NVENC, never dropped
//! silently). The traps of `facts/encoders.md` are always set: no B-frames
//! and no frame held (`tune=zerolatency`), a strict GOP (`scenecut=0`),
//! HEVC keyframes as IDR with their headers, and av1enc's `max-quantizer`
//! (libaom aborts the process without it in CBR).

use proj_gstreamer::Codec;

use crate::plan::{Backend, Plan};
use crate::props::{Av1CpuProps, H264CpuProps, HevcCpuProps, JetsonProps, QpRange, Qps};
use crate::{
    CpuPreset, DgpuPreset, DgpuProps, EncoderProperties, H264Profile, HevcProfile,
    JetsonPresetLevel, RateControl, Result, TuningPreset,
};

/// What every field of any set says, in one shape (the CPU's view).
#[derive(Debug)]
struct Wanted {
    preset: Option<CpuPreset>,
    cpu_used: Option<u32>,
    rate_control: Option<RateControl>,
    bitrate: Option<u32>,
    max_bitrate: Option<u32>,
    /// Constant QP (P frames), or CRF with variable bitrate.
    qp: Option<u32>,
    cq: Option<u32>,
    qp_range: Option<(u32, u32)>,
    av1_quantizers: (Option<u32>, Option<u32>),
    keyframe_interval: Option<u32>,
    vbv_bits: Option<u32>,
    vbv_init_bits: Option<u32>,
    h264_profile: Option<H264Profile>,
    hevc_profile: Option<HevcProfile>,
    threads: Option<u32>,
    /// openh264enc instead of x264enc.
    openh264: bool,
    /// x264 with `tune=zerolatency` (no frame held).
    low_latency: bool,
    /// x264 switches the H.264 Jetson set carries.
    x264_flags: Vec<(&'static str, String)>,
    /// The set's own names of the fields mapped from several spellings.
    max_bitrate_field: &'static str,
    vbv_field: &'static str,
    unmapped: Vec<&'static str>,
}

impl Default for Wanted {
    fn default() -> Self {
        Self {
            preset: None,
            cpu_used: None,
            rate_control: None,
            bitrate: None,
            max_bitrate: None,
            qp: None,
            cq: None,
            qp_range: None,
            av1_quantizers: (None, None),
            keyframe_interval: None,
            vbv_bits: None,
            vbv_init_bits: None,
            h264_profile: None,
            hevc_profile: None,
            threads: None,
            openh264: false,
            low_latency: true,
            x264_flags: Vec::new(),
            max_bitrate_field: "maxBitrate",
            vbv_field: "vbvBufSize",
            unmapped: Vec::new(),
        }
    }
}

fn qp_pair(range: QpRange) -> Option<(u32, u32)> {
    let (min, max) = range.p;
    Some((u32::try_from(min).ok()?, u32::try_from(max).ok()?))
}

impl Wanted {
    /// Lists `field` as one the encoder cannot honour, if it is `set`.
    fn unmapped_if(&mut self, set: bool, field: &'static str) {
        if set {
            self.unmapped.push(field);
        }
    }

    fn from_dgpu(p: &DgpuProps) -> Self {
        let mut w = Self {
            preset: p.preset.map(CpuPreset::for_dgpu),
            cpu_used: p.preset.map(DgpuPreset::cpu_used),
            rate_control: p.control_rate,
            bitrate: p.bitrate,
            max_bitrate: p.max_bitrate,
            qp: p.const_qp.map(|q: Qps| q.p),
            cq: p.cq,
            qp_range: p.qp_range.and_then(qp_pair),
            keyframe_interval: p.iframeinterval,
            vbv_bits: p.vbv_buf_size,
            vbv_init_bits: p.vbv_init,
            h264_profile: p.h264_profile,
            hevc_profile: p.hevc_profile,
            ..Self::default()
        };
        w.unmapped_if(p.idrinterval.is_some(), "idrinterval");
        w.unmapped_if(p.init_qp.is_some(), "initQp");
        w.unmapped_if(p.aq.is_some(), "aq");
        w.unmapped_if(p.temporal_aq.is_some(), "temporalAq");
        w.unmapped_if(p.extended_colorformat.is_some(), "extendedColorformat");
        w.unmapped_if(
            matches!(
                p.tuning_info,
                Some(TuningPreset::HighQuality | TuningPreset::Lossless)
            ),
            "tuningInfo",
        );
        w
    }

    fn from_jetson(p: &JetsonProps) -> Self {
        let constant_qp = p.ratecontrol_enable == Some(false);
        let mut w = Self {
            preset: p.preset_level.map(|level| match level {
                JetsonPresetLevel::Disabled | JetsonPresetLevel::UltraFast => CpuPreset::Ultrafast,
                JetsonPresetLevel::Fast => CpuPreset::Superfast,
                JetsonPresetLevel::Medium => CpuPreset::Veryfast,
                JetsonPresetLevel::Slow => CpuPreset::Faster,
            }),
            rate_control: if constant_qp {
                Some(RateControl::ConstantQp)
            } else {
                p.control_rate
            },
            bitrate: p.bitrate,
            max_bitrate: p.peak_bitrate,
            qp: if constant_qp { p.quant_p_frames } else { None },
            qp_range: p.qp_range.and_then(qp_pair),
            keyframe_interval: p.iframeinterval,
            vbv_bits: p.vbv_size,
            max_bitrate_field: "peakBitrate",
            vbv_field: "vbvSize",
            ..Self::default()
        };
        w.unmapped_if(p.idrinterval.is_some(), "idrinterval");
        w.unmapped_if(p.maxperf_enable.is_some(), "maxperfEnable");
        w.unmapped_if(p.two_pass_cbr.is_some(), "twoPassCbr");
        w.unmapped_if(p.quant_i_frames.is_some(), "quantIFrames");
        w.unmapped_if(p.quant_p_frames.is_some() && !constant_qp, "quantPFrames");
        w
    }

    fn from_h264_cpu(p: &H264CpuProps) -> Self {
        Self {
            preset: p.preset,
            rate_control: p.rate_control,
            bitrate: p.bitrate,
            qp: p.qp,
            keyframe_interval: p.keyframe_interval,
            h264_profile: p.profile,
            threads: p.threads,
            openh264: p.openh264 == Some(true),
            low_latency: p.low_latency != Some(false),
            ..Self::default()
        }
    }

    fn from_hevc_cpu(p: &HevcCpuProps) -> Self {
        Self {
            preset: p.preset,
            rate_control: p.rate_control,
            bitrate: p.bitrate,
            qp: p.qp,
            keyframe_interval: p.keyframe_interval,
            hevc_profile: p.profile,
            threads: p.threads,
            ..Self::default()
        }
    }

    fn from_av1_cpu(p: &Av1CpuProps) -> Self {
        Self {
            cpu_used: p.cpu_used,
            rate_control: p.rate_control,
            bitrate: p.bitrate,
            av1_quantizers: (p.min_quantizer, p.max_quantizer),
            keyframe_interval: p.keyframe_interval,
            threads: p.threads,
            ..Self::default()
        }
    }
}

/// The default keyframe interval (frames): DeepStream's `iframeinterval`.
const KEYFRAME_INTERVAL: u32 = 30;

fn kbit(bps: u32) -> String {
    (bps.div_ceil(1000)).to_string()
}

/// The CPU encoder for `codec` with `props` (of that codec; checked by the
/// config) mapped onto it.
pub fn cpu_encoder(codec: Codec, props: Option<&EncoderProperties>) -> Result<Plan> {
    let mut w = match props {
        None => Wanted::default(),
        Some(EncoderProperties::H264Dgpu(p) | EncoderProperties::HevcDgpu(p)) => {
            Wanted::from_dgpu(p)
        }
        Some(EncoderProperties::Av1Dgpu(p)) => Wanted::from_dgpu(&p.as_dgpu()),
        Some(EncoderProperties::H264Jetson(p)) => {
            let mut w = Wanted::from_jetson(&p.common);
            w.h264_profile = p.profile;
            // x264 in byte-stream mode repeats SPS/PPS at every IDR.
            if p.insert_sps_pps == Some(false) {
                w.unmapped.push("insertSpsPps");
            }
            if let Some(aud) = p.insert_aud {
                w.x264_flags.push(("aud", aud.to_string()));
            }
            if let Some(vui) = p.insert_vui {
                w.x264_flags.push(("insert-vui", vui.to_string()));
            }
            if let Some(off) = p.disable_cabac {
                w.x264_flags.push(("cabac", (!off).to_string()));
            }
            match p.common.num_ref_frames {
                Some(n @ 1..) => w.x264_flags.push(("ref", n.to_string())),
                Some(0) => w.unmapped.push("numRefFrames"),
                None => {}
            }
            w
        }
        Some(EncoderProperties::HevcJetson(p)) => {
            let mut w = Wanted::from_jetson(&p.common);
            if p.common.num_ref_frames.is_some() {
                w.unmapped.push("numRefFrames");
            }
            w.hevc_profile = p.profile;
            if p.enable_lossless.is_some() {
                w.unmapped.push("enableLossless");
            }
            w
        }
        Some(EncoderProperties::Av1Jetson(p)) => {
            let mut w = Wanted::from_jetson(&p.common);
            for (set, field) in [
                (p.common.num_ref_frames.is_some(), "numRefFrames"),
                (p.quant_b_frames.is_some(), "quantBFrames"),
                (p.insert_seq_hdr.is_some(), "insertSeqHdr"),
                (p.tiles.is_some(), "tiles"),
            ] {
                w.unmapped_if(set, field);
            }
            w
        }
        Some(EncoderProperties::H264Cpu(p)) => Wanted::from_h264_cpu(p),
        Some(EncoderProperties::HevcCpu(p)) => Wanted::from_hevc_cpu(p),
        Some(EncoderProperties::Av1Cpu(p)) => Wanted::from_av1_cpu(p),
        Some(EncoderProperties::Jpeg(p)) => {
            let mut properties = Vec::new();
            if let Some(q) = p.quality {
                properties.push(("quality", q.to_string()));
            }
            return Ok(Plan {
                backend: Backend::Cpu,
                element: "jpegenc",
                properties,
                profile: None,
                if_present: Vec::new(),
                unmapped: Vec::new(),
            });
        }
        Some(EncoderProperties::Png(p)) => {
            return Ok(png(p.compression_level));
        }
    };
    Ok(match codec {
        Codec::H264 if w.openh264 => openh264(&mut w),
        Codec::H264 => x264(&mut w),
        Codec::Hevc => x265(&mut w),
        Codec::Av1 => av1(&mut w),
        Codec::Jpeg => Plan {
            backend: Backend::Cpu,
            element: "jpegenc",
            properties: Vec::new(),
            profile: None,
            if_present: Vec::new(),
            unmapped: w.unmapped,
        },
        Codec::Png => png(None),
    })
}

fn png(level: Option<u32>) -> Plan {
    Plan {
        backend: Backend::Cpu,
        element: "pngenc",
        properties: level
            .map(|l| vec![("compression-level", l.to_string())])
            .unwrap_or_default(),
        profile: None,
        if_present: Vec::new(),
        unmapped: Vec::new(),
    }
}

fn x264(w: &mut Wanted) -> Plan {
    let mut p: Vec<(&'static str, String)> = vec![
        (
            "speed-preset",
            w.preset.unwrap_or(CpuPreset::Ultrafast).name().into(),
        ),
        ("bframes", "0".into()),
        ("byte-stream", "true".into()),
        (
            "key-int-max",
            w.keyframe_interval.unwrap_or(KEYFRAME_INTERVAL).to_string(),
        ),
    ];
    if w.low_latency {
        p.insert(1, ("tune", "zerolatency".into()));
    }
    // A strict GOP: keyframes exactly at the interval, none from scene cuts.
    let options = "scenecut=0";
    match w.rate_control {
        Some(RateControl::ConstantQp) => {
            p.push(("pass", "quant".into()));
            p.push(("quantizer", w.qp.unwrap_or(21).to_string()));
        }
        Some(RateControl::VariableBitrate) => {
            // Quality (CRF) with the bitrate as the cap.
            p.push(("pass", "qual".into()));
            p.push(("quantizer", w.cq.or(w.qp).unwrap_or(23).to_string()));
            if let Some(cap) = w.max_bitrate.or(w.bitrate) {
                p.push(("bitrate", kbit(cap)));
            }
        }
        Some(RateControl::ConstantBitrate) | None => {
            p.push(("pass", "cbr".into()));
            if let Some(b) = w.bitrate {
                p.push(("bitrate", kbit(b)));
            }
            if w.max_bitrate.is_some() {
                w.unmapped.push(w.max_bitrate_field);
            }
            if w.cq.is_some() {
                w.unmapped.push("cq");
            }
        }
    }
    match (w.vbv_bits, w.max_bitrate.or(w.bitrate)) {
        (Some(bits), Some(rate)) => {
            let ms = (u64::from(bits) * 1000 / u64::from(rate.max(1))).clamp(1, 10_000);
            p.push(("vbv-buf-capacity", ms.to_string()));
        }
        (Some(_), None) => w.unmapped.push(w.vbv_field),
        _ => {}
    }
    if w.vbv_init_bits.is_some() {
        w.unmapped.push("vbvInit");
    }
    if let Some((min, max)) = w.qp_range {
        p.push(("qp-min", min.to_string()));
        p.push(("qp-max", max.to_string()));
    }
    if let Some(t) = w.threads {
        p.push(("threads", t.to_string()));
    }
    p.append(&mut w.x264_flags);
    p.push(("option-string", options.into()));
    let profile = match w.h264_profile {
        Some(H264Profile::Baseline) => Some("baseline"),
        Some(H264Profile::Main) => Some("main"),
        Some(H264Profile::High) => Some("high"),
        Some(H264Profile::High444) => {
            // 4:4:4 needs Y444 input; frames go in as 4:2:0.
            w.unmapped.push("profile");
            None
        }
        None => None,
    };
    Plan {
        backend: Backend::Cpu,
        element: "x264enc",
        properties: p,
        profile,
        if_present: Vec::new(),
        unmapped: std::mem::take(&mut w.unmapped),
    }
}

/// Cisco's openh264 (BSD): constrained baseline, no B-frames, no frame held;
/// bitrates in bit/s.
fn openh264(w: &mut Wanted) -> Plan {
    let mut p: Vec<(&'static str, String)> = vec![
        (
            "gop-size",
            w.keyframe_interval.unwrap_or(KEYFRAME_INTERVAL).to_string(),
        ),
        ("usage-type", "camera".into()),
        (
            "complexity",
            match w.preset {
                None | Some(CpuPreset::Ultrafast | CpuPreset::Superfast | CpuPreset::Veryfast) => {
                    "low"
                }
                Some(CpuPreset::Faster | CpuPreset::Fast | CpuPreset::Medium) => "medium",
                Some(_) => "high",
            }
            .into(),
        ),
    ];
    match w.rate_control {
        Some(RateControl::ConstantQp) => {
            // No constant-QP mode: the QP range pinned to one value.
            let qp = w.qp.unwrap_or(26).to_string();
            p.push(("rate-control", "off".into()));
            p.push(("qp-min", qp.clone()));
            p.push(("qp-max", qp));
        }
        Some(RateControl::VariableBitrate) => p.push(("rate-control", "quality".into())),
        Some(RateControl::ConstantBitrate) | None => p.push(("rate-control", "bitrate".into())),
    }
    // openh264's own default is 128 kbit/s (27.3 dB at 642×362 here); x264's
    // 2048 kbit/s makes the two interchangeable.
    p.push(("bitrate", w.bitrate.unwrap_or(2_048_000).to_string()));
    if let Some(max) = w.max_bitrate {
        p.push(("max-bitrate", max.to_string()));
    }
    if let Some((min, max)) = w
        .qp_range
        .filter(|_| w.rate_control != Some(RateControl::ConstantQp))
    {
        p.push(("qp-min", min.to_string()));
        p.push(("qp-max", max.to_string()));
    }
    if let Some(t) = w.threads {
        p.push(("multi-thread", t.to_string()));
    }
    if matches!(w.h264_profile, Some(p) if p != H264Profile::Baseline) {
        w.unmapped.push("profile");
    }
    for (set, field) in [
        (w.vbv_bits.is_some(), w.vbv_field),
        (w.vbv_init_bits.is_some(), "vbvInit"),
        (w.cq.is_some(), "cq"),
    ] {
        w.unmapped_if(set, field);
    }
    w.x264_flags.clear();
    Plan {
        backend: Backend::Cpu,
        element: "openh264enc",
        properties: p,
        profile: None,
        if_present: Vec::new(),
        unmapped: std::mem::take(&mut w.unmapped),
    }
}

fn x265(w: &mut Wanted) -> Plan {
    let mut p: Vec<(&'static str, String)> = vec![
        (
            "speed-preset",
            w.preset.unwrap_or(CpuPreset::Ultrafast).name().into(),
        ),
        ("tune", "zerolatency".into()),
        (
            "key-int-max",
            w.keyframe_interval.unwrap_or(KEYFRAME_INTERVAL).to_string(),
        ),
    ];
    // IDR keyframes with VPS/SPS/PPS before each, and a strict GOP.
    let mut options = vec![
        "open-gop=0".to_owned(),
        "repeat-headers=1".to_owned(),
        "scenecut=0".to_owned(),
    ];
    match w.rate_control {
        Some(RateControl::ConstantQp) => p.push(("qp", w.qp.unwrap_or(28).to_string())),
        Some(RateControl::VariableBitrate) => {
            if let Some(b) = w.bitrate {
                p.push(("bitrate", kbit(b)));
            }
            if let Some(crf) = w.cq.or(w.qp) {
                options.push(format!("crf={crf}"));
            }
            if let Some(max) = w.max_bitrate {
                options.push(format!("vbv-maxrate={}", kbit(max)));
            }
        }
        Some(RateControl::ConstantBitrate) | None => {
            if let Some(b) = w.bitrate {
                p.push(("bitrate", kbit(b)));
                if w.rate_control.is_some() {
                    options.push(format!("vbv-maxrate={}", kbit(b)));
                    options.push("strict-cbr=1".into());
                }
            }
            if w.max_bitrate.is_some() {
                w.unmapped.push(w.max_bitrate_field);
            }
            if w.cq.is_some() {
                w.unmapped.push("cq");
            }
        }
    }
    // x265 refuses a vbv-maxrate without a vbv-bufsize ("Can not initialize
    // x265 encoder"): one second of the cap unless the set gives one.
    let cap = options
        .iter()
        .find_map(|o| o.strip_prefix("vbv-maxrate=").map(str::to_owned));
    match (w.vbv_bits, cap) {
        (Some(bits), _) => options.push(format!("vbv-bufsize={}", kbit(bits))),
        (None, Some(cap)) => options.push(format!("vbv-bufsize={cap}")),
        (None, None) => {}
    }
    if let Some(bits) = w.vbv_init_bits {
        options.push(format!("vbv-init={}", kbit(bits)));
    }
    if let Some((min, max)) = w.qp_range {
        options.push(format!("qpmin={min}"));
        options.push(format!("qpmax={max}"));
    }
    if let Some(t) = w.threads.filter(|t| *t > 0) {
        options.push(format!("pools={t}"));
        options.push("frame-threads=1".into());
    }
    p.push(("option-string", options.join(":")));
    let profile = match w.hevc_profile {
        Some(HevcProfile::Main) => Some("main"),
        Some(HevcProfile::Main10 | HevcProfile::Frext) => {
            // 10-bit and 4:4:4 need such input; frames go in as 8-bit 4:2:0.
            w.unmapped.push("profile");
            None
        }
        None => None,
    };
    Plan {
        backend: Backend::Cpu,
        element: "x265enc",
        properties: p,
        profile,
        if_present: Vec::new(),
        unmapped: std::mem::take(&mut w.unmapped),
    }
}

/// A QP on H.264's 0..51 scale onto AV1's 0..63.
fn av1_q(qp: u32) -> u32 {
    (qp * 63).div_ceil(51).min(63)
}

fn av1(w: &mut Wanted) -> Plan {
    let (mut min_q, mut max_q) = match (w.av1_quantizers, w.qp_range) {
        ((None, None), Some((min, max))) => (av1_q(min), av1_q(max)),
        ((min, max), _) => (min.unwrap_or(0), max.unwrap_or(63)),
    };
    let mut p: Vec<(&'static str, String)> = vec![
        ("usage-profile", "realtime".into()),
        ("cpu-used", w.cpu_used.unwrap_or(8).to_string()),
        ("lag-in-frames", "0".into()),
        ("row-mt", "true".into()),
        (
            "keyframe-max-dist",
            w.keyframe_interval.unwrap_or(KEYFRAME_INTERVAL).to_string(),
        ),
    ];
    match w.rate_control {
        Some(RateControl::ConstantQp) => {
            let q = av1_q(w.qp.unwrap_or(28));
            (min_q, max_q) = (q, q);
            p.push(("end-usage", "q".into()));
        }
        Some(RateControl::ConstantBitrate) => p.push(("end-usage", "cbr".into())),
        Some(RateControl::VariableBitrate) | None => p.push(("end-usage", "vbr".into())),
    }
    if let Some(b) = w.bitrate {
        p.push(("target-bitrate", kbit(b)));
    }
    // libaom aborts the process in CBR with max-quantizer 0 (its default).
    p.push(("min-quantizer", min_q.to_string()));
    p.push(("max-quantizer", max_q.max(min_q).max(1).to_string()));
    match (w.vbv_bits, w.bitrate) {
        (Some(bits), Some(rate)) => {
            let ms = (u64::from(bits) * 1000 / u64::from(rate.max(1))).clamp(1, 10_000);
            p.push(("buf-sz", ms.to_string()));
            if let Some(init) = w.vbv_init_bits {
                let ms = (u64::from(init) * 1000 / u64::from(rate.max(1))).clamp(1, 10_000);
                p.push(("buf-initial-sz", ms.to_string()));
            }
        }
        (Some(_), None) => w.unmapped.push(w.vbv_field),
        _ => {
            if w.vbv_init_bits.is_some() {
                w.unmapped.push("vbvInit");
            }
        }
    }
    if w.max_bitrate.is_some() {
        w.unmapped.push(w.max_bitrate_field);
    }
    if w.cq.is_some() {
        w.unmapped.push("cq");
    }
    if w.h264_profile.is_some() || w.hevc_profile.is_some() {
        w.unmapped.push("profile");
    }
    if let Some(t) = w.threads {
        p.push(("threads", t.to_string()));
    }
    Plan {
        backend: Backend::Cpu,
        element: "av1enc",
        properties: p,
        profile: None,
        if_present: Vec::new(),
        unmapped: std::mem::take(&mut w.unmapped),
    }
}

impl DgpuPreset {
    /// For av1enc's `cpu-used` (0 slowest..10 fastest): P1 → 10 … P7 → 4.
    pub fn cpu_used(self) -> u32 {
        11 - self.number()
    }
}
