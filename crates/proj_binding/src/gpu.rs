//! The GPU helpers: `initCuda`, `gpuArchitecture`, `gpuMemUsedMib`,
//! `gpuPlatformTag`, `hasNvenc`, `isJetsonKernel`, `jetsonModel`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::entry::entry;
use crate::error::{from_buffers, Code};

/// Makes the CUDA context of GPU `gpuId` (default 0); ERR_PROJ_CUDA_UNAVAILABLE
/// where there is no usable GPU.
#[napi]
pub fn init_cuda(gpu_id: Option<u32>) -> Result<(), Code> {
    entry("init_cuda", || {
        proj_buffers::init_cuda(gpu_id.unwrap_or(0)).map_err(from_buffers)
    })
}

/// The dGPU's architecture family ("hopper", "ada", …); null on Jetson.
#[napi]
pub fn gpu_architecture(gpu_id: Option<u32>) -> Result<Option<String>, Code> {
    entry("gpu_architecture", || {
        proj_buffers::gpu_architecture(gpu_id.unwrap_or(0)).map_err(from_buffers)
    })
}

/// GPU memory in use, MiB.
#[napi]
pub fn gpu_mem_used_mib(gpu_id: Option<u32>) -> Result<f64, Code> {
    entry("gpu_mem_used_mib", || {
        #[expect(clippy::cast_precision_loss, reason = "MiB stay far below 2^53")]
        proj_buffers::gpu_mem_used_mib(gpu_id.unwrap_or(0))
            .map(|mib| mib as f64)
            .map_err(from_buffers)
    })
}

/// A directory-safe platform tag for engine caches ("hopper",
/// "orin_nano_8gb", "unknown").
#[napi]
pub fn gpu_platform_tag(gpu_id: Option<u32>) -> Result<String, Code> {
    entry("gpu_platform_tag", || {
        proj_buffers::gpu_platform_tag(gpu_id.unwrap_or(0)).map_err(from_buffers)
    })
}

/// Whether hardware H.264 encoding (NVENC) works on GPU `gpuId`.
#[napi]
pub fn has_nvenc(gpu_id: Option<u32>) -> Result<bool, Code> {
    entry("has_nvenc", || {
        Ok(proj_gstreamer::has_nvenc(gpu_id.unwrap_or(0)))
    })
}

/// Whether the kernel is a Jetson (Tegra) kernel.
#[napi]
pub fn is_jetson_kernel() -> Result<bool, Code> {
    entry("is_jetson_kernel", || Ok(proj_buffers::is_jetson_kernel()))
}

/// The Jetson model ("Orin Nano 8GB", …); null off Jetson.
#[napi]
pub fn jetson_model(gpu_id: Option<u32>) -> Result<Option<String>, Code> {
    entry("jetson_model", || {
        proj_buffers::jetson_model(gpu_id.unwrap_or(0)).map_err(from_buffers)
    })
}
