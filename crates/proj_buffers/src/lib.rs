//! Buffers for video analytics: pooled surfaces shared by reference count,
//! views for native interop, scale + letterbox transforms and batches.
//! This build has the CPU platform (system memory, `fast_image_resize`);
//! CUDA memory types are typed errors until the CUDA platform lands.

mod batch;
mod cpu_transform;
mod error;
mod format;
mod generator;
mod geometry;
mod mem_type;
mod pool;
mod shared_buffer;
mod surface;
mod transform_config;
mod view;

pub use batch::{NonUniformBatch, SurfaceBatch, UniformBatchGenerator};
pub use cpu_transform::transform;
pub use error::{BuffersError, Result};
pub use format::{Plane, VideoFormat};
pub use generator::{BufferGenerator, GeneratorOptions};
pub use geometry::{place, DstPadding, Padding, Placement, Rect, MIN_EFFECTIVE_SIDE};
pub use mem_type::MemType;
pub use pool::{Acquire, Pool, Pooled};
pub use shared_buffer::{SavantIdMetaKind, SavantIds, SharedBuffer, SurfaceInfo, SurfaceSet};
pub use surface::{Surface, MAX_SIDE};
pub use transform_config::{ComputeMode, Interpolation, TransformConfig};
pub use view::SurfaceView;
