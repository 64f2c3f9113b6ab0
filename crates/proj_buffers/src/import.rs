//! Pictures from outside the pools (a decoder's output) written into a
//! surface of the same size: 4:2:0 YUV converted to RGBA/BGRx with
//! `yuvutils-rs` straight into host memory (or a scratch buffer that is
//! then uploaded), packed RGB/RGBA copied row by row; 4:2:0 YUV already in
//! device memory (NVDEC's) converted by a CUDA kernel without leaving the
//! GPU.

use std::cell::RefCell;

use yuvutils_rs::{
    YuvBiPlanarImage, YuvConversionMode, YuvPlanarImage, YuvRange, YuvStandardMatrix,
};

use crate::{BuffersError, Result, Surface, VideoFormat};

/// The matrix of a YUV picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMatrix {
    Bt601,
    Bt709,
    Bt2020,
}

/// One 4:2:0 picture in someone else's memory.
#[derive(Debug, Clone, Copy)]
pub struct Yuv420<'a> {
    pub width: u32,
    pub height: u32,
    /// `[Y, U, V]` for I420; `[Y, UV, unused]` for NV12.
    pub planes: [&'a [u8]; 3],
    pub strides: [usize; 3],
    /// Chroma interleaved in one plane (NV12) rather than two (I420).
    pub semi_planar: bool,
    pub matrix: ColorMatrix,
    pub full_range: bool,
}

/// Packed 8-bit pixels in someone else's memory.
#[derive(Debug, Clone, Copy)]
pub struct Packed<'a> {
    pub width: u32,
    pub height: u32,
    pub data: &'a [u8],
    pub stride: usize,
    /// 3 (RGB) or 4 (RGBA).
    pub channels: usize,
}

/// One 4:2:0 picture in someone else's CUDA device memory: a hardware
/// decoder's output.
#[derive(Debug, Clone, Copy)]
pub struct DeviceYuv420 {
    pub width: u32,
    pub height: u32,
    /// Device addresses: `[Y, U, V]` for I420; `[Y, UV, unused]` for NV12.
    pub planes: [u64; 3],
    pub pitches: [usize; 3],
    pub semi_planar: bool,
    pub matrix: ColorMatrix,
    pub full_range: bool,
    /// The GPU whose memory holds the planes.
    pub gpu_id: u32,
}

thread_local! {
    // Conversion target for surfaces not in host memory.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn check_target(dst: &Surface, width: u32, height: u32, operation: &'static str) -> Result<bool> {
    let bgr = match dst.format() {
        VideoFormat::Rgba => false,
        VideoFormat::Bgrx => true,
        other => {
            return Err(BuffersError::UnsupportedFormat {
                operation,
                format: other.name(),
                reason: "pictures are imported into RGBA or BGRx surfaces".into(),
            })
        }
    };
    if (dst.width(), dst.height()) != (width, height) {
        return Err(BuffersError::InvalidArgument {
            name: "picture",
            reason: format!(
                "{width}x{height} does not match the {}x{} surface",
                dst.width(),
                dst.height()
            ),
        });
    }
    Ok(bgr)
}

fn u32_stride(stride: usize) -> u32 {
    u32::try_from(stride).unwrap_or(u32::MAX)
}

/// Writes the picture into `dst` through `write(bytes, stride)`: directly
/// into host memory, or into a tight scratch buffer that is uploaded.
fn write_into(dst: &mut Surface, write: impl FnOnce(&mut [u8], usize) -> Result<()>) -> Result<()> {
    let pitch = dst.pitch();
    if let Some((_, bytes)) = dst.plane_mut(0) {
        return write(bytes, pitch);
    }
    let row = dst.width() as usize * 4;
    let len = row * dst.height() as usize;
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.resize(len, 0);
        write(&mut scratch, row)?;
        dst.upload(&scratch)
    })
}

/// Converts a 4:2:0 picture into `dst` (RGBA or BGRx, same size).
pub fn import_yuv420(dst: &mut Surface, src: &Yuv420<'_>) -> Result<()> {
    let bgr = check_target(dst, src.width, src.height, "import_yuv420")?;
    let matrix = match src.matrix {
        ColorMatrix::Bt601 => YuvStandardMatrix::Bt601,
        ColorMatrix::Bt709 => YuvStandardMatrix::Bt709,
        ColorMatrix::Bt2020 => YuvStandardMatrix::Bt2020,
    };
    let range = if src.full_range {
        YuvRange::Full
    } else {
        YuvRange::Limited
    };
    let failed = |e: &dyn std::fmt::Display| BuffersError::InvalidArgument {
        name: "picture",
        reason: format!("4:2:0 conversion failed: {e}"),
    };
    write_into(dst, |out, pitch| {
        let stride = u32_stride(pitch);
        let converted = if src.semi_planar {
            let image = YuvBiPlanarImage {
                y_plane: src.planes[0],
                y_stride: u32_stride(src.strides[0]),
                uv_plane: src.planes[1],
                uv_stride: u32_stride(src.strides[1]),
                width: src.width,
                height: src.height,
            };
            let convert = if bgr {
                yuvutils_rs::yuv_nv12_to_bgra
            } else {
                yuvutils_rs::yuv_nv12_to_rgba
            };
            convert(
                &image,
                out,
                stride,
                range,
                matrix,
                YuvConversionMode::Balanced,
            )
        } else {
            let image = YuvPlanarImage {
                y_plane: src.planes[0],
                y_stride: u32_stride(src.strides[0]),
                u_plane: src.planes[1],
                u_stride: u32_stride(src.strides[1]),
                v_plane: src.planes[2],
                v_stride: u32_stride(src.strides[2]),
                width: src.width,
                height: src.height,
            };
            let convert = if bgr {
                yuvutils_rs::yuv420_to_bgra
            } else {
                yuvutils_rs::yuv420_to_rgba
            };
            convert(&image, out, stride, range, matrix)
        };
        converted.map_err(|e| failed(&e))
    })
}

/// Converts a 4:2:0 picture in device memory into `dst` (RGBA or BGRx in
/// CUDA memory of the same GPU) with one kernel; a picture of another size
/// is stretched into it.
///
/// # Safety
/// `src.planes` must be device memory of GPU `src.gpu_id`, usable in that
/// GPU's primary context (allocated there, or in a context GStreamer wraps
/// around it), holding the picture `src` describes, alive and unchanged
/// until this returns.
pub unsafe fn import_device_yuv420(dst: &mut Surface, src: &DeviceYuv420) -> Result<()> {
    check_target(dst, dst.width(), dst.height(), "import_device_yuv420")?;
    if src.width == 0 || src.height == 0 || src.planes[0] == 0 || src.planes[1] == 0 {
        return Err(BuffersError::InvalidArgument {
            name: "picture",
            reason: format!("an empty {}x{} device picture", src.width, src.height),
        });
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { crate::cuda::import_device_yuv420(dst, src) }
}

/// Copies packed RGB (alpha set to 255) or RGBA rows into `dst` (RGBA,
/// same size).
pub fn import_packed(dst: &mut Surface, src: &Packed<'_>) -> Result<()> {
    let bgr = check_target(dst, src.width, src.height, "import_packed")?;
    if bgr || !matches!(src.channels, 3 | 4) {
        return Err(BuffersError::UnsupportedFormat {
            operation: "import_packed",
            format: dst.format().name(),
            reason: format!("{} channels into {}", src.channels, dst.format()),
        });
    }
    let row_in = src.width as usize * src.channels;
    let rows = src.height as usize;
    if src.stride < row_in || src.data.len() < src.stride * (rows - 1) + row_in {
        return Err(BuffersError::InvalidArgument {
            name: "picture",
            reason: format!(
                "{} bytes hold no {}x{} picture of {} channels with stride {}",
                src.data.len(),
                src.width,
                src.height,
                src.channels,
                src.stride
            ),
        });
    }
    write_into(dst, |out, pitch| {
        let row_out = src.width as usize * 4;
        for (y, line) in out.chunks_mut(pitch).take(rows).enumerate() {
            let input = &src.data[y * src.stride..y * src.stride + row_in];
            let output = &mut line[..row_out];
            if src.channels == 4 {
                output.copy_from_slice(input);
            } else {
                for (o, i) in output.chunks_exact_mut(4).zip(input.chunks_exact(3)) {
                    o[..3].copy_from_slice(i);
                    o[3] = 255;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_yuv_becomes_grey_rgba_and_rgb_gets_opaque_alpha() -> Result<()> {
        let (w, h) = (6u32, 4u32);
        let y = vec![126u8; 6 * 4];
        let uv = vec![128u8; 3 * 2 * 2];
        let mut dst = Surface::new(VideoFormat::Rgba, w, h)?;
        import_yuv420(
            &mut dst,
            &Yuv420 {
                width: w,
                height: h,
                planes: [&y, &uv, &[]],
                strides: [6, 6, 0],
                semi_planar: true,
                matrix: ColorMatrix::Bt709,
                full_range: false,
            },
        )?;
        // Limited range: (126 − 16) × 255 / 219 = 128.
        assert!(dst.download()?.chunks(4).all(|p| p == [128, 128, 128, 255]));

        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        import_packed(
            &mut dst,
            &Packed {
                width: w,
                height: h,
                data: &rgb,
                stride: 18,
                channels: 3,
            },
        )?;
        let out = dst.download()?;
        assert_eq!(
            &out[..8],
            &[rgb[0], rgb[1], rgb[2], 255, rgb[3], rgb[4], rgb[5], 255]
        );
        // A short buffer is a typed error, not a panic.
        assert!(import_packed(
            &mut dst,
            &Packed {
                width: w,
                height: h,
                data: &rgb[..10],
                stride: 18,
                channels: 3,
            },
        )
        .is_err());
        Ok(())
    }

    /// A device picture into a host surface (a pinned or system pool) is a
    /// typed error, found before any device address is touched.
    #[test]
    fn device_picture_into_host_memory_is_an_error() -> Result<()> {
        let mut host = Surface::new(VideoFormat::Rgba, 4, 4)?;
        let picture = DeviceYuv420 {
            width: 4,
            height: 4,
            planes: [0x1000, 0x2000, 0],
            pitches: [64, 64, 0],
            semi_planar: true,
            matrix: ColorMatrix::Bt709,
            full_range: false,
            gpu_id: 0,
        };
        // SAFETY: the surface is in host memory, which is refused before
        // the (fake) device addresses could be used.
        let result = unsafe { import_device_yuv420(&mut host, &picture) };
        assert!(
            matches!(result, Err(BuffersError::UnsupportedFormat { .. })),
            "{result:?}"
        );
        Ok(())
    }
}
