use std::fmt;

use crate::{BuffersError, Result};

/// Pixel layouts of a surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoFormat {
    /// 8-bit R, G, B, A.
    Rgba,
    /// 8-bit B, G, R, unused.
    Bgrx,
    /// 4:2:0, a Y plane and an interleaved UV plane.
    Nv12,
    /// 4:2:0, a Y plane and an interleaved VU plane.
    Nv21,
    /// 4:2:0, Y, U and V planes.
    I420,
    /// 4:2:2 packed U Y V Y.
    Uyvy,
    /// One 8-bit channel.
    Gray8,
}

/// One plane of a surface: where it starts and how it is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plane {
    pub offset: usize,
    /// Bytes per row.
    pub pitch: usize,
    pub width: u32,
    pub height: u32,
    /// Interleaved bytes per pixel of this plane.
    pub bytes_per_pixel: usize,
}

impl Plane {
    pub fn len(&self) -> usize {
        self.pitch * self.height as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const NAMES: &str = "RGBA, BGRx, NV12, NV21, I420, UYVY, GRAY8";

impl VideoFormat {
    pub const ALL: [Self; 7] = [
        Self::Rgba,
        Self::Bgrx,
        Self::Nv12,
        Self::Nv21,
        Self::I420,
        Self::Uyvy,
        Self::Gray8,
    ];

    /// The canonical (GStreamer) name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rgba => "RGBA",
            Self::Bgrx => "BGRx",
            Self::Nv12 => "NV12",
            Self::Nv21 => "NV21",
            Self::I420 => "I420",
            Self::Uyvy => "UYVY",
            Self::Gray8 => "GRAY8",
        }
    }

    /// DeepStream's `NvBufSurfaceColorFormat` value for this layout (the
    /// seed's `SurfaceView.color_format`), as `nvbufsurface.h` numbers its
    /// enum: GRAY8 1, YUV420 2, NV12 6, NV21 8, UYVY 10, RGBA 19, BGRx 24.
    pub const fn nvbuf_color_format(self) -> u32 {
        match self {
            Self::Gray8 => 1,
            Self::I420 => 2,
            Self::Nv12 => 6,
            Self::Nv21 => 8,
            Self::Uyvy => 10,
            Self::Rgba => 19,
            Self::Bgrx => 24,
        }
    }

    /// Parses a name in any case.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| BuffersError::UnknownName {
                what: "video format",
                name: name.into(),
                expected: NAMES,
            })
    }

    /// Channels of a packed pixel; `None` for planar formats.
    pub const fn channels(self) -> Option<usize> {
        match self {
            Self::Rgba | Self::Bgrx => Some(4),
            Self::Uyvy => Some(2),
            Self::Gray8 => Some(1),
            Self::Nv12 | Self::Nv21 | Self::I420 => None,
        }
    }

    /// The planes of a tightly packed `width × height` surface, in order.
    /// 4:2:0 chroma planes are half size, rounded up; UYVY needs an even
    /// width.
    pub fn planes(self, width: u32, height: u32) -> Result<Vec<Plane>> {
        if width == 0 || height == 0 {
            return Err(crate::error::invalid(
                "size",
                format!("{width}x{height} is empty"),
            ));
        }
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let shapes: &[(u32, u32, usize)] = match self {
            Self::Rgba | Self::Bgrx => &[(width, height, 4)],
            Self::Gray8 => &[(width, height, 1)],
            Self::Uyvy if !width.is_multiple_of(2) => {
                return Err(BuffersError::UnsupportedFormat {
                    operation: "a surface",
                    format: self.name(),
                    reason: format!("the width must be even, got {width}"),
                })
            }
            Self::Uyvy => &[(width / 2, height, 4)],
            Self::Nv12 | Self::Nv21 => &[(width, height, 1), (cw, ch, 2)],
            Self::I420 => &[(width, height, 1), (cw, ch, 1), (cw, ch, 1)],
        };
        let mut offset = 0;
        Ok(shapes
            .iter()
            .map(|&(w, h, bpp)| {
                let plane = Plane {
                    offset,
                    pitch: w as usize * bpp,
                    width: w,
                    height: h,
                    bytes_per_pixel: bpp,
                };
                offset += plane.len();
                plane
            })
            .collect())
    }

    /// Bytes of a tightly packed `width × height` surface.
    pub fn frame_size(self, width: u32, height: u32) -> Result<usize> {
        Ok(self.planes(width, height)?.iter().map(Plane::len).sum())
    }

    /// The repeating byte pattern of black in each plane (zero for RGB, as
    /// the reference clears; limited-range black for YUV).
    pub(crate) fn black(self) -> &'static [&'static [u8]] {
        match self {
            Self::Rgba | Self::Bgrx | Self::Gray8 => &[&[0]],
            Self::Nv12 | Self::Nv21 => &[&[16], &[128]],
            Self::I420 => &[&[16], &[128], &[128]],
            Self::Uyvy => &[&[128, 16]],
        }
    }
}

impl fmt::Display for VideoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_layouts() -> Result<()> {
        for f in VideoFormat::ALL {
            assert_eq!(VideoFormat::from_name(&f.name().to_lowercase()), Ok(f));
        }
        assert!(VideoFormat::from_name("YUY2").is_err());
        assert_eq!(VideoFormat::Rgba.frame_size(1920, 1080)?, 1920 * 1080 * 4);
        // Odd sizes round the chroma planes up.
        assert_eq!(VideoFormat::Nv12.frame_size(5, 3)?, 15 + 3 * 2 * 2);
        let i420 = VideoFormat::I420.planes(4, 4)?;
        assert_eq!(
            i420.iter().map(|p| p.offset).collect::<Vec<_>>(),
            [0, 16, 20]
        );
        assert!(VideoFormat::Uyvy.planes(3, 2).is_err());
        assert!(VideoFormat::Gray8.planes(0, 2).is_err());
        Ok(())
    }
}
