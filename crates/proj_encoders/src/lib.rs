//! Encoders of `@proj`. This part holds the configuration: the spec's
//! `EncoderConfig` and its property sets (`*DgpuProps`, `*JetsonProps`,
//! `JpegProps`, `PngProps`, and our CPU sets), every field range-checked
//! when the config is built, and the mapping of a set onto the CPU encoder
//! elements (x264enc, x265enc, av1enc, jpegenc, pngenc) with the fields
//! that element cannot honour listed, never dropped silently.

mod config;
mod convert;
mod cpu;
mod encoder;
mod error;
mod names;
mod props;

pub use config::{EncoderConfig, MAX_SIDE};
pub use convert::{to_i420, FrameData, Layout};
pub use cpu::{cpu_encoder, CpuEncoder};
pub use encoder::{EncodedFrame, Encoder, EncoderOutput, OutputCallback, Prepared};
pub use error::{EncodersError, Result};
pub use names::{
    CpuPreset, DgpuPreset, H264Profile, HevcProfile, JetsonPresetLevel, Platform, RateControl,
    TuningPreset,
};
pub use props::{
    Av1CpuProps, Av1DgpuProps, Av1JetsonProps, DgpuProps, EncoderProperties, H264CpuProps,
    H264JetsonProps, HevcCpuProps, HevcJetsonProps, JetsonProps, JpegProps, PngProps, QpRange, Qps,
};
