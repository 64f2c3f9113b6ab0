//! A decoded picture written into an RGBA pool surface: GPU memory of our
//! context (NVDEC's output) converted by a CUDA kernel where it lies, a
//! host picture (I420, NV12, RGBA) converted on the CPU (and uploaded for a
//! GPU pool).

use gstreamer as gst;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use proj_buffers::{
    import_device_yuv420, import_packed, import_yuv420, ColorMatrix, Packed, Padding, Surface,
    TransformConfig, VideoFormat, Yuv420,
};

use crate::error::gst_failed;
use crate::nvdec::cuda::{map_device_picture, SharedContext};
use crate::Result;

fn color_matrix(info: &gst_video::VideoInfo) -> (ColorMatrix, bool) {
    let colorimetry = info.colorimetry();
    let matrix = match colorimetry.matrix() {
        gst_video::VideoColorMatrix::Bt709 => ColorMatrix::Bt709,
        gst_video::VideoColorMatrix::Bt2020 => ColorMatrix::Bt2020,
        _ => ColorMatrix::Bt601,
    };
    let full = colorimetry.range() == gst_video::VideoColorRange::Range0_255;
    (matrix, full)
}

/// Writes a decoded picture (I420, NV12 or RGBA) into `surface` (RGBA);
/// a picture of another size than the surface is stretched into it.
/// `cuda`: the context whose GPU memory the surface can read directly.
pub(crate) fn write_picture(
    surface: &mut Surface,
    buffer: &gst::BufferRef,
    info: &gst_video::VideoInfo,
    cuda: Option<&SharedContext>,
) -> Result<()> {
    if let Some(device) = cuda.and_then(|c| map_device_picture(buffer, info, c, color_matrix(info)))
    {
        // SAFETY: the mapped planes are GPU memory of our context (checked
        // by map_device_picture), described by the buffer's video meta, and
        // stay mapped (the buffer borrowed) until `device` drops after the
        // call, which waits for its kernel.
        unsafe { import_device_yuv420(surface, &device.picture) }?;
        return Ok(());
    }
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, info)
        .map_err(|e| gst_failed("map a decoded picture", e))?;
    let (width, height) = (frame.width(), frame.height());
    if (width, height) != (surface.width(), surface.height()) {
        let mut picture = Surface::new(VideoFormat::Rgba, width, height)?;
        write_frame(&mut picture, &frame, info)?;
        let mut scaled = Surface::new(VideoFormat::Rgba, surface.width(), surface.height())?;
        let stretch = TransformConfig {
            padding: Padding::None,
            ..TransformConfig::default()
        };
        proj_buffers::transform(&picture, None, &mut scaled, &stretch)?;
        return Ok(surface.upload(&scaled.download()?)?);
    }
    write_frame(surface, &frame, info)
}

fn write_frame(
    surface: &mut Surface,
    frame: &gst_video::VideoFrameRef<&gst::BufferRef>,
    info: &gst_video::VideoInfo,
) -> Result<()> {
    let strides: Vec<usize> = frame
        .plane_stride()
        .iter()
        .map(|&s| usize::try_from(s).unwrap_or(0))
        .collect();
    let plane = |i: u32| {
        frame
            .plane_data(i)
            .map_err(|e| gst_failed("read a decoded plane", e))
    };
    let stride = |i: usize| strides.get(i).copied().unwrap_or(0);
    let (width, height) = (frame.width(), frame.height());
    match frame.format() {
        gst_video::VideoFormat::I420 | gst_video::VideoFormat::Nv12 => {
            let semi_planar = frame.format() == gst_video::VideoFormat::Nv12;
            let (matrix, full_range) = color_matrix(info);
            let planes = if semi_planar {
                [plane(0)?, plane(1)?, &[][..]]
            } else {
                [plane(0)?, plane(1)?, plane(2)?]
            };
            import_yuv420(
                surface,
                &Yuv420 {
                    width,
                    height,
                    planes,
                    strides: [stride(0), stride(1), stride(2)],
                    semi_planar,
                    matrix,
                    full_range,
                },
            )?;
        }
        gst_video::VideoFormat::Rgba => import_packed(
            surface,
            &Packed {
                width,
                height,
                data: plane(0)?,
                stride: stride(0),
                channels: 4,
            },
        )?,
        other => {
            return Err(gst_failed(
                "convert a decoded picture",
                format!("unexpected format {other:?}"),
            ))
        }
    }
    Ok(())
}
