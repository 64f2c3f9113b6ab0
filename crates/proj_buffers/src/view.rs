use crate::shared_buffer::SurfaceInfo;
use crate::{BuffersError, Result, SharedBuffer, Surface};

/// One slot of a buffer, for filling, reading and native interop. Holds a
/// reference to the buffer, so the pixels stay valid while the view lives.
#[derive(Debug, Clone)]
pub struct SurfaceView {
    buffer: SharedBuffer,
    slot: usize,
    info: SurfaceInfo,
}

impl SurfaceView {
    pub fn new(buffer: &SharedBuffer, slot: usize) -> Result<Self> {
        let info = buffer.surface_info(slot)?;
        Ok(Self {
            buffer: buffer.clone(),
            slot,
            info,
        })
    }

    pub fn buffer(&self) -> &SharedBuffer {
        &self.buffer
    }
    pub fn slot(&self) -> usize {
        self.slot
    }
    pub fn info(&self) -> &SurfaceInfo {
        &self.info
    }
    pub fn channels(&self) -> Option<usize> {
        self.info.format.channels()
    }

    /// Repeats one pixel (one byte per channel) over the surface.
    pub fn fill(&self, color: &[u8]) -> Result<()> {
        self.buffer.with_surface_mut(self.slot, |s| s.fill(color))?
    }

    /// Sets every byte of the surface.
    pub fn memset(&self, value: u8) -> Result<()> {
        self.buffer
            .with_surface_mut(self.slot, |s| s.memset(value))?
    }

    /// Replaces the pixels (planes in order, tightly packed).
    pub fn upload(&self, data: &[u8]) -> Result<()> {
        self.buffer
            .with_surface_mut(self.slot, |s| s.upload(data))?
    }

    /// A copy of the pixels.
    pub fn download(&self) -> Result<Vec<u8>> {
        self.buffer.with_surface(self.slot, Surface::download)?
    }

    /// Copies the pixels into `out`, which must be exactly their size.
    pub fn download_into(&self, out: &mut [u8]) -> Result<()> {
        self.buffer
            .with_surface(self.slot, |s| s.download_into(out))?
    }

    /// Fails for multi-plane formats, which have no single interleaved
    /// array (the reference's rule for its CUDA array interface).
    pub fn require_packed(&self) -> Result<usize> {
        self.channels().ok_or(BuffersError::UnsupportedFormat {
            operation: "a packed view",
            format: self.info.format.name(),
            reason: "the format has several planes".into(),
        })
    }
}
