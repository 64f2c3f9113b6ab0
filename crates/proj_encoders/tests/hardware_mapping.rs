//! The NVENC and Jetson mappings against the elements' property tables
//! (`shared/facts/encoders.md` §2.2 for GStreamer 1.22's legacy
//! `nvh26xenc`, §4 for `nvv4l2*enc`, both read in NVIDIA's and
//! GStreamer's sources). Neither element exists on our machines, so this
//! is the check that every name we set is one the element has, and that
//! the traps are set; the encoders themselves run only on such hardware.

use proj_encoders::{
    jetson_encoder, nvenc_encoder, Av1JetsonProps, DgpuPreset, DgpuProps, EncoderProperties,
    H264JetsonProps, H264Profile, HevcJetsonProps, HevcProfile, JetsonPresetLevel, JetsonProps,
    QpRange, Qps, RateControl, TuningPreset,
};
use proj_gstreamer::Codec;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Legacy `nvh264enc`/`nvh265enc` properties in 1.22 (facts §2.2).
const NVENC: &[&str] = &[
    "preset",
    "rc-mode",
    "bitrate",
    "max-bitrate",
    "gop-size",
    "bframes",
    "b-adapt",
    "zerolatency",
    "qp-min",
    "qp-max",
    "qp-const",
    "qp-min-i",
    "qp-min-p",
    "qp-min-b",
    "qp-max-i",
    "qp-max-p",
    "qp-max-b",
    "qp-const-i",
    "qp-const-p",
    "qp-const-b",
    "const-quality",
    "spatial-aq",
    "aq-strength",
    "temporal-aq",
    "vbv-buffer-size",
    "rc-lookahead",
    "i-adapt",
    "strict-gop",
    "nonref-p",
    "weighted-pred",
    "aud",
];
const NVENC_PRESETS: &[&str] = &[
    "default",
    "hp",
    "hq",
    "low-latency",
    "low-latency-hq",
    "low-latency-hp",
    "lossless",
    "lossless-hp",
];
const NVENC_RC: &[&str] = &[
    "default",
    "constqp",
    "cbr",
    "vbr",
    "vbr-minqp",
    "cbr-ld-hq",
    "cbr-hq",
    "vbr-hq",
];

/// `nvv4l2*enc` properties (facts §4).
const JETSON: &[&str] = &[
    "bitrate",
    "control-rate",
    "iframeinterval",
    "idrinterval",
    "profile",
    "preset-level",
    "peak-bitrate",
    "vbv-size",
    "qp-range",
    "quant-i-frames",
    "quant-p-frames",
    "quant-b-frames",
    "ratecontrol-enable",
    "maxperf-enable",
    "EnableTwopassCBR",
    "num-Ref-Frames",
    "num-B-Frames",
    "insert-sps-pps",
    "insert-aud",
    "insert-vui",
    "disable-cabac",
    "enable-lossless",
    "tiles",
    "enable-headers",
    "insert-seq-hdr",
];

fn full_dgpu(control_rate: RateControl) -> DgpuProps {
    DgpuProps {
        bitrate: Some(4_000_000),
        control_rate: Some(control_rate),
        h264_profile: Some(H264Profile::High),
        hevc_profile: Some(HevcProfile::Main),
        iframeinterval: Some(60),
        idrinterval: Some(120),
        preset: Some(DgpuPreset::P4),
        tuning_info: None,
        qp_range: Some(QpRange {
            p: (10, 40),
            i: (8, 38),
            b: (-1, -1),
        }),
        const_qp: Some(Qps {
            i: 20,
            p: 22,
            b: 24,
        }),
        init_qp: Some(Qps {
            i: 20,
            p: 22,
            b: 24,
        }),
        max_bitrate: Some(6_000_000),
        vbv_buf_size: Some(8_000_000),
        vbv_init: Some(4_000_000),
        cq: Some(25),
        aq: Some(8),
        temporal_aq: Some(true),
        extended_colorformat: Some(true),
    }
}

fn value<'a>(props: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn nvenc_gets_only_names_it_has_and_never_b_frames_or_reordering() -> TestResult {
    for rc in [
        RateControl::VariableBitrate,
        RateControl::ConstantBitrate,
        RateControl::ConstantQp,
    ] {
        for codec in [Codec::H264, Codec::Hevc] {
            let p = full_dgpu(rc);
            let set = match codec {
                Codec::H264 => EncoderProperties::H264Dgpu(p),
                _ => EncoderProperties::HevcDgpu(p),
            };
            let plan = nvenc_encoder(codec, Some(&set)).ok_or("no plan")?;
            for (name, _) in plan.properties.iter().chain(&plan.if_present) {
                assert!(NVENC.contains(name), "{name} is not an nvh26xenc property");
            }
            let props = &plan.properties;
            assert_eq!(value(props, "zerolatency"), Some("true"));
            assert_eq!(value(&plan.if_present, "bframes"), Some("0"));
            assert_eq!(value(props, "gop-size"), Some("60"));
            assert!(NVENC_PRESETS.contains(&value(props, "preset").ok_or("preset")?));
            assert!(NVENC_RC.contains(&value(props, "rc-mode").ok_or("rc-mode")?));
            // nvcodec's kbit is 1024 bits.
            assert_eq!(value(props, "bitrate"), Some("3907"));
            assert_eq!(value(props, "qp-min-i"), Some("8"));
            assert_eq!(value(props, "qp-min-b"), None, "-1 means unset");
            assert_eq!(
                plan.profile,
                Some(if codec == Codec::H264 { "high" } else { "main" })
            );
            for field in ["idrinterval", "initQp", "vbvInit", "extendedColorformat"] {
                assert!(plan.unmapped.contains(&field), "{field} not listed");
            }
            if rc == RateControl::ConstantQp {
                assert_eq!(value(props, "qp-const-p"), Some("22"));
            } else {
                assert!(plan.unmapped.contains(&"constQp"));
            }
        }
    }
    let tuned = EncoderProperties::H264Dgpu(DgpuProps {
        tuning_info: Some(TuningPreset::UltraLowLatency),
        control_rate: Some(RateControl::ConstantBitrate),
        preset: Some(DgpuPreset::P7),
        ..DgpuProps::default()
    });
    let plan = nvenc_encoder(Codec::H264, Some(&tuned)).ok_or("no plan")?;
    assert_eq!(value(&plan.properties, "preset"), Some("low-latency-hp"));
    assert_eq!(value(&plan.properties, "rc-mode"), Some("cbr-ld-hq"));
    assert!(plan.unmapped.contains(&"preset"));
    // No AV1, JPEG or PNG NVENC in GStreamer 1.22; no Jetson set on NVENC.
    assert!(nvenc_encoder(Codec::Av1, None).is_none());
    assert!(nvenc_encoder(Codec::Jpeg, None).is_none());
    assert!(nvenc_encoder(
        Codec::H264,
        Some(&EncoderProperties::H264Jetson(H264JetsonProps::default()))
    )
    .is_none());
    Ok(())
}

#[test]
fn jetson_gets_only_names_it_has_with_headers_at_every_idr() -> TestResult {
    let common = JetsonProps {
        bitrate: Some(4_000_000),
        control_rate: Some(RateControl::VariableBitrate),
        iframeinterval: Some(30),
        idrinterval: Some(60),
        preset_level: Some(JetsonPresetLevel::Medium),
        peak_bitrate: Some(5_000_000),
        vbv_size: Some(4_000_000),
        qp_range: Some(QpRange {
            p: (10, 40),
            i: (8, 38),
            b: (-1, -1),
        }),
        quant_i_frames: Some(20),
        quant_p_frames: Some(22),
        ratecontrol_enable: Some(true),
        maxperf_enable: Some(true),
        two_pass_cbr: Some(false),
        num_ref_frames: Some(2),
    };
    let sets = [
        (
            Codec::H264,
            EncoderProperties::H264Jetson(H264JetsonProps {
                common: common.clone(),
                profile: Some(H264Profile::Main),
                insert_sps_pps: None,
                insert_aud: Some(true),
                insert_vui: Some(true),
                disable_cabac: Some(false),
            }),
        ),
        (
            Codec::Hevc,
            EncoderProperties::HevcJetson(HevcJetsonProps {
                common: common.clone(),
                profile: Some(HevcProfile::Main10),
                enable_lossless: Some(false),
            }),
        ),
        (
            Codec::Av1,
            EncoderProperties::Av1Jetson(Av1JetsonProps {
                common,
                quant_b_frames: Some(24),
                insert_seq_hdr: Some(true),
                tiles: Some((1, 0)),
            }),
        ),
    ];
    for (codec, set) in sets {
        let plan = jetson_encoder(codec, Some(&set)).ok_or("no plan")?;
        for (name, _) in plan.properties.iter().chain(&plan.if_present) {
            assert!(JETSON.contains(name), "{name} is not an nvv4l2 property");
        }
        let props = &plan.properties;
        assert_eq!(value(&plan.if_present, "num-B-Frames"), Some("0"));
        assert_eq!(value(props, "control-rate"), Some("0"));
        assert_eq!(value(props, "preset-level"), Some("3"));
        assert_eq!(value(props, "qp-range"), Some("10,40:8,38:-1,-1"));
        match codec {
            Codec::H264 => {
                assert_eq!(value(props, "insert-sps-pps"), Some("true"));
                assert_eq!(value(props, "profile"), Some("2"));
            }
            Codec::Hevc => {
                assert_eq!(value(props, "insert-sps-pps"), Some("true"));
                assert_eq!(value(props, "profile"), Some("1"));
            }
            _ => assert_eq!(value(props, "tiles"), Some("1,0")),
        }
    }
    // Without a set: defaults, headers at every IDR, no B-frames.
    let plan = jetson_encoder(Codec::Hevc, None).ok_or("no plan")?;
    assert_eq!(plan.element, "nvv4l2h265enc");
    assert_eq!(value(&plan.properties, "insert-sps-pps"), Some("true"));
    assert!(jetson_encoder(Codec::Jpeg, None).is_none());
    Ok(())
}
