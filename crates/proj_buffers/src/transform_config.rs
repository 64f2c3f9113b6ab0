use crate::{BuffersError, DstPadding, Padding, Result};

/// Scaling filter. The names follow the reference: variants that differ
/// between NVIDIA's GPU path and Jetson's VIC carry both names. On the CPU
/// each maps to a documented filter of `fast_image_resize`:
///
/// | variant | CPU filter |
/// |---|---|
/// | `Nearest`, `Default` | nearest neighbour |
/// | `Bilinear` | bilinear interpolation (2×2 taps, like NPP / OpenCV `INTER_LINEAR`) |
/// | `GpuCubicVic5Tap` | bicubic interpolation (Catmull-Rom, 4×4 taps) |
/// | `GpuSuperVic10Tap` | area average (box convolution over the source footprint, like super-sampling) |
/// | `GpuLanczosVicSmart` | Lanczos-3 convolution |
/// | `GpuIgnoredVicNicest` | Lanczos-3 convolution (the nicest we have; the reference GPU ignores it) |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interpolation {
    Nearest,
    #[default]
    Bilinear,
    GpuCubicVic5Tap,
    GpuSuperVic10Tap,
    GpuLanczosVicSmart,
    GpuIgnoredVicNicest,
    /// The platform default: nearest.
    Default,
}

impl Interpolation {
    pub const ALL: [Self; 7] = [
        Self::Nearest,
        Self::Bilinear,
        Self::GpuCubicVic5Tap,
        Self::GpuSuperVic10Tap,
        Self::GpuLanczosVicSmart,
        Self::GpuIgnoredVicNicest,
        Self::Default,
    ];

    /// Canonical names (`nearest`, `bilinear`, `cubic`, `super`, `lanczos`,
    /// `nicest`, `default`), the enum-style names (`GPU_CUBIC_VIC_5TAP`…)
    /// and the legacy `algo1`…`algo4`; any case.
    pub fn from_name(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase();
        Ok(match lower.as_str() {
            "nearest" => Self::Nearest,
            "bilinear" => Self::Bilinear,
            "cubic" | "algo1" | "gpu_cubic_vic_5tap" | "5tap" => Self::GpuCubicVic5Tap,
            "super" | "algo2" | "gpu_super_vic_10tap" | "10tap" => Self::GpuSuperVic10Tap,
            "lanczos" | "algo3" | "gpu_lanczos_vic_smart" | "smart" => Self::GpuLanczosVicSmart,
            "nicest" | "algo4" | "gpu_ignored_vic_nicest" | "ignored" => Self::GpuIgnoredVicNicest,
            "default" => Self::Default,
            _ => {
                return Err(BuffersError::UnknownName {
                    what: "interpolation",
                    name: name.into(),
                    expected:
                        "nearest, bilinear, cubic, super, lanczos, nicest, default, algo1-algo4",
                })
            }
        })
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Nearest => "nearest",
            Self::Bilinear => "bilinear",
            Self::GpuCubicVic5Tap => "cubic",
            Self::GpuSuperVic10Tap => "super",
            Self::GpuLanczosVicSmart => "lanczos",
            Self::GpuIgnoredVicNicest => "nicest",
            Self::Default => "default",
        }
    }
}

/// Which engine runs a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ComputeMode {
    /// The buffers' own platform: CPU for system memory, the GPU for CUDA
    /// memory (VIC on Jetson once supported).
    #[default]
    Default,
    /// The GPU; an error for system memory.
    Gpu,
    /// Jetson's VIC; an error everywhere else.
    Vic,
}

impl ComputeMode {
    pub fn from_name(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "default" => Ok(Self::Default),
            "gpu" => Ok(Self::Gpu),
            "vic" => Ok(Self::Vic),
            _ => Err(BuffersError::UnknownName {
                what: "compute mode",
                name: name.into(),
                expected: "default, gpu, vic",
            }),
        }
    }
}

/// How to scale and letterbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransformConfig {
    pub padding: Padding,
    pub dst_padding: DstPadding,
    pub interpolation: Interpolation,
    pub compute_mode: ComputeMode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for i in Interpolation::ALL {
            assert_eq!(Interpolation::from_name(i.name()), Ok(i));
        }
        assert_eq!(
            Interpolation::from_name("ALGO3"),
            Ok(Interpolation::GpuLanczosVicSmart)
        );
        assert_eq!(
            Interpolation::from_name("GPU_CUBIC_VIC_5TAP"),
            Ok(Interpolation::GpuCubicVic5Tap)
        );
        assert!(Interpolation::from_name("bicubic2").is_err());
        assert_eq!(ComputeMode::from_name("GPU"), Ok(ComputeMode::Gpu));
    }
}
