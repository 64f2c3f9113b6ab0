//! FFmpeg's `ffv1`: lossless video (omgrab records its depth camera as
//! `gray16le` in it), encoded in the pipeline by GStreamer's `avenc_ffv1`.
//! Every frame is intra-coded, so a new encoder (a new chunk) starts
//! anywhere; Matroska holds it.

use crate::codec_config::rational;
use crate::error::{invalid, unknown};
use crate::Result;

/// A pixel layout ffv1 takes or stores: (FFmpeg's name, GStreamer's, bytes
/// of a `w`×`h` frame as a function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFormat {
    pub name: &'static str,
    pub gst: &'static str,
    /// Bytes per pixel of a packed format; 0: planar 4:2:0 (1.5), 1000: 4:4:4 planar (3).
    bytes: u32,
}

const FORMATS: &[RawFormat] = &[
    RawFormat {
        name: "gray16le",
        gst: "GRAY16_LE",
        bytes: 2,
    },
    RawFormat {
        name: "gray",
        gst: "GRAY8",
        bytes: 1,
    },
    RawFormat {
        name: "gray8",
        gst: "GRAY8",
        bytes: 1,
    },
    RawFormat {
        name: "rgb24",
        gst: "RGB",
        bytes: 3,
    },
    RawFormat {
        name: "bgr24",
        gst: "BGR",
        bytes: 3,
    },
    RawFormat {
        name: "rgba",
        gst: "RGBA",
        bytes: 4,
    },
    RawFormat {
        name: "bgra",
        gst: "BGRA",
        bytes: 4,
    },
    RawFormat {
        name: "bgr0",
        gst: "BGRx",
        bytes: 4,
    },
    RawFormat {
        name: "yuv420p",
        gst: "I420",
        bytes: 0,
    },
    RawFormat {
        name: "yuv444p",
        gst: "Y444",
        bytes: 1000,
    },
];

/// What ffv1 stores (`avenc_ffv1`'s input formats among ours).
const STORED: &[&str] = &[
    "gray16le", "gray", "gray8", "yuv420p", "yuv444p", "bgr0", "bgra",
];

impl RawFormat {
    pub fn from_name(name: &str) -> Result<Self> {
        let folded = name.trim().to_ascii_lowercase();
        FORMATS
            .iter()
            .copied()
            .find(|f| f.name == folded)
            .ok_or_else(|| {
                unknown(
                    "pixel format",
                    name,
                    &FORMATS.iter().map(|f| f.name).collect::<Vec<_>>(),
                )
            })
    }

    pub fn frame_bytes(self, width: u32, height: u32) -> usize {
        let (w, h) = (width as usize, height as usize);
        match self.bytes {
            0 => w * h + 2 * w.div_ceil(2) * h.div_ceil(2),
            1000 => 3 * w * h,
            b => b as usize * w * h,
        }
    }
}

impl LosslessSpec {
    /// Checks that a frame is one of this stream's input frames.
    pub fn check_frame(&self, len: usize) -> Result<()> {
        crate::pixels::check_frame_len(
            len,
            self.input.frame_bytes(self.width, self.height),
            self.width,
            self.height,
            self.input.name,
        )
    }
}

/// A lossless (ffv1) video stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LosslessSpec {
    pub width: u32,
    pub height: u32,
    /// Frames per second as a fraction.
    pub rate: (u32, u32),
    pub input: RawFormat,
    pub output: RawFormat,
}

impl LosslessSpec {
    /// `output` defaults to `input` where ffv1 stores it (else `yuv444p`:
    /// RGB is kept without loss of resolution; 8-bit RGB → YUV rounds).
    pub fn new(
        width: u32,
        height: u32,
        fps: f64,
        input: &str,
        output: Option<&str>,
    ) -> Result<Self> {
        if !(1..=16_384).contains(&width) || !(1..=16_384).contains(&height) {
            return Err(invalid(
                "width",
                format!("{width}x{height}: 1 to 16384 a side"),
            ));
        }
        let input = RawFormat::from_name(input)?;
        let output = match output {
            Some(o) => RawFormat::from_name(o)?,
            None if STORED.contains(&input.name) => input,
            None => RawFormat::from_name("yuv444p")?,
        };
        if !STORED.contains(&output.name) {
            return Err(unknown("ffv1 output pixel format", output.name, STORED));
        }
        if output.bytes == 0 && (width % 2 == 1 || height % 2 == 1) {
            return Err(invalid("width", "yuv420p needs even sides"));
        }
        Ok(Self {
            width,
            height,
            rate: rational("fps", fps)?,
            input,
            output,
        })
    }
}
