//! Which element encodes a config, and how it is set: the backends that
//! can run here, best first (NVENC, a Jetson's encoder, then the CPU, which
//! is always there). An encoder starts on the first that opens and falls
//! back along the rest.

use crate::{cpu_encoder, jetson_encoder, nvenc_encoder, EncoderConfig, Platform, Result};

/// Where a plan encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// nvcodec's `nvh264enc`/`nvh265enc` on a discrete GPU.
    Nvenc,
    /// `nvv4l2*enc` behind `nvvideoconvert` on a Jetson.
    Jetson,
    /// x264enc, x265enc, openh264enc, av1enc, jpegenc, pngenc.
    Cpu,
}

/// The encoder element a config runs on, and how it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub backend: Backend,
    pub element: &'static str,
    /// Element properties, as `gst-launch-1.0` would spell their values.
    pub properties: Vec<(&'static str, String)>,
    /// Properties set only where the element has them (NVENC installs
    /// `bframes` only on GPUs that can make B-frames).
    pub if_present: Vec<(&'static str, String)>,
    /// The `profile` the encoder's output caps ask for (x264, x265 and
    /// NVENC take their profile from downstream caps).
    pub profile: Option<&'static str>,
    /// Fields of the set this element cannot honour.
    pub unmapped: Vec<&'static str>,
}

impl Plan {
    /// Whether another backend may take over when this one fails to open.
    pub fn may_fall_back(&self) -> bool {
        self.backend != Backend::Cpu
    }
}

fn installed(factory: &str) -> bool {
    gstreamer::ElementFactory::find(factory).is_some()
}

/// The backends that may encode `config` here, best first; the last is
/// always the CPU. NVENC is tried for H.264/HEVC with a dGPU set or none,
/// a Jetson's encoders with a Jetson set or none. Without a set, only
/// where GStreamer registered the element (nvcodec registers no
/// `nvh26xenc` on GPUs without NVENC: H100, H200, A100); with a set of that
/// platform always, so that the encoder reports the CPU taking over. A
/// CPU, JPEG or PNG set means the CPU.
pub fn candidates(config: &EncoderConfig) -> Result<Vec<Plan>> {
    proj_gstreamer::init()?;
    let props = config.properties.as_ref();
    let platform = props.map(crate::EncoderProperties::platform);
    let mut plans = Vec::new();
    let asked = |p: Platform| platform == Some(Some(p));
    if asked(Platform::Dgpu) || platform.is_none() {
        if let Some(plan) = nvenc_encoder(config.codec, props)
            .filter(|p| asked(Platform::Dgpu) || installed(p.element))
        {
            plans.push(plan);
        }
    }
    if asked(Platform::Jetson) || platform.is_none() {
        if let Some(plan) = jetson_encoder(config.codec, props).filter(|p| {
            asked(Platform::Jetson) || (installed(p.element) && installed("nvvideoconvert"))
        }) {
            plans.push(plan);
        }
    }
    plans.push(cpu_encoder(config.codec, props)?);
    Ok(plans)
}
