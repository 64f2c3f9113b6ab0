//! Encoders of `@proj`: the spec's `EncoderConfig` and its property sets
//! (`*DgpuProps`, `*JetsonProps`, `JpegProps`, `PngProps`, and our CPU
//! sets), every field range-checked when the config is built; the mapping
//! of a set onto each backend's element (NVENC, a Jetson's `nvv4l2*enc`,
//! the CPU's x264enc/x265enc/openh264enc/av1enc/jpegenc/pngenc) with the
//! fields that element cannot honour listed, never dropped silently; and
//! the `Encoder`, which runs on the best backend that opens and falls back
//! along the rest without losing a frame.

mod config;
mod convert;
mod cpu;
mod encoder;
mod error;
mod jetson;
mod names;
mod nvenc;
mod plan;
mod props;
mod stage;

pub use config::{EncoderConfig, MAX_SIDE};
pub use convert::{to_i420, FrameData, Layout};
pub use cpu::cpu_encoder;
pub use encoder::{BackendChange, EncodedFrame, Encoder, EncoderOutput, OutputCallback, Prepared};
pub use error::{EncodersError, Result};
pub use jetson::jetson_encoder;
pub use names::{
    CpuPreset, DgpuPreset, H264Profile, HevcProfile, JetsonPresetLevel, Platform, RateControl,
    TuningPreset,
};
pub use nvenc::nvenc_encoder;
pub use plan::{candidates, Backend, Plan};
pub use props::{
    Av1CpuProps, Av1DgpuProps, Av1JetsonProps, DgpuProps, EncoderProperties, H264CpuProps,
    H264JetsonProps, HevcCpuProps, HevcJetsonProps, JetsonProps, JpegProps, PngProps, QpRange, Qps,
};
