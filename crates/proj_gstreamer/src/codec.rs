use std::fmt;
use std::str::FromStr;

use crate::{GstreamerError, Result};

/// Video codecs accepted by the muxer (and, later, the encoders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    H264,
    Hevc,
    Jpeg,
    Av1,
    Png,
}

impl Codec {
    pub const ALL: [Codec; 5] = [
        Codec::H264,
        Codec::Hevc,
        Codec::Jpeg,
        Codec::Av1,
        Codec::Png,
    ];

    /// Parses `h264`, `hevc`, `h265`, `jpeg`, `av1`, `png`, ignoring case.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "h264" => Ok(Codec::H264),
            "hevc" | "h265" => Ok(Codec::Hevc),
            "jpeg" => Ok(Codec::Jpeg),
            "av1" => Ok(Codec::Av1),
            "png" => Ok(Codec::Png),
            _ => Err(GstreamerError::UnknownCodec {
                name: name.to_owned(),
            }),
        }
    }

    /// The canonical lower-case name (`hevc`, never `h265`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::Hevc => "hevc",
            Codec::Jpeg => "jpeg",
            Codec::Av1 => "av1",
            Codec::Png => "png",
        }
    }

    /// Whether every frame is a keyframe.
    pub fn is_intra_only(self) -> bool {
        matches!(self, Codec::Jpeg | Codec::Png)
    }

    /// Caps of the encoded frames as the muxer receives them: byte-stream
    /// access units for H.264/HEVC, temporal units for AV1, whole images.
    pub fn input_caps(self, fps_num: i32, fps_den: i32) -> gstreamer::Caps {
        let framerate = gstreamer::Fraction::new(fps_num, fps_den);
        let builder = match self {
            Codec::H264 => gstreamer::Caps::builder("video/x-h264")
                .field("stream-format", "byte-stream")
                .field("alignment", "au"),
            Codec::Hevc => gstreamer::Caps::builder("video/x-h265")
                .field("stream-format", "byte-stream")
                .field("alignment", "au"),
            Codec::Av1 => gstreamer::Caps::builder("video/x-av1")
                .field("stream-format", "obu-stream")
                .field("alignment", "tu"),
            Codec::Jpeg => gstreamer::Caps::builder("image/jpeg"),
            Codec::Png => gstreamer::Caps::builder("image/png"),
        };
        builder.field("framerate", framerate).build()
    }

    /// The GStreamer parser that turns input caps into what qtmux takes.
    /// Images need none: the muxer reads their size itself and puts it in
    /// the caps (jpegparse/pngparse drop buffer durations, which loses the
    /// last frame's sample in the MP4).
    pub fn parser_element(self) -> Option<&'static str> {
        match self {
            Codec::H264 => Some("h264parse"),
            Codec::Hevc => Some("h265parse"),
            Codec::Av1 => Some("av1parse"),
            Codec::Jpeg | Codec::Png => None,
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = GstreamerError;
    fn from_str(s: &str) -> Result<Self> {
        Codec::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_alias_case_insensitively() {
        for (name, codec) in [
            ("h264", Codec::H264),
            ("H264", Codec::H264),
            ("hevc", Codec::Hevc),
            ("H265", Codec::Hevc),
            ("Jpeg", Codec::Jpeg),
            ("AV1", Codec::Av1),
            ("png", Codec::Png),
        ] {
            assert_eq!(Codec::from_name(name), Ok(codec), "{name}");
        }
    }

    #[test]
    fn canonical_names_round_trip() {
        for codec in Codec::ALL {
            assert_eq!(Codec::from_name(codec.name()), Ok(codec));
        }
        assert_eq!(Codec::Hevc.name(), "hevc");
    }

    #[test]
    fn unknown_names_are_typed_errors() {
        for name in ["", "h263", "vp9", "mjpeg"] {
            assert!(
                matches!(
                    Codec::from_name(name),
                    Err(GstreamerError::UnknownCodec { .. })
                ),
                "{name}"
            );
        }
    }
}
