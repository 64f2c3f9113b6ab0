//! Encoded packets remuxed as they are (a camera's H.264/HEVC/AAC/Opus):
//! what such a stream is, and its caps and parser.

use gstreamer as gst;
use proj_gstreamer::Codec;

use crate::container::Media;
use crate::error::unsupported;
use crate::Result;

/// An encoded stream added for remuxing (`add_packet_stream`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketStreamSpec {
    /// `h264`, `hevc`, `aac` or `opus`.
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u32,
    /// AAC's AudioSpecificConfig where the packets are raw (from MP4,
    /// RTSP); without it AAC packets must be ADTS.
    pub codec_data: Option<Vec<u8>>,
}

/// The caps and parser of a packet stream.
pub(crate) fn packet_caps(media: Media, p: &PacketStreamSpec) -> Result<(gst::Caps, &'static str)> {
    let rate = i32::try_from(p.sample_rate).unwrap_or(48_000);
    let channels = i32::try_from(p.channels).unwrap_or(2);
    Ok(match media {
        Media::H264 | Media::Hevc => {
            let codec = if media == Media::H264 {
                Codec::H264
            } else {
                Codec::Hevc
            };
            let name = if media == Media::H264 {
                "video/x-h264"
            } else {
                "video/x-h265"
            };
            let mut caps = gst::Caps::builder(name)
                .field("stream-format", "byte-stream")
                .field("alignment", "au");
            if p.width > 0 && p.height > 0 {
                caps = caps
                    .field("width", i32::try_from(p.width).unwrap_or(0))
                    .field("height", i32::try_from(p.height).unwrap_or(0));
            }
            (caps.build(), codec.parser_element().unwrap_or("h264parse"))
        }
        Media::Aac => {
            let caps = gst::Caps::builder("audio/mpeg")
                .field("mpegversion", 4i32)
                .field("rate", rate)
                .field("channels", channels);
            let caps = match &p.codec_data {
                Some(config) if !config.is_empty() => caps
                    .field("stream-format", "raw")
                    .field("codec_data", gst::Buffer::from_slice(config.clone()))
                    .build(),
                _ => caps.field("stream-format", "adts").build(),
            };
            (caps, "aacparse")
        }
        Media::Opus => (
            gst::Caps::builder("audio/x-opus")
                .field("channel-mapping-family", 0i32)
                .field("rate", rate)
                .field("channels", channels)
                .build(),
            "opusparse",
        ),
        other => return Err(unsupported(format!("{} packets", other.name()))),
    })
}
