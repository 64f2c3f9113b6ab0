use crate::shared_buffer::SurfaceInfo;
use crate::{BuffersError, Result, SharedBuffer, Surface};

/// One slot of a buffer, for filling, reading and native interop. Holds a
/// reference to the buffer, so the pixels stay valid while the view lives.
#[derive(Debug, Clone)]
pub struct SurfaceView {
    buffer: SharedBuffer,
    slot: usize,
    info: SurfaceInfo,
    /// The caller's `CUstream` the view's work is ordered after (the seed's
    /// `cuda_stream`); 0 for none.
    stream: usize,
}

impl SurfaceView {
    pub fn new(buffer: &SharedBuffer, slot: usize) -> Result<Self> {
        let info = buffer.surface_info(slot)?;
        Ok(Self {
            buffer: buffer.clone(),
            slot,
            info,
            stream: 0,
        })
    }

    /// A view whose fills, uploads and downloads first wait for the work
    /// the caller queued on `stream` (a `CUstream` of the buffer's GPU),
    /// and which reports that stream as its `cuda_stream`. Host memory has
    /// no stream: a non-zero one is an error there.
    ///
    /// # Safety
    /// `stream` must be a live CUDA stream of the buffer's context for as
    /// long as the view is used: CUDA does not validate stream handles.
    pub unsafe fn with_stream(buffer: &SharedBuffer, slot: usize, stream: usize) -> Result<Self> {
        let mut view = Self::new(buffer, slot)?;
        if stream != 0 {
            if view.info.cuda_stream == 0 {
                return Err(crate::error::invalid(
                    "cudaStream",
                    "the surface is in host memory, which has no CUDA stream",
                ));
            }
            view.stream = stream;
            view.info.cuda_stream = stream;
        }
        Ok(view)
    }

    /// Waits until the caller's stream is done, before the surface is touched.
    fn wait(&self, surface: &Surface) -> Result<()> {
        if self.stream == 0 {
            return Ok(());
        }
        // SAFETY: `with_stream`'s caller vouched for the handle.
        unsafe { surface.wait_for_stream(self.stream) }
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
        self.buffer.with_surface_mut(self.slot, |s| {
            self.wait(s)?;
            s.fill(color)
        })?
    }

    /// Sets every byte of the surface.
    pub fn memset(&self, value: u8) -> Result<()> {
        self.buffer.with_surface_mut(self.slot, |s| {
            self.wait(s)?;
            s.memset(value)
        })?
    }

    /// Replaces the pixels (planes in order, tightly packed).
    pub fn upload(&self, data: &[u8]) -> Result<()> {
        self.buffer.with_surface_mut(self.slot, |s| {
            self.wait(s)?;
            s.upload(data)
        })?
    }

    /// A copy of the pixels.
    pub fn download(&self) -> Result<Vec<u8>> {
        self.buffer.with_surface(self.slot, |s| {
            self.wait(s)?;
            s.download()
        })?
    }

    /// Copies the pixels into `out`, which must be exactly their size.
    pub fn download_into(&self, out: &mut [u8]) -> Result<()> {
        self.buffer.with_surface(self.slot, |s| {
            self.wait(s)?;
            s.download_into(out)
        })?
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
