//! Scale + letterbox in host memory with `fast_image_resize` (SIMD), and
//! 4:2:0 → RGB conversion with `yuvutils-rs`.

use std::cell::RefCell;

use fast_image_resize::images::{CroppedImageMut, Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use yuvutils_rs::{
    YuvBiPlanarImage, YuvConversionMode, YuvPlanarImage, YuvRange, YuvStandardMatrix,
};

use crate::bilinear;
use crate::format::Plane;
use crate::geometry::{Placement, Rect};
use crate::plane_region::plane_region;
use crate::surface::fill_pattern;
use crate::transform::Conversion;
use crate::{BuffersError, Interpolation, Result, Surface, VideoFormat};

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

fn resize_error(format: VideoFormat) -> impl Fn(&dyn std::fmt::Display) -> BuffersError {
    move |e| BuffersError::UnsupportedFormat {
        operation: "transform",
        format: format.name(),
        reason: e.to_string(),
    }
}

/// Scales `placement.src` of `src` into `placement.dst` of `dst` and paints
/// the rest of `dst` black; both in host memory.
pub(crate) fn transform(
    src: &Surface,
    dst: &mut Surface,
    placement: &Placement,
    conversion: Conversion,
    interpolation: Interpolation,
) -> Result<()> {
    let options = ResizeOptions::new().resize_alg(algorithm(interpolation));
    match conversion {
        Conversion::None => scale_planes(
            src,
            dst,
            placement,
            &options,
            interpolation == Interpolation::Bilinear,
        ),
        Conversion::Yuv420ToRgb => convert_yuv420(src, dst, placement, &options),
    }
}

/// Plane by plane, same format in and out.
fn scale_planes(
    src: &Surface,
    dst: &mut Surface,
    placement: &Placement,
    options: &ResizeOptions,
    bilinear: bool,
) -> Result<()> {
    let format = dst.format();
    let error = resize_error(format);
    for (index, pattern) in format.black().iter().enumerate() {
        let (Some((src_plane, src_bytes)), Some((dst_plane, dst_bytes))) =
            (src.plane(index), dst.plane_mut(index))
        else {
            continue;
        };
        let (crop, region) = plane_region(placement, index, &dst_plane);
        fill_outside(dst_bytes, &dst_plane, region, pattern);
        if bilinear && src_plane.bytes_per_pixel == 4 && src_plane.width > 1 {
            let size = (src_plane.width, src_plane.height);
            bilinear::scale_4ch(
                src_bytes,
                src_plane.pitch,
                size,
                crop,
                dst_bytes,
                dst_plane.pitch,
                region,
            );
            continue;
        }
        let kind = pixel_type(src_plane.bytes_per_pixel);
        let src_image = ImageRef::new(src_plane.width, src_plane.height, src_bytes, kind)
            .map_err(|e| error(&e))?;
        let mut dst_image =
            Image::from_slice_u8(dst_plane.width, dst_plane.height, dst_bytes, kind)
                .map_err(|e| error(&e))?;
        let mut target = CroppedImageMut::new(
            &mut dst_image,
            region.left,
            region.top,
            region.width,
            region.height,
        )
        .map_err(|e| error(&e))?;
        let options = options.clone().crop(crop[0], crop[1], crop[2], crop[3]);
        RESIZER
            .with(|r| r.borrow_mut().resize(&src_image, &mut target, &options))
            .map_err(|e| error(&e))?;
    }
    Ok(())
}

thread_local! {
    // The scaled Y, U and V (or UV) planes before conversion, reused.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Scales `crop` of plane `index` of `src` into `out` (`width × height`
/// pixels of the plane's kind).
fn resize_plane(
    src: &Surface,
    index: usize,
    crop: [f64; 4],
    out: &mut [u8],
    (width, height): (u32, u32),
    options: &ResizeOptions,
) -> Result<()> {
    let error = resize_error(src.format());
    let Some((plane, bytes)) = src.plane(index) else {
        return Err(error(&"the surface is not in host memory"));
    };
    let kind = pixel_type(plane.bytes_per_pixel);
    let src_image = ImageRef::new(plane.width, plane.height, bytes, kind).map_err(|e| error(&e))?;
    let mut dst_image = Image::from_slice_u8(width, height, out, kind).map_err(|e| error(&e))?;
    let options = options.clone().crop(crop[0], crop[1], crop[2], crop[3]);
    RESIZER
        .with(|r| r.borrow_mut().resize(&src_image, &mut dst_image, &options))
        .map_err(|e| error(&e))
}

/// 4:2:0 into RGBA/BGRx: scales Y and the chroma planes to the picture's
/// full size (4:4:4, so chroma is interpolated by the resizer, not
/// replicated), then converts with `yuvutils-rs`. Limited range; BT.709
/// above 576 rows, BT.601 otherwise (GStreamer's default).
fn convert_yuv420(
    src: &Surface,
    dst: &mut Surface,
    placement: &Placement,
    options: &ResizeOptions,
) -> Result<()> {
    let (format, dst_format) = (src.format(), dst.format());
    let Some((dst_plane, dst_bytes)) = dst.plane_mut(0) else {
        return Ok(());
    };
    let region = plane_region(placement, 0, &dst_plane).1;
    fill_outside(dst_bytes, &dst_plane, region, dst_format.black()[0]);
    let matrix = if src.height() > 576 {
        YuvStandardMatrix::Bt709
    } else {
        YuvStandardMatrix::Bt601
    };
    let size = (region.width, region.height);
    let n = region.width as usize * region.height as usize;
    let s = placement.src;
    let luma_crop = [s.left, s.top, s.width, s.height].map(f64::from);
    let chroma_crop = luma_crop.map(|v| v / 2.0);
    let at = region.top as usize * dst_plane.pitch + region.left as usize * 4;
    let out = dst_bytes.get_mut(at..).unwrap_or_default();
    let stride = u32::try_from(dst_plane.pitch).unwrap_or(u32::MAX);
    let bgr = dst_format == VideoFormat::Bgrx;
    let (range, mode) = (YuvRange::Limited, YuvConversionMode::Balanced);
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.resize(n * 3, 0);
        let (y, chroma) = scratch.split_at_mut(n);
        resize_plane(src, 0, luma_crop, y, size, options)?;
        let converted = if format == VideoFormat::I420 {
            let (u, v) = chroma.split_at_mut(n);
            resize_plane(src, 1, chroma_crop, u, size, options)?;
            resize_plane(src, 2, chroma_crop, v, size, options)?;
            let image = YuvPlanarImage {
                y_plane: y,
                y_stride: region.width,
                u_plane: u,
                u_stride: region.width,
                v_plane: v,
                v_stride: region.width,
                width: region.width,
                height: region.height,
            };
            let convert = if bgr {
                yuvutils_rs::yuv444_to_bgra
            } else {
                yuvutils_rs::yuv444_to_rgba
            };
            convert(&image, out, stride, range, matrix)
        } else {
            resize_plane(src, 1, chroma_crop, chroma, size, options)?;
            let image = YuvBiPlanarImage {
                y_plane: y,
                y_stride: region.width,
                uv_plane: chroma,
                uv_stride: region.width * 2,
                width: region.width,
                height: region.height,
            };
            let convert = match (format == VideoFormat::Nv21, bgr) {
                (false, false) => yuvutils_rs::yuv_nv24_to_rgba,
                (false, true) => yuvutils_rs::yuv_nv24_to_bgra,
                (true, false) => yuvutils_rs::yuv_nv42_to_rgba,
                (true, true) => yuvutils_rs::yuv_nv42_to_bgra,
            };
            convert(&image, out, stride, range, matrix, mode)
        };
        converted.map_err(|e| resize_error(format)(&e))
    })
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
