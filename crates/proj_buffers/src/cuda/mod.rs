//! The CUDA platform: device memory, NVRTC kernels and their launches.
//!
//! Everything is loaded at run time (`cudarc` with `dynamic-loading`): the
//! build needs no CUDA toolkit and a machine with no NVIDIA driver gets a
//! typed [`BuffersError::CudaUnavailable`](crate::BuffersError) from the
//! first call that needs one, never a panic. cudarc panics when a library
//! is missing, so [`context`] checks for `libcuda` and [`kernels`] for
//! `libnvrtc` before touching either.

mod context;
mod draw;
mod kernels;
mod launch;
mod memory;
mod nvrtc;

pub use context::{context, device_count, driver_loaded, nvrtc_loaded, raw_context, usable};
pub(crate) use draw::draw as draw_plan;
pub use draw::GpuDrawing;
pub(crate) use launch::{convert_yuv420, fill, import_device_yuv420, letterbox, rgb_to_i420};
pub(crate) use memory::{DeviceMemory, PinnedHost, Placement as MemoryPlacement};

pub use kernels::{
    compile as compile_kernels, DRAW_SOURCE as DRAW_KERNEL_SOURCE, SOURCE as KERNEL_SOURCE,
};
pub use nvrtc::Target as KernelTarget;

use crate::BuffersError;

/// A driver call that failed on a machine where CUDA itself loaded.
pub(crate) fn failed(operation: &'static str, error: impl std::fmt::Debug) -> BuffersError {
    BuffersError::Cuda {
        operation,
        reason: format!("{error:?}"),
    }
}
