//! Scale + letterbox (+ 4:2:0 → RGB conversion) on the platform the
//! surfaces live on: the CPU for host memory, CUDA kernels for GPU memory.

use crate::geometry::{place, Placement, Rect};
use crate::{
    cpu_transform, cuda, BuffersError, ComputeMode, Result, Surface, TransformConfig, VideoFormat,
};

/// What a transform does to the pixels besides scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// Same format in and out, plane by plane.
    None,
    /// NV12, NV21 or I420 in; RGBA or BGRx out.
    Yuv420ToRgb,
}

fn conversion(src: VideoFormat, dst: VideoFormat) -> Result<Conversion> {
    use VideoFormat::{Bgrx, Gray8, Nv12, Nv21, Rgba, Uyvy, I420};
    match (src, dst) {
        (Uyvy, _) | (_, Uyvy) => Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: Uyvy.name(),
            reason: "packed 4:2:2 cannot be scaled per plane".into(),
        }),
        (a, b) if a == b => Ok(Conversion::None),
        (Nv12 | Nv21 | I420, Rgba | Bgrx) => Ok(Conversion::Yuv420ToRgb),
        (Rgba | Bgrx | Gray8 | Nv12 | Nv21 | I420, _) => Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: src.name(),
            reason: format!(
                "cannot convert to {dst}: transforms keep the format or convert NV12, NV21 and I420 to RGBA or BGRx"
            ),
        }),
    }
}

/// Scales `src_rect` of `src` (default: all of it) into `dst` as `config`
/// says, painting the rest of `dst` black. Both surfaces must be in host
/// memory (CPU) or both in CUDA device/unified memory of one GPU.
pub fn transform(
    src: &Surface,
    src_rect: Option<Rect>,
    dst: &mut Surface,
    config: &TransformConfig,
) -> Result<Placement> {
    let conversion = conversion(src.format(), dst.format())?;
    let placement = place(
        (src.width(), src.height()),
        src_rect,
        (dst.width(), dst.height()),
        config.padding,
        config.dst_padding,
    )?;
    match (
        src.device().is_some(),
        dst.device().is_some(),
        config.compute_mode,
    ) {
        (_, _, ComputeMode::Vic) => Err(BuffersError::CudaUnavailable {
            reason: "compute mode vic is Jetson's VIC engine, which this build does not drive"
                .into(),
        }),
        (false, false, ComputeMode::Gpu) => Err(BuffersError::CudaUnavailable {
            reason: "compute mode gpu needs the surfaces in CUDA device memory; \
                     system-memory surfaces are transformed on the CPU"
                .into(),
        }),
        (false, false, ComputeMode::Default) => {
            cpu_transform::transform(src, dst, &placement, conversion, config.interpolation)?;
            Ok(placement)
        }
        (true, true, _) => {
            match conversion {
                Conversion::None => cuda::letterbox(src, dst, &placement, config.interpolation)?,
                Conversion::Yuv420ToRgb => {
                    cuda::convert_yuv420(src, dst, &placement, config.interpolation)?
                }
            }
            Ok(placement)
        }
        _ => Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: src.format().name(),
            reason: format!(
                "the source is in {} memory and the destination in {} memory; \
                 both must be on the CPU or both on the GPU (upload or download first)",
                src.mem_type().name(),
                dst.mem_type().name()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::fill_pattern;
    use crate::{DstPadding, Interpolation, Padding};

    fn rgba(width: u32, height: u32, color: [u8; 4]) -> Result<Surface> {
        let mut s = Surface::new(VideoFormat::Rgba, width, height)?;
        s.fill(&color)?;
        Ok(s)
    }

    fn pixel(s: &Surface, x: u32, y: u32) -> [u8; 4] {
        let at = (y as usize * s.width() as usize + x as usize) * 4;
        let mut p = [0; 4];
        p.copy_from_slice(&s.host_data().unwrap_or_default()[at..at + 4]);
        p
    }

    #[test]
    fn letterboxes_with_black_bars() -> Result<()> {
        let src = rgba(800, 600, [200, 100, 50, 255])?;
        let mut dst = rgba(800, 800, [9, 9, 9, 9])?;
        let p = transform(&src, None, &mut dst, &TransformConfig::default())?;
        assert_eq!(p.dst, Rect::new(100, 0, 800, 600));
        assert_eq!(pixel(&dst, 400, 50), [0, 0, 0, 0]);
        assert_eq!(pixel(&dst, 400, 99), [0, 0, 0, 0]);
        assert_eq!(pixel(&dst, 400, 100), [200, 100, 50, 255]);
        assert_eq!(pixel(&dst, 400, 699), [200, 100, 50, 255]);
        assert_eq!(pixel(&dst, 400, 700), [0, 0, 0, 0]);
        Ok(())
    }

    #[test]
    fn every_interpolation_and_planar_format_runs() -> Result<()> {
        for format in [
            VideoFormat::Rgba,
            VideoFormat::Bgrx,
            VideoFormat::Gray8,
            VideoFormat::Nv12,
            VideoFormat::Nv21,
            VideoFormat::I420,
        ] {
            for interpolation in Interpolation::ALL {
                let src = Surface::new(format, 333, 201)?;
                let mut dst = Surface::new(format, 64, 48)?;
                let config = TransformConfig {
                    interpolation,
                    padding: Padding::RightBottom,
                    dst_padding: DstPadding {
                        left: 3,
                        top: 5,
                        right: 0,
                        bottom: 0,
                    },
                    ..TransformConfig::default()
                };
                transform(&src, Some(Rect::new(1, 3, 300, 199)), &mut dst, &config)?;
            }
        }
        Ok(())
    }

    #[test]
    fn converts_yuv420_to_rgb_inside_the_letterbox() -> Result<()> {
        // BT.601 limited: Y=81, U=90, V=240 is pure red.
        for format in [VideoFormat::Nv12, VideoFormat::Nv21, VideoFormat::I420] {
            let mut src = Surface::new(format, 64, 32)?;
            let planes = src.planes().to_vec();
            let mut bytes = vec![81u8; src.frame_size()];
            for (index, plane) in planes.iter().enumerate().skip(1) {
                let chroma = &mut bytes[plane.offset..plane.offset + plane.len()];
                match (format, index) {
                    (VideoFormat::I420, 1) => chroma.fill(90),
                    (VideoFormat::I420, _) => chroma.fill(240),
                    (VideoFormat::Nv12, _) => fill_pattern(chroma, &[90, 240]),
                    _ => fill_pattern(chroma, &[240, 90]),
                }
            }
            src.upload(&bytes)?;
            for (dst_format, red) in [(VideoFormat::Rgba, 0), (VideoFormat::Bgrx, 2)] {
                let mut dst = Surface::new(dst_format, 32, 32)?;
                let p = transform(&src, None, &mut dst, &TransformConfig::default())?;
                assert_eq!(p.dst, Rect::new(8, 0, 32, 16));
                let inside = pixel(&dst, 16, 16);
                assert!(
                    inside[red] >= 250 && inside[1] <= 3 && inside[2 - red] <= 3,
                    "{format} → {dst_format}: {inside:?}"
                );
                assert_eq!(pixel(&dst, 16, 2), [0, 0, 0, 0]);
            }
        }
        let gray = Surface::new(VideoFormat::Gray8, 32, 32)?;
        let mut nv12 = Surface::new(VideoFormat::Nv12, 32, 32)?;
        assert!(matches!(
            transform(&gray, None, &mut nv12, &TransformConfig::default()),
            Err(BuffersError::UnsupportedFormat { .. })
        ));
        Ok(())
    }

    #[test]
    fn refuses_mixed_formats_and_gpu_modes() -> Result<()> {
        let src = rgba(32, 32, [0; 4])?;
        let mut gray = Surface::new(VideoFormat::Gray8, 32, 32)?;
        assert!(matches!(
            transform(&src, None, &mut gray, &TransformConfig::default()),
            Err(BuffersError::UnsupportedFormat { .. })
        ));
        let mut dst = rgba(32, 32, [0; 4])?;
        let gpu = TransformConfig {
            compute_mode: ComputeMode::Gpu,
            ..TransformConfig::default()
        };
        assert!(matches!(
            transform(&src, None, &mut dst, &gpu),
            Err(BuffersError::CudaUnavailable { .. })
        ));
        Ok(())
    }
}
