use std::fmt;

use crate::{FrameError, Result};

/// What a frame's content is encoded as (or its raw pixel layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    H264,
    Hevc,
    Jpeg,
    Av1,
    Png,
    Vp8,
    Vp9,
    RawRgba,
    RawRgb,
    RawNv12,
}

impl VideoCodec {
    pub const ALL: [Self; 10] = [
        Self::H264,
        Self::Hevc,
        Self::Jpeg,
        Self::Av1,
        Self::Png,
        Self::Vp8,
        Self::Vp9,
        Self::RawRgba,
        Self::RawRgb,
        Self::RawNv12,
    ];

    /// Parses a name, case-insensitively; `avc` and `h265` are aliases.
    pub fn from_name(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase();
        match lower.as_str() {
            "avc" => Ok(Self::H264),
            "h265" => Ok(Self::Hevc),
            other => Self::ALL
                .into_iter()
                .find(|codec| codec.name() == other)
                .ok_or_else(|| FrameError::UnknownCodec { name: name.into() }),
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::H264 => "h264",
            Self::Hevc => "hevc",
            Self::Jpeg => "jpeg",
            Self::Av1 => "av1",
            Self::Png => "png",
            Self::Vp8 => "vp8",
            Self::Vp9 => "vp9",
            Self::RawRgba => "raw_rgba",
            Self::RawRgb => "raw_rgb",
            Self::RawNv12 => "raw_nv12",
        }
    }

    /// Every frame can be decoded on its own.
    pub const fn is_intra_only(self) -> bool {
        matches!(
            self,
            Self::Jpeg | Self::Png | Self::RawRgba | Self::RawRgb | Self::RawNv12
        )
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_any_case() {
        for codec in VideoCodec::ALL {
            assert_eq!(VideoCodec::from_name(codec.name()), Ok(codec));
            assert_eq!(
                VideoCodec::from_name(&codec.name().to_uppercase()),
                Ok(codec)
            );
        }
        assert_eq!(VideoCodec::from_name("AVC"), Ok(VideoCodec::H264));
        assert_eq!(VideoCodec::from_name("h265"), Ok(VideoCodec::Hevc));
        assert!(matches!(
            VideoCodec::from_name("mpeg2"),
            Err(FrameError::UnknownCodec { .. })
        ));
    }
}
