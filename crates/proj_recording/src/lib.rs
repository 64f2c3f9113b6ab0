//! Recording for `@proj`: `StreamingMediaEncoder`, torio's chunk-by-chunk
//! encoder (video, audio, data and packet streams) to a file, a writer
//! (a Node `Writable`) or a live server, over one GStreamer pipeline.

mod audio;
pub mod chunked;
mod codec_config;
mod container;
mod error;
mod events;
mod filter;
mod lossless;
mod media_encoder;
mod metadata;
mod output;
mod packets;
mod pipeline;
mod pixels;
mod shared;
mod stats;
mod stream;
mod video;
mod video_write;

pub use audio::{AudioCodec, AudioStreamSpec, SampleFormat};
pub use codec_config::CodecConfig;
pub use container::{Container, Media};
pub use error::{RecordingError, Result};
pub use events::{Event, EventCallback};
pub use lossless::{LosslessSpec, RawFormat};
pub use media_encoder::{
    EncoderOptions, EncoderStats, PacketStreamSpec, StreamStats, StreamingMediaEncoder,
};
pub use pixels::{PixelFormat, I420};
pub use video::{VideoStreamSpec, ENCODERS as VIDEO_ENCODERS};

/// The muxers (FFmpeg's `-f` names) this machine writes, with what each is.
pub fn muxers() -> Vec<(&'static str, &'static str)> {
    let _ = proj_gstreamer::init();
    Container::ALL
        .iter()
        .filter(|c| gstreamer::ElementFactory::find(c.element()).is_some())
        .map(|c| (c.name(), c.description()))
        .collect()
}

/// The video encoders (FFmpeg's names) we map, with the element each
/// runs here first (NVENC names fall back to the CPU where NVENC is absent).
pub fn video_encoders() -> Vec<(&'static str, &'static str)> {
    let _ = proj_gstreamer::init();
    video::ENCODERS
        .iter()
        .map(|(name, codec, family)| (*name, video::element(*codec, *family)))
        .filter(|(name, element)| {
            gstreamer::ElementFactory::find(element).is_some() || name.ends_with("_nvenc")
        })
        .collect()
}

/// The audio encoders (FFmpeg's names) whose element is installed here.
pub fn audio_encoders() -> Vec<(&'static str, &'static str)> {
    let _ = proj_gstreamer::init();
    audio::ENCODERS
        .iter()
        .filter_map(|(name, codec)| {
            codec
                .elements()
                .iter()
                .find(|e| gstreamer::ElementFactory::find(e).is_some())
                .map(|e| (*name, *e))
        })
        .collect()
}
