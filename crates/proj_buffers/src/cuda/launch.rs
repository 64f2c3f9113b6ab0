//! Kernel launches: one thread per destination pixel, 32 × 8 blocks, on
//! the destination's stream (its generator's), waited for before return.

use cudarc::driver::{DeviceRepr, LaunchConfig, PushKernelArg};

use super::kernels::{kernels, Kernels};
use super::{failed, DeviceMemory, MemoryPlacement};
use crate::format::Plane;
use crate::geometry::{Placement, Rect};
use crate::import::DeviceYuv420;
use crate::plane_region::plane_region;
use crate::{BuffersError, ColorMatrix, Interpolation, Result, Surface, VideoFormat};

/// `PlaneArg` of kernels.cu.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct PlaneArg {
    ptr: u64,
    pitch: i32,
    width: i32,
    height: i32,
    channels: i32,
}
// SAFETY: plain #[repr(C)] data matching the struct in kernels.cu.
unsafe impl DeviceRepr for PlaneArg {}

/// `ScaleArg` of kernels.cu.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct ScaleArg {
    src: [f32; 4],
    dst: [i32; 4],
    filter: i32,
    black: [i32; 4],
}
// SAFETY: as for PlaneArg.
unsafe impl DeviceRepr for ScaleArg {}

/// The kernel filter for each interpolation: the same filters as the CPU
/// platform (`cpu_transform::algorithm`).
fn filter(interpolation: Interpolation) -> i32 {
    match interpolation {
        Interpolation::Nearest | Interpolation::Default => 0,
        Interpolation::Bilinear => 1,
        Interpolation::GpuCubicVic5Tap => 2,
        Interpolation::GpuSuperVic10Tap => 3,
        Interpolation::GpuLanczosVicSmart | Interpolation::GpuIgnoredVicNicest => 4,
    }
}

fn to_i32(value: impl TryInto<i32>) -> i32 {
    value.try_into().unwrap_or(i32::MAX)
}

fn plane_arg(memory: &DeviceMemory, plane: &Plane) -> PlaneArg {
    PlaneArg {
        ptr: memory.ptr() + plane.offset as u64,
        pitch: to_i32(plane.pitch),
        width: to_i32(plane.width),
        height: to_i32(plane.height),
        channels: to_i32(plane.bytes_per_pixel),
    }
}

fn scale_arg(crop: [f64; 4], region: Rect, filter: i32, black: &[u8]) -> ScaleArg {
    let mut bar = [0; 4];
    for (i, b) in bar.iter_mut().enumerate() {
        *b = i32::from(black[i % black.len()]);
    }
    ScaleArg {
        #[expect(clippy::cast_possible_truncation, reason = "plane coordinates ≤ 16384")]
        src: crop.map(|v| v as f32),
        dst: [region.left, region.top, region.width, region.height].map(to_i32),
        filter,
        black: bar,
    }
}

fn grid(plane: &Plane) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (plane.width.div_ceil(32), plane.height.div_ceil(8), 1),
        block_dim: (32, 8, 1),
        shared_mem_bytes: 0,
    }
}

fn device_of(surface: &Surface) -> Result<&DeviceMemory> {
    surface
        .device()
        .ok_or_else(|| BuffersError::UnsupportedFormat {
            operation: "a CUDA transform",
            format: surface.format().name(),
            reason: "the surface is in system memory".into(),
        })
}

fn prepare<'a>(
    src: &'a Surface,
    dst: &'a Surface,
) -> Result<(&'a DeviceMemory, &'a DeviceMemory, Kernels)> {
    let s = device_of(src)?;
    let (d, kernels) = prepare_dst(dst, s.gpu_id(), src.format().name())?;
    Ok((s, d, kernels))
}

/// `dst`'s device memory, bound on this thread, and the kernels, for a
/// source (of `src_format`) on GPU `src_gpu`: both must be on one GPU.
fn prepare_dst<'a>(
    dst: &'a Surface,
    src_gpu: usize,
    src_format: &'static str,
) -> Result<(&'a DeviceMemory, Kernels)> {
    let d = device_of(dst)?;
    if src_gpu != d.gpu_id() {
        return Err(BuffersError::UnsupportedFormat {
            operation: "transform",
            format: src_format,
            reason: format!(
                "the source is on GPU {src_gpu} and the destination on GPU {}",
                d.gpu_id()
            ),
        });
    }
    d.bind()?;
    Ok((d, kernels(d.stream().context())?))
}

/// Scale + letterbox, plane by plane, between surfaces of the same format.
pub(crate) fn letterbox(
    src: &Surface,
    dst: &Surface,
    placement: &Placement,
    interpolation: Interpolation,
) -> Result<()> {
    let (s, d, kernels) = prepare(src, dst)?;
    for (index, pattern) in dst.format().black().iter().enumerate() {
        let (Some(src_plane), Some(dst_plane)) = (src.planes().get(index), dst.planes().get(index))
        else {
            continue;
        };
        let (crop, region) = plane_region(placement, index, dst_plane);
        let (src_arg, dst_arg) = (plane_arg(s, src_plane), plane_arg(d, dst_plane));
        let scale = scale_arg(crop, region, filter(interpolation), pattern);
        let mut launch = d.stream().launch_builder(&kernels.letterbox_plane);
        launch.arg(&src_arg).arg(&dst_arg).arg(&scale);
        // SAFETY: the arguments match letterbox_plane's parameters; every
        // address the kernel touches lies in the two planes, which stay
        // alive (borrowed) until the synchronize below.
        unsafe { launch.launch(grid(dst_plane)) }.map_err(|e| failed("cuLaunchKernel", e))?;
    }
    d.synchronize()
}

/// Which 4:2:0 layout and colour a YUV source has.
#[derive(Debug, Clone, Copy)]
struct YuvSource {
    /// `[Y, U or UV, V or UV]`.
    planes: [PlaneArg; 3],
    layout: i32,
    matrix: ColorMatrix,
    full_range: bool,
}

/// Launches `yuv420_to_rgb` into `dst`'s first plane and waits.
fn yuv420_to_rgb(
    d: &DeviceMemory,
    kernels: &Kernels,
    src: &YuvSource,
    dst: &Surface,
    (crop, region): ([f64; 4], Rect),
    interpolation: Interpolation,
) -> Result<()> {
    let dst_plane = dst
        .planes()
        .first()
        .ok_or_else(|| crate::error::invalid("format", "no destination plane"))?;
    let scale = scale_arg(crop, region, filter(interpolation), dst.format().black()[0]);
    let dst_arg = plane_arg(d, dst_plane);
    let bgr = i32::from(dst.format() == VideoFormat::Bgrx);
    let matrix = match src.matrix {
        ColorMatrix::Bt601 => 0i32,
        ColorMatrix::Bt709 => 1,
        ColorMatrix::Bt2020 => 2,
    };
    let full_range = i32::from(src.full_range);
    let mut launch = d.stream().launch_builder(&kernels.yuv420_to_rgb);
    launch
        .arg(&src.planes[0])
        .arg(&src.planes[1])
        .arg(&src.planes[2])
        .arg(&src.layout)
        .arg(&dst_arg)
        .arg(&scale)
        .arg(&bgr)
        .arg(&matrix)
        .arg(&full_range);
    // SAFETY: the arguments match yuv420_to_rgb; the kernel reads only
    // inside the source planes (which the callers keep alive until the
    // synchronize below) and writes only inside dst's first plane.
    unsafe { launch.launch(grid(dst_plane)) }.map_err(|e| failed("cuLaunchKernel", e))?;
    d.synchronize()
}

/// Scale + letterbox of NV12/NV21/I420 into RGBA or BGRx (limited range;
/// BT.709 above 576 rows, BT.601 otherwise).
pub(crate) fn convert_yuv420(
    src: &Surface,
    dst: &Surface,
    placement: &Placement,
    interpolation: Interpolation,
) -> Result<()> {
    let (s, d, kernels) = prepare(src, dst)?;
    let layout = match src.format() {
        VideoFormat::Nv12 => 0i32,
        VideoFormat::Nv21 => 1,
        _ => 2,
    };
    let planes = src.planes();
    let plane = |i: usize| planes.get(i).or(planes.get(1)).copied();
    let (Some(luma), Some(a), Some(b), Some(dst_plane)) =
        (plane(0), plane(1), plane(2), dst.planes().first())
    else {
        return Err(crate::error::invalid("format", "not a 4:2:0 source"));
    };
    let source = YuvSource {
        planes: [luma, a, b].map(|p| plane_arg(s, &p)),
        layout,
        matrix: if src.height() > 576 {
            ColorMatrix::Bt709
        } else {
            ColorMatrix::Bt601
        },
        full_range: false,
    };
    let region = plane_region(placement, 0, dst_plane);
    yuv420_to_rgb(d, &kernels, &source, dst, region, interpolation)
}

/// Converts a 4:2:0 picture in foreign device memory into `dst` (RGBA or
/// BGRx on the same GPU), stretched when the sizes differ.
///
/// # Safety
/// The planes of `src` must be device memory of GPU `src.gpu_id` usable in
/// its primary context, hold the picture its fields describe, and stay
/// alive and unchanged until this returns.
pub(crate) unsafe fn import_device_yuv420(dst: &Surface, src: &DeviceYuv420) -> Result<()> {
    let format = if src.semi_planar {
        VideoFormat::Nv12
    } else {
        VideoFormat::I420
    }
    .name();
    let (d, kernels) = prepare_dst(dst, src.gpu_id as usize, format)?;
    let (chroma_w, chroma_h) = (src.width.div_ceil(2), src.height.div_ceil(2));
    let arg = |i: usize, width: u32, height: u32, channels: i32| PlaneArg {
        ptr: src.planes[i],
        pitch: to_i32(src.pitches[i]),
        width: to_i32(width),
        height: to_i32(height),
        channels,
    };
    let luma = arg(0, src.width, src.height, 1);
    let (a, b, layout) = if src.semi_planar {
        let uv = arg(1, chroma_w, chroma_h, 2);
        (uv, uv, 0)
    } else {
        (
            arg(1, chroma_w, chroma_h, 1),
            arg(2, chroma_w, chroma_h, 1),
            2,
        )
    };
    let source = YuvSource {
        planes: [luma, a, b],
        layout,
        matrix: src.matrix,
        full_range: src.full_range,
    };
    let (width, height) = (dst.width(), dst.height());
    let crop = [0.0, 0.0, f64::from(src.width), f64::from(src.height)];
    let region = Rect {
        left: 0,
        top: 0,
        width,
        height,
    };
    // Same size: every pixel maps onto one sample (exact); else stretch.
    let interpolation = if (src.width, src.height) == (width, height) {
        Interpolation::Nearest
    } else {
        Interpolation::Bilinear
    };
    yuv420_to_rgb(d, &kernels, &source, dst, (crop, region), interpolation)
}

/// `src` (RGBA in device memory) as I420 planes, BT.601, limited
/// or full range, converted on its GPU and copied into `out` tightly
/// packed: the bus carries 1.5 bytes per pixel, not 4.
pub(crate) fn rgb_to_i420(src: &Surface, full_range: bool, out: &mut [u8]) -> Result<()> {
    let s = device_of(src)?;
    let (Some(src_plane), VideoFormat::Rgba) = (src.planes().first(), src.format()) else {
        return Err(BuffersError::UnsupportedFormat {
            operation: "a conversion to I420 on the GPU",
            format: src.format().name(),
            reason: "it takes RGBA".into(),
        });
    };
    let packed = VideoFormat::I420.planes(src.width(), src.height())?;
    let size: usize = packed.iter().map(|p| p.pitch * p.height as usize).sum();
    if out.len() != size {
        return Err(crate::error::invalid(
            "out",
            format!("{} bytes for {size}", out.len()),
        ));
    }
    s.bind()?;
    let kernels = kernels(s.stream().context())?;
    let (scratch, planes) = DeviceMemory::alloc(s.stream(), MemoryPlacement::Device, &packed)?;
    let [luma, u, v] = planes.as_slice() else {
        return Err(crate::error::invalid("format", "I420 has three planes"));
    };
    let args = [
        plane_arg(s, src_plane),
        plane_arg(&scratch, luma),
        plane_arg(&scratch, u),
        plane_arg(&scratch, v),
    ];
    let full_range = i32::from(full_range);
    let mut launch = s.stream().launch_builder(&kernels.rgb_to_i420);
    launch
        .arg(&args[0])
        .arg(&args[1])
        .arg(&args[2])
        .arg(&args[3])
        .arg(&full_range);
    // SAFETY: the arguments match rgb_to_i420; it reads inside src's plane
    // (borrowed until the downloads below wait on the stream) and writes
    // inside the scratch planes, alive until this returns.
    unsafe { launch.launch(grid(u)) }.map_err(|e| failed("cuLaunchKernel", e))?;
    // Same stream: each download waits for the kernel.
    let mut at = 0;
    for (plane, tight) in planes.iter().zip(&packed) {
        let len = tight.pitch * plane.height as usize;
        scratch.download_plane(plane, &mut out[at..at + len], tight.pitch)?;
        at += len;
    }
    Ok(())
}

/// Repeats `pattern` (one pixel) over `plane` (without waiting).
pub(crate) fn fill(memory: &DeviceMemory, plane: &Plane, pattern: &[u8]) -> Result<()> {
    memory.bind()?;
    let kernels = kernels(memory.stream().context())?;
    let value = |i: usize| i32::from(pattern.get(i % pattern.len().max(1)).copied().unwrap_or(0));
    let (v0, v1, v2, v3) = (value(0), value(1), value(2), value(3));
    let arg = plane_arg(memory, plane);
    let mut launch = memory.stream().launch_builder(&kernels.fill_plane);
    launch.arg(&arg).arg(&v0).arg(&v1).arg(&v2).arg(&v3);
    // SAFETY: the kernel writes only inside `plane`, part of `memory`.
    unsafe { launch.launch(grid(plane)) }.map_err(|e| failed("cuLaunchKernel", e))?;
    Ok(())
}
