//! A video stream: torio's `add_video_stream` arguments, the FFmpeg
//! encoder names and options we map onto our `Encoder` (NVENC where it
//! runs, the CPU otherwise), and the frames' way in (conversion, scaling,
//! frame-rate change).

use proj_buffers::VideoFormat;
use proj_encoders::{
    Av1CpuProps, Av1DgpuProps, CpuPreset, DgpuPreset, DgpuProps, EncoderConfig, EncoderProperties,
    H264CpuProps, H264Profile, HevcCpuProps, HevcProfile, RateControl, TuningPreset,
};
use proj_gstreamer::Codec;

use crate::codec_config::{bit_rate, integer, rational, CodecConfig};
use crate::container::Media;
use crate::error::{invalid, unknown, unsupported};
use crate::pixels::PixelFormat;
use crate::{filter, Result};

/// `add_video_stream`'s arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoStreamSpec {
    pub frame_rate: f64,
    pub width: u32,
    pub height: u32,
    pub format: Option<String>,
    pub encoder: Option<String>,
    pub encoder_option: Vec<(String, String)>,
    pub encoder_frame_rate: Option<f64>,
    pub encoder_width: Option<u32>,
    pub encoder_height: Option<u32>,
    pub encoder_format: Option<String>,
    pub codec_config: Option<CodecConfig>,
    pub filter_desc: Option<String>,
    /// `cuda:N`: frames come as pool buffers in GPU memory N.
    pub hw_accel: Option<String>,
}

/// A video stream, checked.
#[derive(Debug, Clone)]
pub struct VideoPlan {
    pub format: PixelFormat,
    pub width: u32,
    pub height: u32,
    pub rate: (u32, u32),
    pub encoder_rate: (u32, u32),
    pub media: Media,
    pub config: EncoderConfig,
    /// `cuda:N` given: frames must be pool buffers (in GPU memory N).
    pub gpu: Option<u32>,
}

/// FFmpeg's video encoder names we map: (name, codec, what it is).
pub const ENCODERS: &[(&str, Codec, Family)] = &[
    ("libx264", Codec::H264, Family::Cpu),
    ("h264", Codec::H264, Family::Best),
    ("h264_nvenc", Codec::H264, Family::Nvenc),
    ("libopenh264", Codec::H264, Family::OpenH264),
    ("libx265", Codec::Hevc, Family::Cpu),
    ("hevc", Codec::Hevc, Family::Best),
    ("hevc_nvenc", Codec::Hevc, Family::Nvenc),
    ("libaom-av1", Codec::Av1, Family::Cpu),
    ("av1", Codec::Av1, Family::Best),
    ("av1_nvenc", Codec::Av1, Family::Nvenc),
    ("mjpeg", Codec::Jpeg, Family::Best),
];

/// Which backends a name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// NVENC (or a Jetson's encoder) where present, else the CPU.
    Best,
    /// The CPU encoder named (x264, x265, libaom).
    Cpu,
    OpenH264,
    /// NVENC, falling back to the CPU (reported as a backend change).
    Nvenc,
}

/// The element that does the work, for the listing helper.
pub fn element(codec: Codec, family: Family) -> &'static str {
    match (codec, family) {
        (Codec::H264, Family::Nvenc) => "nvh264enc",
        (Codec::Hevc, Family::Nvenc) => "nvh265enc",
        (Codec::Av1, Family::Nvenc) => "nvav1enc",
        (Codec::H264, Family::OpenH264) => "openh264enc",
        (Codec::H264, _) => "x264enc",
        (Codec::Hevc, _) => "x265enc",
        (Codec::Av1, _) => "av1enc",
        _ => "jpegenc",
    }
}

fn media(codec: Codec) -> Media {
    match codec {
        Codec::Hevc => Media::Hevc,
        Codec::Av1 => Media::Av1,
        Codec::Jpeg | Codec::Png => Media::Jpeg,
        _ => Media::H264,
    }
}

/// Options and `CodecConfig` in one shape before they become a set.
#[derive(Debug, Default)]
struct Wanted {
    preset: Option<String>,
    bitrate: Option<u32>,
    max_bitrate: Option<u32>,
    crf: Option<u32>,
    qp: Option<u32>,
    cq: Option<u32>,
    gop: Option<u32>,
    threads: Option<u32>,
    profile: Option<String>,
    rate_control: Option<RateControl>,
    tune: Option<TuningPreset>,
    cpu_used: Option<u32>,
    quality: Option<u32>,
    /// `tune=zerolatency` given.
    zero_latency: bool,
}

const CPU_OPTIONS: &[&str] = &[
    "preset", "crf", "qp", "b", "g", "bf", "threads", "profile", "tune",
];
const NVENC_OPTIONS: &[&str] = &[
    "preset", "rc", "b", "maxrate", "qp", "cq", "g", "bf", "profile", "tune",
];
const AV1_OPTIONS: &[&str] = &["cpu-used", "b", "g", "threads"];
const MJPEG_OPTIONS: &[&str] = &["q"];

fn u32_of(name: &'static str, text: &str, max: i64) -> Result<u32> {
    Ok(u32::try_from(integer(name, text, 0, max)?).unwrap_or(0))
}

fn wanted(
    codec: Codec,
    family: Family,
    options: &[(String, String)],
    cc: &CodecConfig,
) -> Result<Wanted> {
    let known = match (codec, family) {
        (Codec::Jpeg, _) => MJPEG_OPTIONS,
        (_, Family::Nvenc) => NVENC_OPTIONS,
        (Codec::Av1, _) => AV1_OPTIONS,
        _ => CPU_OPTIONS,
    };
    let mut w = Wanted {
        bitrate: cc.bit_rate,
        gop: cc.gop_size,
        ..Wanted::default()
    };
    if cc.max_b_frames.is_some_and(|b| b > 0) {
        return Err(unsupported("max_b_frames > 0: our encoders never use B-frames (every frame leaves the encoder at once)"));
    }
    if cc.compression_level.is_some() {
        return Err(unsupported(
            "compression_level is an audio (FLAC) setting; video takes bit_rate, qscale, gop_size",
        ));
    }
    if let Some(q) = cc.qscale {
        let q = u32::try_from(q)
            .ok()
            .filter(|q| *q <= 51)
            .ok_or_else(|| invalid("qscale", "0 to 51 (the QP scale)"))?;
        if codec == Codec::Jpeg {
            w.quality = Some(100u32.saturating_sub(q * 100 / 51));
        } else {
            w.crf = Some(q);
        }
    }
    for (key, value) in options {
        let key = key.trim();
        if key == "threads" && !known.contains(&"threads") || key == "thread_type" {
            return Err(unsupported(format!("the encoder option {key:?} for this encoder (threads is taken by libx264, libx265 and libaom-av1)")));
        }
        if !known.contains(&key) {
            return Err(unknown("encoder option", key, known));
        }
        match key {
            "preset" => w.preset = Some(value.trim().to_ascii_lowercase()),
            "b" => w.bitrate = Some(bit_rate("b", value)?),
            "maxrate" => w.max_bitrate = Some(bit_rate("maxrate", value)?),
            "crf" => w.crf = Some(u32_of("crf", value, 51)?),
            "qp" => w.qp = Some(u32_of("qp", value, 51)?),
            "cq" => w.cq = Some(u32_of("cq", value, 51)?),
            "g" => w.gop = Some(u32_of("g", value, 100_000)?),
            "bf" if value.trim() == "0" => {}
            "bf" => return Err(unsupported("bf other than 0: our encoders never use B-frames")),
            "threads" => w.threads = Some(u32_of("threads", value, 256)?),
            "profile" => w.profile = Some(value.trim().to_ascii_lowercase()),
            "cpu-used" => w.cpu_used = Some(u32_of("cpu-used", value, 10)?),
            "q" => w.quality = Some(100u32.saturating_sub(u32_of("q", value, 31)? * 100 / 31)),
            "rc" => {
                w.rate_control = Some(match value.trim() {
                    "cbr" => RateControl::ConstantBitrate,
                    "vbr" => RateControl::VariableBitrate,
                    "constqp" => RateControl::ConstantQp,
                    other => return Err(unknown("rc", other, &["cbr", "vbr", "constqp"])),
                })
            }
            "tune" => match (family, value.trim()) {
                (Family::Nvenc, "hq") => w.tune = Some(TuningPreset::HighQuality),
                (Family::Nvenc, "ll") => w.tune = Some(TuningPreset::LowLatency),
                (Family::Nvenc, "ull") => w.tune = Some(TuningPreset::UltraLowLatency),
                (Family::Nvenc, "lossless") => w.tune = Some(TuningPreset::Lossless),
                (_, "zerolatency") => w.zero_latency = true,
                (_, other) => {
                    return Err(unsupported(format!(
                        "tune={other}: the CPU encoders always run tune=zerolatency (no frame held); NVENC takes hq, ll, ull, lossless"
                    )))
                }
            },
            _ => {}
        }
    }
    Ok(w)
}

fn cpu_rate_control(w: &Wanted) -> (Option<RateControl>, Option<u32>) {
    match (w.qp, w.crf, w.bitrate) {
        (Some(qp), _, _) => (Some(RateControl::ConstantQp), Some(qp)),
        (None, Some(crf), _) => (Some(RateControl::VariableBitrate), Some(crf)),
        (None, None, Some(_)) => (Some(RateControl::ConstantBitrate), None),
        _ => (None, None),
    }
}

fn properties(codec: Codec, family: Family, w: &Wanted) -> Result<Option<EncoderProperties>> {
    let cpu_preset = w.preset.as_deref().map(CpuPreset::from_name).transpose()?;
    Ok(match (codec, family) {
        (Codec::Jpeg, _) => w.quality.map(|quality| {
            EncoderProperties::Jpeg(proj_encoders::JpegProps {
                quality: Some(quality),
            })
        }),
        (Codec::H264 | Codec::Hevc | Codec::Av1, Family::Nvenc) => {
            let preset = w.preset.as_deref().map(DgpuPreset::from_name).transpose()?;
            let const_qp = w.qp.map(|q| proj_encoders::Qps { i: q, p: q, b: q });
            let rate_control = w.rate_control.or(if w.qp.is_some() {
                Some(RateControl::ConstantQp)
            } else {
                None
            });
            if codec == Codec::Av1 {
                Some(EncoderProperties::Av1Dgpu(Av1DgpuProps {
                    bitrate: w.bitrate,
                    control_rate: rate_control,
                    iframeinterval: w.gop,
                    preset,
                    tuning_info: w.tune,
                    max_bitrate: w.max_bitrate,
                    cq: w.cq,
                    ..Av1DgpuProps::default()
                }))
            } else {
                let props = DgpuProps {
                    bitrate: w.bitrate,
                    control_rate: rate_control,
                    h264_profile: match (codec, w.profile.as_deref()) {
                        (Codec::H264, Some(p)) => Some(H264Profile::from_name(p)?),
                        _ => None,
                    },
                    hevc_profile: match (codec, w.profile.as_deref()) {
                        (Codec::Hevc, Some(p)) => Some(HevcProfile::from_name(p)?),
                        _ => None,
                    },
                    iframeinterval: w.gop,
                    preset,
                    tuning_info: w.tune,
                    const_qp,
                    max_bitrate: w.max_bitrate,
                    cq: w.cq,
                    ..DgpuProps::default()
                };
                Some(if codec == Codec::H264 {
                    EncoderProperties::H264Dgpu(props)
                } else {
                    EncoderProperties::HevcDgpu(props)
                })
            }
        }
        (Codec::Av1, _) => Some(EncoderProperties::Av1Cpu(Av1CpuProps {
            cpu_used: w.cpu_used,
            rate_control: w.bitrate.map(|_| RateControl::ConstantBitrate),
            bitrate: w.bitrate,
            keyframe_interval: w.gop,
            threads: w.threads,
            ..Av1CpuProps::default()
        })),
        (Codec::Hevc, _) => {
            let (rate_control, qp) = cpu_rate_control(w);
            Some(EncoderProperties::HevcCpu(HevcCpuProps {
                preset: cpu_preset,
                rate_control,
                bitrate: w.bitrate,
                qp,
                keyframe_interval: w.gop,
                profile: w
                    .profile
                    .as_deref()
                    .map(HevcProfile::from_name)
                    .transpose()?,
                threads: w.threads,
            }))
        }
        (Codec::H264, Family::Best)
            if w.preset.is_none()
                && w.bitrate.is_none()
                && w.crf.is_none()
                && w.qp.is_none()
                && w.gop.is_none()
                && w.profile.is_none()
                && w.threads.is_none() =>
        {
            None
        }
        _ => {
            let (rate_control, qp) = cpu_rate_control(w);
            Some(EncoderProperties::H264Cpu(H264CpuProps {
                preset: cpu_preset,
                rate_control,
                bitrate: w.bitrate,
                qp,
                keyframe_interval: w.gop,
                profile: w
                    .profile
                    .as_deref()
                    .map(H264Profile::from_name)
                    .transpose()?,
                threads: w.threads,
                openh264: (family == Family::OpenH264).then_some(true),
                // As FFmpeg runs x264: its frame threads may hold a few
                // frames (a recorder does not need each frame out at once);
                // `tune=zerolatency` asks for the other.
                low_latency: Some(w.zero_latency),
            }))
        }
    })
}

fn size(name: &'static str, value: u32) -> Result<u32> {
    if value == 0 || value > proj_encoders::MAX_SIDE {
        return Err(invalid(
            name,
            format!("{value} is not 1 to {} px", proj_encoders::MAX_SIDE),
        ));
    }
    Ok(value)
}

fn gpu_of(hw_accel: Option<&str>) -> Result<Option<u32>> {
    let Some(text) = hw_accel else {
        return Ok(None);
    };
    let id = text
        .trim()
        .strip_prefix("cuda")
        .map(|rest| rest.strip_prefix(':').unwrap_or(rest))
        .map(|n| {
            if n.is_empty() {
                Ok(0)
            } else {
                n.parse::<u32>()
            }
        })
        .and_then(std::result::Result::ok);
    id.map(Some).ok_or_else(|| {
        invalid(
            "hwAccel",
            format!("{text:?}: expected \"cuda\" or \"cuda:N\""),
        )
    })
}

impl VideoStreamSpec {
    /// Checks every argument and decides the encoder.
    pub fn plan(&self) -> Result<VideoPlan> {
        let rate = rational("frameRate", self.frame_rate)?;
        let (width, height) = (size("width", self.width)?, size("height", self.height)?);
        let format = PixelFormat::from_name(self.format.as_deref().unwrap_or("rgb24"))?;
        let filters = self
            .filter_desc
            .as_deref()
            .map(filter::video)
            .transpose()?
            .unwrap_or_default();
        let pick = |name: &'static str, explicit: Option<u32>, filtered: Option<u32>| match (
            explicit, filtered,
        ) {
            (Some(a), Some(b)) if a != b => {
                Err(invalid(name, format!("{a} here and {b} in filterDesc")))
            }
            (a, b) => a.or(b).map(|v| size(name, v)).transpose(),
        };
        let enc_width = pick(
            "encoderWidth",
            self.encoder_width,
            filters.size.map(|s| s.0),
        )?
        .unwrap_or(width);
        let enc_height = pick(
            "encoderHeight",
            self.encoder_height,
            filters.size.map(|s| s.1),
        )?
        .unwrap_or(height);
        if enc_width % 2 == 1 || enc_height % 2 == 1 {
            return Err(invalid(
                "encoderWidth",
                format!("{enc_width}x{enc_height}: 4:2:0 video needs even sides; give encoderWidth/encoderHeight"),
            ));
        }
        let encoder_rate = match self.encoder_frame_rate.or(filters.frame_rate) {
            Some(r) => rational("encoderFrameRate", r)?,
            None => rate,
        };
        if let Some(f) = self.encoder_format.as_deref().or(filters.format) {
            if !["yuv420p", "nv12"].contains(&f.trim().to_ascii_lowercase().as_str()) {
                return Err(unsupported(format!(
                    "encoderFormat {f:?}: our encoders take 4:2:0 (yuv420p, nv12)"
                )));
            }
        }
        let name = self
            .encoder
            .as_deref()
            .map(|n| n.trim().to_ascii_lowercase());
        let (codec, family) = match name.as_deref() {
            None => (Codec::H264, Family::Best),
            Some(n) => ENCODERS
                .iter()
                .find(|(e, _, _)| *e == n)
                .map(|(_, c, f)| (*c, *f))
                .ok_or_else(|| {
                    unknown(
                        "video encoder",
                        n,
                        &ENCODERS.iter().map(|e| e.0).collect::<Vec<_>>(),
                    )
                })?,
        };
        let gpu = gpu_of(self.hw_accel.as_deref())?;
        let w = wanted(
            codec,
            family,
            &self.encoder_option,
            &self.codec_config.unwrap_or_default(),
        )?;
        let mut config = EncoderConfig::new(codec, enc_width, enc_height);
        config.format = VideoFormat::I420;
        config.fps_num = encoder_rate.0;
        config.fps_den = encoder_rate.1;
        config.properties = properties(codec, family, &w)?;
        if let Some(gpu) = gpu {
            // Pool buffers in that GPU's memory, converted to I420 there;
            // NVENC (where present) on the same GPU.
            config.gpu_id = gpu;
        }
        let machine = proj_buffers::is_jetson_kernel().then_some(proj_encoders::Platform::Jetson);
        config.check(machine)?;
        Ok(VideoPlan {
            format,
            width,
            height,
            rate,
            encoder_rate,
            media: media(codec),
            config,
            gpu,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingError;

    fn spec() -> VideoStreamSpec {
        VideoStreamSpec {
            frame_rate: 30.0,
            width: 64,
            height: 48,
            ..VideoStreamSpec::default()
        }
    }

    #[test]
    fn ffmpeg_names_and_options_become_our_sets() -> Result<()> {
        let mut s = spec();
        s.encoder = Some("libx264".into());
        s.encoder_option = vec![
            ("preset".into(), "ultrafast".into()),
            ("crf".into(), "23".into()),
        ];
        s.codec_config = Some(CodecConfig {
            gop_size: Some(15),
            ..CodecConfig::default()
        });
        let plan = s.plan()?;
        match plan.config.properties {
            Some(EncoderProperties::H264Cpu(p)) => {
                assert_eq!(p.preset, Some(CpuPreset::Ultrafast));
                assert_eq!(
                    (p.rate_control, p.qp),
                    (Some(RateControl::VariableBitrate), Some(23))
                );
                assert_eq!(p.keyframe_interval, Some(15));
                // FFmpeg's x264: frame threads, unless tune=zerolatency.
                assert_eq!(p.low_latency, Some(false));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(spec().plan()?.config.properties, None);
        // An option given alone is honoured, never dropped with the default set.
        let mut s = spec();
        s.encoder_option = vec![("threads".into(), "2".into())];
        match s.plan()?.config.properties {
            Some(EncoderProperties::H264Cpu(p)) => assert_eq!(p.threads, Some(2)),
            other => panic!("{other:?}"),
        }
        Ok(())
    }

    #[test]
    fn what_we_cannot_honour_is_refused_by_name() {
        let mut s = spec();
        s.encoder = Some("libvpx".into());
        assert!(matches!(s.plan(), Err(RecordingError::UnknownName { .. })));
        let mut s = spec();
        s.encoder_option = vec![("x264-params".into(), "a=b".into())];
        assert!(matches!(s.plan(), Err(RecordingError::UnknownName { .. })));
        let mut s = spec();
        s.encoder_option = vec![("bf".into(), "2".into())];
        assert!(matches!(s.plan(), Err(RecordingError::Unsupported { .. })));
        let mut s = spec();
        s.encoder_format = Some("yuv444p".into());
        assert!(matches!(s.plan(), Err(RecordingError::Unsupported { .. })));
        let mut s = spec();
        s.width = 63;
        assert!(matches!(
            s.plan(),
            Err(RecordingError::InvalidArgument { .. })
        ));
        s.encoder_width = Some(64);
        assert!(s.plan().is_ok());
    }
}
