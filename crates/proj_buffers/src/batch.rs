use std::future::Future;

use crate::error::invalid;
use crate::generator::{GeneratorOptions, SurfacePool};
use crate::geometry::{Placement, Rect};
use crate::pool::Pooled;
use crate::shared_buffer::{SavantIds, SurfaceSet};
use crate::{
    BufferGenerator, BuffersError, MemType, Result, SharedBuffer, SurfaceView, TransformConfig,
    VideoFormat,
};

/// The most slots a batch may have.
pub const MAX_BATCH_SIZE: usize = 1024;

/// A pool of batches: each holds `max_batch_size` same-size surfaces
/// (a model's input batch).
#[derive(Debug, Clone)]
pub struct UniformBatchGenerator {
    surfaces: SurfacePool,
}

impl UniformBatchGenerator {
    pub fn new(
        format: VideoFormat,
        width: u32,
        height: u32,
        max_batch_size: usize,
        options: GeneratorOptions,
    ) -> Result<Self> {
        if max_batch_size == 0 || max_batch_size > MAX_BATCH_SIZE {
            return Err(invalid(
                "maxBatchSize",
                format!("must be between 1 and {MAX_BATCH_SIZE}, got {max_batch_size}"),
            ));
        }
        Ok(Self {
            surfaces: SurfacePool::new(format, width, height, max_batch_size, options)?,
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
    pub fn max_batch_size(&self) -> usize {
        self.surfaces.slots
    }
    pub fn options(&self) -> GeneratorOptions {
        self.surfaces.options
    }
    pub fn mem_type(&self) -> MemType {
        self.surfaces.mem_type
    }
    pub fn available(&self) -> usize {
        self.surfaces.pool.available()
    }

    fn wrap(
        &self,
        pooled: Pooled<SurfaceSet>,
        config: TransformConfig,
        ids: SavantIds,
    ) -> SurfaceBatch {
        SurfaceBatch {
            buffer: SharedBuffer::owned(pooled, 0),
            config,
            ids,
            filled: vec![false; self.surfaces.slots],
            finalized: false,
        }
    }

    pub fn try_acquire_batch(
        &self,
        config: TransformConfig,
        ids: SavantIds,
    ) -> Result<SurfaceBatch> {
        Ok(self.wrap(self.surfaces.pool.try_acquire()?, config, ids))
    }

    pub fn acquire_batch(
        &self,
        config: TransformConfig,
        ids: SavantIds,
    ) -> impl Future<Output = Result<SurfaceBatch>> + Send + 'static {
        let acquire = self.surfaces.pool.acquire();
        let this = self.clone();
        async move { Ok(this.wrap(acquire.await?, config, ids)) }
    }

    /// Callers waiting for a batch now.
    pub fn waiting(&self) -> usize {
        self.surfaces.pool.waiting()
    }

    /// The pixel memory the whole pool holds.
    pub fn pool_bytes(&self) -> u64 {
        self.surfaces.bytes
    }
}

/// A batch being filled: transform, upload or clear slots, then `finalize`
/// and hand on its `shared_buffer`.
#[derive(Debug)]
pub struct SurfaceBatch {
    buffer: SharedBuffer,
    config: TransformConfig,
    ids: SavantIds,
    filled: Vec<bool>,
    finalized: bool,
}

impl SurfaceBatch {
    pub fn max_batch_size(&self) -> usize {
        self.filled.len()
    }
    pub fn is_finalized(&self) -> bool {
        self.finalized
    }
    /// Slots written so far.
    pub fn num_filled(&self) -> usize {
        self.filled.iter().filter(|&&f| f).count()
    }

    fn writable(&self, slot: usize) -> Result<()> {
        if self.finalized {
            return Err(BuffersError::BatchState {
                state: "finalized; its slots can no longer change",
            });
        }
        if slot >= self.filled.len() {
            return Err(BuffersError::SlotOutOfRange {
                index: slot,
                size: self.filled.len(),
            });
        }
        Ok(())
    }

    fn mark(&mut self, slot: usize) {
        if let Some(f) = self.filled.get_mut(slot) {
            *f = true;
        }
    }

    /// Scales a source (slot 0 of `src`, or `src_rect` of it) into `slot`
    /// with the batch's transform config.
    pub fn transform_slot(
        &mut self,
        slot: usize,
        src: &SharedBuffer,
        src_rect: Option<Rect>,
    ) -> Result<Placement> {
        self.writable(slot)?;
        let placement =
            BufferGenerator::transform_into(src, 0, src_rect, &self.buffer, slot, &self.config)?;
        self.mark(slot);
        Ok(placement)
    }

    /// What [`transform_slot`](Self::transform_slot) writes into, for a
    /// caller that scales without holding the batch (its lock): the
    /// batch's buffer and config. Mark the slot with [`mark_filled`](Self::mark_filled) after.
    pub fn slot_target(&self, slot: usize) -> Result<(SharedBuffer, TransformConfig)> {
        self.writable(slot)?;
        Ok((self.buffer.clone(), self.config))
    }

    /// Records that `slot` was written (by a transform done outside the
    /// batch); an error if the batch was finalized meanwhile.
    pub fn mark_filled(&mut self, slot: usize) -> Result<()> {
        self.writable(slot)?;
        self.mark(slot);
        Ok(())
    }

    pub fn upload_slot(&mut self, slot: usize, data: &[u8]) -> Result<()> {
        self.writable(slot)?;
        self.buffer.with_surface_mut(slot, |s| s.upload(data))??;
        self.mark(slot);
        Ok(())
    }

    pub fn memset_slot(&mut self, slot: usize, value: u8) -> Result<()> {
        self.writable(slot)?;
        self.buffer.with_surface_mut(slot, |s| s.memset(value))??;
        self.mark(slot);
        Ok(())
    }

    pub fn view(&self, slot: usize) -> Result<SurfaceView> {
        SurfaceView::new(&self.buffer, slot)
    }

    /// Sets the number of filled slots (up to the last one written) and
    /// attaches the ids given at acquisition.
    pub fn finalize(&mut self) -> Result<()> {
        if self.finalized {
            return Err(BuffersError::BatchState {
                state: "already finalized",
            });
        }
        let filled = self
            .filled
            .iter()
            .rposition(|&f| f)
            .map_or(0, |last| last + 1);
        self.buffer.set_num_filled(filled)?;
        self.buffer.set_savant_ids(std::mem::take(&mut self.ids));
        self.finalized = true;
        Ok(())
    }

    /// The batch buffer; only after `finalize`.
    pub fn shared_buffer(&self) -> Result<SharedBuffer> {
        if !self.finalized {
            return Err(BuffersError::BatchState {
                state: "not finalized yet",
            });
        }
        Ok(self.buffer.clone())
    }
}

/// A batch of other buffers' surfaces, of any sizes and formats, by
/// reference (no pixels are copied).
#[derive(Debug, Default)]
pub struct NonUniformBatch {
    gpu_id: u32,
    slots: Vec<(SharedBuffer, usize)>,
}

impl NonUniformBatch {
    pub fn new(gpu_id: u32) -> Self {
        Self {
            gpu_id,
            slots: Vec::new(),
        }
    }
    pub fn gpu_id(&self) -> u32 {
        self.gpu_id
    }
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn add(&mut self, view: &SurfaceView) -> Result<()> {
        if self.slots.len() >= MAX_BATCH_SIZE {
            return Err(invalid(
                "batch",
                format!("holds at most {MAX_BATCH_SIZE} surfaces"),
            ));
        }
        self.slots.push((view.buffer().clone(), view.slot()));
        Ok(())
    }

    /// The batch as one buffer whose slots are the added surfaces.
    pub fn finalize(self, ids: SavantIds) -> Result<SharedBuffer> {
        if self.slots.is_empty() {
            return Err(BuffersError::BatchState { state: "empty" });
        }
        Ok(SharedBuffer::slots(self.slots, ids))
    }
}
