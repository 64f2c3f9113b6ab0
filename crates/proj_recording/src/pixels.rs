//! Raw frames as callers hold them (torio's and FFmpeg's pixel formats)
//! into tightly packed I420, the CPU encoders' input, and I420 scaled to
//! the encoder's size.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use yuvutils_rs::{
    BufferStoreMut, YuvConversionMode, YuvPlanarImageMut, YuvRange, YuvStandardMatrix,
};

use crate::error::{invalid, unknown};
use crate::Result;

/// A stream's input pixel format (FFmpeg's names). Packed formats are
/// rows of pixels (`height × width × channels`, what canvas, sharp and
/// `ffmpeg -f rawvideo` use); planar ones are whole planes in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    Gray8,
    Rgb24,
    Bgr24,
    Rgba,
    Bgra,
    Yuv444p,
    Yuv420p,
    Nv12,
}

const NAMES: &[(&str, PixelFormat)] = &[
    ("gray8", PixelFormat::Gray8),
    ("gray", PixelFormat::Gray8),
    ("rgb24", PixelFormat::Rgb24),
    ("bgr24", PixelFormat::Bgr24),
    ("rgba", PixelFormat::Rgba),
    ("bgra", PixelFormat::Bgra),
    ("yuv444p", PixelFormat::Yuv444p),
    ("yuv420p", PixelFormat::Yuv420p),
    ("nv12", PixelFormat::Nv12),
];

impl PixelFormat {
    pub fn from_name(name: &str) -> Result<Self> {
        let folded = name.trim().to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(n, _)| *n == folded)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                unknown(
                    "pixel format",
                    name,
                    &NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                )
            })
    }

    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// Bytes of one `width`×`height` frame.
    pub fn frame_bytes(self, width: u32, height: u32) -> usize {
        let (w, h) = (width as usize, height as usize);
        let chroma = w.div_ceil(2) * h.div_ceil(2);
        match self {
            Self::Gray8 => w * h,
            Self::Rgb24 | Self::Bgr24 | Self::Yuv444p => 3 * w * h,
            Self::Rgba | Self::Bgra => 4 * w * h,
            Self::Yuv420p | Self::Nv12 => w * h + 2 * chroma,
        }
    }
}

/// Checks that a frame is `expected` bytes (a `width`×`height` `format` frame).
pub(crate) fn check_frame_len(
    len: usize,
    expected: usize,
    width: u32,
    height: u32,
    format: &str,
) -> Result<()> {
    if len == expected {
        return Ok(());
    }
    Err(crate::error::invalid(
        "frame",
        format!("{len} bytes; a {width}x{height} {format} frame is {expected}"),
    ))
}

/// A tightly packed I420 frame.
#[derive(Debug, Clone)]
pub struct I420 {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl I420 {
    fn sizes(width: u32, height: u32) -> [(usize, usize); 3] {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        [(w, h), (cw, ch), (cw, ch)]
    }

    fn blank(width: u32, height: u32) -> Self {
        let len = Self::sizes(width, height).iter().map(|(w, h)| w * h).sum();
        Self {
            width,
            height,
            data: vec![0; len],
        }
    }

    /// Y, U and V.
    fn planes_mut(&mut self) -> [&mut [u8]; 3] {
        let [(w, h), (cw, ch), _] = Self::sizes(self.width, self.height);
        let (y, rest) = self.data.split_at_mut(w * h);
        let (u, v) = rest.split_at_mut(cw * ch);
        [y, u, v]
    }

    fn planes(&self) -> [&[u8]; 3] {
        let [(w, h), (cw, ch), _] = Self::sizes(self.width, self.height);
        let (y, rest) = self.data.split_at(w * h);
        let (u, v) = rest.split_at(cw * ch);
        [y, u, v]
    }
}

/// One frame of `format` (exactly [`PixelFormat::frame_bytes`] long) as
/// I420, BT.601 limited range.
pub fn to_i420(format: PixelFormat, width: u32, height: u32, src: &[u8]) -> Result<I420> {
    if src.len() != format.frame_bytes(width, height) {
        return Err(invalid(
            "chunk",
            format!(
                "{} bytes for a {width}x{height} {} frame, which has {}",
                src.len(),
                format.name(),
                format.frame_bytes(width, height)
            ),
        ));
    }
    let mut out = I420::blank(width, height);
    let [(w, h), (cw, ch), _] = I420::sizes(width, height);
    let packed = |channels: u32| width * channels;
    match format {
        PixelFormat::Rgb24 => rgb(&mut out, src, packed(3), yuvutils_rs::rgb_to_yuv420)?,
        PixelFormat::Bgr24 => rgb(&mut out, src, packed(3), yuvutils_rs::bgr_to_yuv420)?,
        PixelFormat::Rgba => rgb(&mut out, src, packed(4), yuvutils_rs::rgba_to_yuv420)?,
        PixelFormat::Bgra => rgb(&mut out, src, packed(4), yuvutils_rs::bgra_to_yuv420)?,
        PixelFormat::Gray8 => {
            let [y, u, v] = out.planes_mut();
            y.copy_from_slice(src);
            u.fill(128);
            v.fill(128);
        }
        PixelFormat::Yuv420p => out.data.copy_from_slice(src),
        PixelFormat::Nv12 => {
            let (luma, uv) = src.split_at(w * h);
            let [y, u, v] = out.planes_mut();
            y.copy_from_slice(luma);
            for (i, pair) in uv.chunks_exact(2).enumerate() {
                u[i] = pair[0];
                v[i] = pair[1];
            }
        }
        PixelFormat::Yuv444p => {
            let (luma, rest) = src.split_at(w * h);
            let (u444, v444) = rest.split_at(w * h);
            let [y, u, v] = out.planes_mut();
            y.copy_from_slice(luma);
            for (dst, plane) in [(u, u444), (v, v444)] {
                for row in 0..ch {
                    for col in 0..cw {
                        // The average of the 2×2 block (clamped at odd edges).
                        let (r0, r1) = (2 * row, (2 * row + 1).min(h - 1));
                        let (c0, c1) = (2 * col, (2 * col + 1).min(w - 1));
                        let sum = u32::from(plane[r0 * w + c0])
                            + u32::from(plane[r0 * w + c1])
                            + u32::from(plane[r1 * w + c0])
                            + u32::from(plane[r1 * w + c1]);
                        dst[row * cw + col] = u8::try_from((sum + 2) / 4).unwrap_or(255);
                    }
                }
            }
        }
    }
    Ok(out)
}

type ToYuv = fn(
    &mut YuvPlanarImageMut<'_, u8>,
    &[u8],
    u32,
    YuvRange,
    YuvStandardMatrix,
    YuvConversionMode,
) -> std::result::Result<(), yuvutils_rs::YuvError>;

fn rgb(out: &mut I420, src: &[u8], stride: u32, convert: ToYuv) -> Result<()> {
    let (width, height) = (out.width, out.height);
    let cw = width.div_ceil(2);
    let [y, u, v] = out.planes_mut();
    let mut planar = YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(y),
        y_stride: width,
        u_plane: BufferStoreMut::Borrowed(u),
        u_stride: cw,
        v_plane: BufferStoreMut::Borrowed(v),
        v_stride: cw,
        width,
        height,
    };
    // Lengths were checked by the caller, so yuvutils' own checks (which
    // panic) hold; its errors are reported anyway.
    convert(
        &mut planar,
        src,
        stride,
        YuvRange::Limited,
        YuvStandardMatrix::Bt601,
        YuvConversionMode::Balanced,
    )
    .map_err(|e| invalid("chunk", format!("to I420: {e:?}")))
}

/// `frame` scaled to `width`×`height` (Catmull-Rom per plane, as
/// FFmpeg's default bicubic scaler).
pub fn resize_i420(resizer: &mut Resizer, frame: I420, width: u32, height: u32) -> Result<I420> {
    if (frame.width, frame.height) == (width, height) {
        return Ok(frame);
    }
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut out = I420::blank(width, height);
    let src_sizes = I420::sizes(frame.width, frame.height);
    let dst_sizes = I420::sizes(width, height);
    let src_planes = frame.planes();
    for (i, dst) in out.planes_mut().into_iter().enumerate() {
        let error = |e: &dyn std::fmt::Display| invalid("encoderWidth", format!("scaling: {e}"));
        let to_u32 = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        let (sw, sh) = src_sizes[i];
        let (dw, dh) = dst_sizes[i];
        let src = ImageRef::new(to_u32(sw), to_u32(sh), src_planes[i], PixelType::U8)
            .map_err(|e| error(&e))?;
        let mut dst = Image::from_slice_u8(to_u32(dw), to_u32(dh), dst, PixelType::U8)
            .map_err(|e| error(&e))?;
        resizer
            .resize(&src, &mut dst, &options)
            .map_err(|e| error(&e))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_of_one_grey_becomes_the_same_i420() -> Result<()> {
        let (w, h) = (6u32, 4u32);
        let n = (w * h) as usize;
        let grey = 128u8;
        let cases: Vec<(PixelFormat, Vec<u8>)> = vec![
            (PixelFormat::Rgb24, vec![grey; 3 * n]),
            (PixelFormat::Bgra, vec![grey; 4 * n]),
            (PixelFormat::Gray8, vec![126; n]),
            (
                PixelFormat::Yuv444p,
                [vec![126; n], vec![128; 2 * n]].concat(),
            ),
            (PixelFormat::Nv12, [vec![126; n], vec![128; n / 2]].concat()),
        ];
        for (format, bytes) in cases {
            let out = to_i420(format, w, h, &bytes)?;
            let [y, u, v] = out.planes();
            // BT.601 limited: 128 → 16 + 128·219/255 ≈ 126.
            assert!(y.iter().all(|&s| s.abs_diff(126) <= 1), "{format:?}: {y:?}");
            assert!(
                u.iter().chain(v).all(|&s| s.abs_diff(128) <= 1),
                "{format:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_chunk_of_the_wrong_length_is_refused() {
        assert!(to_i420(PixelFormat::Rgb24, 4, 4, &[0; 47]).is_err());
        assert!(PixelFormat::from_name("yuv422p").is_err());
    }

    #[test]
    fn red_stays_red_through_the_resize() -> Result<()> {
        let red: Vec<u8> = [255u8, 0, 0].repeat(64 * 48);
        let frame = to_i420(PixelFormat::Rgb24, 64, 48, &red)?;
        let out = resize_i420(&mut Resizer::new(), frame.clone(), 32, 24)?;
        assert_eq!(out.data.len(), 32 * 24 * 3 / 2);
        let [y, u, v] = out.planes();
        let [y0, u0, v0] = frame.planes();
        assert!(y.iter().all(|&s| s.abs_diff(y0[0]) <= 1));
        assert!(u.iter().all(|&s| s.abs_diff(u0[0]) <= 1));
        assert!(v.iter().all(|&s| s.abs_diff(v0[0]) <= 1));
        Ok(())
    }
}
