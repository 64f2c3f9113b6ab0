use napi::bindgen_prelude::Result;
use napi_derive::napi;
use proj_buffers::{MemType, VideoFormat};
use proj_encoders::{self as pe, EncoderProperties as Props};
use proj_gstreamer::Codec;

use crate::entry::{entry, Outcome};
use crate::error::{from_encoders, Code};

/// A property set as the TypeScript classes hand it over: its `kind`
/// (`h264Dgpu`, `jpeg`, `h264Cpu`…) and the fields that are set (names as
/// in TypeScript; enum values by name, QP strings in NVIDIA's form).
#[napi(object)]
#[derive(Debug, Clone, Default)]
pub struct EncoderProperties {
    pub kind: String,
    pub bitrate: Option<u32>,
    pub control_rate: Option<String>,
    pub profile: Option<String>,
    pub iframeinterval: Option<u32>,
    pub idrinterval: Option<u32>,
    pub preset: Option<String>,
    pub tuning_info: Option<String>,
    pub qp_range: Option<String>,
    pub const_qp: Option<String>,
    pub init_qp: Option<String>,
    pub max_bitrate: Option<u32>,
    pub vbv_buf_size: Option<u32>,
    pub vbv_init: Option<u32>,
    pub cq: Option<u32>,
    pub aq: Option<u32>,
    pub temporal_aq: Option<bool>,
    pub extended_colorformat: Option<bool>,
    pub preset_level: Option<String>,
    pub peak_bitrate: Option<u32>,
    pub vbv_size: Option<u32>,
    pub quant_i_frames: Option<u32>,
    pub quant_p_frames: Option<u32>,
    pub quant_b_frames: Option<u32>,
    pub ratecontrol_enable: Option<bool>,
    pub maxperf_enable: Option<bool>,
    pub two_pass_cbr: Option<bool>,
    pub num_ref_frames: Option<u32>,
    pub insert_sps_pps: Option<bool>,
    pub insert_aud: Option<bool>,
    pub insert_vui: Option<bool>,
    pub disable_cabac: Option<bool>,
    pub enable_lossless: Option<bool>,
    pub insert_seq_hdr: Option<bool>,
    pub tiles: Option<String>,
    pub quality: Option<u32>,
    pub compression_level: Option<u32>,
    pub rate_control: Option<String>,
    pub qp: Option<u32>,
    pub keyframe_interval: Option<u32>,
    pub threads: Option<u32>,
    pub cpu_used: Option<u32>,
    pub min_quantizer: Option<u32>,
    pub max_quantizer: Option<u32>,
    pub openh264: Option<bool>,
}

const DGPU: &[&str] = &[
    "bitrate",
    "controlRate",
    "profile",
    "iframeinterval",
    "idrinterval",
    "preset",
    "tuningInfo",
    "qpRange",
    "constQp",
    "initQp",
    "maxBitrate",
    "vbvBufSize",
    "vbvInit",
    "cq",
    "aq",
    "temporalAq",
    "extendedColorformat",
];
const AV1_DGPU: &[&str] = &[
    "bitrate",
    "controlRate",
    "iframeinterval",
    "idrinterval",
    "preset",
    "tuningInfo",
    "qpRange",
    "maxBitrate",
    "vbvBufSize",
    "vbvInit",
    "cq",
    "aq",
    "temporalAq",
];
const JETSON: &[&str] = &[
    "bitrate",
    "controlRate",
    "iframeinterval",
    "idrinterval",
    "presetLevel",
    "peakBitrate",
    "vbvSize",
    "qpRange",
    "quantIFrames",
    "quantPFrames",
    "ratecontrolEnable",
    "maxperfEnable",
    "twoPassCbr",
    "numRefFrames",
];
const H264_JETSON: &[&str] = &[
    "profile",
    "insertSpsPps",
    "insertAud",
    "insertVui",
    "disableCabac",
];
const HEVC_JETSON: &[&str] = &["profile", "enableLossless"];
const AV1_JETSON: &[&str] = &["quantBFrames", "insertSeqHdr", "tiles"];
const H26X_CPU: &[&str] = &[
    "preset",
    "rateControl",
    "bitrate",
    "qp",
    "keyframeInterval",
    "profile",
    "threads",
];
const H264_CPU: &[&str] = &["openh264"];
const AV1_CPU: &[&str] = &[
    "cpuUsed",
    "rateControl",
    "bitrate",
    "minQuantizer",
    "maxQuantizer",
    "keyframeInterval",
    "threads",
];

/// The fields of each kind of set (TypeScript names).
pub fn fields_of(kind: &str) -> Option<Vec<&'static str>> {
    Some(match kind {
        "h264Dgpu" | "hevcDgpu" => DGPU.to_vec(),
        "av1Dgpu" => AV1_DGPU.to_vec(),
        "h264Jetson" => [JETSON, H264_JETSON].concat(),
        "hevcJetson" => [JETSON, HEVC_JETSON].concat(),
        "av1Jetson" => [JETSON, AV1_JETSON].concat(),
        "jpeg" => vec!["quality"],
        "png" => vec!["compressionLevel"],
        "h264Cpu" => [H26X_CPU, H264_CPU].concat(),
        "hevcCpu" => H26X_CPU.to_vec(),
        "av1Cpu" => AV1_CPU.to_vec(),
        _ => return None,
    })
}

fn invalid(field: &'static str, reason: impl Into<String>) -> pe::EncodersError {
    pe::EncodersError::InvalidProperty {
        field,
        reason: reason.into(),
    }
}

fn parse(name: &Option<String>) -> Option<&str> {
    name.as_deref()
}

impl EncoderProperties {
    /// The names of the fields that are set.
    fn set_fields(&self) -> Vec<&'static str> {
        let s = self;
        [
            ("bitrate", s.bitrate.is_some()),
            ("controlRate", s.control_rate.is_some()),
            ("profile", s.profile.is_some()),
            ("iframeinterval", s.iframeinterval.is_some()),
            ("idrinterval", s.idrinterval.is_some()),
            ("preset", s.preset.is_some()),
            ("tuningInfo", s.tuning_info.is_some()),
            ("qpRange", s.qp_range.is_some()),
            ("constQp", s.const_qp.is_some()),
            ("initQp", s.init_qp.is_some()),
            ("maxBitrate", s.max_bitrate.is_some()),
            ("vbvBufSize", s.vbv_buf_size.is_some()),
            ("vbvInit", s.vbv_init.is_some()),
            ("cq", s.cq.is_some()),
            ("aq", s.aq.is_some()),
            ("temporalAq", s.temporal_aq.is_some()),
            ("extendedColorformat", s.extended_colorformat.is_some()),
            ("presetLevel", s.preset_level.is_some()),
            ("peakBitrate", s.peak_bitrate.is_some()),
            ("vbvSize", s.vbv_size.is_some()),
            ("quantIFrames", s.quant_i_frames.is_some()),
            ("quantPFrames", s.quant_p_frames.is_some()),
            ("quantBFrames", s.quant_b_frames.is_some()),
            ("ratecontrolEnable", s.ratecontrol_enable.is_some()),
            ("maxperfEnable", s.maxperf_enable.is_some()),
            ("twoPassCbr", s.two_pass_cbr.is_some()),
            ("numRefFrames", s.num_ref_frames.is_some()),
            ("insertSpsPps", s.insert_sps_pps.is_some()),
            ("insertAud", s.insert_aud.is_some()),
            ("insertVui", s.insert_vui.is_some()),
            ("disableCabac", s.disable_cabac.is_some()),
            ("enableLossless", s.enable_lossless.is_some()),
            ("insertSeqHdr", s.insert_seq_hdr.is_some()),
            ("tiles", s.tiles.is_some()),
            ("quality", s.quality.is_some()),
            ("compressionLevel", s.compression_level.is_some()),
            ("rateControl", s.rate_control.is_some()),
            ("qp", s.qp.is_some()),
            ("keyframeInterval", s.keyframe_interval.is_some()),
            ("threads", s.threads.is_some()),
            ("cpuUsed", s.cpu_used.is_some()),
            ("minQuantizer", s.min_quantizer.is_some()),
            ("maxQuantizer", s.max_quantizer.is_some()),
            ("openh264", s.openh264.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// The library's set, every field parsed and in range: a field of
    /// another kind of set is an error, never ignored.
    pub fn into_model(self) -> pe::Result<Props> {
        let allowed = fields_of(&self.kind).ok_or_else(|| pe::EncodersError::UnknownName {
            what: "encoder properties kind",
            name: self.kind.clone(),
            expected: "h264Dgpu, hevcDgpu, av1Dgpu, h264Jetson, hevcJetson, av1Jetson, jpeg, png, h264Cpu, hevcCpu, av1Cpu".into(),
        })?;
        if let Some(stray) = self.set_fields().into_iter().find(|f| !allowed.contains(f)) {
            return Err(invalid(
                stray,
                format!("is not a field of {} properties", self.kind),
            ));
        }
        let rate = parse(&self.control_rate)
            .map(pe::RateControl::from_name)
            .transpose()?;
        let qp_range = parse(&self.qp_range).map(pe::QpRange::parse).transpose()?;
        let dgpu = || -> pe::Result<pe::DgpuProps> {
            Ok(pe::DgpuProps {
                bitrate: self.bitrate,
                control_rate: rate,
                h264_profile: None,
                hevc_profile: None,
                iframeinterval: self.iframeinterval,
                idrinterval: self.idrinterval,
                preset: parse(&self.preset)
                    .map(pe::DgpuPreset::from_name)
                    .transpose()?,
                tuning_info: parse(&self.tuning_info)
                    .map(pe::TuningPreset::from_name)
                    .transpose()?,
                qp_range,
                const_qp: parse(&self.const_qp)
                    .map(|t| pe::Qps::parse("constQp", t))
                    .transpose()?,
                init_qp: parse(&self.init_qp)
                    .map(|t| pe::Qps::parse("initQp", t))
                    .transpose()?,
                max_bitrate: self.max_bitrate,
                vbv_buf_size: self.vbv_buf_size,
                vbv_init: self.vbv_init,
                cq: self.cq,
                aq: self.aq,
                temporal_aq: self.temporal_aq,
                extended_colorformat: self.extended_colorformat,
            })
        };
        let jetson = || -> pe::Result<pe::JetsonProps> {
            Ok(pe::JetsonProps {
                bitrate: self.bitrate,
                control_rate: rate,
                iframeinterval: self.iframeinterval,
                idrinterval: self.idrinterval,
                preset_level: parse(&self.preset_level)
                    .map(pe::JetsonPresetLevel::from_name)
                    .transpose()?,
                peak_bitrate: self.peak_bitrate,
                vbv_size: self.vbv_size,
                qp_range,
                quant_i_frames: self.quant_i_frames,
                quant_p_frames: self.quant_p_frames,
                ratecontrol_enable: self.ratecontrol_enable,
                maxperf_enable: self.maxperf_enable,
                two_pass_cbr: self.two_pass_cbr,
                num_ref_frames: self.num_ref_frames,
            })
        };
        let h264_profile = || {
            parse(&self.profile)
                .map(pe::H264Profile::from_name)
                .transpose()
        };
        let hevc_profile = || {
            parse(&self.profile)
                .map(pe::HevcProfile::from_name)
                .transpose()
        };
        let cpu_rate = parse(&self.rate_control)
            .map(pe::RateControl::from_name)
            .transpose()?;
        let cpu_preset = || {
            parse(&self.preset)
                .map(pe::CpuPreset::from_name)
                .transpose()
        };
        let props = match self.kind.as_str() {
            "h264Dgpu" => Props::H264Dgpu(pe::DgpuProps {
                h264_profile: h264_profile()?,
                ..dgpu()?
            }),
            "hevcDgpu" => Props::HevcDgpu(pe::DgpuProps {
                hevc_profile: hevc_profile()?,
                ..dgpu()?
            }),
            "av1Dgpu" => {
                let d = dgpu()?;
                Props::Av1Dgpu(pe::Av1DgpuProps {
                    bitrate: d.bitrate,
                    control_rate: d.control_rate,
                    iframeinterval: d.iframeinterval,
                    idrinterval: d.idrinterval,
                    preset: d.preset,
                    tuning_info: d.tuning_info,
                    qp_range: d.qp_range,
                    max_bitrate: d.max_bitrate,
                    vbv_buf_size: d.vbv_buf_size,
                    vbv_init: d.vbv_init,
                    cq: d.cq,
                    aq: d.aq,
                    temporal_aq: d.temporal_aq,
                })
            }
            "h264Jetson" => Props::H264Jetson(pe::H264JetsonProps {
                common: jetson()?,
                profile: h264_profile()?,
                insert_sps_pps: self.insert_sps_pps,
                insert_aud: self.insert_aud,
                insert_vui: self.insert_vui,
                disable_cabac: self.disable_cabac,
            }),
            "hevcJetson" => Props::HevcJetson(pe::HevcJetsonProps {
                common: jetson()?,
                profile: hevc_profile()?,
                enable_lossless: self.enable_lossless,
            }),
            "av1Jetson" => Props::Av1Jetson(pe::Av1JetsonProps {
                common: jetson()?,
                quant_b_frames: self.quant_b_frames,
                insert_seq_hdr: self.insert_seq_hdr,
                tiles: parse(&self.tiles)
                    .map(pe::Av1JetsonProps::parse_tiles)
                    .transpose()?,
            }),
            "jpeg" => Props::Jpeg(pe::JpegProps {
                quality: self.quality,
            }),
            "png" => Props::Png(pe::PngProps {
                compression_level: self.compression_level,
            }),
            "h264Cpu" => Props::H264Cpu(pe::H264CpuProps {
                preset: cpu_preset()?,
                rate_control: cpu_rate,
                bitrate: self.bitrate,
                qp: self.qp,
                keyframe_interval: self.keyframe_interval,
                profile: h264_profile()?,
                threads: self.threads,
                openh264: self.openh264,
                low_latency: None,
            }),
            "hevcCpu" => Props::HevcCpu(pe::HevcCpuProps {
                preset: cpu_preset()?,
                rate_control: cpu_rate,
                bitrate: self.bitrate,
                qp: self.qp,
                keyframe_interval: self.keyframe_interval,
                profile: hevc_profile()?,
                threads: self.threads,
            }),
            _ => Props::Av1Cpu(pe::Av1CpuProps {
                cpu_used: self.cpu_used,
                rate_control: cpu_rate,
                bitrate: self.bitrate,
                min_quantizer: self.min_quantizer,
                max_quantizer: self.max_quantizer,
                keyframe_interval: self.keyframe_interval,
                threads: self.threads,
            }),
        };
        props.check()?;
        Ok(props)
    }
}

/// `EncoderConfig` as the TypeScript class hands it over.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct EncoderConfig {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub format: Option<String>,
    pub fps_num: Option<u32>,
    pub fps_den: Option<u32>,
    pub gpu_id: Option<u32>,
    pub mem_type: Option<String>,
    pub properties: Option<EncoderProperties>,
}

impl EncoderConfig {
    pub fn into_model(self) -> Outcome<pe::EncoderConfig> {
        let codec = Codec::from_name(&self.codec).map_err(crate::error::from_gstreamer)?;
        let defaults = pe::EncoderConfig::new(codec, self.width, self.height);
        let config = pe::EncoderConfig {
            format: match self.format.as_deref() {
                Some(name) => VideoFormat::from_name(name).map_err(crate::error::from_buffers)?,
                None => defaults.format,
            },
            fps_num: self.fps_num.unwrap_or(defaults.fps_num),
            fps_den: self.fps_den.unwrap_or(defaults.fps_den),
            gpu_id: self.gpu_id.unwrap_or(defaults.gpu_id),
            mem_type: match self.mem_type.as_deref() {
                Some(name) => MemType::from_name(name).map_err(crate::error::from_buffers)?,
                None => defaults.mem_type,
            },
            properties: self
                .properties
                .map(EncoderProperties::into_model)
                .transpose()
                .map_err(from_encoders)?,
            ..defaults
        };
        config.check(machine()).map_err(from_encoders)?;
        Ok(config)
    }
}

/// The NVIDIA platform of this machine, if any.
fn machine() -> Option<pe::Platform> {
    if proj_buffers::is_jetson_kernel() {
        Some(pe::Platform::Jetson)
    } else if proj_buffers::cuda::driver_loaded() {
        Some(pe::Platform::Dgpu)
    } else {
        None
    }
}

/// One element property of a plan.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ElementProperty {
    pub name: String,
    pub value: String,
}

/// How the CPU would encode a config: the element, its properties, the
/// profile asked of it, and the fields of the set it cannot honour.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct CpuEncoderPlan {
    pub element: String,
    pub properties: Vec<ElementProperty>,
    pub profile: Option<String>,
    pub unmapped: Vec<String>,
}

/// Checks a property set alone (a TypeScript props class calls it when
/// built): a field out of range, of another kind or unknown is a typed
/// error now, not at the first frame.
#[napi]
pub fn check_encoder_properties(properties: EncoderProperties) -> Result<(), Code> {
    entry("check_encoder_properties", || {
        properties.into_model().map(drop).map_err(from_encoders)
    })
}

/// Checks a whole config (sizes, format, frame rate, a set of its codec
/// and platform) and says how the CPU would encode it.
#[napi]
pub fn cpu_encoder_plan(config: EncoderConfig) -> Result<CpuEncoderPlan, Code> {
    entry("cpu_encoder_plan", || {
        let config = config.into_model()?;
        let plan =
            pe::cpu_encoder(config.codec, config.properties.as_ref()).map_err(from_encoders)?;
        Ok(CpuEncoderPlan {
            element: plan.element.into(),
            properties: plan
                .properties
                .into_iter()
                .map(|(name, value)| ElementProperty {
                    name: name.into(),
                    value,
                })
                .collect(),
            profile: plan.profile.map(Into::into),
            unmapped: plan.unmapped.into_iter().map(Into::into).collect(),
        })
    })
}

/// The encoder enums' names, for the test that the TypeScript tables match.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct EncoderNames {
    pub rate_controls: Vec<String>,
    pub dgpu_presets: Vec<String>,
    pub tuning_presets: Vec<String>,
    pub h264_profiles: Vec<String>,
    pub hevc_profiles: Vec<String>,
    pub jetson_preset_levels: Vec<String>,
    pub cpu_presets: Vec<String>,
    pub property_kinds: Vec<String>,
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_owned()).collect()
}

#[napi]
pub fn encoder_names() -> Result<EncoderNames, Code> {
    entry("encoder_names", || {
        Ok(EncoderNames {
            rate_controls: names(pe::RateControl::ALL, pe::RateControl::name),
            dgpu_presets: names(pe::DgpuPreset::ALL, pe::DgpuPreset::name),
            tuning_presets: names(pe::TuningPreset::ALL, pe::TuningPreset::name),
            h264_profiles: names(pe::H264Profile::ALL, pe::H264Profile::name),
            hevc_profiles: names(pe::HevcProfile::ALL, pe::HevcProfile::name),
            jetson_preset_levels: names(pe::JetsonPresetLevel::ALL, pe::JetsonPresetLevel::name),
            cpu_presets: names(pe::CpuPreset::ALL, pe::CpuPreset::name),
            property_kinds: [
                "h264Dgpu",
                "hevcDgpu",
                "av1Dgpu",
                "h264Jetson",
                "hevcJetson",
                "av1Jetson",
                "jpeg",
                "png",
                "h264Cpu",
                "hevcCpu",
                "av1Cpu",
            ]
            .map(|k| {
                let fields = fields_of(k).unwrap_or_default().join(",");
                format!("{k}:{fields}")
            })
            .to_vec(),
        })
    })
}
