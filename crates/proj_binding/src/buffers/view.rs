use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::shared_buffer::{info_to_js, SharedBuffer, SurfaceInfo};
use crate::convert::saturating_u32;
use crate::entry::{entry, promise, Outcome};
use crate::error::{consumed, from_buffers, invalid_argument, Code};
use crate::workers;

/// Per-channel values 0-255.
fn channel_values(color: &[u32]) -> Outcome<Vec<u8>> {
    color
        .iter()
        .map(|&c| u8::try_from(c))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| invalid_argument("color values must be 0-255"))
}

fn byte_value(value: u32) -> Outcome<u8> {
    u8::try_from(value).map_err(|_| invalid_argument("value must be 0-255"))
}

/// A CUDA array described as `__cuda_array_interface__` describes one:
/// `data` its device address, `shape` `[height, width]` or `[height, width,
/// channels]` (1 or 4), `strides` in bytes (absent: tightly packed),
/// `typestr` `|u1` (unsigned bytes).
#[napi(object)]
#[derive(Debug)]
pub struct CudaArray {
    pub data: BigInt,
    pub shape: Vec<u32>,
    pub strides: Option<Vec<u32>>,
    pub typestr: Option<String>,
}

impl CudaArray {
    /// Format, width, height, row pitch and address, checked.
    fn layout(&self) -> Outcome<(pb::VideoFormat, u32, u32, usize, usize)> {
        if !matches!(
            self.typestr.as_deref(),
            None | Some("|u1" | "<u1" | ">u1" | "u1")
        ) {
            return Err(invalid_argument(
                "a CUDA array must hold unsigned bytes (typestr |u1)",
            ));
        }
        let (height, width, channels) = match self.shape[..] {
            [h, w] | [h, w, 1] => (h, w, 1),
            [h, w, 4] => (h, w, 4),
            _ => {
                return Err(invalid_argument(format!(
                    "a CUDA array's shape must be (H, W), (H, W, 1) or (H, W, 4), got {:?}",
                    self.shape
                )))
            }
        };
        let format = if channels == 1 {
            pb::VideoFormat::Gray8
        } else {
            pb::VideoFormat::Rgba
        };
        let packed = width as usize * channels;
        let pitch = match self.strides.as_deref() {
            None => packed,
            Some([row, pixel] | [row, pixel, 1]) if *pixel as usize == channels => *row as usize,
            Some(strides) => {
                return Err(invalid_argument(format!(
                    "a CUDA array's strides must be (row, {channels}[, 1]) bytes: interleaved rows, got {strides:?}"
                )))
            }
        };
        let ptr = match self.data.get_u64() {
            (false, value, true) => usize::try_from(value)
                .map_err(|_| invalid_argument("data is not a device address"))?,
            _ => {
                return Err(invalid_argument(
                    "data must be a device address, 1n or more",
                ))
            }
        };
        Ok((format, width, height, pitch, ptr))
    }
}

/// The stream argument: a `CUstream` handle, 0 for none.
fn stream_handle(cuda_stream: Option<BigInt>) -> Outcome<usize> {
    match cuda_stream.map(|s| s.get_u64()) {
        None => Ok(0),
        Some((false, value, true)) => {
            usize::try_from(value).map_err(|_| invalid_argument("cudaStream is not a pointer"))
        }
        Some(_) => Err(invalid_argument("cudaStream must be a handle, 0n or more")),
    }
}

/// One slot of a buffer: fill it, read it, or hand its `SurfaceInfo` to native
/// code. It keeps its buffer out of the pool until released or collected.
#[napi]
#[derive(Debug)]
pub struct SurfaceView {
    inner: std::sync::Mutex<Option<pb::SurfaceView>>,
}

impl SurfaceView {
    pub(crate) fn wrap(view: pb::SurfaceView) -> Self {
        Self {
            inner: std::sync::Mutex::new(Some(view)),
        }
    }

    /// Runs `work` on the view on a worker thread and settles a Promise
    /// with its outcome; the view (and its buffer) stays alive until then,
    /// even if released meanwhile.
    fn off_thread<'env>(
        &self,
        env: &'env Env,
        name: &'static str,
        work: impl FnOnce(pb::SurfaceView) -> Outcome<()> + Send + 'static,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        let view = self.get()?;
        promise(env, name, workers::run(name, move || work(view)), Ok)
    }

    /// The view, or `ERR_PROJ_CONSUMED` after `release()`.
    pub(crate) fn get(&self) -> std::result::Result<pb::SurfaceView, Error<Code>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(consumed)
    }
}

#[napi]
impl SurfaceView {
    /// A view of one slot; with a `cudaStream` (a `CUstream` handle of the
    /// buffer's GPU), its copies first wait for the work queued there.
    #[napi(factory)]
    pub fn from_buffer(
        buffer: &SharedBuffer,
        slot_index: Option<u32>,
        cuda_stream: Option<BigInt>,
    ) -> Result<Self, Code> {
        entry("SurfaceView::from_buffer", || {
            let buffer = buffer.get()?;
            let stream = stream_handle(cuda_stream)?;
            // SAFETY: the documented contract of `cudaStream` (the seed's):
            // a live stream of the buffer's GPU for as long as the view is
            // used; CUDA cannot check a handle, and neither can we.
            let inner = unsafe {
                pb::SurfaceView::with_stream(&buffer, slot_index.unwrap_or(0) as usize, stream)
            }
            .map_err(from_buffers)?;
            Ok(Self::wrap(inner))
        })
    }

    /// A view over someone else's device memory (the seed's
    /// `from_cuda_array`): fills, copies and transforms use it in place.
    /// The caller keeps the memory allocated while the view (or its
    /// buffer) lives; the TypeScript wrapper holds the owning object.
    #[napi(factory)]
    pub fn from_cuda_array(
        array: CudaArray,
        gpu_id: Option<u32>,
        cuda_stream: Option<BigInt>,
    ) -> Result<Self, Code> {
        entry("SurfaceView::from_cuda_array", || {
            let (format, width, height, pitch, ptr) = array.layout()?;
            let stream = stream_handle(cuda_stream)?;
            // SAFETY: the documented contract of `fromCudaArray` (the
            // seed's): `data` addresses `shape`/`strides` bytes of device
            // memory of GPU `gpuId`, kept alive by the owner the wrapper
            // holds, and `cudaStream` is a live stream of that GPU.
            let view = unsafe {
                let buffer = pb::SharedBuffer::wrap_device(
                    format,
                    width,
                    height,
                    pitch,
                    ptr,
                    gpu_id.unwrap_or(0),
                )
                .map_err(from_buffers)?;
                pb::SurfaceView::with_stream(&buffer, 0, stream)
            }
            .map_err(from_buffers)?;
            Ok(Self::wrap(view))
        })
    }

    /// The buffer the view looks at (for a foreign array: the wrapped memory,
    /// to transform from as any pool buffer).
    #[napi]
    pub fn buffer(&self) -> Result<SharedBuffer, Code> {
        entry("SurfaceView::buffer", || {
            Ok(SharedBuffer::wrap(self.get()?.buffer().clone()))
        })
    }

    /// Lets go of the buffer (it can return to its pool); later calls fail
    /// with `ERR_PROJ_CONSUMED`.
    #[napi]
    pub fn release(&self) -> Result<(), Code> {
        entry("SurfaceView::release", || {
            self.inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn width(&self) -> Result<u32, Code> {
        entry("SurfaceView::width", || Ok(self.get()?.info().width))
    }
    #[napi(getter)]
    pub fn height(&self) -> Result<u32, Code> {
        entry("SurfaceView::height", || Ok(self.get()?.info().height))
    }
    #[napi(getter)]
    pub fn pitch(&self) -> Result<u32, Code> {
        entry("SurfaceView::pitch", || {
            Ok(saturating_u32(self.get()?.info().pitch))
        })
    }
    #[napi(getter)]
    pub fn format(&self) -> Result<String, Code> {
        entry("SurfaceView::format", || {
            Ok(self.get()?.info().format.name().into())
        })
    }
    /// DeepStream's raw `NvBufSurfaceColorFormat` value of the format.
    #[napi(getter)]
    pub fn color_format(&self) -> Result<u32, Code> {
        entry("SurfaceView::color_format", || {
            Ok(self.get()?.info().format.nvbuf_color_format())
        })
    }
    /// Interleaved channels, or null for multi-plane formats.
    #[napi(getter)]
    pub fn channels(&self) -> Result<Option<u32>, Code> {
        entry("SurfaceView::channels", || {
            Ok(self.get()?.channels().and_then(|c| u32::try_from(c).ok()))
        })
    }
    #[napi(getter)]
    pub fn slot_index(&self) -> Result<u32, Code> {
        entry("SurfaceView::slot_index", || {
            Ok(saturating_u32(self.get()?.slot()))
        })
    }
    #[napi]
    pub fn surface_info(&self) -> Result<SurfaceInfo, Code> {
        entry("SurfaceView::surface_info", || {
            Ok(info_to_js(self.get()?.info()))
        })
    }
    /// Repeats one pixel, on a worker thread (a GPU fill waits for its
    /// stream there, never on the JS thread).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn fill<'env>(
        &self,
        env: &'env Env,
        color: Vec<u32>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("SurfaceView::fill", || {
            let bytes = channel_values(&color)?;
            self.off_thread(env, "SurfaceView::fill", move |view| {
                view.fill(&bytes).map_err(from_buffers)
            })
        })
    }
    #[napi]
    pub fn fill_sync(&self, color: Vec<u32>) -> Result<(), Code> {
        entry("SurfaceView::fill_sync", || {
            let bytes = channel_values(&color)?;
            self.get()?.fill(&bytes).map_err(from_buffers)
        })
    }
    #[napi(ts_return_type = "Promise<void>")]
    pub fn memset<'env>(&self, env: &'env Env, value: u32) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("SurfaceView::memset", || {
            let value = byte_value(value)?;
            self.off_thread(env, "SurfaceView::memset", move |view| {
                view.memset(value).map_err(from_buffers)
            })
        })
    }
    #[napi]
    pub fn memset_sync(&self, value: u32) -> Result<(), Code> {
        entry("SurfaceView::memset_sync", || {
            self.get()?.memset(byte_value(value)?).map_err(from_buffers)
        })
    }
    /// Replaces the pixels on a worker thread. `data` is copied first, so
    /// the caller may reuse it as soon as this returns.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn upload<'env>(&self, env: &'env Env, data: &[u8]) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("SurfaceView::upload", || {
            let data = data.to_vec();
            self.off_thread(env, "SurfaceView::upload", move |view| {
                view.upload(&data).map_err(from_buffers)
            })
        })
    }
    #[napi]
    pub fn upload_sync(&self, data: &[u8]) -> Result<(), Code> {
        entry("SurfaceView::upload_sync", || {
            self.get()?.upload(data).map_err(from_buffers)
        })
    }
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn download<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Buffer>, Code> {
        entry("SurfaceView::download", || {
            let view = self.get()?;
            promise(
                env,
                "SurfaceView::download",
                workers::run("SurfaceView::download", move || {
                    view.download().map_err(from_buffers)
                }),
                |bytes| Ok(Buffer::from(bytes)),
            )
        })
    }
    #[napi]
    pub fn download_sync(&self) -> Result<Buffer, Code> {
        entry("SurfaceView::download_sync", || {
            Ok(self.get()?.download().map_err(from_buffers)?.into())
        })
    }
    /// Copies the pixels into `out` (exactly their size), avoiding a new
    /// allocation per frame.
    #[napi]
    pub fn download_into_sync(&self, mut out: Uint8Array) -> Result<(), Code> {
        entry("SurfaceView::download_into_sync", || {
            // SAFETY: this is a synchronous call on the JS thread, so no JS
            // code can touch the array while we write into it.
            let bytes = unsafe { out.as_mut() };
            self.get()?.download_into(bytes).map_err(from_buffers)
        })
    }
}
