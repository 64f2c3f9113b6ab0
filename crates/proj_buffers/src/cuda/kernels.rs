use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::{CudaContext, CudaFunction};
use cudarc::nvrtc::Ptx;

use super::nvrtc::{self, Target};
use super::{failed, nvrtc_loaded};
use crate::{BuffersError, Result};

/// The CUDA C of every kernel: transforms, then drawing.
pub const SOURCE: &str = concat!(include_str!("kernels.cu"), "\n", include_str!("draw.cu"));

/// The drawing kernels alone (the host harness of `proj_draw` compiles them).
pub const DRAW_SOURCE: &str = include_str!("draw.cu");

/// The kernels of one device, compiled for its architecture.
#[derive(Debug, Clone)]
pub(crate) struct Kernels {
    pub letterbox_plane: CudaFunction,
    pub yuv420_to_rgb: CudaFunction,
    pub fill_plane: CudaFunction,
    pub rgb_to_i420: CudaFunction,
    pub draw_tiles: CudaFunction,
    pub draw_blur_rows: CudaFunction,
    pub draw_blur_columns: CudaFunction,
}

/// Compiles [`SOURCE`] for `target`: the image `cuModuleLoadData` takes.
pub fn compile(target: Target) -> Result<Vec<u8>> {
    require_nvrtc()?;
    nvrtc::compile(SOURCE, target)
}

fn require_nvrtc() -> Result<()> {
    if nvrtc_loaded() {
        return Ok(());
    }
    Err(BuffersError::CudaUnavailable {
        reason: "NVRTC (libnvrtc.so.13) is not installed: it compiles the CUDA kernels; \
                 install the CUDA 13 runtime or the nvidia-cuda-nvrtc package"
            .into(),
    })
}

/// Machine code for the device's architecture where NVRTC knows it, PTX
/// for the driver to compile otherwise.
fn target_for(major: i32, minor: i32) -> Target {
    let arch = u32::try_from(major * 10 + minor).unwrap_or(0);
    if !(75..=121).contains(&arch) {
        return Target::Ptx;
    }
    // SAFETY: callers check require_nvrtc() first.
    let known = unsafe { supported_archs() };
    if known.contains(&arch) {
        Target::Cubin(arch)
    } else {
        Target::Ptx
    }
}

/// The `sm_XY` numbers this NVRTC compiles for.
///
/// # Safety
/// NVRTC must be loaded (`nvrtc_loaded()`).
unsafe fn supported_archs() -> Vec<u32> {
    let mut count = 0;
    // SAFETY: out-parameters to live locals.
    if unsafe { cudarc::nvrtc::sys::nvrtcGetNumSupportedArchs(&mut count) }
        .result()
        .is_err()
    {
        return Vec::new();
    }
    let mut archs = vec![0; usize::try_from(count).unwrap_or(0)];
    // SAFETY: `archs` has room for `count` entries.
    if unsafe { cudarc::nvrtc::sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) }
        .result()
        .is_err()
    {
        return Vec::new();
    }
    archs
        .into_iter()
        .filter_map(|a| u32::try_from(a).ok())
        .collect()
}

/// The kernels of `context`'s device, compiled on first use.
pub(crate) fn kernels(context: &Arc<CudaContext>) -> Result<Kernels> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Kernels>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(kernels) = cache.get(&context.ordinal()) {
        return Ok(kernels.clone());
    }
    let (major, minor) = context
        .compute_capability()
        .map_err(|e| failed("cuDeviceGetAttribute", e))?;
    require_nvrtc()?;
    let image = compile(target_for(major, minor))?;
    let module = context
        .load_module(Ptx::from_binary(image))
        .map_err(|e| failed("cuModuleLoadData", e))?;
    let function = |name: &str| {
        module
            .load_function(name)
            .map_err(|e| failed("cuModuleGetFunction", e))
    };
    let kernels = Kernels {
        letterbox_plane: function("letterbox_plane")?,
        yuv420_to_rgb: function("yuv420_to_rgb")?,
        fill_plane: function("fill_plane")?,
        rgb_to_i420: function("rgb_to_i420")?,
        draw_tiles: function("draw_tiles")?,
        draw_blur_rows: function("draw_blur_rows")?,
        draw_blur_columns: function("draw_blur_columns")?,
    };
    cache.insert(context.ordinal(), kernels.clone());
    Ok(kernels)
}
