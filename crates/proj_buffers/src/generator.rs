use std::future::Future;
use std::time::Duration;

use crate::error::invalid;
use crate::geometry::{Placement, Rect};
use crate::pool::{Pool, Pooled};
use crate::shared_buffer::{SavantIdMetaKind, SurfaceSet};
use crate::surface::Allocator;
use crate::{
    transform, BuffersError, MemType, Result, SharedBuffer, Surface, TransformConfig, VideoFormat,
};

/// Options of [`BufferGenerator::new`] (and of the batch generators).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorOptions {
    pub fps_num: u32,
    pub fps_den: u32,
    pub gpu_id: u32,
    pub mem_type: MemType,
    pub pool_size: usize,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        Self {
            fps_num: 30,
            fps_den: 1,
            gpu_id: 0,
            mem_type: MemType::Default,
            pool_size: 4,
        }
    }
}

/// The largest pool: far beyond what a pipeline keeps in flight.
pub const MAX_POOL_SIZE: usize = 1024;

impl GeneratorOptions {
    pub(crate) fn check(&self) -> Result<()> {
        if self.fps_num == 0 || self.fps_den == 0 {
            return Err(invalid("fps", "numerator and denominator must be positive"));
        }
        if self.pool_size == 0 || self.pool_size > MAX_POOL_SIZE {
            return Err(invalid(
                "poolSize",
                format!(
                    "must be between 1 and {MAX_POOL_SIZE}, got {}",
                    self.pool_size
                ),
            ));
        }
        Ok(())
    }
}

/// A bounded pool of same-size surface sets (`slots` surfaces each): the
/// storage behind both generators.
#[derive(Debug, Clone)]
pub(crate) struct SurfacePool {
    pub format: VideoFormat,
    pub width: u32,
    pub height: u32,
    pub slots: usize,
    pub options: GeneratorOptions,
    /// The memory the surfaces really use.
    pub mem_type: MemType,
    /// The pixel memory the whole pool holds.
    pub bytes: u64,
    pub pool: Pool<SurfaceSet>,
}

impl SurfacePool {
    pub fn new(
        format: VideoFormat,
        width: u32,
        height: u32,
        slots: usize,
        options: GeneratorOptions,
    ) -> Result<Self> {
        options.check()?;
        let (allocator, mem_type) = Allocator::new(options.mem_type, options.gpu_id)?;
        let bytes = (format.frame_size(width, height)? as u64)
            .saturating_mul(slots as u64)
            .saturating_mul(options.pool_size as u64);
        if matches!(allocator, Allocator::System | Allocator::Pinned(_)) {
            // Whole pools are made (and cleared) up front: one larger than
            // the memory left would get the process killed, not an error.
            if let Some(available) = host_memory_available().filter(|&a| bytes > a) {
                return Err(BuffersError::OutOfMemory { bytes, available });
            }
        }
        let make = move || {
            (0..slots)
                .map(|_| Surface::allocate(format, width, height, &allocator))
                .collect::<Result<SurfaceSet>>()
        };
        let pool = if bytes <= EAGER_BYTES {
            Pool::new(
                (0..options.pool_size)
                    .map(|_| make())
                    .collect::<Result<_>>()?,
            )
        } else {
            fill_elsewhere(options.pool_size, make)?
        };
        Ok(Self {
            format,
            width,
            height,
            slots,
            options,
            mem_type,
            bytes,
            pool,
        })
    }
}

/// Pools up to this size are made (and cleared) on the caller's thread, at
/// once; larger ones on a thread of their own, so that a constructor called
/// on the JS thread never writes gigabytes there. Their buffers arrive one
/// by one: `acquire()` waits for the next, `tryAcquire()` may find none yet.
pub const EAGER_BYTES: u64 = 32 << 20;

/// A pool filled by a thread of its own with `make()`'s items. A failure
/// before the first item is every waiter's error; a later one leaves the
/// pool smaller, with a warning.
fn fill_elsewhere<F>(size: usize, make: F) -> Result<Pool<SurfaceSet>>
where
    F: Fn() -> Result<SurfaceSet> + Send + 'static,
{
    let (pool, mut filler) = Pool::filling(size);
    std::thread::Builder::new()
        .name("proj-pool-fill".into())
        .spawn(move || {
            while filler.wanted() {
                match make() {
                    Ok(item) => filler.arrive(item),
                    Err(e) => {
                        tracing::warn!("a pool's buffers could not all be made: {e}");
                        filler.fail(e);
                        return;
                    }
                }
            }
        })
        .map_err(|e| BuffersError::Resources {
            what: "start a thread to make the pool's buffers",
            reason: e.to_string(),
        })?;
    Ok(pool)
}

/// The host memory the kernel says is available (`MemAvailable`), if it
/// says.
pub(crate) fn host_memory_available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// A bounded pool of same-format frame buffers.
#[derive(Debug, Clone)]
pub struct BufferGenerator {
    surfaces: SurfacePool,
}

impl BufferGenerator {
    pub fn new(
        format: VideoFormat,
        width: u32,
        height: u32,
        options: GeneratorOptions,
    ) -> Result<Self> {
        Ok(Self {
            surfaces: SurfacePool::new(format, width, height, 1, options)?,
        })
    }

    pub fn format(&self) -> VideoFormat {
        self.surfaces.format
    }
    pub fn width(&self) -> u32 {
        self.surfaces.width
    }
    pub fn height(&self) -> u32 {
        self.surfaces.height
    }
    pub fn options(&self) -> GeneratorOptions {
        self.surfaces.options
    }
    /// The memory the buffers really use.
    pub fn mem_type(&self) -> MemType {
        self.surfaces.mem_type
    }
    pub fn pool_size(&self) -> usize {
        self.surfaces.pool.capacity()
    }
    pub fn available(&self) -> usize {
        self.surfaces.pool.available()
    }

    /// GStreamer caps describing the buffers.
    pub fn caps_string(&self) -> String {
        format!(
            "video/x-raw, format=(string){}, width=(int){}, height=(int){}, framerate=(fraction){}/{}",
            self.format(),
            self.width(),
            self.height(),
            self.surfaces.options.fps_num,
            self.surfaces.options.fps_den
        )
    }

    fn wrap(pooled: Pooled<SurfaceSet>, id: Option<u128>) -> SharedBuffer {
        let buffer = SharedBuffer::owned(pooled, 1);
        if let Some(id) = id {
            buffer.set_savant_ids(vec![(SavantIdMetaKind::Frame, id)]);
        }
        buffer
    }

    /// A free buffer now, or `PoolExhausted`. Its pixels are whatever its
    /// last user left.
    pub fn try_acquire(&self, id: Option<u128>) -> Result<SharedBuffer> {
        Ok(Self::wrap(self.surfaces.pool.try_acquire()?, id))
    }

    /// Waits up to `timeout` for a free buffer.
    pub fn acquire_timeout(&self, id: Option<u128>, timeout: Duration) -> Result<SharedBuffer> {
        Ok(Self::wrap(self.surfaces.pool.acquire_timeout(timeout)?, id))
    }

    /// Resolves with a free buffer, in turn (first come, first served);
    /// `QueueFull` when too many already wait. Dropping the future gives up
    /// its place.
    pub fn acquire(
        &self,
        id: Option<u128>,
    ) -> impl Future<Output = Result<SharedBuffer>> + Send + 'static {
        let acquire = self.surfaces.pool.acquire();
        async move { Ok(Self::wrap(acquire.await?, id)) }
    }

    /// Callers waiting for a buffer now.
    pub fn waiting(&self) -> usize {
        self.surfaces.pool.waiting()
    }

    /// The pixel memory the whole pool holds.
    pub fn pool_bytes(&self) -> u64 {
        self.surfaces.bytes
    }

    /// Scales (and letterboxes) slot `src_slot` of `src` into slot
    /// `dst_slot` of `dst`.
    pub fn transform_into(
        src: &SharedBuffer,
        src_slot: usize,
        src_rect: Option<Rect>,
        dst: &SharedBuffer,
        dst_slot: usize,
        config: &TransformConfig,
    ) -> Result<Placement> {
        SharedBuffer::with_src_dst(src, src_slot, dst, dst_slot, |s, d| {
            transform(s, src_rect, d, config)
        })?
    }
}
