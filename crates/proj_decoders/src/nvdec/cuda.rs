//! NVDEC output that stays on the GPU: GStreamer's CUDA library
//! (`libgstcuda-1.0`, part of gst-plugins-bad 1.22) loaded at run time, a
//! GStreamer CUDA context wrapped around our own primary context (so the
//! decoder allocates its output where our kernels can read it), and
//! `GstCudaMemory` mapped to device pointers.
//!
//! The few functions used are declared by hand in `sys.rs` and looked up
//! at run time: a machine without the library (or without a GPU) simply
//! never takes this path.

use std::collections::HashMap;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock, PoisonError};

use gstreamer as gst;
use gstreamer::glib::translate::from_glib_full;
use gstreamer::prelude::*;
use gstreamer_video as gst_video;
use proj_buffers::{ColorMatrix, DeviceYuv420};

use super::sys::{api, GstCudaMemory, MAP_CUDA};

/// The context type and field GStreamer's CUDA elements ask for.
pub(crate) const CONTEXT_TYPE: &str = "gst.cuda.context";

/// GStreamer's view of one GPU's primary context (ours).
#[derive(Debug, Clone)]
pub(crate) struct SharedContext {
    /// The `gst.cuda.context` to give the decoder.
    pub context: gst::Context,
    /// Our `CUcontext`: a picture in memory of another context is not
    /// readable by our kernels.
    handle: usize,
    pub gpu_id: u32,
}

/// The shared context of GPU `gpu_id`, made once per process; an error
/// (the reason) where the driver, the GPU or GStreamer's CUDA library is
/// missing.
pub(crate) fn shared_context(gpu_id: u32) -> Result<SharedContext, String> {
    static MADE: OnceLock<Mutex<HashMap<u32, SharedContext>>> = OnceLock::new();
    let mut made = MADE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(shared) = made.get(&gpu_id) {
        return Ok(shared.clone());
    }
    let api = api()?;
    let (handle, device) = proj_buffers::cuda::raw_context(gpu_id).map_err(|e| e.to_string())?;
    // SAFETY: gst_cuda_load_library and gst_cuda_memory_init_once take no
    // arguments and are idempotent; the wrapped context is our primary
    // context (alive for the life of the process) and its device; the
    // returned GstCudaContext is a full reference, kept by the GstContext
    // made from it (transfer none) and released here.
    unsafe {
        if (api.load_library)() == 0 {
            return Err("GStreamer could not load the CUDA driver library".into());
        }
        (api.memory_init_once)();
        let wrapped = (api.context_new_wrapped)(handle as *mut c_void, device);
        if wrapped.is_null() {
            return Err("GStreamer could not wrap the CUDA context".into());
        }
        let raw = (api.context_new_cuda_context)(wrapped);
        gst::ffi::gst_object_unref(wrapped.cast());
        if raw.is_null() {
            return Err("GStreamer could not make a CUDA GstContext".into());
        }
        let shared = SharedContext {
            context: from_glib_full(raw),
            handle,
            gpu_id,
        };
        made.insert(gpu_id, shared.clone());
        Ok(shared)
    }
}

/// The NVDEC element for GPU `gpu_id`: GStreamer registers `nvh264dec` for
/// the first GPU and `nvh264device{N}dec` for the others, each with a
/// read-only `cuda-device-id`.
pub(crate) fn element_for_gpu(base: &str, gpu_id: u32) -> Option<gst::Element> {
    let stem = base.strip_suffix("dec")?.strip_prefix("nv")?;
    std::iter::once(base.to_owned())
        .chain((1..16).map(|n| format!("nv{stem}device{n}dec")))
        .filter_map(|name| gst::ElementFactory::make(&name).build().ok())
        .find(|element| {
            // Read as a GValue: the typed getter panics on a type mismatch.
            element.find_property("cuda-device-id").is_none_or(|_| {
                let value = element.property_value("cuda-device-id");
                let id = value
                    .get::<u32>()
                    .ok()
                    .or_else(|| value.get::<i32>().ok().and_then(|v| u32::try_from(v).ok()));
                id == Some(gpu_id)
            })
        })
}

/// Answers a decoder's `need-context` for CUDA with `shared`.
pub(crate) fn answer_need_context(message: &gst::message::NeedContext, shared: &SharedContext) {
    if message.context_type() != CONTEXT_TYPE {
        return;
    }
    if let Some(element) = message
        .src()
        .and_then(|src| src.clone().downcast::<gst::Element>().ok())
    {
        element.set_context(&shared.context);
    }
}

/// A decoded 4:2:0 picture in GPU memory of our context, mapped for
/// reading until dropped.
pub(crate) struct DevicePicture<'a> {
    map: gst::ffi::GstMapInfo,
    pub picture: DeviceYuv420,
    _buffer: PhantomData<&'a gst::BufferRef>,
}

impl Drop for DevicePicture<'_> {
    fn drop(&mut self) {
        // SAFETY: `map` was filled by a successful gst_memory_map of the
        // memory it names, which the borrowed buffer keeps alive.
        unsafe { gst::ffi::gst_memory_unmap(self.map.memory, &mut self.map) };
    }
}

/// Maps `buffer` as a device picture when it is NV12/I420 `GstCudaMemory`
/// of `shared`'s context; `None` otherwise (system memory, another
/// context, another format), when the caller reads it through a host map.
pub(crate) fn map_device_picture<'a>(
    buffer: &'a gst::BufferRef,
    info: &gst_video::VideoInfo,
    shared: &SharedContext,
    (matrix, full_range): (ColorMatrix, bool),
) -> Option<DevicePicture<'a>> {
    let api = api().ok()?;
    let semi_planar = match info.format() {
        gst_video::VideoFormat::Nv12 => true,
        gst_video::VideoFormat::I420 => false,
        _ => return None,
    };
    if buffer.n_memory() != 1 {
        return None;
    }
    let memory = buffer.peek_memory(0).as_ptr().cast_mut();
    // SAFETY: `memory` is the buffer's (alive while it is borrowed);
    // gst_is_cuda_memory only reads its allocator. A CUDA memory is a
    // GstCudaMemory (the layout above), whose context is a GstCudaContext.
    let same_context = unsafe {
        (api.is_cuda_memory)(memory) != 0 && {
            let context = (*memory.cast::<GstCudaMemory>()).context;
            !context.is_null() && (api.context_get_handle)(context) as usize == shared.handle
        }
    };
    if !same_context {
        return None;
    }
    // Plane layout: the video meta GStreamer's CUDA pool attaches, else
    // the memory's own video info.
    let (offsets, strides) = match buffer.meta::<gst_video::VideoMeta>() {
        Some(meta) => (
            meta.offset().to_vec(),
            meta.stride()
                .iter()
                .map(|&s| s as isize)
                .collect::<Vec<_>>(),
        ),
        // SAFETY: as above, `memory` is a GstCudaMemory.
        None => unsafe {
            let info = &(*memory.cast::<GstCudaMemory>()).info;
            (
                info.offset.to_vec(),
                info.stride.iter().map(|&s| s as isize).collect(),
            )
        },
    };
    let planes = if semi_planar { 2 } else { 3 };
    if offsets.len() < planes
        || strides.len() < planes
        || strides.iter().take(planes).any(|&s| s <= 0)
    {
        return None;
    }
    // SAFETY: GstMapInfo is plain data; an all-zero one is what
    // gst_memory_map expects to fill.
    let mut map: gst::ffi::GstMapInfo = unsafe { std::mem::zeroed() };
    // SAFETY: mapping a live memory for reading; unmapped by the guard.
    let mapped =
        unsafe { gst::ffi::gst_memory_map(memory, &mut map, gst::ffi::GST_MAP_READ | MAP_CUDA) };
    if mapped == 0 || map.data.is_null() {
        return None;
    }
    let base = map.data as u64;
    let mut picture = DeviceYuv420 {
        width: info.width(),
        height: info.height(),
        planes: [0; 3],
        pitches: [0; 3],
        semi_planar,
        matrix,
        full_range,
        gpu_id: shared.gpu_id,
    };
    for i in 0..planes {
        picture.planes[i] = base + offsets[i] as u64;
        picture.pitches[i] = strides[i].unsigned_abs();
    }
    Some(DevicePicture {
        map,
        picture,
        _buffer: PhantomData,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library GStreamer 1.22 ships has every function this module
    /// declares (a renamed or missing symbol would silently disable the GPU
    /// path on users' machines).
    #[test]
    fn gstreamer_cuda_library_has_every_symbol() {
        assert_eq!(api().map(|_| ()), Ok(()));
    }

    /// A shared context exactly where GPU 0 is usable; elsewhere (and for
    /// a GPU that does not exist) a reason, never a panic.
    #[test]
    fn a_context_only_where_the_gpu_is_usable() {
        assert_eq!(
            shared_context(0).is_ok(),
            proj_buffers::cuda::usable(0) && api().is_ok()
        );
        assert!(shared_context(1000).is_err());
    }
}
