//! Decoders for `@proj`: `FlexibleDecoder` adapts one source's stream to
//! whatever codec and size its frames say, and `FlexibleDecoderPool` runs
//! one per source. Decoded pictures land as RGBA in `proj_buffers` pools.
//!
//! A session is `appsrc → parser → decoder → videoconvert → appsink` in
//! GStreamer: software decoders on the CPU, NVDEC (`nvcodec`) where the
//! output pool is on a GPU and the elements exist. 4:2:0 output is
//! converted to RGBA straight into the pool buffer with the stream's own
//! matrix and range: on the CPU (`yuvutils-rs`), or, for NVDEC sharing our
//! CUDA context (`nvdec::cuda`), by a CUDA kernel without leaving the GPU.

mod active;
mod buffer_wait;
mod codec_data;
mod config;
mod decoder;
mod error;
mod nvdec;
mod output;
mod payload;
mod pending;
mod picture;
mod pool;
mod raw;
mod session;
mod timing;

pub use config::{
    ConfigCallback, CudadecMemtype, DecoderConfig, DecoderSettings, EvictionCallback,
    EvictionDecision, FlexibleDecoderConfig, FlexibleDecoderPoolConfig, H264StreamFormat,
    HardwareOptions, HevcStreamFormat, JpegBackend, DEFAULT_MAX_SOURCES,
};
pub use decoder::FlexibleDecoder;
pub use error::{DecodersError, Result};
pub use output::{DecodedFrame, DecoderParameters, Output, OutputCallback, SkipReason};
pub use pool::FlexibleDecoderPool;
