use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::config::{format, GeneratorOptions, Rect, TransformConfig};
use crate::buffers::generator::external_memory;
use crate::buffers::ids::{ids_from_js, SavantId};
use crate::buffers::shared_buffer::{rect, SharedBuffer};
use crate::buffers::view::SurfaceView;
use crate::buffers::wait::{wait_for, CancelToken, Limits, Stalls, WaitOptions};
use crate::convert::saturating_u32;
use crate::entry::{entry, guarded, promise};
use crate::error::{from_buffers, Code};
use crate::workers;

/// A pool of batches of same-size surfaces (a model's input batch).
#[napi(custom_finalize)]
#[derive(Debug)]
pub struct UniformBatchGenerator {
    inner: pb::UniformBatchGenerator,
    stalls: Arc<Stalls>,
}

impl ObjectFinalize for UniformBatchGenerator {
    fn finalize(self, env: Env) -> Result<()> {
        // Runs in the garbage collector: guarded like every entry point.
        let _ = guarded("UniformBatchGenerator::finalize", || {
            external_memory(&env, self.inner.pool_bytes(), false);
            Ok(())
        });
        Ok(())
    }
}

#[napi]
impl UniformBatchGenerator {
    #[napi(constructor)]
    pub fn new(
        env: Env,
        video_format: String,
        width: u32,
        height: u32,
        max_batch_size: u32,
        options: Option<GeneratorOptions>,
    ) -> Result<Self, Code> {
        entry("UniformBatchGenerator::new", || {
            let options = GeneratorOptions::parse(options.as_ref(), 2)?;
            let inner = pb::UniformBatchGenerator::new(
                format(&video_format)?,
                width,
                height,
                max_batch_size as usize,
                options,
            )
            .map_err(from_buffers)?;
            external_memory(&env, inner.pool_bytes(), true);
            Ok(Self {
                inner,
                stalls: Arc::default(),
            })
        })
    }

    #[napi(getter)]
    pub fn format(&self) -> Result<String, Code> {
        entry("UniformBatchGenerator::format", || {
            Ok(self.inner.format().name().into())
        })
    }
    #[napi(getter)]
    pub fn width(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::width", || Ok(self.inner.width()))
    }
    #[napi(getter)]
    pub fn height(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::height", || Ok(self.inner.height()))
    }
    #[napi(getter)]
    pub fn max_batch_size(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::max_batch_size", || {
            Ok(saturating_u32(self.inner.max_batch_size()))
        })
    }
    #[napi(getter)]
    pub fn gpu_id(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::gpu_id", || {
            Ok(self.inner.options().gpu_id)
        })
    }
    #[napi(getter)]
    pub fn available(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::available", || {
            Ok(saturating_u32(self.inner.available()))
        })
    }

    #[napi]
    pub fn try_acquire_batch(
        &self,
        config: Option<TransformConfig>,
        ids: Option<Vec<SavantId>>,
    ) -> Result<SurfaceBatch, Code> {
        entry("UniformBatchGenerator::try_acquire_batch", || {
            let config = TransformConfig::parse(config.as_ref())?;
            let batch = self
                .inner
                .try_acquire_batch(config, ids_from_js(ids)?)
                .map_err(from_buffers)?;
            Ok(SurfaceBatch::wrap(batch))
        })
    }

    /// Callers waiting for a batch now.
    #[napi(getter)]
    pub fn waiting(&self) -> Result<u32, Code> {
        entry("UniformBatchGenerator::waiting", || {
            Ok(saturating_u32(self.inner.waiting()))
        })
    }

    /// Waits that lasted longer than a few seconds (each also logged).
    #[napi(getter)]
    pub fn stalled_waits(&self) -> Result<f64, Code> {
        entry("UniformBatchGenerator::stalled_waits", || {
            #[expect(clippy::cast_precision_loss, reason = "a counter, exact below 2^53")]
            Ok(self.stalls.count() as f64)
        })
    }

    /// Resolves with a batch as soon as one is free, in turn; `timeoutMs`
    /// and `cancel` bound the wait.
    #[napi(ts_return_type = "Promise<SurfaceBatch>")]
    pub fn acquire_batch<'env>(
        &self,
        env: &'env Env,
        config: Option<TransformConfig>,
        ids: Option<Vec<SavantId>>,
        options: Option<WaitOptions>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, SurfaceBatch>, Code> {
        entry("UniformBatchGenerator::acquire_batch", || {
            let config = TransformConfig::parse(config.as_ref())?;
            let limits = Limits::new(options.and_then(|o| o.timeout_ms), cancel)?;
            let acquire = wait_for(
                limits,
                self.inner.clone(),
                Arc::clone(&self.stalls),
                self.inner.acquire_batch(config, ids_from_js(ids)?),
            );
            promise(
                env,
                "UniformBatchGenerator::acquire_batch",
                acquire,
                |batch| Ok(SurfaceBatch::wrap(batch)),
            )
        })
    }
}

/// A batch being filled.
#[napi]
#[derive(Debug)]
pub struct SurfaceBatch {
    /// `None` once released: its buffer is back in the pool.
    inner: std::sync::Arc<Mutex<Option<pb::SurfaceBatch>>>,
}

type BatchGuard<'a> = std::sync::MutexGuard<'a, Option<pb::SurfaceBatch>>;

impl SurfaceBatch {
    fn wrap(batch: pb::SurfaceBatch) -> Self {
        Self {
            inner: std::sync::Arc::new(Mutex::new(Some(batch))),
        }
    }

    fn lock(&self) -> BatchGuard<'_> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The batch under `guard`, or `ERR_PROJ_CONSUMED` once released.
fn live<'a>(
    guard: &'a mut BatchGuard<'_>,
) -> std::result::Result<&'a mut pb::SurfaceBatch, Error<Code>> {
    guard.as_mut().ok_or_else(crate::error::consumed)
}

#[napi]
impl SurfaceBatch {
    #[napi(getter)]
    pub fn max_batch_size(&self) -> Result<u32, Code> {
        entry("SurfaceBatch::max_batch_size", || {
            Ok(saturating_u32(live(&mut self.lock())?.max_batch_size()))
        })
    }
    #[napi(getter)]
    pub fn num_filled(&self) -> Result<u32, Code> {
        entry("SurfaceBatch::num_filled", || {
            Ok(saturating_u32(live(&mut self.lock())?.num_filled()))
        })
    }
    #[napi(getter)]
    pub fn is_finalized(&self) -> Result<bool, Code> {
        entry("SurfaceBatch::is_finalized", || {
            Ok(live(&mut self.lock())?.is_finalized())
        })
    }

    /// Scales a source into `slot` (off the JS thread).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn transform_slot<'env>(
        &self,
        env: &'env Env,
        slot: u32,
        src: &SharedBuffer,
        src_rect: Option<Rect>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        entry("SurfaceBatch::transform_slot", || {
            let src = src.get()?;
            // The batch's lock is held only to look up and to mark the
            // slot, never while scaling, so its getters answer at once.
            let (dst, config) = live(&mut self.lock())?
                .slot_target(slot as usize)
                .map_err(from_buffers)?;
            let batch = std::sync::Arc::clone(&self.inner);
            let src_rect = rect(src_rect);
            let name = "SurfaceBatch::transform_slot";
            promise(
                env,
                name,
                workers::run(name, move || {
                    pb::BufferGenerator::transform_into(
                        &src,
                        0,
                        src_rect,
                        &dst,
                        slot as usize,
                        &config,
                    )
                    .map_err(from_buffers)?;
                    live(&mut batch.lock().unwrap_or_else(|e| e.into_inner()))?
                        .mark_filled(slot as usize)
                        .map_err(from_buffers)
                }),
                Ok,
            )
        })
    }

    /// Scales a source into `slot` on the calling thread.
    #[napi]
    pub fn transform_slot_sync(
        &self,
        slot: u32,
        src: &SharedBuffer,
        src_rect: Option<Rect>,
    ) -> Result<(), Code> {
        entry("SurfaceBatch::transform_slot_sync", || {
            let src = src.get()?;
            live(&mut self.lock())?
                .transform_slot(slot as usize, &src, rect(src_rect))
                .map(drop)
                .map_err(from_buffers)
        })
    }

    #[napi]
    pub fn upload_slot(&self, slot: u32, data: &[u8]) -> Result<(), Code> {
        entry("SurfaceBatch::upload_slot", || {
            live(&mut self.lock())?
                .upload_slot(slot as usize, data)
                .map_err(from_buffers)
        })
    }

    #[napi]
    pub fn memset_slot(&self, slot: u32, value: u32) -> Result<(), Code> {
        entry("SurfaceBatch::memset_slot", || {
            let value = u8::try_from(value)
                .map_err(|_| crate::error::invalid_argument("value must be 0-255"))?;
            live(&mut self.lock())?
                .memset_slot(slot as usize, value)
                .map_err(from_buffers)
        })
    }

    #[napi]
    pub fn view(&self, slot: u32) -> Result<SurfaceView, Code> {
        entry("SurfaceBatch::view", || {
            let inner = live(&mut self.lock())?
                .view(slot as usize)
                .map_err(from_buffers)?;
            Ok(SurfaceView::wrap(inner))
        })
    }

    #[napi]
    pub fn finalize(&self) -> Result<(), Code> {
        entry("SurfaceBatch::finalize", || {
            live(&mut self.lock())?.finalize().map_err(from_buffers)
        })
    }

    /// Gives the batch's buffer back to its pool (once the buffers and
    /// views taken from it are released too); later calls are
    /// `ERR_PROJ_CONSUMED`.
    #[napi]
    pub fn release(&self) -> Result<(), Code> {
        entry("SurfaceBatch::release", || {
            let batch = self.lock().take();
            drop(batch);
            Ok(())
        })
    }

    #[napi]
    pub fn shared_buffer(&self) -> Result<SharedBuffer, Code> {
        entry("SurfaceBatch::shared_buffer", || {
            let buffer = live(&mut self.lock())?
                .shared_buffer()
                .map_err(from_buffers)?;
            Ok(SharedBuffer::wrap(buffer))
        })
    }
}

/// A batch of other buffers' surfaces, by reference.
#[napi]
#[derive(Debug)]
pub struct NonUniformBatch {
    inner: Mutex<Option<pb::NonUniformBatch>>,
}

#[napi]
impl NonUniformBatch {
    #[napi(constructor)]
    pub fn new(gpu_id: Option<u32>) -> Result<Self, Code> {
        entry("NonUniformBatch::new", || {
            Ok({
                Self {
                    inner: Mutex::new(Some(pb::NonUniformBatch::new(gpu_id.unwrap_or(0)))),
                }
            })
        })
    }

    #[napi(getter)]
    pub fn len(&self) -> Result<u32, Code> {
        entry("NonUniformBatch::len", || {
            Ok({
                self.inner
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                    .map_or(0, |b| saturating_u32(b.len()))
            })
        })
    }

    #[napi]
    pub fn add(&self, view: &SurfaceView) -> Result<(), Code> {
        entry("NonUniformBatch::add", || {
            let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let batch = guard.as_mut().ok_or_else(finalized)?;
            batch.add(&view.get()?).map_err(from_buffers)
        })
    }

    #[napi]
    pub fn finalize(&self, ids: Option<Vec<SavantId>>) -> Result<SharedBuffer, Code> {
        entry("NonUniformBatch::finalize", || {
            let ids = ids_from_js(ids)?;
            let batch = self
                .inner
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or_else(finalized)?;
            Ok(SharedBuffer::wrap(
                batch.finalize(ids).map_err(from_buffers)?,
            ))
        })
    }
}

fn finalized() -> Error<Code> {
    from_buffers(pb::BuffersError::BatchState {
        state: "already finalized",
    })
}
