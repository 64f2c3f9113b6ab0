//! What a source yields: packets of whole access units, and what each of
//! its streams is, read from the demuxer's caps.

use gstreamer as gst;

/// Video or audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Video,
    Audio,
}

impl StreamKind {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }
}

/// One elementary stream of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// In the order the demuxer exposed the streams, from 0.
    pub index: u32,
    pub kind: StreamKind,
    /// `VideoFrame`'s codec names (`h264`, `hevc`, `av1`, `vp8`, `vp9`,
    /// `jpeg`, `png`), or `aac`/`opus` for audio.
    pub codec: &'static str,
    /// Video only (0 for audio).
    pub width: u32,
    pub height: u32,
    /// Audio only (0 for video).
    pub sample_rate: u32,
    pub channels: u32,
    /// The demuxer's `codec_data` (AAC's AudioSpecificConfig from MP4 or
    /// RTSP): what a remux of raw AAC packets needs.
    pub codec_data: Option<Vec<u8>>,
}

/// One access unit (a temporal unit for AV1, a whole image for JPEG/PNG;
/// an audio frame), H.264/HEVC in Annex-B byte-stream form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub stream: u32,
    pub kind: StreamKind,
    pub codec: &'static str,
    pub width: u32,
    pub height: u32,
    /// Nanoseconds, increasing across loops of a file.
    pub pts_ns: Option<u64>,
    pub dts_ns: Option<u64>,
    pub duration_ns: Option<u64>,
    pub keyframe: bool,
    /// The first packet after a loop (or, live, a reconnect).
    pub discontinuity: bool,
    pub data: Vec<u8>,
}

/// How a demuxed stream becomes packets: its codec, and the parser and
/// caps that turn it into whole access units in the form our decoders
/// take.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub info: StreamInfo,
    pub parser: Option<&'static str>,
    pub caps: Option<gst::Caps>,
}

fn int(s: &gst::StructureRef, field: &str) -> u32 {
    s.get::<i32>(field)
        .ok()
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

/// The branch for a stream with `caps`; `Err(name)` where we do not yield
/// its codec (the caps name, for the event that says so).
pub(crate) fn branch(index: u32, caps: &gst::CapsRef) -> Result<Branch, String> {
    let Some(s) = caps.structure(0) else {
        return Err("no caps".into());
    };
    let name = s.name().as_str();
    let au = |media: &str, format: &str, alignment: &str| {
        gst::Caps::builder(media)
            .field("stream-format", format)
            .field("alignment", alignment)
            .build()
    };
    let (kind, codec, parser, out) = match name {
        "video/x-h264" => (
            StreamKind::Video,
            "h264",
            Some("h264parse"),
            Some(au(name, "byte-stream", "au")),
        ),
        "video/x-h265" => (
            StreamKind::Video,
            "hevc",
            Some("h265parse"),
            Some(au(name, "byte-stream", "au")),
        ),
        "video/x-av1" => (
            StreamKind::Video,
            "av1",
            Some("av1parse"),
            Some(au(name, "obu-stream", "tu")),
        ),
        "video/x-vp8" => (StreamKind::Video, "vp8", None, None),
        "video/x-vp9" => (StreamKind::Video, "vp9", None, None),
        "image/jpeg" => (StreamKind::Video, "jpeg", None, None),
        "image/png" => (StreamKind::Video, "png", None, None),
        "audio/mpeg" if s.get::<i32>("mpegversion").is_ok_and(|v| v == 2 || v == 4) => {
            (StreamKind::Audio, "aac", None, None)
        }
        "audio/x-opus" => (StreamKind::Audio, "opus", None, None),
        other => return Err(other.to_owned()),
    };
    Ok(Branch {
        info: StreamInfo {
            index,
            kind,
            codec,
            width: int(s, "width"),
            height: int(s, "height"),
            sample_rate: int(s, "rate"),
            channels: int(s, "channels"),
            codec_data: s
                .get::<gst::Buffer>("codec_data")
                .ok()
                .and_then(|b| b.map_readable().ok().map(|m| m.to_vec())),
        },
        parser,
        caps: out,
    })
}
