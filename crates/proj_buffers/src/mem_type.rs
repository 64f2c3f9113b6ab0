use crate::{BuffersError, Result};

/// Where a surface's pixels live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MemType {
    /// CUDA device memory where a GPU is usable, system memory otherwise.
    #[default]
    Default,
    CudaPinned,
    CudaDevice,
    CudaUnified,
    /// NVRM surface array (Jetson).
    SurfaceArray,
    /// NVRM handle (Jetson).
    Handle,
    /// Ordinary host memory.
    System,
}

impl MemType {
    pub const ALL: [Self; 7] = [
        Self::Default,
        Self::CudaPinned,
        Self::CudaDevice,
        Self::CudaUnified,
        Self::SurfaceArray,
        Self::Handle,
        Self::System,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::CudaPinned => "cuda_pinned",
            Self::CudaDevice => "cuda_device",
            Self::CudaUnified => "cuda_unified",
            Self::SurfaceArray => "surface_array",
            Self::Handle => "handle",
            Self::System => "system",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| BuffersError::UnknownName {
                what: "memory type",
                name: name.into(),
                expected: "default, cuda_pinned, cuda_device, cuda_unified, surface_array, handle, system",
            })
    }
}
