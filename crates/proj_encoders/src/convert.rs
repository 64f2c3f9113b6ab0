//! Frames in the config's format into what the CPU encoder takes: I420
//! (RGBA through yuvutils' SIMD, BT.601 limited range as the caps declare,
//! full range for JPEG; NV12 de-interleaved), and RGBA for pngenc (as it
//! is, or from NV12/I420 through yuvutils: BT.601 limited range).

use proj_buffers::VideoFormat;
use yuvutils_rs::{
    BufferStoreMut, YuvBiPlanarImage, YuvConversionMode, YuvPlanarImage, YuvPlanarImageMut,
    YuvRange, YuvStandardMatrix,
};

use crate::error::invalid;
use crate::Result;

/// A frame of `format`: its planes in order, each row `pitch` bytes apart
/// (`pitches[i]` for plane i), `width`×`height` pixels.
#[derive(Debug, Clone, Copy)]
pub struct FrameData<'a> {
    pub format: VideoFormat,
    pub width: u32,
    pub height: u32,
    pub planes: &'a [u8],
    /// Bytes per row of each plane (RGBA: one; NV12: two; I420: three).
    pub pitches: &'a [usize],
    /// Where plane i lies in `planes`: `bounds[i]..bounds[i + 1]`, worked
    /// out (and checked) once, in `new`.
    bounds: [usize; MAX_PLANES + 1],
}

/// The most planes a format here has (I420).
const MAX_PLANES: usize = 3;

impl<'a> FrameData<'a> {
    /// A frame whose planes follow each other in `planes`, `pitches[i]`
    /// bytes per row: checked here, so that no later slice can fail.
    pub fn new(
        format: VideoFormat,
        width: u32,
        height: u32,
        planes: &'a [u8],
        pitches: &'a [usize],
    ) -> Result<Self> {
        let layout = format
            .planes(width, height)
            .map_err(|e| invalid("frame", e.to_string()))?;
        if pitches.len() != layout.len() || layout.len() > MAX_PLANES {
            return Err(invalid(
                "frame",
                format!("{} pitches for {} planes", pitches.len(), layout.len()),
            ));
        }
        let mut bounds = [0usize; MAX_PLANES + 1];
        let mut size = 0usize;
        for (i, (plane, pitch)) in layout.iter().zip(pitches).enumerate() {
            if *pitch < plane.pitch {
                return Err(invalid(
                    "frame",
                    format!("a row of {pitch} bytes is shorter than {}", plane.pitch),
                ));
            }
            size = pitch
                .checked_mul(plane.height as usize)
                .and_then(|n| n.checked_add(size))
                .ok_or_else(|| invalid("frame", "too large"))?;
            bounds[i + 1] = size;
        }
        if planes.len() < size {
            return Err(invalid(
                "frame",
                format!(
                    "{} bytes for a {width}x{height} {} frame, which has {size}",
                    planes.len(),
                    format.name()
                ),
            ));
        }
        Ok(Self {
            format,
            width,
            height,
            planes,
            pitches,
            bounds,
        })
    }

    /// Plane `i`'s rows.
    fn plane(&self, i: usize) -> Result<&'a [u8]> {
        if i >= self.pitches.len() {
            return Err(invalid("frame", "no such plane"));
        }
        self.planes
            .get(self.bounds[i]..self.bounds[i + 1])
            .ok_or_else(|| invalid("frame", "shorter than its planes"))
    }
}

/// Where a frame's planes go in a GStreamer buffer: each plane's offset and
/// row stride, and the buffer's size (GStreamer pads rows to 4 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub offsets: Vec<usize>,
    pub strides: Vec<usize>,
    pub size: usize,
}

impl Layout {
    /// Rows tightly packed, planes one after the other.
    pub fn tight(format: VideoFormat, width: u32, height: u32) -> Result<Self> {
        let planes = format
            .planes(width, height)
            .map_err(|e| invalid("frame", e.to_string()))?;
        let mut offsets = Vec::new();
        let mut size = 0;
        for p in &planes {
            offsets.push(size);
            size += p.pitch * p.height as usize;
        }
        Ok(Self {
            offsets,
            strides: planes.iter().map(|p| p.pitch).collect(),
            size,
        })
    }

    /// Plane `i` of `out`: `rows` rows of `row` bytes from `offsets[i]`,
    /// `strides[i]` apart; checked, so the copy below cannot go out.
    fn plane_mut<'o>(
        &self,
        out: &'o mut [u8],
        i: usize,
        row: usize,
        rows: usize,
    ) -> Result<(&'o mut [u8], usize)> {
        let (Some(&offset), Some(&stride)) = (self.offsets.get(i), self.strides.get(i)) else {
            return Err(invalid("layout", "no such plane"));
        };
        if stride < row {
            return Err(invalid("layout", "a stride is shorter than a row"));
        }
        let end = offset + stride * rows.saturating_sub(1) + row;
        let plane = out
            .get_mut(offset..end.max(offset))
            .ok_or_else(|| invalid("layout", "larger than its buffer"))?;
        Ok((plane, stride))
    }
}

/// I420 in `layout` (a vector of `layout.size` bytes), from any of the
/// three formats; `range` is what RGBA becomes (YUV input keeps its own).
pub fn i420_into(frame: &FrameData<'_>, layout: &Layout, range: YuvRange) -> Result<Vec<u8>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = vec![0u8; layout.size];
    match frame.format {
        VideoFormat::I420 => {
            for (i, (pw, ph)) in [(w, h), (cw, ch), (cw, ch)].into_iter().enumerate() {
                let plane = frame.plane(i)?;
                let pitch = frame.pitches[i];
                let (dst, stride) = layout.plane_mut(&mut out, i, pw, ph)?;
                for row in 0..ph {
                    dst[row * stride..row * stride + pw]
                        .copy_from_slice(&plane[row * pitch..row * pitch + pw]);
                }
            }
        }
        VideoFormat::Nv12 => {
            let (y, uv) = (frame.plane(0)?, frame.plane(1)?);
            let (yp, uvp) = (frame.pitches[0], frame.pitches[1]);
            {
                let (dst, stride) = layout.plane_mut(&mut out, 0, w, h)?;
                for row in 0..h {
                    dst[row * stride..row * stride + w].copy_from_slice(&y[row * yp..row * yp + w]);
                }
            }
            for (i, pick) in [(1, 0), (2, 1)] {
                let (dst, stride) = layout.plane_mut(&mut out, i, cw, ch)?;
                for row in 0..ch {
                    let src = &uv[row * uvp..row * uvp + 2 * cw];
                    for col in 0..cw {
                        dst[row * stride + col] = src[2 * col + pick];
                    }
                }
            }
        }
        VideoFormat::Rgba => {
            let rgba = frame.plane(0)?;
            let stride =
                u32::try_from(frame.pitches[0]).map_err(|_| invalid("frame", "pitch too large"))?;
            let dst_stride =
                |i: usize| u32::try_from(layout.strides.get(i).copied().unwrap_or(0)).unwrap_or(0);
            let (y_len, c_len) = (
                layout.strides[0] * h,
                layout.strides.get(1).copied().unwrap_or(0) * ch,
            );
            let (offsets, size) = (&layout.offsets, layout.size);
            if offsets.len() != 3
                || offsets[1] < y_len
                || offsets[2] < offsets[1] + c_len
                || size < offsets[2] + c_len
            {
                return Err(invalid("layout", "not an I420 layout"));
            }
            let (y, rest) = out.split_at_mut(offsets[1]);
            let (u, v) = rest.split_at_mut(offsets[2] - offsets[1]);
            let mut planar = YuvPlanarImageMut {
                y_plane: BufferStoreMut::Borrowed(&mut y[..y_len]),
                y_stride: dst_stride(0),
                u_plane: BufferStoreMut::Borrowed(&mut u[..c_len]),
                u_stride: dst_stride(1),
                v_plane: BufferStoreMut::Borrowed(&mut v[..c_len]),
                v_stride: dst_stride(2),
                width: frame.width,
                height: frame.height,
            };
            // Sizes were checked above, so yuvutils' own checks (which
            // panic) cannot fail; its errors are reported anyway.
            yuvutils_rs::rgba_to_yuv420(
                &mut planar,
                rgba,
                stride,
                range,
                YuvStandardMatrix::Bt601,
                YuvConversionMode::Balanced,
            )
            .map_err(|e| invalid("frame", format!("RGBA to I420: {e:?}")))?;
        }
        other => {
            return Err(invalid(
                "frame",
                format!("{} frames are not encoded", other.name()),
            ))
        }
    }
    Ok(out)
}

/// I420, tightly packed.
pub fn to_i420(frame: &FrameData<'_>) -> Result<Vec<u8>> {
    i420_into(
        frame,
        &Layout::tight(VideoFormat::I420, frame.width, frame.height)?,
        YuvRange::Limited,
    )
}

/// Limited-range (video) samples onto full range: JPEG (JFIF) is full
/// range, and jpegenc writes the YUV it gets as it is.
fn full_range_luts() -> ([u8; 256], [u8; 256]) {
    let mut luma = [0u8; 256];
    let mut chroma = [0u8; 256];
    for v in 0..256i32 {
        let y = ((v - 16) * 255 + 109) / 219;
        let c = ((v - 128) * 255 + if v >= 128 { 112 } else { -112 }) / 224 + 128;
        let index = usize::try_from(v).unwrap_or(0);
        luma[index] = u8::try_from(y.clamp(0, 255)).unwrap_or(255);
        chroma[index] = u8::try_from(c.clamp(0, 255)).unwrap_or(255);
    }
    (luma, chroma)
}

/// I420 in `layout` (`height` rows) from limited onto full range, in place.
pub fn full_range(i420: &mut [u8], layout: &Layout, height: u32) {
    let (luma, chroma) = full_range_luts();
    let ch = height.div_ceil(2) as usize;
    let ends = [
        layout.offsets.get(1).copied().unwrap_or(0),
        layout.offsets.get(2).copied().unwrap_or(0),
        (layout.offsets.get(2).copied().unwrap_or(0)
            + layout.strides.get(2).copied().unwrap_or(0) * ch)
            .min(i420.len()),
    ];
    let (y, rest) = i420.split_at_mut(ends[0].min(i420.len()));
    y.iter_mut().for_each(|v| *v = luma[usize::from(*v)]);
    let end = (ends[2] - ends[0].min(ends[2])).min(rest.len());
    rest[..end]
        .iter_mut()
        .for_each(|v| *v = chroma[usize::from(*v)]);
}

/// The frame's planes as they are, in `layout` (for jpegenc and pngenc,
/// which take RGBA as it is).
pub fn planes_into(frame: &FrameData<'_>, layout: &Layout) -> Result<Vec<u8>> {
    let tight = frame
        .format
        .planes(frame.width, frame.height)
        .map_err(|e| invalid("frame", e.to_string()))?;
    let mut out = vec![0u8; layout.size];
    for (i, plane) in tight.iter().enumerate() {
        let src = frame.plane(i)?;
        let pitch = frame.pitches[i];
        let (dst, stride) = layout.plane_mut(&mut out, i, plane.pitch, plane.height as usize)?;
        for row in 0..plane.height as usize {
            dst[row * stride..row * stride + plane.pitch]
                .copy_from_slice(&src[row * pitch..row * pitch + plane.pitch]);
        }
    }
    Ok(out)
}

/// RGBA in `layout` (one plane) for pngenc from an NV12 or I420 frame
/// (BT.601, limited range, as our pools' YUV is).
pub fn rgba_into(frame: &FrameData<'_>, layout: &Layout) -> Result<Vec<u8>> {
    let stride = layout.strides.first().copied().unwrap_or(0);
    let height = frame.height as usize;
    if stride < frame.width as usize * 4 || layout.size < stride * height {
        return Err(invalid("layout", "not an RGBA layout"));
    }
    let mut out = vec![0u8; layout.size];
    let rgba = &mut out[..stride * height];
    let rgba_stride = u32::try_from(stride).map_err(|_| invalid("layout", "stride too large"))?;
    let pitch =
        |i: usize| u32::try_from(frame.pitches[i]).map_err(|_| invalid("frame", "pitch too large"));
    let result = match frame.format {
        VideoFormat::I420 => yuvutils_rs::yuv420_to_rgba(
            &YuvPlanarImage {
                y_plane: frame.plane(0)?,
                y_stride: pitch(0)?,
                u_plane: frame.plane(1)?,
                u_stride: pitch(1)?,
                v_plane: frame.plane(2)?,
                v_stride: pitch(2)?,
                width: frame.width,
                height: frame.height,
            },
            rgba,
            rgba_stride,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
        ),
        VideoFormat::Nv12 => yuvutils_rs::yuv_nv12_to_rgba(
            &YuvBiPlanarImage {
                y_plane: frame.plane(0)?,
                y_stride: pitch(0)?,
                uv_plane: frame.plane(1)?,
                uv_stride: pitch(1)?,
                width: frame.width,
                height: frame.height,
            },
            rgba,
            rgba_stride,
            YuvRange::Limited,
            YuvStandardMatrix::Bt601,
            YuvConversionMode::Balanced,
        ),
        VideoFormat::Rgba => return planes_into(frame, layout),
        other => {
            return Err(invalid(
                "frame",
                format!("{} frames are not encoded", other.name()),
            ))
        }
    };
    result.map_err(|e| invalid("frame", format!("{} to RGBA: {e:?}", frame.format.name())))?;
    Ok(out)
}
