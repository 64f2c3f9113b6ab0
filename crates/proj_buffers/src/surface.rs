use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaStream};

use crate::cuda::{self, DeviceMemory, MemoryPlacement, PinnedHost};
use crate::error::invalid;
use crate::format::Plane;
use crate::{BuffersError, MemType, Result, VideoFormat};

/// The largest side a surface may have.
pub const MAX_SIDE: u32 = 16384;

/// Where new surfaces are allocated: the memory type a generator resolved.
#[derive(Debug, Clone)]
pub(crate) enum Allocator {
    System,
    Pinned(Arc<CudaContext>),
    Cuda(Arc<CudaStream>, MemoryPlacement),
}

impl Allocator {
    /// The allocator for `mem_type` on GPU `gpu_id`, and the memory type it
    /// really gives. CUDA memory on a machine without a usable GPU is a
    /// `CudaUnavailable` error; `Default` is CUDA device memory where the
    /// driver and NVRTC work and system memory otherwise. Each generator
    /// gets a stream of its own.
    pub fn new(mem_type: MemType, gpu_id: u32) -> Result<(Self, MemType)> {
        let device = |placement| -> Result<Self> {
            let stream = cuda::context(gpu_id)?
                .new_stream()
                .map_err(|e| cuda::failed("cuStreamCreate", e))?;
            Ok(Self::Cuda(stream, placement))
        };
        Ok(match mem_type {
            MemType::System => (Self::System, MemType::System),
            MemType::Default if !cuda::usable(gpu_id) => (Self::System, MemType::System),
            MemType::Default | MemType::CudaDevice => {
                (device(MemoryPlacement::Device)?, MemType::CudaDevice)
            }
            MemType::CudaUnified => (device(MemoryPlacement::Unified)?, MemType::CudaUnified),
            MemType::CudaPinned => (Self::Pinned(cuda::context(gpu_id)?), MemType::CudaPinned),
            MemType::SurfaceArray | MemType::Handle => {
                return Err(BuffersError::CudaUnavailable {
                    reason: format!(
                        "{} memory is Jetson's NvBufSurface, which this build does not use; \
                         ask for cuda_device",
                        mem_type.name()
                    ),
                })
            }
        })
    }
}

/// The bytes behind a surface.
#[derive(Debug)]
enum Memory {
    Host(Vec<u8>),
    Pinned(PinnedHost),
    Device(DeviceMemory),
}

/// One picture: its planes in system memory (tightly packed, one
/// allocation), page-locked host memory, or CUDA memory (one pitched
/// allocation).
#[derive(Debug)]
pub struct Surface {
    format: VideoFormat,
    width: u32,
    height: u32,
    planes: Vec<Plane>,
    memory: Memory,
}

/// `size` zero bytes, or `OutOfMemory` instead of an abort.
fn zeroed(size: usize) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(size)
        .map_err(|_| crate::BuffersError::OutOfMemory {
            bytes: size as u64,
            available: crate::generator::host_memory_available().unwrap_or(0),
        })?;
    bytes.resize(size, 0);
    Ok(bytes)
}

impl Surface {
    /// A black surface in system memory.
    pub fn new(format: VideoFormat, width: u32, height: u32) -> Result<Self> {
        Self::allocate(format, width, height, &Allocator::System)
    }

    /// A black surface where `allocator` puts it.
    /// A surface over someone else's device memory on GPU `gpu_id` (one
    /// packed plane, `pitch` bytes per row), used in place: fills, copies
    /// and transforms read and write it; it is never freed here.
    ///
    /// # Safety
    /// `ptr` must address `pitch × height` bytes of device memory of GPU
    /// `gpu_id` that stay allocated while the surface lives.
    pub(crate) unsafe fn foreign(
        format: VideoFormat,
        width: u32,
        height: u32,
        pitch: usize,
        ptr: usize,
        gpu_id: u32,
    ) -> Result<Self> {
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(invalid(
                "shape",
                format!("{width}x{height} is not 1 to {MAX_SIDE} px per side"),
            ));
        }
        let [plane] = format.planes(width, height)?[..] else {
            return Err(invalid("shape", "only packed (one-plane) formats wrap"));
        };
        if pitch < plane.pitch {
            return Err(invalid(
                "strides",
                format!("a row of {pitch} bytes is shorter than {} pixels", width),
            ));
        }
        if ptr == 0 {
            return Err(invalid("data", "the device pointer is null"));
        }
        let (Allocator::Cuda(stream, _), _) = Allocator::new(MemType::CudaDevice, gpu_id)? else {
            return Err(BuffersError::CudaUnavailable {
                reason: "no CUDA stream for foreign memory".into(),
            });
        };
        // SAFETY: passed on from the caller.
        let memory = unsafe { DeviceMemory::foreign(&stream, ptr as u64, pitch) };
        Ok(Self {
            format,
            width,
            height,
            planes: vec![Plane { pitch, ..plane }],
            memory: Memory::Device(memory),
        })
    }

    pub(crate) fn allocate(
        format: VideoFormat,
        width: u32,
        height: u32,
        allocator: &Allocator,
    ) -> Result<Self> {
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(invalid(
                "size",
                format!("{width}x{height} exceeds {MAX_SIDE} px per side"),
            ));
        }
        let planes = format.planes(width, height)?;
        let size = planes.iter().map(Plane::len).sum();
        let (memory, planes) = match allocator {
            Allocator::System => (Memory::Host(zeroed(size)?), planes),
            Allocator::Pinned(context) => {
                (Memory::Pinned(PinnedHost::alloc(context, size)?), planes)
            }
            Allocator::Cuda(stream, placement) => {
                let (memory, planes) = DeviceMemory::alloc(stream, *placement, &planes)?;
                (Memory::Device(memory), planes)
            }
        };
        let mut surface = Self {
            format,
            width,
            height,
            planes,
            memory,
        };
        surface.clear_to_black()?;
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
    /// Bytes of the picture with its planes tightly packed (what
    /// `download` gives and `upload` takes).
    pub fn frame_size(&self) -> usize {
        self.planes
            .iter()
            .map(|p| p.width as usize * p.bytes_per_pixel * p.height as usize)
            .sum()
    }

    /// The memory the surface is in.
    pub fn mem_type(&self) -> MemType {
        match &self.memory {
            Memory::Host(_) => MemType::System,
            Memory::Pinned(_) => MemType::CudaPinned,
            Memory::Device(memory) => match memory.placement() {
                MemoryPlacement::Device => MemType::CudaDevice,
                MemoryPlacement::Unified => MemType::CudaUnified,
            },
        }
    }

    /// Waits for the caller's CUDA `stream` before the surface is touched
    /// (nothing to wait for in host memory).
    ///
    /// # Safety
    /// As [`DeviceMemory::wait_for_stream`].
    pub(crate) unsafe fn wait_for_stream(&self, stream: usize) -> Result<()> {
        match self.device() {
            // SAFETY: passed on from the caller.
            Some(memory) => unsafe { memory.wait_for_stream(stream) },
            None => Ok(()),
        }
    }

    /// The GPU memory, where the surface is on the GPU.
    pub(crate) fn device(&self) -> Option<&DeviceMemory> {
        match &self.memory {
            Memory::Device(memory) => Some(memory),
            Memory::Host(_) | Memory::Pinned(_) => None,
        }
    }

    /// Launches a draw list on this picture where it lives on the GPU
    /// (RGBA or BGRx in CUDA memory); the picture never leaves the device.
    /// Wait for the result after letting go of any lock on the picture.
    pub fn draw_on_gpu(&self, plan: crate::DrawPlan) -> Result<crate::cuda::GpuDrawing> {
        crate::cuda::draw_plan(self, plan)
    }

    /// The CPU-visible bytes, where the surface is in host memory.
    pub fn host_data(&self) -> Option<&[u8]> {
        match &self.memory {
            Memory::Host(bytes) => Some(bytes),
            Memory::Pinned(pinned) => Some(pinned.as_slice()),
            Memory::Device(_) => None,
        }
    }

    /// The CPU-visible bytes, mutably, where the surface is in host memory.
    pub fn host_data_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.memory {
            Memory::Host(bytes) => Some(bytes),
            Memory::Pinned(pinned) => Some(pinned.as_mut_slice()),
            Memory::Device(_) => None,
        }
    }

    /// The address of the first byte (a device address for CUDA memory)
    /// and the GPU it is on, if any.
    pub fn data_ptr(&self) -> (usize, Option<usize>) {
        match &self.memory {
            Memory::Host(bytes) => (bytes.as_ptr() as usize, None),
            Memory::Pinned(pinned) => (pinned.as_slice().as_ptr() as usize, Some(pinned.gpu_id())),
            Memory::Device(memory) => (
                usize::try_from(memory.ptr()).unwrap_or(0),
                Some(memory.gpu_id()),
            ),
        }
    }

    /// The CUDA stream the surface's GPU work runs on (0 for host memory).
    pub fn cuda_stream(&self) -> usize {
        self.device()
            .map_or(0, |memory| memory.stream().cu_stream() as usize)
    }

    /// Plane `index` and its bytes (host memory only).
    pub(crate) fn plane_mut(&mut self, index: usize) -> Option<(Plane, &mut [u8])> {
        let plane = *self.planes.get(index)?;
        let bytes = self
            .host_data_mut()?
            .get_mut(plane.offset..plane.offset + plane.len())?;
        Some((plane, bytes))
    }

    pub(crate) fn plane(&self, index: usize) -> Option<(Plane, &[u8])> {
        let plane = *self.planes.get(index)?;
        let bytes = self
            .host_data()?
            .get(plane.offset..plane.offset + plane.len())?;
        Some((plane, bytes))
    }

    /// Sets every byte.
    pub fn memset(&mut self, value: u8) -> Result<()> {
        match &mut self.memory {
            Memory::Host(bytes) => bytes.fill(value),
            Memory::Pinned(pinned) => pinned.as_mut_slice().fill(value),
            Memory::Device(memory) => {
                for plane in &self.planes {
                    memory.memset_plane(plane, value)?;
                }
                memory.synchronize()?;
            }
        }
        Ok(())
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
        self.fill_planes(&[color])
    }

    /// Replaces the pixels: exactly `frame_size` bytes, planes in order.
    pub fn upload(&mut self, bytes: &[u8]) -> Result<()> {
        self.check_len("data", bytes.len())?;
        match &mut self.memory {
            Memory::Host(data) => data.copy_from_slice(bytes),
            Memory::Pinned(pinned) => pinned.as_mut_slice().copy_from_slice(bytes),
            Memory::Device(memory) => {
                let mut at = 0;
                for plane in &self.planes {
                    let row = plane.width as usize * plane.bytes_per_pixel;
                    let len = row * plane.height as usize;
                    memory.upload_plane(plane, &bytes[at..at + len], row)?;
                    at += len;
                }
            }
        }
        Ok(())
    }

    /// Copies the pixels into `out`: exactly `frame_size` bytes, planes in
    /// order, tightly packed.
    pub fn download_into(&self, out: &mut [u8]) -> Result<()> {
        self.check_len("out", out.len())?;
        match &self.memory {
            Memory::Host(data) => out.copy_from_slice(data),
            Memory::Pinned(pinned) => out.copy_from_slice(pinned.as_slice()),
            Memory::Device(memory) => {
                let mut at = 0;
                for plane in &self.planes {
                    let row = plane.width as usize * plane.bytes_per_pixel;
                    let len = row * plane.height as usize;
                    memory.download_plane(plane, &mut out[at..at + len], row)?;
                    at += len;
                }
            }
        }
        Ok(())
    }

    /// The picture as I420 (BT.601, limited or full range), tightly
    /// packed, for an encoder on the CPU: RGBA in device memory is
    /// converted on its GPU, so 1.5 bytes per pixel cross the bus, not 4.
    /// `None` where that does not apply (host memory, other formats: read
    /// or download those as they are; NV12 and I420 are 1.5 bytes anyway).
    pub fn download_i420(&self, full_range: bool) -> Option<Result<Vec<u8>>> {
        if self.device().is_none() || self.format != VideoFormat::Rgba {
            return None;
        }
        Some(
            VideoFormat::I420
                .frame_size(self.width, self.height)
                .and_then(|size| {
                    let mut out = vec![0; size];
                    crate::cuda::rgb_to_i420(self, full_range, &mut out).map(|()| out)
                }),
        )
    }

    /// The pixels, tightly packed.
    pub fn download(&self) -> Result<Vec<u8>> {
        let mut out = vec![0; self.frame_size()];
        self.download_into(&mut out)?;
        Ok(out)
    }

    fn check_len(&self, name: &'static str, len: usize) -> Result<()> {
        let size = self.frame_size();
        if len == size {
            return Ok(());
        }
        Err(invalid(
            name,
            format!(
                "a {}x{} {} surface takes {size} bytes, got {len}",
                self.width, self.height, self.format
            ),
        ))
    }

    pub fn clear_to_black(&mut self) -> Result<()> {
        self.fill_planes(self.format.black())
    }

    /// Repeats `patterns[i]` over plane i.
    fn fill_planes(&mut self, patterns: &[&[u8]]) -> Result<()> {
        if let Memory::Device(memory) = &self.memory {
            for (plane, pattern) in self.planes.iter().zip(patterns) {
                match pattern {
                    [single] => memory.memset_plane(plane, *single)?,
                    _ => cuda::fill(memory, plane, pattern)?,
                }
            }
            return memory.synchronize();
        }
        for (index, pattern) in patterns.iter().enumerate() {
            if let Some((_, bytes)) = self.plane_mut(index) {
                fill_pattern(bytes, pattern);
            }
        }
        Ok(())
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
            nv12.host_data().unwrap_or_default(),
            [16, 16, 16, 16, 16, 16, 16, 16, 128, 128, 128, 128]
        );
        let mut rgba = Surface::new(VideoFormat::Rgba, 2, 1)?;
        rgba.fill(&[1, 2, 3, 4])?;
        assert_eq!(rgba.download()?, [1, 2, 3, 4, 1, 2, 3, 4]);
        assert!(rgba.fill(&[1, 2, 3]).is_err());
        assert!(Surface::new(VideoFormat::I420, 4, 4)?.fill(&[0]).is_err());
        assert!(rgba.upload(&[0; 7]).is_err());
        assert!(Surface::new(VideoFormat::Rgba, 20000, 10).is_err());
        Ok(())
    }
}
