//! Raw CUDA allocations behind a surface: pitched device (or managed)
//! memory for the GPU, page-locked host memory for fast copies.

use std::ptr;
use std::sync::Arc;

use cudarc::driver::sys::{self, CUdeviceptr, CUmemorytype, CUresult};
use cudarc::driver::CudaStream;

use super::failed;
use crate::format::Plane;
use crate::Result;

fn check(operation: &'static str, result: CUresult) -> Result<()> {
    match result {
        CUresult::CUDA_SUCCESS => Ok(()),
        error => Err(failed(operation, error)),
    }
}

/// Where a device surface's bytes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// `cuMemAllocPitch`: GPU only, rows aligned for coalesced access.
    Device,
    /// `cuMemAllocManaged`: one address valid on the GPU and the CPU.
    Unified,
}

/// One allocation holding every plane of a surface, each plane starting on
/// a row of the same pitch. Owns its stream (the generator's) and frees the
/// memory on drop, unless it is foreign (someone else's, only borrowed).
#[derive(Debug)]
pub(crate) struct DeviceMemory {
    stream: Arc<CudaStream>,
    ptr: CUdeviceptr,
    pitch: usize,
    placement: Placement,
    foreign: bool,
}

// SAFETY: the allocation is owned by this value alone and the CUDA driver
// API is thread-safe; every use binds the context to the calling thread.
unsafe impl Send for DeviceMemory {}
// SAFETY: shared references only read the address; writes go through
// `&mut` surfaces, serialised by the buffer's lock.
unsafe impl Sync for DeviceMemory {}

impl DeviceMemory {
    /// Room for `planes` (as laid out in host memory) at one common pitch;
    /// returns the memory and the planes re-laid at that pitch.
    pub fn alloc(
        stream: &Arc<CudaStream>,
        placement: Placement,
        planes: &[Plane],
    ) -> Result<(Self, Vec<Plane>)> {
        let row_bytes = planes.iter().map(|p| p.pitch).max().unwrap_or(1);
        let rows: usize = planes.iter().map(|p| p.height as usize).sum();
        stream
            .context()
            .bind_to_thread()
            .map_err(|e| failed("cuCtxSetCurrent", e))?;
        let mut ptr: CUdeviceptr = 0;
        let pitch = match placement {
            Placement::Device => {
                let mut pitch = 0usize;
                // SAFETY: out-pointers to live locals; the context is current.
                check("cuMemAllocPitch", unsafe {
                    sys::cuMemAllocPitch_v2(&mut ptr, &mut pitch, row_bytes, rows, 16)
                })?;
                pitch
            }
            Placement::Unified => {
                let pitch = row_bytes.next_multiple_of(256);
                // SAFETY: as above; the size is what the planes need.
                check("cuMemAllocManaged", unsafe {
                    sys::cuMemAllocManaged(
                        &mut ptr,
                        pitch * rows,
                        sys::CUmemAttach_flags::CU_MEM_ATTACH_GLOBAL as u32,
                    )
                })?;
                pitch
            }
        };
        let memory = Self {
            stream: Arc::clone(stream),
            ptr,
            pitch,
            placement,
            foreign: false,
        };
        let mut row = 0;
        let device_planes = planes
            .iter()
            .map(|p| {
                let plane = Plane {
                    offset: row * pitch,
                    pitch,
                    ..*p
                };
                row += p.height as usize;
                plane
            })
            .collect();
        Ok((memory, device_planes))
    }

    /// Someone else's device memory (a CUDA array of another library):
    /// used in place, never freed here.
    ///
    /// # Safety
    /// `ptr` must address `pitch × rows` bytes of device memory of the
    /// stream's GPU that stay allocated while this value lives.
    pub unsafe fn foreign(stream: &Arc<CudaStream>, ptr: CUdeviceptr, pitch: usize) -> Self {
        Self {
            stream: Arc::clone(stream),
            ptr,
            pitch,
            placement: Placement::Device,
            foreign: true,
        }
    }

    pub fn ptr(&self) -> CUdeviceptr {
        self.ptr
    }
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }
    pub fn placement(&self) -> Placement {
        self.placement
    }
    pub fn gpu_id(&self) -> usize {
        self.stream.context().ordinal()
    }

    pub(crate) fn bind(&self) -> Result<()> {
        self.stream
            .context()
            .bind_to_thread()
            .map_err(|e| failed("cuCtxSetCurrent", e))
    }

    /// Waits for the work queued on `stream`, a `CUstream` of the caller's
    /// (0 is the legacy default stream) in this memory's context.
    ///
    /// # Safety
    /// `stream` must be 0 or a live stream of this memory's context: CUDA
    /// does not validate stream handles.
    pub unsafe fn wait_for_stream(&self, stream: usize) -> Result<()> {
        self.bind()?;
        // SAFETY: the caller vouches for the handle; the context is current.
        check("cuStreamSynchronize", unsafe {
            sys::cuStreamSynchronize(stream as sys::CUstream)
        })
    }

    pub fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .map_err(|e| failed("cuStreamSynchronize", e))
    }

    /// Copies host rows into `plane` (`host_pitch` bytes apart) and waits.
    pub fn upload_plane(&self, plane: &Plane, host: &[u8], host_pitch: usize) -> Result<()> {
        let width = plane.width as usize * plane.bytes_per_pixel;
        if host.len() < host_pitch * plane.height as usize || width > host_pitch {
            return Err(crate::error::invalid("data", "shorter than the plane"));
        }
        let copy = sys::CUDA_MEMCPY2D {
            srcMemoryType: CUmemorytype::CU_MEMORYTYPE_HOST,
            srcHost: host.as_ptr().cast(),
            srcPitch: host_pitch,
            dstMemoryType: CUmemorytype::CU_MEMORYTYPE_DEVICE,
            dstDevice: self.ptr + plane.offset as u64,
            dstPitch: self.pitch,
            ..self.copy_shape(width, plane.height)
        };
        self.bind()?;
        // SAFETY: both regions were checked to hold `height` rows of
        // `width` bytes; the host slice outlives the synchronize below.
        check("cuMemcpy2DAsync", unsafe {
            sys::cuMemcpy2DAsync_v2(&copy, self.stream.cu_stream())
        })?;
        self.synchronize()
    }

    /// Copies `plane` into host rows `host_pitch` bytes apart and waits.
    pub fn download_plane(&self, plane: &Plane, host: &mut [u8], host_pitch: usize) -> Result<()> {
        let width = plane.width as usize * plane.bytes_per_pixel;
        if host.len() < host_pitch * plane.height as usize || width > host_pitch {
            return Err(crate::error::invalid("out", "shorter than the plane"));
        }
        let copy = sys::CUDA_MEMCPY2D {
            srcMemoryType: CUmemorytype::CU_MEMORYTYPE_DEVICE,
            srcDevice: self.ptr + plane.offset as u64,
            srcPitch: self.pitch,
            dstMemoryType: CUmemorytype::CU_MEMORYTYPE_HOST,
            dstHost: host.as_mut_ptr().cast(),
            dstPitch: host_pitch,
            ..self.copy_shape(width, plane.height)
        };
        self.bind()?;
        // SAFETY: as in upload_plane; the host slice is borrowed mutably
        // until the copy has finished.
        check("cuMemcpy2DAsync", unsafe {
            sys::cuMemcpy2DAsync_v2(&copy, self.stream.cu_stream())
        })?;
        self.synchronize()
    }

    /// Sets `plane`'s bytes to `value` (without waiting).
    pub fn memset_plane(&self, plane: &Plane, value: u8) -> Result<()> {
        self.bind()?;
        // SAFETY: the plane lies inside this allocation.
        check("cuMemsetD2D8Async", unsafe {
            sys::cuMemsetD2D8Async(
                self.ptr + plane.offset as u64,
                self.pitch,
                value,
                plane.width as usize * plane.bytes_per_pixel,
                plane.height as usize,
                self.stream.cu_stream(),
            )
        })
    }

    fn copy_shape(&self, width: usize, height: u32) -> sys::CUDA_MEMCPY2D {
        sys::CUDA_MEMCPY2D {
            srcXInBytes: 0,
            srcY: 0,
            srcMemoryType: CUmemorytype::CU_MEMORYTYPE_HOST,
            srcHost: ptr::null(),
            srcDevice: 0,
            srcArray: ptr::null_mut(),
            srcPitch: 0,
            dstXInBytes: 0,
            dstY: 0,
            dstMemoryType: CUmemorytype::CU_MEMORYTYPE_HOST,
            dstHost: ptr::null_mut(),
            dstDevice: 0,
            dstArray: ptr::null_mut(),
            dstPitch: 0,
            WidthInBytes: width,
            Height: height as usize,
        }
    }
}

impl Drop for DeviceMemory {
    fn drop(&mut self) {
        // Work queued on the stream may still use the memory.
        let _ = self.stream.synchronize();
        if !self.foreign && self.bind().is_ok() {
            // SAFETY: the pointer came from cuMemAllocPitch/Managed and is
            // freed once; an error here only leaks.
            let _ = unsafe { sys::cuMemFree_v2(self.ptr) };
        }
    }
}

/// Page-locked host memory (`cuMemHostAlloc`): ordinary bytes for the CPU
/// that the GPU's copy engines reach directly.
#[derive(Debug)]
pub(crate) struct PinnedHost {
    context: Arc<cudarc::driver::CudaContext>,
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the allocation is owned by this value alone; access follows
// Rust's borrow rules through as_slice/as_mut_slice.
unsafe impl Send for PinnedHost {}
// SAFETY: as above.
unsafe impl Sync for PinnedHost {}

impl PinnedHost {
    pub fn alloc(context: &Arc<cudarc::driver::CudaContext>, len: usize) -> Result<Self> {
        context
            .bind_to_thread()
            .map_err(|e| failed("cuCtxSetCurrent", e))?;
        let mut ptr: *mut std::ffi::c_void = ptr::null_mut();
        // SAFETY: an out-pointer to a live local; the context is current.
        check("cuMemHostAlloc", unsafe {
            sys::cuMemHostAlloc(&mut ptr, len.max(1), 0)
        })?;
        Ok(Self {
            context: Arc::clone(context),
            ptr: ptr.cast(),
            len,
        })
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` points to `len` bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, borrowed mutably through self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    pub fn gpu_id(&self) -> usize {
        self.context.ordinal()
    }
}

impl Drop for PinnedHost {
    fn drop(&mut self) {
        if self.context.bind_to_thread().is_ok() {
            // SAFETY: allocated by cuMemHostAlloc, freed once.
            let _ = unsafe { sys::cuMemFreeHost(self.ptr.cast()) };
        }
    }
}
