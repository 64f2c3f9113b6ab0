use crate::error::invalid;
use crate::format::Plane;
use crate::{BuffersError, Result, VideoFormat};

/// The largest side a surface may have.
pub const MAX_SIDE: u32 = 16384;

/// One picture in system memory: tightly packed planes, one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surface {
    format: VideoFormat,
    width: u32,
    height: u32,
    planes: Vec<Plane>,
    data: Vec<u8>,
}

impl Surface {
    /// A black surface.
    pub fn new(format: VideoFormat, width: u32, height: u32) -> Result<Self> {
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(invalid(
                "size",
                format!("{width}x{height} exceeds {MAX_SIDE} px per side"),
            ));
        }
        let planes = format.planes(width, height)?;
        let size = planes.iter().map(Plane::len).sum();
        let mut surface = Self {
            format,
            width,
            height,
            planes,
            data: vec![0; size],
        };
        surface.clear_to_black();
        Ok(surface)
    }

    pub fn format(&self) -> VideoFormat {
        self.format
    }
    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }
    pub fn planes(&self) -> &[Plane] {
        &self.planes
    }
    /// Bytes per row of the first plane.
    pub fn pitch(&self) -> usize {
        self.planes.first().map_or(0, |p| p.pitch)
    }
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Plane `index` and its bytes.
    pub(crate) fn plane_mut(&mut self, index: usize) -> Option<(Plane, &mut [u8])> {
        let plane = *self.planes.get(index)?;
        let bytes = self
            .data
            .get_mut(plane.offset..plane.offset + plane.len())?;
        Some((plane, bytes))
    }

    pub(crate) fn plane(&self, index: usize) -> Option<(Plane, &[u8])> {
        let plane = *self.planes.get(index)?;
        let bytes = self.data.get(plane.offset..plane.offset + plane.len())?;
        Some((plane, bytes))
    }

    /// Sets every byte.
    pub fn memset(&mut self, value: u8) {
        self.data.fill(value);
    }

    /// Repeats one pixel over the surface: as many bytes as the format has
    /// channels (packed formats only).
    pub fn fill(&mut self, color: &[u8]) -> Result<()> {
        let Some(channels) = self.format.channels() else {
            return Err(BuffersError::UnsupportedFormat {
                operation: "fill",
                format: self.format.name(),
                reason: "a planar format has no single pixel value; use memset or upload".into(),
            });
        };
        if color.len() != channels {
            return Err(invalid(
                "color",
                format!(
                    "{} has {channels} channels, got {} values",
                    self.format,
                    color.len()
                ),
            ));
        }
        fill_pattern(&mut self.data, color);
        Ok(())
    }

    /// Replaces the pixels: exactly `frame_size` bytes, planes in order.
    pub fn upload(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.len() != self.data.len() {
            return Err(invalid(
                "data",
                format!(
                    "a {}x{} {} surface takes {} bytes, got {}",
                    self.width,
                    self.height,
                    self.format,
                    self.data.len(),
                    bytes.len()
                ),
            ));
        }
        self.data.copy_from_slice(bytes);
        Ok(())
    }

    pub fn clear_to_black(&mut self) {
        let patterns = self.format.black();
        for (index, pattern) in patterns.iter().enumerate() {
            if let Some((_, bytes)) = self.plane_mut(index) {
                fill_pattern(bytes, pattern);
            }
        }
    }
}

/// Repeats `pattern` over `bytes`.
pub(crate) fn fill_pattern(bytes: &mut [u8], pattern: &[u8]) {
    match pattern {
        [single] => bytes.fill(*single),
        _ => {
            for chunk in bytes.chunks_mut(pattern.len()) {
                let n = chunk.len();
                chunk.copy_from_slice(&pattern[..n]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_surfaces_are_black_and_fill_checks_channels() -> Result<()> {
        let nv12 = Surface::new(VideoFormat::Nv12, 4, 2)?;
        assert_eq!(
            nv12.data(),
            [16, 16, 16, 16, 16, 16, 16, 16, 128, 128, 128, 128]
        );
        let mut rgba = Surface::new(VideoFormat::Rgba, 2, 1)?;
        rgba.fill(&[1, 2, 3, 4])?;
        assert_eq!(rgba.data(), [1, 2, 3, 4, 1, 2, 3, 4]);
        assert!(rgba.fill(&[1, 2, 3]).is_err());
        assert!(Surface::new(VideoFormat::I420, 4, 4)?.fill(&[0]).is_err());
        assert!(rgba.upload(&[0; 7]).is_err());
        assert!(Surface::new(VideoFormat::Rgba, 20000, 10).is_err());
        Ok(())
    }
}
