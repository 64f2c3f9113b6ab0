//! Buffers for video analytics: pooled surfaces shared by reference count,
//! views for native interop, scale + letterbox transforms and batches.
//! Two platforms, chosen per surface from its `MemType`: the CPU (host
//! memory, `fast_image_resize` + `yuvutils-rs`) and CUDA (device memory,
//! NVRTC kernels), the latter loaded at run time (module `cuda`).

mod batch;
mod bilinear;
mod cpu_transform;
pub mod cuda;
mod draw_plan;
mod error;
mod format;
mod generator;
mod geometry;
mod gpu_info;
mod import;
mod mem_type;
mod plane_region;
mod pool;
mod shared_buffer;
mod surface;
mod transform;
mod transform_config;
mod view;

pub use batch::{NonUniformBatch, SurfaceBatch, UniformBatchGenerator};
pub use draw_plan::{
    AtlasUpload, BlurSoft, DrawPlan, DrawPrim, DrawStep, GlyphAtlas, GlyphRef, PrimKind, TILE,
};
pub use error::{BuffersError, Result};
pub use format::{Plane, VideoFormat};
pub use generator::{BufferGenerator, GeneratorOptions};
pub use geometry::{place, DstPadding, Padding, Placement, Rect, MIN_EFFECTIVE_SIDE};
pub use gpu_info::{
    architecture_name, gpu_architecture, gpu_mem_used_mib, gpu_platform_tag, identify_jetson,
    init_cuda, is_jetson_kernel, jetson_model,
};
pub use import::{
    import_device_yuv420, import_packed, import_yuv420, ColorMatrix, DeviceYuv420, Packed, Yuv420,
};
pub use mem_type::MemType;
pub use pool::{Acquire, Pool, Pooled};
pub use shared_buffer::{SavantIdMetaKind, SavantIds, SharedBuffer, SurfaceInfo, SurfaceSet};
pub use surface::{Surface, MAX_SIDE};
pub use transform::transform;
pub use transform_config::{ComputeMode, Interpolation, TransformConfig};
pub use view::SurfaceView;
