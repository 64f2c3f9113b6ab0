//! The GPU helpers of the seed (`initCuda`, `gpuArchitecture`, …): facts
//! about the machine's GPU from the CUDA driver, `/proc` and `uname`. On a
//! machine with no GPU they answer `false`/`None` where the seed does and
//! give a typed `CudaUnavailable` error where it raises.

use cudarc::driver::sys::CUdevice_attribute;

use crate::{cuda, BuffersError, Result};

const MIB: u64 = 1024 * 1024;

/// Makes (once) the CUDA context of GPU `gpu_id`.
pub fn init_cuda(gpu_id: u32) -> Result<()> {
    cuda::context(gpu_id).map(|_| ())
}

/// Whether the kernel is NVIDIA's Tegra (Jetson) kernel: `uname -r` ends in
/// `-tegra`.
pub fn is_jetson_kernel() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .is_ok_and(|release| release.trim().contains("tegra"))
}

/// The architecture family of a compute capability, lowercase.
pub fn architecture_name(major: i32, minor: i32) -> Option<&'static str> {
    Some(match (major, minor) {
        (5, _) => "maxwell",
        (6, _) => "pascal",
        (7, 0 | 2) => "volta",
        (7, 5) => "turing",
        (8, 9) => "ada",
        (8, _) => "ampere",
        (9, _) => "hopper",
        (10..=12, _) => "blackwell",
        _ => return None,
    })
}

fn capability(gpu_id: u32) -> Result<(i32, i32)> {
    cuda::context(gpu_id)?
        .compute_capability()
        .map_err(|e| cuda::failed("cuDeviceGetAttribute", e))
}

/// The architecture family of a discrete GPU (`"hopper"`, `"ada"`, …);
/// `None` on Jetson. A typed error where CUDA does not start.
pub fn gpu_architecture(gpu_id: u32) -> Result<Option<String>> {
    if is_jetson_kernel() {
        return Ok(None);
    }
    let (major, minor) = capability(gpu_id)?;
    Ok(Some(architecture_name(major, minor).map_or_else(
        || format!("sm_{major}{minor}"),
        str::to_owned,
    )))
}

/// `(MemTotal, MemAvailable)` of `/proc/meminfo`, in bytes.
fn meminfo() -> Result<(u64, u64)> {
    let text =
        std::fs::read_to_string("/proc/meminfo").map_err(|e| BuffersError::CudaUnavailable {
            reason: format!("cannot read /proc/meminfo: {e}"),
        })?;
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    match (field("MemTotal"), field("MemAvailable")) {
        (Some(total), Some(available)) => Ok((total, available)),
        _ => Err(BuffersError::CudaUnavailable {
            reason: "/proc/meminfo has no MemTotal/MemAvailable".into(),
        }),
    }
}

/// GPU memory in use, in MiB: the device's used memory on a discrete GPU
/// (every process's, as `cuMemGetInfo` reports it), the system's on Jetson,
/// whose GPU shares it.
pub fn gpu_mem_used_mib(gpu_id: u32) -> Result<u64> {
    if is_jetson_kernel() {
        let (total, available) = meminfo()?;
        return Ok(total.saturating_sub(available) / MIB);
    }
    let (free, total) = cuda::context(gpu_id)?
        .mem_get_info()
        .map_err(|e| cuda::failed("cuMemGetInfo", e))?;
    Ok((total.saturating_sub(free) as u64) / MIB)
}

/// The Jetson module, from its GPU (compute capability, SM count) and its
/// memory: the way that works in containers without /proc/device-tree.
/// Orin NX 8GB and Orin Nano 8GB have the same GPU and memory; they are
/// reported as "Orin Nano 8GB".
pub fn identify_jetson(major: i32, minor: i32, sms: i32, mem_total: u64) -> Option<&'static str> {
    let gib = mem_total as f64 / (1024.0 * 1024.0 * 1024.0);
    Some(match (major, minor, sms) {
        (8, 7, 16) if gib > 40.0 => "AGX Orin 64GB",
        (8, 7, 16 | 14) => "AGX Orin 32GB",
        (8, 7, 8) if gib > 10.0 => "Orin NX 16GB",
        (8, 7, 8) => "Orin Nano 8GB",
        (8, 7, 4) => "Orin Nano 4GB",
        (7, 2, 8) if gib > 40.0 => "AGX Xavier 64GB",
        (7, 2, 8) => "AGX Xavier 32GB",
        (7, 2, 6) if gib > 10.0 => "Xavier NX 16GB",
        (7, 2, 6) => "Xavier NX 8GB",
        (5, 3, 1) => "Nano",
        (6, 2, 2) if gib > 6.0 => "TX2 8GB",
        (6, 2, 2) => "TX2 4GB",
        _ => return None,
    })
}

/// The Jetson model (`"Orin Nano 8GB"`, …), `None` off Jetson or for a
/// module this table does not know.
pub fn jetson_model(gpu_id: u32) -> Result<Option<String>> {
    if !is_jetson_kernel() {
        return Ok(None);
    }
    let context = cuda::context(gpu_id)?;
    let (major, minor) = context
        .compute_capability()
        .map_err(|e| cuda::failed("cuDeviceGetAttribute", e))?;
    let sms = context
        .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(|e| cuda::failed("cuDeviceGetAttribute", e))?;
    let (total, _) = meminfo()?;
    Ok(identify_jetson(major, minor, sms, total).map(str::to_owned))
}

/// A directory-safe tag for caching TensorRT engines: the Jetson model
/// (`"orin_nano_8gb"`) or the dGPU architecture (`"hopper"`); `"unknown"`
/// where neither is known. A typed error where CUDA does not start.
pub fn gpu_platform_tag(gpu_id: u32) -> Result<String> {
    let name = if is_jetson_kernel() {
        jetson_model(gpu_id)?
    } else {
        gpu_architecture(gpu_id)?
    };
    Ok(name.map_or_else(
        || "unknown".to_owned(),
        |n| {
            n.to_lowercase()
                .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_and_jetson_tables() {
        assert_eq!(architecture_name(9, 0), Some("hopper"));
        assert_eq!(architecture_name(8, 9), Some("ada"));
        assert_eq!(architecture_name(8, 6), Some("ampere"));
        assert_eq!(architecture_name(7, 5), Some("turing"));
        assert_eq!(architecture_name(12, 0), Some("blackwell"));
        assert_eq!(architecture_name(3, 5), None);
        let gib = 1024 * 1024 * 1024;
        assert_eq!(identify_jetson(8, 7, 16, 61 * gib), Some("AGX Orin 64GB"));
        assert_eq!(
            identify_jetson(8, 7, 8, 7 * gib + gib / 2),
            Some("Orin Nano 8GB")
        );
        assert_eq!(identify_jetson(8, 7, 8, 15 * gib), Some("Orin NX 16GB"));
        assert_eq!(identify_jetson(8, 7, 4, 3 * gib), Some("Orin Nano 4GB"));
        assert_eq!(identify_jetson(9, 0, 132, 80 * gib), None);
    }

    /// On this machine the answers agree with what it has: with a usable
    /// GPU, real values; without one, CUDA questions are typed errors and
    /// Jetson ones are no. Either way something is asserted.
    #[test]
    fn answers_match_this_machine() {
        if cuda::usable(0) {
            assert_eq!(init_cuda(0), Ok(()));
            assert!(matches!(gpu_architecture(0), Ok(Some(_))));
            assert!(matches!(gpu_mem_used_mib(0), Ok(used) if used > 0));
            assert!(matches!(gpu_platform_tag(0), Ok(tag) if !tag.is_empty()));
        } else {
            let unavailable = |r: Result<(), BuffersError>| {
                matches!(
                    r,
                    Err(BuffersError::CudaUnavailable { .. } | BuffersError::Cuda { .. })
                )
            };
            assert!(unavailable(init_cuda(0)));
            assert!(unavailable(gpu_architecture(0).map(drop)));
            assert!(unavailable(gpu_mem_used_mib(0).map(drop)));
            assert!(unavailable(gpu_platform_tag(0).map(drop)));
        }
        if !is_jetson_kernel() {
            assert_eq!(jetson_model(0), Ok(None));
        }
    }
}
