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

    /// The memory this build actually allocates for the request. System
    /// memory is the CPU platform; the CUDA platform is not in this build
    /// yet, so CUDA and Jetson types are a typed error rather than a silent
    /// fallback.
    pub fn resolve(self) -> Result<Self> {
        match self {
            Self::Default | Self::System => Ok(Self::System),
            Self::CudaPinned | Self::CudaDevice | Self::CudaUnified => {
                Err(BuffersError::CudaUnavailable {
                    reason: format!(
                        "{} memory needs the CUDA platform, which this build does not include yet",
                        self.name()
                    ),
                })
            }
            Self::SurfaceArray | Self::Handle => Err(BuffersError::CudaUnavailable {
                reason: format!("{} memory exists only on Jetson", self.name()),
            }),
        }
    }
}
