//! A Jetson property set onto `nvv4l2h264enc`/`nvv4l2h265enc`/`nvv4l2av1enc`
//! (DeepStream's names, `facts/encoders.md` §4; enums by number as NVIDIA's
//! sources define them). Frames reach them through `nvvideoconvert` into
//! NVMM memory. Not runnable on our machines: the mapping is checked
//! against the property table, never against a Jetson.

use proj_gstreamer::Codec;

use crate::plan::{Backend, Plan};
use crate::{
    EncoderProperties, H264Profile, HevcProfile, JetsonPresetLevel, JetsonProps, RateControl,
};

fn common(p: &JetsonProps, set: &mut Vec<(&'static str, String)>) {
    let mut put = |name: &'static str, value: Option<String>| {
        if let Some(v) = value {
            set.push((name, v));
        }
    };
    put("bitrate", p.bitrate.map(|b| b.to_string()));
    put(
        "control-rate",
        p.control_rate.map(|r| match r {
            RateControl::VariableBitrate => "0".into(),
            // Constant QP is refused for Jetson sets when checked.
            RateControl::ConstantBitrate | RateControl::ConstantQp => "1".into(),
        }),
    );
    put(
        "iframeinterval",
        Some(p.iframeinterval.unwrap_or(30).to_string()),
    );
    put("idrinterval", p.idrinterval.map(|v| v.to_string()));
    put(
        "preset-level",
        p.preset_level.map(|l| {
            match l {
                JetsonPresetLevel::Disabled => "0",
                JetsonPresetLevel::UltraFast => "1",
                JetsonPresetLevel::Fast => "2",
                JetsonPresetLevel::Medium => "3",
                JetsonPresetLevel::Slow => "4",
            }
            .into()
        }),
    );
    put("peak-bitrate", p.peak_bitrate.map(|v| v.to_string()));
    put("vbv-size", p.vbv_size.map(|v| v.to_string()));
    put("qp-range", p.qp_range.map(|r| r.text()));
    put("quant-i-frames", p.quant_i_frames.map(|v| v.to_string()));
    put("quant-p-frames", p.quant_p_frames.map(|v| v.to_string()));
    put(
        "ratecontrol-enable",
        p.ratecontrol_enable.map(|v| v.to_string()),
    );
    put("maxperf-enable", p.maxperf_enable.map(|v| v.to_string()));
    put("EnableTwopassCBR", p.two_pass_cbr.map(|v| v.to_string()));
    put("num-Ref-Frames", p.num_ref_frames.map(|v| v.to_string()));
}

/// The Jetson plan for `codec` with a Jetson set (or none); `None` for
/// JPEG/PNG and for another platform's set.
pub fn jetson_encoder(codec: Codec, props: Option<&EncoderProperties>) -> Option<Plan> {
    let default = JetsonProps::default();
    let mut set = Vec::new();
    // Parameter sets at every IDR unless the set says otherwise: a
    // recording must be cut at any keyframe.
    let mut headers = true;
    let element = match (codec, props) {
        (Codec::H264, None) => "nvv4l2h264enc",
        (Codec::Hevc, None) => "nvv4l2h265enc",
        (Codec::Av1, None) => "nvv4l2av1enc",
        (Codec::H264, Some(EncoderProperties::H264Jetson(p))) => {
            common(&p.common, &mut set);
            if let Some(profile) = p.profile {
                let number = match profile {
                    H264Profile::Baseline => "0",
                    H264Profile::Main => "2",
                    H264Profile::High => "4",
                    H264Profile::High444 => "7",
                };
                set.push(("profile", number.into()));
            }
            headers = p.insert_sps_pps.unwrap_or(true);
            for (name, value) in [
                ("insert-aud", p.insert_aud),
                ("insert-vui", p.insert_vui),
                ("disable-cabac", p.disable_cabac),
            ] {
                if let Some(v) = value {
                    set.push((name, v.to_string()));
                }
            }
            "nvv4l2h264enc"
        }
        (Codec::Hevc, Some(EncoderProperties::HevcJetson(p))) => {
            common(&p.common, &mut set);
            if let Some(profile) = p.profile {
                let number = match profile {
                    HevcProfile::Main => "0",
                    HevcProfile::Main10 => "1",
                    HevcProfile::Frext => "3",
                };
                set.push(("profile", number.into()));
            }
            if let Some(v) = p.enable_lossless {
                set.push(("enable-lossless", v.to_string()));
            }
            "nvv4l2h265enc"
        }
        (Codec::Av1, Some(EncoderProperties::Av1Jetson(p))) => {
            common(&p.common, &mut set);
            if let Some(q) = p.quant_b_frames {
                set.push(("quant-b-frames", q.to_string()));
            }
            if let Some((rows, cols)) = p.tiles {
                set.push(("tiles", format!("{rows},{cols}")));
            }
            if let Some(v) = p.insert_seq_hdr {
                set.push(("insert-seq-hdr", v.to_string()));
            }
            "nvv4l2av1enc"
        }
        _ => return None,
    };
    if props.is_none() {
        common(&default, &mut set);
    }
    let mut if_present = vec![("num-B-Frames", "0".to_owned())];
    if codec == Codec::Av1 {
        if_present.push(("enable-headers", "true".into()));
    } else if !set.iter().any(|(name, _)| *name == "insert-sps-pps") {
        set.push(("insert-sps-pps", headers.to_string()));
    }
    Some(Plan {
        backend: Backend::Jetson,
        element,
        properties: set,
        if_present,
        profile: None,
        unmapped: Vec::new(),
    })
}
