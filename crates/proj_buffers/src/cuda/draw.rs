//! Running a `DrawPlan` on a picture in GPU memory (draw.cu): the plan's
//! glyphs resolved against the glyph atlas this thread keeps on that GPU
//! (only new glyphs go up), one upload of the primitives, tiles, items and
//! arena, then per step one `draw_tiles` launch or a blur's two, on the
//! picture's stream. The caller waits (`GpuDrawing::wait`) after letting go
//! of the picture's lock: later work on the picture is ordered after the
//! kernels by its stream. The picture never leaves the GPU.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, LaunchConfig, PushKernelArg};

use super::failed;
use super::kernels::kernels;
use crate::draw_plan::{AtlasUpload, DrawPlan, DrawStep, GlyphAtlas, TILE};
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

/// A glyph atlas and its copy on one GPU.
struct DeviceAtlas {
    atlas: GlyphAtlas,
    device: Option<CudaSlice<u8>>,
}

thread_local! {
    /// Per drawing thread and GPU, so no lock is held across an upload or
    /// a launch; a thread's draws are waited for before it draws again,
    /// so its atlas copy is never replaced while a kernel reads it.
    static ATLASES: RefCell<HashMap<usize, DeviceAtlas>> = RefCell::new(HashMap::new());
}

/// Kernels launched on a picture's stream, and what they read, kept until
/// they are waited for. Dropped without `wait`, it waits (errors ignored),
/// so a thread's next draw never replaces an atlas a kernel still reads.
#[must_use = "wait() for the kernels; dropping waits too, but loses their error"]
pub struct GpuDrawing {
    stream: Option<Arc<CudaStream>>,
    _reads: Vec<CudaSlice<u8>>,
    _words: Vec<CudaSlice<u32>>,
    _indices: Vec<CudaSlice<i32>>,
}

impl std::fmt::Debug for GpuDrawing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuDrawing")
            .field("pending", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

impl GpuDrawing {
    fn done() -> Self {
        Self {
            stream: None,
            _reads: Vec::new(),
            _words: Vec::new(),
            _indices: Vec::new(),
        }
    }

    /// Waits for the kernels (a GPU sync: call it holding no lock).
    pub fn wait(mut self) -> Result<()> {
        match self.stream.take() {
            Some(stream) => stream
                .synchronize()
                .map_err(|e| failed("cuStreamSynchronize (draw)", e)),
            None => Ok(()),
        }
    }
}

impl Drop for GpuDrawing {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.synchronize();
        }
    }
}

pub(crate) fn draw(surface: &Surface, plan: DrawPlan) -> Result<GpuDrawing> {
    ATLASES.with(|cell| {
        let mut atlases = cell
            .try_borrow_mut()
            .map_err(|_| failed("glyph atlas", "in use on this thread"))?;
        let gpu = surface.device().map_or(0, |m| m.gpu_id());
        let entry = atlases.entry(gpu).or_insert_with(|| DeviceAtlas {
            atlas: GlyphAtlas::default(),
            device: None,
        });
        draw_with(surface, plan, entry)
    })
}

fn draw_with(surface: &Surface, mut plan: DrawPlan, atlas: &mut DeviceAtlas) -> Result<GpuDrawing> {
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
        return Ok(GpuDrawing::done());
    }
    memory.bind()?;
    let kernels = kernels(memory.stream().context())?;
    let stream = memory.stream();
    // New glyphs into the atlas; a copy that is too small (or stale) is
    // replaced by a larger one holding everything.
    let upload = plan.resolve_glyphs(&mut atlas.atlas);
    let bytes = atlas.atlas.bytes();
    let fits = atlas
        .device
        .as_ref()
        .is_some_and(|d| d.len() >= bytes.len().max(1));
    match (upload, fits) {
        (AtlasUpload::Nothing, true) => {}
        (AtlasUpload::From(start), true) => {
            if let Some(device) = atlas.device.as_mut() {
                let mut tail = device.slice_mut(start..bytes.len());
                stream
                    .memcpy_htod(&bytes[start..], &mut tail)
                    .map_err(|e| failed("cuMemcpyHtoD (glyph atlas)", e))?;
            }
        }
        _ => {
            let capacity = (bytes.len() * 2).max(64 << 10);
            let mut device = stream
                .alloc_zeros::<u8>(capacity)
                .map_err(|e| failed("cuMemAlloc (glyph atlas)", e))?;
            if !bytes.is_empty() {
                let mut head = device.slice_mut(0..bytes.len());
                stream
                    .memcpy_htod(bytes, &mut head)
                    .map_err(|e| failed("cuMemcpyHtoD (glyph atlas)", e))?;
            }
            atlas.device = Some(device);
        }
    }
    atlas.atlas.mark_uploaded();
    let Some(glyphs) = atlas.device.as_ref() else {
        return Err(failed("glyph atlas", "no device copy"));
    };
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
                    .arg(&arena)
                    .arg(glyphs);
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
    // What the kernels read lives until they are waited for.
    Ok(GpuDrawing {
        stream: Some(Arc::clone(stream)),
        _reads: vec![arena, a, b],
        _words: vec![prims],
        _indices: vec![tiles, items],
    })
}
