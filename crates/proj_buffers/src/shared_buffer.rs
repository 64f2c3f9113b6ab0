use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::invalid;
use crate::pool::Pooled;
use crate::{BuffersError, MemType, Result, Surface, VideoFormat};

/// Which logical thing an id on a buffer names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SavantIdMetaKind {
    Frame,
    Batch,
}

/// `(kind, id)` pairs carried by a buffer.
pub type SavantIds = Vec<(SavantIdMetaKind, u128)>;

/// The surfaces of one pooled buffer: one for a frame, `max_batch_size`
/// for a uniform batch.
pub type SurfaceSet = Vec<Surface>;

/// A pooled buffer shared by reference count: a frame, a uniform batch, or
/// a non-uniform batch made of other buffers' slots. It goes back to its
/// pool when the last reference drops.
#[derive(Debug, Clone)]
pub struct SharedBuffer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    storage: Storage,
    meta: Mutex<Meta>,
}

#[derive(Debug)]
enum Storage {
    Owned(Mutex<Pooled<SurfaceSet>>),
    /// Slots of other buffers, referenced, not copied.
    Slots(Vec<(SharedBuffer, usize)>),
}

#[derive(Debug, Default)]
struct Meta {
    pts_ns: Option<u64>,
    duration_ns: Option<u64>,
    ids: SavantIds,
    num_filled: usize,
}

/// What a slot holds, for native interop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceInfo {
    pub format: VideoFormat,
    pub width: u32,
    pub height: u32,
    /// Bytes per row of the first plane.
    pub pitch: usize,
    /// Address of the first byte (a device address for CUDA device and
    /// unified memory); valid while the buffer lives.
    pub data_ptr: usize,
    /// Bytes from `data_ptr` to the end of the last plane.
    pub data_size: usize,
    pub mem_type: MemType,
    /// The GPU the memory belongs to (none for system memory).
    pub gpu_id: Option<usize>,
    /// The `CUstream` the surface's GPU work runs on (0 for host memory).
    pub cuda_stream: usize,
}

impl SharedBuffer {
    pub(crate) fn owned(set: Pooled<SurfaceSet>, num_filled: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                storage: Storage::Owned(Mutex::new(set)),
                meta: Mutex::new(Meta {
                    num_filled,
                    ..Meta::default()
                }),
            }),
        }
    }

    /// A buffer of one slot over someone else's device memory (a CUDA
    /// array of another library), used in place: the seed's
    /// `SurfaceView.from_cuda_array`. Packed formats only (RGBA, GRAY8…).
    ///
    /// # Safety
    /// `ptr` must address `pitch × height` bytes of device memory of GPU
    /// `gpu_id` that stay allocated while the buffer (and anything made
    /// from it) lives.
    pub unsafe fn wrap_device(
        format: VideoFormat,
        width: u32,
        height: u32,
        pitch: usize,
        ptr: usize,
        gpu_id: u32,
    ) -> Result<Self> {
        // SAFETY: passed on from the caller.
        let surface = unsafe { Surface::foreign(format, width, height, pitch, ptr, gpu_id) }?;
        let set = crate::Pool::new(vec![vec![surface]]).try_acquire()?;
        Ok(Self::owned(set, 1))
    }

    pub(crate) fn slots(slots: Vec<(SharedBuffer, usize)>, ids: SavantIds) -> Self {
        let num_filled = slots.len();
        Self {
            inner: Arc::new(Inner {
                storage: Storage::Slots(slots),
                meta: Mutex::new(Meta {
                    num_filled,
                    ids,
                    ..Meta::default()
                }),
            }),
        }
    }

    fn meta(&self) -> MutexGuard<'_, Meta> {
        self.inner.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// References to this buffer (this one included).
    pub fn strong_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Slots in the buffer (1 for a frame).
    pub fn batch_size(&self) -> usize {
        match &self.inner.storage {
            Storage::Owned(set) => set.lock().unwrap_or_else(|e| e.into_inner()).len(),
            Storage::Slots(slots) => slots.len(),
        }
    }

    pub fn num_filled(&self) -> usize {
        self.meta().num_filled
    }

    pub fn set_num_filled(&self, count: usize) -> Result<()> {
        let size = self.batch_size();
        if count > size {
            return Err(invalid(
                "count",
                format!("{count} is more than the batch's {size} slots"),
            ));
        }
        self.meta().num_filled = count;
        Ok(())
    }

    pub fn pts_ns(&self) -> Option<u64> {
        self.meta().pts_ns
    }
    pub fn set_pts_ns(&self, pts: Option<u64>) {
        self.meta().pts_ns = pts;
    }
    pub fn duration_ns(&self) -> Option<u64> {
        self.meta().duration_ns
    }
    pub fn set_duration_ns(&self, duration: Option<u64>) {
        self.meta().duration_ns = duration;
    }
    pub fn savant_ids(&self) -> SavantIds {
        self.meta().ids.clone()
    }
    pub fn set_savant_ids(&self, ids: SavantIds) {
        self.meta().ids = ids;
    }

    /// The buffer and slot that really hold `slot`'s pixels.
    fn owner(&self, slot: usize) -> Result<(SharedBuffer, usize)> {
        let size = self.batch_size();
        match &self.inner.storage {
            _ if slot >= size => Err(BuffersError::SlotOutOfRange { index: slot, size }),
            Storage::Owned(_) => Ok((self.clone(), slot)),
            Storage::Slots(slots) => slots
                .get(slot)
                .map(|(buffer, s)| (buffer.clone(), *s))
                .ok_or(BuffersError::SlotOutOfRange { index: slot, size }),
        }
    }

    fn set(&self) -> Option<MutexGuard<'_, Pooled<SurfaceSet>>> {
        match &self.inner.storage {
            Storage::Owned(set) => Some(set.lock().unwrap_or_else(|e| e.into_inner())),
            Storage::Slots(_) => None,
        }
    }

    /// Runs `f` on a slot's surface.
    pub fn with_surface<R>(&self, slot: usize, f: impl FnOnce(&Surface) -> R) -> Result<R> {
        let (owner, slot) = self.owner(slot)?;
        let set = owner.set().ok_or(BuffersError::SlotOutOfRange {
            index: slot,
            size: 0,
        })?;
        let surface = set.get(slot).ok_or(BuffersError::SlotOutOfRange {
            index: slot,
            size: set.len(),
        })?;
        Ok(f(surface))
    }

    /// Runs `f` on a slot's surface, mutably.
    pub fn with_surface_mut<R>(&self, slot: usize, f: impl FnOnce(&mut Surface) -> R) -> Result<R> {
        let (owner, slot) = self.owner(slot)?;
        let mut set = owner.set().ok_or(BuffersError::SlotOutOfRange {
            index: slot,
            size: 0,
        })?;
        let size = set.len();
        let surface = set
            .get_mut(slot)
            .ok_or(BuffersError::SlotOutOfRange { index: slot, size })?;
        Ok(f(surface))
    }

    /// Runs `f` on a source slot and a different destination slot, locking
    /// in a fixed order so two threads copying in opposite directions
    /// cannot deadlock.
    pub fn with_src_dst<R>(
        src: &SharedBuffer,
        src_slot: usize,
        dst: &SharedBuffer,
        dst_slot: usize,
        f: impl FnOnce(&Surface, &mut Surface) -> R,
    ) -> Result<R> {
        let (src, src_slot) = src.owner(src_slot)?;
        let (dst, dst_slot) = dst.owner(dst_slot)?;
        let missing = BuffersError::SlotOutOfRange { index: 0, size: 0 };
        if src.ptr_eq(&dst) {
            let mut set = src.set().ok_or(missing)?;
            if src_slot == dst_slot {
                return Err(invalid(
                    "source",
                    "the source and destination are the same surface",
                ));
            }
            let size = set.len();
            let (a, b) = (src_slot.min(dst_slot), src_slot.max(dst_slot));
            let (low, high) = set.split_at_mut(b);
            let (first, second) = (
                low.get_mut(a)
                    .ok_or(BuffersError::SlotOutOfRange { index: a, size })?,
                high.first_mut()
                    .ok_or(BuffersError::SlotOutOfRange { index: b, size })?,
            );
            return Ok(if src_slot < dst_slot {
                f(first, second)
            } else {
                f(second, first)
            });
        }
        let src_first = Arc::as_ptr(&src.inner) < Arc::as_ptr(&dst.inner);
        let (src_set, mut dst_set) = if src_first {
            let s = src.set().ok_or(missing.clone())?;
            (s, dst.set().ok_or(missing)?)
        } else {
            let d = dst.set().ok_or(missing.clone())?;
            (src.set().ok_or(missing)?, d)
        };
        let src_size = src_set.len();
        let dst_size = dst_set.len();
        let s = src_set.get(src_slot).ok_or(BuffersError::SlotOutOfRange {
            index: src_slot,
            size: src_size,
        })?;
        let d = dst_set
            .get_mut(dst_slot)
            .ok_or(BuffersError::SlotOutOfRange {
                index: dst_slot,
                size: dst_size,
            })?;
        Ok(f(s, d))
    }

    pub fn surface_info(&self, slot: usize) -> Result<SurfaceInfo> {
        self.with_surface(slot, |s| SurfaceInfo {
            format: s.format(),
            width: s.width(),
            height: s.height(),
            pitch: s.pitch(),
            data_ptr: s.data_ptr().0,
            data_size: s.planes().last().map_or(0, |p| p.offset + p.len()),
            mem_type: s.mem_type(),
            gpu_id: s.data_ptr().1,
            cuda_stream: s.cuda_stream(),
        })
    }
}
