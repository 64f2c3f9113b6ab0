//! A property set onto NVENC as GStreamer 1.22 has it: the legacy
//! `nvh264enc`/`nvh265enc` (the new `nvcuda*` elements take no I420 and
//! open their session only at the first frame). 1.22 has no P1–P7 presets,
//! no `tune` and no AV1 NVENC (`facts/encoders.md` §2): presets and tuning
//! become the old presets, and what has no equivalent is listed.

use proj_gstreamer::Codec;

use crate::plan::{Backend, Plan};
use crate::props::QpRange;
use crate::{
    DgpuPreset, DgpuProps, EncoderProperties, H264Profile, HevcProfile, RateControl, TuningPreset,
};

/// nvcodec's kbit is 1024 bits.
fn kbit(bits: u32) -> String {
    bits.div_ceil(1024).to_string()
}

/// The NVENC plan for `codec` with a dGPU set (or none); `None` where
/// NVENC cannot encode the codec in GStreamer 1.22 or the set is another
/// platform's.
pub fn nvenc_encoder(codec: Codec, props: Option<&EncoderProperties>) -> Option<Plan> {
    let element = match codec {
        Codec::H264 => "nvh264enc",
        Codec::Hevc => "nvh265enc",
        _ => return None,
    };
    let default = DgpuProps::default();
    let p = match props {
        None => &default,
        Some(EncoderProperties::H264Dgpu(p) | EncoderProperties::HevcDgpu(p)) => p,
        Some(_) => return None,
    };
    let mut unmapped = Vec::new();
    let mut set: Vec<(&'static str, String)> = vec![
        ("zerolatency", "true".into()),
        ("gop-size", p.iframeinterval.unwrap_or(30).to_string()),
    ];
    let preset = match (p.tuning_info, p.preset) {
        (Some(TuningPreset::HighQuality), _) => "hq",
        (Some(TuningPreset::LowLatency) | None, None) => "low-latency-hq",
        (Some(TuningPreset::UltraLowLatency), _) => "low-latency-hp",
        (Some(TuningPreset::Lossless), _) => "lossless",
        (Some(TuningPreset::LowLatency), Some(_)) => "low-latency-hq",
        (None, Some(DgpuPreset::P1 | DgpuPreset::P2)) => "hp",
        (None, Some(DgpuPreset::P3 | DgpuPreset::P4)) => "default",
        (None, Some(_)) => "hq",
    };
    if p.tuning_info.is_some() && p.preset.is_some() {
        // 1.22 has one preset property: the tuning chose it.
        unmapped.push("preset");
    }
    set.push(("preset", preset.into()));
    let ultra = p.tuning_info == Some(TuningPreset::UltraLowLatency);
    match p.control_rate {
        Some(RateControl::ConstantQp) => {
            set.push(("rc-mode", "constqp".into()));
            if let Some(q) = p.const_qp {
                set.push(("qp-const-i", q.i.to_string()));
                set.push(("qp-const-p", q.p.to_string()));
                set.push(("qp-const-b", q.b.to_string()));
            }
        }
        Some(RateControl::ConstantBitrate) => {
            set.push(("rc-mode", if ultra { "cbr-ld-hq" } else { "cbr" }.into()));
        }
        Some(RateControl::VariableBitrate) => set.push(("rc-mode", "vbr".into())),
        None => {}
    }
    if p.const_qp.is_some() && p.control_rate != Some(RateControl::ConstantQp) {
        unmapped.push("constQp");
    }
    if let Some(b) = p.bitrate {
        set.push(("bitrate", kbit(b)));
    }
    if let Some(b) = p.max_bitrate {
        set.push(("max-bitrate", kbit(b)));
    }
    if let Some(bits) = p.vbv_buf_size {
        set.push(("vbv-buffer-size", kbit(bits)));
    }
    if let Some(QpRange { p: qp_p, i, b }) = p.qp_range {
        for (min_name, max_name, (min, max)) in [
            ("qp-min-p", "qp-max-p", qp_p),
            ("qp-min-i", "qp-max-i", i),
            ("qp-min-b", "qp-max-b", b),
        ] {
            // -1: unset.
            if min >= 0 {
                set.push((min_name, min.to_string()));
            }
            if max >= 0 {
                set.push((max_name, max.to_string()));
            }
        }
    }
    if let Some(cq) = p.cq {
        set.push(("const-quality", cq.to_string()));
    }
    if let Some(aq) = p.aq {
        set.push(("spatial-aq", (aq > 0).to_string()));
        set.push(("aq-strength", aq.to_string()));
    }
    if let Some(t) = p.temporal_aq {
        set.push(("temporal-aq", t.to_string()));
    }
    for (is_set, field) in [
        (p.idrinterval.is_some(), "idrinterval"),
        (p.init_qp.is_some(), "initQp"),
        (p.vbv_init.is_some(), "vbvInit"),
        (p.extended_colorformat.is_some(), "extendedColorformat"),
    ] {
        if is_set {
            unmapped.push(field);
        }
    }
    let profile = match (codec, p.h264_profile, p.hevc_profile) {
        (Codec::H264, Some(H264Profile::Baseline), _) => Some("baseline"),
        (Codec::H264, Some(H264Profile::Main), _) => Some("main"),
        (Codec::H264, Some(H264Profile::High), _) => Some("high"),
        (Codec::Hevc, _, Some(HevcProfile::Main)) => Some("main"),
        (_, None, None) => None,
        // 4:4:4 and 10-bit need such input; frames go in as 8-bit 4:2:0.
        _ => {
            unmapped.push("profile");
            None
        }
    };
    Some(Plan {
        backend: Backend::Nvenc,
        element,
        properties: set,
        if_present: vec![("bframes", "0".into())],
        profile,
        unmapped,
    })
}
