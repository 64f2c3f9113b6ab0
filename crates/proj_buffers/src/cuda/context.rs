use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::{sys, CudaContext};

use super::failed;
use crate::{BuffersError, Result};

/// Whether the NVIDIA driver library (`libcuda.so.1`) loads here.
pub fn driver_loaded() -> bool {
    static LOADED: OnceLock<bool> = OnceLock::new();
    // SAFETY: loading a shared library by name runs its initialisers;
    // libcuda's are the driver's own and have no preconditions.
    *LOADED.get_or_init(|| unsafe { sys::is_culib_present() })
}

/// Whether NVRTC (`libnvrtc.so.13`) loads here.
pub fn nvrtc_loaded() -> bool {
    static LOADED: OnceLock<bool> = OnceLock::new();
    // SAFETY: as for libcuda above; NVRTC has no initialisers to speak of.
    *LOADED.get_or_init(|| unsafe { cudarc::nvrtc::sys::is_culib_present() })
}

fn unavailable(reason: impl Into<String>) -> BuffersError {
    BuffersError::CudaUnavailable {
        reason: reason.into(),
    }
}

/// How many CUDA devices this machine has; a typed error where the driver
/// is missing or does not start.
pub fn device_count() -> Result<usize> {
    if !driver_loaded() {
        return Err(unavailable(
            "the NVIDIA driver (libcuda.so.1) is not installed on this machine",
        ));
    }
    let count = CudaContext::device_count()
        .map_err(|e| unavailable(format!("the NVIDIA driver did not start: {e:?}")))?;
    Ok(usize::try_from(count).unwrap_or(0))
}

/// The primary context of GPU `gpu_id`, made once per process.
pub fn context(gpu_id: u32) -> Result<Arc<CudaContext>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<u32, Arc<CudaContext>>>> = OnceLock::new();
    let count = device_count()?;
    let ordinal = gpu_id as usize;
    if ordinal >= count {
        return Err(unavailable(format!(
            "GPU {gpu_id} does not exist: this machine has {count} CUDA device(s)"
        )));
    }
    let mut contexts = CONTEXTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(context) = contexts.get(&gpu_id) {
        return Ok(Arc::clone(context));
    }
    let context = CudaContext::new(ordinal).map_err(|e| failed("cuCtx (primary context)", e))?;
    contexts.insert(gpu_id, Arc::clone(&context));
    Ok(context)
}

/// The raw driver handles (`CUcontext` as an address, `CUdevice`) of GPU
/// `gpu_id`'s primary context, for libraries that share it (GStreamer's
/// CUDA elements). The context lives as long as the process.
pub fn raw_context(gpu_id: u32) -> Result<(usize, i32)> {
    let context = context(gpu_id)?;
    Ok((context.cu_ctx() as usize, context.cu_device()))
}

/// Whether GPU `gpu_id` can hold and transform surfaces here: the driver
/// starts, the device exists and NVRTC is there to compile the kernels.
pub fn usable(gpu_id: u32) -> bool {
    nvrtc_loaded() && context(gpu_id).is_ok()
}
