//! Where the bytes go (a file, a writer, a live server) and in which
//! container, and what each container can hold.

use std::path::{Path, PathBuf};

use crate::error::{invalid, unknown, unsupported};
use crate::Result;

/// A container and the muxer that writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO MP4 (`mp4mux`), fragmented unless asked otherwise.
    Mp4,
    /// QuickTime (`qtmux`), fragmented unless asked otherwise.
    Mov,
    /// Matroska (`matroskamux`).
    Matroska,
    /// MPEG-TS (`mpegtsmux`).
    MpegTs,
    /// FLV (`flvmux`), what RTMP carries.
    Flv,
}

/// What a stream of a container holds, for the compatibility checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    H264,
    Hevc,
    Av1,
    Jpeg,
    Aac,
    Opus,
    Flac,
    Mp3,
    Data,
    /// Lossless video (FFmpeg's `ffv1`).
    Ffv1,
}

impl Media {
    pub const fn name(self) -> &'static str {
        match self {
            Self::H264 => "h264",
            Self::Hevc => "hevc",
            Self::Av1 => "av1",
            Self::Jpeg => "mjpeg",
            Self::Aac => "aac",
            Self::Opus => "opus",
            Self::Flac => "flac",
            Self::Mp3 => "mp3",
            Self::Data => "data",
            Self::Ffv1 => "ffv1",
        }
    }
}

/// FFmpeg's muxer names (`-f`) we map, and ours.
const NAMES: &[(&str, Container)] = &[
    ("mp4", Container::Mp4),
    ("mov", Container::Mov),
    ("matroska", Container::Matroska),
    ("mkv", Container::Matroska),
    ("mpegts", Container::MpegTs),
    ("ts", Container::MpegTs),
    ("flv", Container::Flv),
];

impl Container {
    pub const ALL: [Self; 5] = [
        Self::Mp4,
        Self::Mov,
        Self::Matroska,
        Self::MpegTs,
        Self::Flv,
    ];

    /// FFmpeg's name (`-f`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
            Self::Matroska => "matroska",
            Self::MpegTs => "mpegts",
            Self::Flv => "flv",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            Self::Mp4 => {
                "MP4 (ISO BMFF), fragmented by default: crash-safe and readable while written"
            }
            Self::Mov => "QuickTime MOV, fragmented by default",
            Self::Matroska => "Matroska (MKV): any of our codecs, byte-exact data tracks",
            Self::MpegTs => "MPEG transport stream: what SRT and broadcast carry",
            Self::Flv => "FLV: what RTMP carries (H.264 with AAC or MP3)",
        }
    }

    pub const fn element(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4mux",
            Self::Mov => "qtmux",
            Self::Matroska => "matroskamux",
            Self::MpegTs => "mpegtsmux",
            Self::Flv => "flvmux",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        let folded = name.trim().to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(n, _)| *n == folded)
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                unknown(
                    "format",
                    name,
                    &NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                )
            })
    }

    fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "mp4" | "m4v" | "m4a" => Self::Mp4,
            "mov" => Self::Mov,
            "mkv" | "mka" | "mks" => Self::Matroska,
            "ts" | "m2ts" | "mts" => Self::MpegTs,
            "flv" => Self::Flv,
            _ => return None,
        })
    }

    pub const fn is_mp4(self) -> bool {
        matches!(self, Self::Mp4 | Self::Mov)
    }

    /// The request-pad template for a stream of `media`.
    pub fn pad_template(self, media: Media) -> &'static str {
        match (self, media) {
            (Self::MpegTs, _) => "sink_%d",
            (Self::Flv, Media::Aac | Media::Mp3) => "audio",
            (Self::Flv, _) => "video",
            (_, Media::Data) => "subtitle_%u",
            (_, Media::Aac | Media::Opus | Media::Flac | Media::Mp3) => "audio_%u",
            _ => "video_%u",
        }
    }

    /// Whether the container holds `media` (GStreamer 1.22's muxers,
    /// `facts/recording.md` §3 and the muxers' caps).
    pub fn holds(self, media: Media) -> bool {
        use Media::*;
        match self {
            Self::Mp4 | Self::Mov => !matches!(media, Flac | Ffv1),
            Self::Matroska => true,
            Self::MpegTs => matches!(media, H264 | Hevc | Aac | Opus | Mp3),
            Self::Flv => matches!(media, H264 | Aac | Mp3),
        }
    }

    /// Checks that the container takes `media`; the error says which do.
    pub fn check_holds(self, media: Media) -> Result<()> {
        if self.holds(media) {
            return Ok(());
        }
        let takers: Vec<&str> = Self::ALL
            .iter()
            .filter(|c| c.holds(media))
            .map(|c| c.name())
            .collect();
        Err(unsupported(format!(
            "{} cannot hold a {} stream (containers that can: {})",
            self.name(),
            media.name(),
            takers.join(", ")
        )))
    }
}

/// A live output's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    Rtmp,
    Srt,
}

/// Where the bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    File(PathBuf),
    /// Bytes handed to the caller in order (a Node `Writable`): never a
    /// seek, so only containers written front to back.
    Writer,
    Live(Live, String),
}

/// The destination and its container, decided when the encoder is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub destination: Destination,
    pub container: Container,
    /// Fragment length for MP4/MOV (0: a regular MP4, only valid once
    /// closed, and only for files).
    pub fragment_ms: u32,
}

impl Target {
    /// `dst` is a path or an `rtmp://`/`rtmps://`/`srt://` URL (`None`: a
    /// writer); `format` overrides the container.
    pub fn new(dst: Option<&str>, format: Option<&str>, fragment_ms: u32) -> Result<Self> {
        let named = format.map(Container::from_name).transpose()?;
        let (destination, container) = match dst {
            None => (Destination::Writer, named.unwrap_or(Container::Mp4)),
            Some(url) if scheme(url, &["rtmp", "rtmps"]) => (
                Destination::Live(Live::Rtmp, url.to_owned()),
                named.unwrap_or(Container::Flv),
            ),
            Some(url) if scheme(url, &["srt"]) => (
                Destination::Live(Live::Srt, url.to_owned()),
                named.unwrap_or(Container::MpegTs),
            ),
            Some(url) if url.contains("://") => {
                return Err(unsupported(format!(
                    "the output {url:?}: files, Writables, rtmp://, rtmps:// and srt:// are written"
                )))
            }
            Some(path) => {
                if path.is_empty() || path.contains('\0') {
                    return Err(invalid("dst", "an empty path or one with a NUL character"));
                }
                let path = PathBuf::from(path);
                let container = match named.or_else(|| Container::from_extension(&path)) {
                    Some(c) => c,
                    None => {
                        return Err(invalid(
                            "format",
                            format!("{path:?} has no known extension: name the format (mp4, mov, matroska, mpegts, flv)"),
                        ))
                    }
                };
                (Destination::File(path), container)
            }
        };
        let target = Self {
            destination,
            container,
            fragment_ms,
        };
        target.check()?;
        Ok(target)
    }

    fn check(&self) -> Result<()> {
        match (&self.destination, self.container) {
            (Destination::Live(Live::Rtmp, _), c) if c != Container::Flv => Err(unsupported(
                format!("RTMP carries FLV, not {}", c.name()),
            )),
            (Destination::Live(Live::Srt, _), c) if c != Container::MpegTs => Err(unsupported(
                format!("SRT output is MPEG-TS here, not {}", c.name()),
            )),
            (Destination::Writer, c) if c.is_mp4() && self.fragment_ms == 0 => {
                Err(unsupported(
                    "a regular (unfragmented) MP4 must seek back to finish; a Writable never seeks: use fragmented MP4 (the default), matroska or mpegts",
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn describe(&self) -> String {
        match &self.destination {
            Destination::File(path) => format!("{path:?}"),
            Destination::Writer => "the Writable".into(),
            Destination::Live(_, url) => url.clone(),
        }
    }
}

fn scheme(url: &str, schemes: &[&str]) -> bool {
    url.split_once("://")
        .is_some_and(|(s, _)| schemes.iter().any(|x| s.eq_ignore_ascii_case(x)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingError;

    #[test]
    fn containers_come_from_the_format_the_extension_or_the_url() -> Result<()> {
        assert_eq!(
            Target::new(Some("a.mkv"), None, 500)?.container,
            Container::Matroska
        );
        assert_eq!(
            Target::new(Some("a.bin"), Some("mpegts"), 500)?.container,
            Container::MpegTs
        );
        assert_eq!(Target::new(None, None, 500)?.container, Container::Mp4);
        assert_eq!(
            Target::new(Some("rtmp://127.0.0.1/live/x"), None, 500)?.container,
            Container::Flv
        );
        assert_eq!(
            Target::new(Some("srt://127.0.0.1:9000"), None, 500)?.container,
            Container::MpegTs
        );
        Ok(())
    }

    #[test]
    fn a_writer_never_gets_a_container_that_seeks() {
        assert!(matches!(
            Target::new(None, Some("mp4"), 0),
            Err(RecordingError::Unsupported { .. })
        ));
        assert!(matches!(
            Target::new(Some("rtmp://h/a"), Some("matroska"), 500),
            Err(RecordingError::Unsupported { .. })
        ));
        assert!(matches!(
            Target::new(Some("x.avi"), None, 500),
            Err(RecordingError::InvalidArgument { .. })
        ));
        assert!(matches!(
            Target::new(Some("a.mp4"), Some("avi"), 500),
            Err(RecordingError::UnknownName { .. })
        ));
    }

    #[test]
    fn flac_goes_only_into_matroska_and_data_not_into_ts_or_flv() {
        assert!(Container::Matroska.check_holds(Media::Flac).is_ok());
        assert!(Container::Mp4.check_holds(Media::Flac).is_err());
        assert!(Container::MpegTs.check_holds(Media::Data).is_err());
        assert!(Container::Flv.check_holds(Media::Opus).is_err());
    }
}
