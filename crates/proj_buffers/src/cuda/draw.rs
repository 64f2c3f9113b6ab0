//! Running a `DrawPlan` on a picture in GPU memory (draw.cu): one upload
//! of the primitives, tiles, items and arena, then per step one
//! `draw_tiles` launch or a blur's two, on the picture's stream, waited
//! for before return. The picture never leaves the GPU.

use cudarc::driver::{LaunchConfig, PushKernelArg};

use super::failed;
use super::kernels::kernels;
use crate::draw_plan::{DrawPlan, DrawStep, TILE};
use crate::{BuffersError, Result, Surface, VideoFormat};

fn to_i32(v: impl TryInto<i32>) -> i32 {
    v.try_into().unwrap_or(i32::MAX)
}

/// A thread per line (a blur's rows or columns), 64 to a block.
fn per_line(lines: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (lines.div_ceil(64), 1, 1),
        block_dim: (64, 1, 1),
        shared_mem_bytes: 0,
    }
}

pub(crate) fn draw(surface: &Surface, plan: &DrawPlan) -> Result<()> {
    let unsupported = |reason: &str| BuffersError::UnsupportedFormat {
        operation: "drawing on the GPU",
        format: surface.format().name(),
        reason: reason.into(),
    };
    let memory = surface
        .device()
        .ok_or_else(|| unsupported("the surface is in system memory"))?;
    if !matches!(surface.format(), VideoFormat::Rgba | VideoFormat::Bgrx) {
        return Err(unsupported("drawing takes RGBA or BGRx"));
    }
    let plane = surface
        .planes()
        .first()
        .ok_or_else(|| unsupported("no plane"))?;
    if plan.is_empty() {
        return Ok(());
    }
    memory.bind()?;
    let kernels = kernels(memory.stream().context())?;
    let stream = memory.stream();
    let upload = |name: &'static str, e| failed(name, e);
    // Empty arrays still need a valid pointer: upload one element at least.
    let prims = stream
        .clone_htod(&plan.prims)
        .map_err(|e| upload("cuMemcpyHtoD (primitives)", e))?;
    let tiles_flat: Vec<i32> = if plan.tiles.is_empty() {
        vec![0; 4]
    } else {
        plan.tiles.concat()
    };
    let tiles = stream
        .clone_htod(&tiles_flat)
        .map_err(|e| upload("cuMemcpyHtoD (tiles)", e))?;
    let items_host: &[i32] = if plan.items.is_empty() {
        &[0]
    } else {
        &plan.items
    };
    let items = stream
        .clone_htod(items_host)
        .map_err(|e| upload("cuMemcpyHtoD (items)", e))?;
    let arena_host: &[u8] = if plan.arena.is_empty() {
        &[0]
    } else {
        &plan.arena
    };
    let arena = stream
        .clone_htod(arena_host)
        .map_err(|e| upload("cuMemcpyHtoD (arena)", e))?;
    let scratch_len = plan.blur_bytes.max(4);
    let a = stream
        .alloc_zeros::<u8>(scratch_len)
        .map_err(|e| failed("cuMemAlloc (blur)", e))?;
    let b = stream
        .alloc_zeros::<u8>(scratch_len)
        .map_err(|e| failed("cuMemAlloc (blur)", e))?;

    let picture = memory.ptr() + plane.offset as u64;
    let (pitch, width, height) = (
        to_i32(plane.pitch),
        to_i32(plane.width),
        to_i32(plane.height),
    );
    for step in &plan.steps {
        match *step {
            DrawStep::Tiles { first, count } => {
                if count == 0 {
                    continue;
                }
                let first = to_i32(first);
                let mut launch = stream.launch_builder(&kernels.draw_tiles);
                launch
                    .arg(&picture)
                    .arg(&pitch)
                    .arg(&width)
                    .arg(&height)
                    .arg(&prims)
                    .arg(&tiles)
                    .arg(&first)
                    .arg(&items)
                    .arg(&arena);
                let config = LaunchConfig {
                    grid_dim: (count, 1, 1),
                    block_dim: (TILE as u32, TILE as u32, 1),
                    shared_mem_bytes: 0,
                };
                // SAFETY: the arguments match draw_tiles; every tile and item
                // index comes from the plan built over these arrays, and the
                // kernel writes only pixels inside the plane (checked against
                // width and height), which the surface owns.
                unsafe { launch.launch(config) }
                    .map_err(|e| failed("cuLaunchKernel (draw_tiles)", e))?;
            }
            DrawStep::Blur {
                prim,
                width: w,
                height: h,
            } => {
                let prim = to_i32(prim);
                let mut launch = stream.launch_builder(&kernels.draw_blur_rows);
                launch
                    .arg(&picture)
                    .arg(&pitch)
                    .arg(&prims)
                    .arg(&prim)
                    .arg(&a)
                    .arg(&b);
                // SAFETY: the blur's region lies inside the picture (the plan
                // keeps only clipped blurs) and both scratch buffers hold the
                // largest region.
                unsafe { launch.launch(per_line(h)) }
                    .map_err(|e| failed("cuLaunchKernel (draw_blur_rows)", e))?;
                let mut launch = stream.launch_builder(&kernels.draw_blur_columns);
                launch
                    .arg(&picture)
                    .arg(&pitch)
                    .arg(&prims)
                    .arg(&prim)
                    .arg(&a)
                    .arg(&b)
                    .arg(&arena);
                // SAFETY: as for the rows; a mask coverage lies in the arena.
                unsafe { launch.launch(per_line(w)) }
                    .map_err(|e| failed("cuLaunchKernel (draw_blur_columns)", e))?;
            }
        }
    }
    // The uploads and scratch are freed when they drop: wait for the kernels first.
    stream
        .synchronize()
        .map_err(|e| failed("cuStreamSynchronize (draw)", e))?;
    Ok(())
}
