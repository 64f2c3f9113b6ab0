//! Every property set, mapped onto the CPU encoder that stands in for it,
//! is accepted by the real GStreamer element (each property exists, is
//! writable and parses), and what cannot be honoured is listed.

use proj_encoders::{
    cpu_encoder, Av1CpuProps, Av1DgpuProps, Av1JetsonProps, CpuPreset, DgpuPreset, DgpuProps,
    EncoderProperties, H264CpuProps, H264JetsonProps, H264Profile, HevcCpuProps, HevcJetsonProps,
    HevcProfile, JetsonPresetLevel, JetsonProps, JpegProps, PngProps, QpRange, Qps, RateControl,
    TuningPreset,
};
use proj_gstreamer::Codec;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn full_dgpu(control_rate: RateControl) -> Result<DgpuProps, String> {
    Ok(DgpuProps {
        bitrate: Some(4_000_000),
        control_rate: Some(control_rate),
        iframeinterval: Some(60),
        idrinterval: Some(60),
        preset: Some(DgpuPreset::P5),
        tuning_info: Some(TuningPreset::LowLatency),
        qp_range: Some(QpRange::parse("10,40:8,38:-1,-1").map_err(|e| e.to_string())?),
        const_qp: (control_rate == RateControl::ConstantQp)
            .then(|| Qps::parse("constQp", "20:24:28"))
            .transpose()
            .map_err(|e| e.to_string())?,
        init_qp: None,
        max_bitrate: Some(6_000_000),
        vbv_buf_size: Some(2_000_000),
        vbv_init: Some(1_000_000),
        cq: (control_rate == RateControl::VariableBitrate).then_some(23),
        aq: Some(8),
        temporal_aq: Some(true),
        extended_colorformat: None,
        ..DgpuProps::default()
    })
}

fn jetson() -> JetsonProps {
    JetsonProps {
        bitrate: Some(3_000_000),
        control_rate: Some(RateControl::ConstantBitrate),
        iframeinterval: Some(30),
        preset_level: Some(JetsonPresetLevel::Fast),
        peak_bitrate: Some(4_000_000),
        vbv_size: Some(3_000_000),
        num_ref_frames: Some(2),
        ..JetsonProps::default()
    }
}

fn sets() -> Result<Vec<EncoderProperties>, String> {
    let mut sets = Vec::new();
    for rc in RateControl::ALL {
        let mut h264 = full_dgpu(*rc)?;
        h264.h264_profile = Some(H264Profile::High);
        sets.push(EncoderProperties::H264Dgpu(h264));
        let mut hevc = full_dgpu(*rc)?;
        hevc.hevc_profile = Some(HevcProfile::Main);
        sets.push(EncoderProperties::HevcDgpu(hevc));
        let d = full_dgpu(*rc)?;
        sets.push(EncoderProperties::Av1Dgpu(Av1DgpuProps {
            bitrate: d.bitrate,
            control_rate: d.control_rate,
            iframeinterval: d.iframeinterval,
            preset: d.preset,
            qp_range: d.qp_range,
            vbv_buf_size: d.vbv_buf_size,
            vbv_init: d.vbv_init,
            ..Av1DgpuProps::default()
        }));
    }
    sets.push(EncoderProperties::H264Jetson(H264JetsonProps {
        common: jetson(),
        profile: Some(H264Profile::Main),
        insert_sps_pps: Some(true),
        ..H264JetsonProps::default()
    }));
    sets.push(EncoderProperties::HevcJetson(HevcJetsonProps {
        common: JetsonProps {
            ratecontrol_enable: Some(false),
            quant_p_frames: Some(26),
            ..jetson()
        },
        ..HevcJetsonProps::default()
    }));
    sets.push(EncoderProperties::Av1Jetson(Av1JetsonProps {
        common: jetson(),
        tiles: Some((1, 0)),
        ..Av1JetsonProps::default()
    }));
    sets.push(EncoderProperties::H264Cpu(H264CpuProps {
        preset: Some(CpuPreset::Veryfast),
        rate_control: Some(RateControl::ConstantQp),
        qp: Some(22),
        keyframe_interval: Some(15),
        profile: Some(H264Profile::Baseline),
        threads: Some(1),
        ..H264CpuProps::default()
    }));
    sets.push(EncoderProperties::H264Cpu(H264CpuProps {
        openh264: Some(true),
        rate_control: Some(RateControl::ConstantBitrate),
        bitrate: Some(2_000_000),
        keyframe_interval: Some(30),
        threads: Some(1),
        ..H264CpuProps::default()
    }));
    sets.push(EncoderProperties::HevcCpu(HevcCpuProps {
        rate_control: Some(RateControl::ConstantBitrate),
        bitrate: Some(2_000_000),
        threads: Some(1),
        ..HevcCpuProps::default()
    }));
    sets.push(EncoderProperties::Av1Cpu(Av1CpuProps {
        cpu_used: Some(9),
        rate_control: Some(RateControl::ConstantBitrate),
        bitrate: Some(1_000_000),
        min_quantizer: Some(10),
        max_quantizer: Some(50),
        threads: Some(1),
        ..Av1CpuProps::default()
    }));
    sets.push(EncoderProperties::Jpeg(JpegProps { quality: Some(90) }));
    sets.push(EncoderProperties::Png(PngProps {
        compression_level: Some(1),
    }));
    Ok(sets)
}

#[test]
fn every_mapped_property_is_accepted_by_the_real_element() -> TestResult {
    gstreamer::init()?;
    for set in sets()? {
        set.check()?;
        let cpu = cpu_encoder(set.codec(), Some(&set))?;
        let element = gstreamer::ElementFactory::make(cpu.element).build()?;
        for (name, value) in &cpu.properties {
            proj_gstreamer::set_property(&element, name, value)
                .map_err(|e| format!("{}: {e}", set.kind()))?;
        }
        println!(
            "{:<10} → {} {:?}, unmapped {:?}",
            set.kind(),
            cpu.element,
            cpu.properties,
            cpu.unmapped
        );
    }
    Ok(())
}

#[test]
fn the_traps_are_always_set_and_what_cannot_be_honoured_is_listed() -> TestResult {
    let value = |cpu: &proj_encoders::Plan, name: &str| {
        cpu.properties
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    for codec in [Codec::H264, Codec::Hevc] {
        let cpu = cpu_encoder(codec, None)?;
        assert_eq!(
            value(&cpu, "tune").as_deref(),
            Some("zerolatency"),
            "{codec:?}"
        );
    }
    let hevc = cpu_encoder(Codec::Hevc, None)?;
    assert!(value(&hevc, "option-string")
        .is_some_and(|o| o.contains("open-gop=0") && o.contains("repeat-headers=1")));
    // libaom aborts in CBR without a max-quantizer.
    let av1 = cpu_encoder(
        Codec::Av1,
        Some(&EncoderProperties::Av1Cpu(Av1CpuProps {
            rate_control: Some(RateControl::ConstantBitrate),
            max_quantizer: Some(0),
            ..Av1CpuProps::default()
        })),
    )?;
    assert_ne!(value(&av1, "max-quantizer").as_deref(), Some("0"));
    let dgpu = EncoderProperties::H264Dgpu(DgpuProps {
        idrinterval: Some(60),
        aq: Some(4),
        temporal_aq: Some(true),
        init_qp: Some(Qps::parse("initQp", "20:22:24")?),
        tuning_info: Some(TuningPreset::HighQuality),
        h264_profile: Some(H264Profile::High444),
        bitrate: Some(4_000_000),
        ..DgpuProps::default()
    });
    let cpu = cpu_encoder(Codec::H264, Some(&dgpu))?;
    let mut unmapped = cpu.unmapped.clone();
    unmapped.sort_unstable();
    assert_eq!(
        unmapped,
        [
            "aq",
            "idrinterval",
            "initQp",
            "profile",
            "temporalAq",
            "tuningInfo"
        ]
    );
    assert_eq!(value(&cpu, "bitrate").as_deref(), Some("4000"));
    Ok(())
}
