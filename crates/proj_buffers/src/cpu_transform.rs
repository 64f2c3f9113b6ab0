//! Scale + letterbox in system memory with `fast_image_resize` (SIMD).

use std::cell::RefCell;

use fast_image_resize::images::{CroppedImageMut, Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::format::Plane;
use crate::geometry::{place, Placement, Rect};
use crate::surface::fill_pattern;
use crate::{
    BuffersError, ComputeMode, Interpolation, Result, Surface, TransformConfig, VideoFormat,
};

thread_local! {
    // A resizer keeps scratch buffers between calls.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

fn algorithm(interpolation: Interpolation) -> ResizeAlg {
    match interpolation {
        Interpolation::Nearest | Interpolation::Default => ResizeAlg::Nearest,
        Interpolation::Bilinear => ResizeAlg::Interpolation(FilterType::Bilinear),
        Interpolation::GpuCubicVic5Tap => ResizeAlg::Interpolation(FilterType::CatmullRom),
        Interpolation::GpuSuperVic10Tap => ResizeAlg::Convolution(FilterType::Box),
        Interpolation::GpuLanczosVicSmart | Interpolation::GpuIgnoredVicNicest => {
            ResizeAlg::Convolution(FilterType::Lanczos3)
        }
    }
}

fn pixel_type(bytes_per_pixel: usize) -> PixelType {
    match bytes_per_pixel {
        4 => PixelType::U8x4,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        _ => PixelType::U8,
    }
}

/// Scales `src_rect` of `src` (default: all of it) into `dst` as `config`
/// says, clearing the rest of `dst` to black. Both surfaces must have the
/// same format.
pub fn transform(
    src: &Surface,
    src_rect: Option<Rect>,
    dst: &mut Surface,
    config: &TransformConfig,
) -> Result<Placement> {
    if config.compute_mode != ComputeMode::Default {
        return Err(BuffersError::CudaUnavailable {
            reason: format!(
                "compute mode {:?} needs a GPU; system-memory buffers are transformed on the CPU",
                config.compute_mode
            ),
        });
    }
    let format = dst.format();
    if src.format() != format {
        return Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: src.format().name(),
            reason: format!("the destination is {format}; converting formats is not supported yet"),
        });
    }
    if format == VideoFormat::Uyvy {
        return Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: format.name(),
            reason: "packed 4:2:2 cannot be scaled per plane".into(),
        });
    }
    let placement = place(
        (src.width(), src.height()),
        src_rect,
        (dst.width(), dst.height()),
        config.padding,
        config.dst_padding,
    )?;
    let options = ResizeOptions::new().resize_alg(algorithm(config.interpolation));
    let black = format.black();
    for (index, pattern) in black.iter().enumerate() {
        let (Some((src_plane, src_bytes)), Some((dst_plane, dst_bytes))) =
            (src.plane(index), dst.plane_mut(index))
        else {
            continue;
        };
        // Chroma planes of 4:2:0 are half size: halve the rectangles.
        let sub = if index == 0 { 1 } else { 2 };
        let (s, d) = (placement.src, placement.dst);
        let src_crop = [s.left, s.top, s.width, s.height].map(|v| f64::from(v) / f64::from(sub));
        let (d_left, d_top) = (d.left / sub, d.top / sub);
        let d_right = (d.left + d.width).div_ceil(sub).min(dst_plane.width);
        let d_bottom = (d.top + d.height).div_ceil(sub).min(dst_plane.height);
        let region_rect = Rect::new(
            d_top,
            d_left,
            d_right.saturating_sub(d_left).max(1),
            d_bottom.saturating_sub(d_top).max(1),
        );

        fill_outside(dst_bytes, &dst_plane, region_rect, pattern);
        let kind = pixel_type(src_plane.bytes_per_pixel);
        let resize_error = |e: &dyn std::fmt::Display| BuffersError::UnsupportedFormat {
            operation: "transform",
            format: format.name(),
            reason: e.to_string(),
        };
        let src_image = ImageRef::new(src_plane.width, src_plane.height, src_bytes, kind)
            .map_err(|e| resize_error(&e))?;
        let mut dst_image =
            Image::from_slice_u8(dst_plane.width, dst_plane.height, dst_bytes, kind)
                .map_err(|e| resize_error(&e))?;
        let mut region = CroppedImageMut::new(
            &mut dst_image,
            region_rect.left,
            region_rect.top,
            region_rect.width,
            region_rect.height,
        )
        .map_err(|e| resize_error(&e))?;
        let options = options.crop(src_crop[0], src_crop[1], src_crop[2], src_crop[3]);
        RESIZER
            .with(|r| r.borrow_mut().resize(&src_image, &mut region, &options))
            .map_err(|e| resize_error(&e))?;
    }
    Ok(placement)
}

/// Paints `pattern` (black) everywhere in the plane but `inside`, which the
/// resize writes: the picture's pixels are written once, not twice.
fn fill_outside(bytes: &mut [u8], plane: &Plane, inside: Rect, pattern: &[u8]) {
    let (pitch, bpp) = (plane.pitch, plane.bytes_per_pixel);
    let top = inside.top as usize * pitch;
    let bottom = ((inside.top + inside.height) as usize * pitch).min(bytes.len());
    let (left, right) = (
        inside.left as usize * bpp,
        (inside.left + inside.width) as usize * bpp,
    );
    let (above, rest) = bytes.split_at_mut(top);
    let (rows, below) = rest.split_at_mut(bottom - top);
    fill_pattern(above, pattern);
    fill_pattern(below, pattern);
    for row in rows.chunks_mut(pitch) {
        let (before, after) = row.split_at_mut(left.min(row.len()));
        fill_pattern(before, pattern);
        if let Some(after) = after.get_mut(right - left..) {
            fill_pattern(after, pattern);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DstPadding, Padding};

    fn rgba(width: u32, height: u32, color: [u8; 4]) -> Result<Surface> {
        let mut s = Surface::new(VideoFormat::Rgba, width, height)?;
        s.fill(&color)?;
        Ok(s)
    }

    fn pixel(s: &Surface, x: u32, y: u32) -> [u8; 4] {
        let at = (y as usize * s.width() as usize + x as usize) * 4;
        let mut p = [0; 4];
        p.copy_from_slice(&s.data()[at..at + 4]);
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
