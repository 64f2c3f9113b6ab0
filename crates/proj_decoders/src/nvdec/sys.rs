//! The hand-written FFI to GStreamer's CUDA library (`libgstcuda-1.0`,
//! gst-plugins-bad 1.22), looked up at run time with `libloading`:
//! gstreamer-rs has no CUDA crate and 1.22's headers pull in OpenCV. Struct
//! layouts, the map flag and ownership were checked against the 1.22 sources.

use std::ffi::c_void;
use std::sync::OnceLock;

use gstreamer as gst;
use gstreamer_video as gst_video;

/// `GST_MAP_CUDA`: `GST_MAP_FLAG_LAST << 1`; with `GST_MAP_READ`, mapping a
/// `GstCudaMemory` yields its device pointer instead of a host copy.
pub(super) const MAP_CUDA: u32 = gst::ffi::GST_MAP_FLAG_LAST << 1;

/// `GstCudaMemory` of gstcudamemory.h (1.22): only the fields read here.
#[repr(C)]
pub(super) struct GstCudaMemory {
    pub mem: gst::ffi::GstMemory,
    pub context: *mut c_void,
    pub info: gst_video::ffi::GstVideoInfo,
}

pub(super) type GBoolean = gst::glib::ffi::gboolean;

/// The functions of libgstcuda-1.0 used here.
pub(super) struct Api {
    pub load_library: unsafe extern "C" fn() -> GBoolean,
    pub memory_init_once: unsafe extern "C" fn(),
    pub context_new_wrapped: unsafe extern "C" fn(*mut c_void, i32) -> *mut c_void,
    pub context_new_cuda_context: unsafe extern "C" fn(*mut c_void) -> *mut gst::ffi::GstContext,
    pub context_get_handle: unsafe extern "C" fn(*mut c_void) -> *mut c_void,
    pub is_cuda_memory: unsafe extern "C" fn(*mut gst::ffi::GstMemory) -> GBoolean,
    // Keeps the functions above loaded (for the life of the process).
    _library: libloading::Library,
}

fn load() -> Result<Api, String> {
    // SAFETY: loading GStreamer's own CUDA helper library runs only its
    // GObject type registrations; it loads libcuda itself only when asked
    // (gst_cuda_load_library below).
    let library = unsafe { libloading::Library::new("libgstcuda-1.0.so.0") }
        .map_err(|e| format!("libgstcuda-1.0 (gst-plugins-bad) is not installed: {e}"))?;
    macro_rules! symbol {
        ($name:literal) => {
            // SAFETY: the declared types match the C prototypes of
            // gstcudaloader.h, gstcudamemory.h, gstcudacontext.h and
            // gstcudautils.h (GStreamer 1.22).
            *unsafe { library.get(concat!($name, "\0").as_bytes()) }
                .map_err(|e| format!("libgstcuda-1.0 has no {}: {e}", $name))?
        };
    }
    let load_library = symbol!("gst_cuda_load_library");
    let memory_init_once = symbol!("gst_cuda_memory_init_once");
    let context_new_wrapped = symbol!("gst_cuda_context_new_wrapped");
    let context_new_cuda_context = symbol!("gst_context_new_cuda_context");
    let context_get_handle = symbol!("gst_cuda_context_get_handle");
    let is_cuda_memory = symbol!("gst_is_cuda_memory");
    Ok(Api {
        load_library,
        memory_init_once,
        context_new_wrapped,
        context_new_cuda_context,
        context_get_handle,
        is_cuda_memory,
        _library: library,
    })
}

pub(super) fn api() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(load).as_ref().map_err(Clone::clone)
}
