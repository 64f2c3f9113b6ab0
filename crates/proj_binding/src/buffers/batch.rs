use std::sync::Mutex;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::config::{format, GeneratorOptionsJs, RectJs, TransformConfigJs};
use crate::buffers::generator::settle;
use crate::buffers::ids::{ids_from_js, SavantIdJs};
use crate::buffers::shared_buffer::{rect, SharedBufferJs};
use crate::buffers::view::SurfaceViewJs;
use crate::convert::saturating_u32;
use crate::error::{from_buffers, spawn_failed, Code};

/// A pool of batches of same-size surfaces (a model's input batch).
#[napi(js_name = "UniformBatchGenerator")]
#[derive(Debug)]
pub struct UniformBatchGeneratorJs {
    inner: pb::UniformBatchGenerator,
}

#[napi]
impl UniformBatchGeneratorJs {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        video_format: String,
        width: u32,
        height: u32,
        max_batch_size: u32,
        options: Option<GeneratorOptionsJs>,
    ) -> Result<Self, Code> {
        let options = GeneratorOptionsJs::parse(options.as_ref(), 2)?;
        let inner = pb::UniformBatchGenerator::new(
            format(&video_format)?,
            width,
            height,
            max_batch_size as usize,
            options,
        )
        .map_err(from_buffers)?;
        Ok(Self { inner })
    }

    #[napi(getter)]
    pub fn format(&self) -> String {
        self.inner.format().name().into()
    }
    #[napi(getter)]
    pub fn width(&self) -> u32 {
        self.inner.width()
    }
    #[napi(getter)]
    pub fn height(&self) -> u32 {
        self.inner.height()
    }
    #[napi(getter)]
    pub fn max_batch_size(&self) -> u32 {
        saturating_u32(self.inner.max_batch_size())
    }
    #[napi(getter)]
    pub fn gpu_id(&self) -> u32 {
        self.inner.options().gpu_id
    }
    #[napi(getter)]
    pub fn available(&self) -> u32 {
        saturating_u32(self.inner.available())
    }

    #[napi(catch_unwind)]
    pub fn try_acquire_batch(
        &self,
        config: Option<TransformConfigJs>,
        ids: Option<Vec<SavantIdJs>>,
    ) -> Result<SurfaceBatchJs, Code> {
        let config = TransformConfigJs::parse(config.as_ref())?;
        let batch = self
            .inner
            .try_acquire_batch(config, ids_from_js(ids)?)
            .map_err(from_buffers)?;
        Ok(SurfaceBatchJs::wrap(batch))
    }

    #[napi(ts_return_type = "Promise<SurfaceBatch>")]
    pub fn acquire_batch<'env>(
        &self,
        env: &'env Env,
        config: Option<TransformConfigJs>,
        ids: Option<Vec<SavantIdJs>>,
    ) -> Result<PromiseRaw<'env, SurfaceBatchJs>, Code> {
        let config = TransformConfigJs::parse(config.as_ref())?;
        let acquire = self.inner.acquire_batch(config, ids_from_js(ids)?);
        env.spawn_future(async move { Ok(SurfaceBatchJs::wrap(acquire.await)) })
            .map_err(spawn_failed)
    }
}

/// A batch being filled.
#[napi(js_name = "SurfaceBatch")]
#[derive(Debug)]
pub struct SurfaceBatchJs {
    inner: std::sync::Arc<Mutex<pb::SurfaceBatch>>,
}

impl SurfaceBatchJs {
    fn wrap(batch: pb::SurfaceBatch) -> Self {
        Self {
            inner: std::sync::Arc::new(Mutex::new(batch)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, pb::SurfaceBatch> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[napi]
impl SurfaceBatchJs {
    #[napi(getter)]
    pub fn max_batch_size(&self) -> u32 {
        saturating_u32(self.lock().max_batch_size())
    }
    #[napi(getter)]
    pub fn num_filled(&self) -> u32 {
        saturating_u32(self.lock().num_filled())
    }
    #[napi(getter)]
    pub fn is_finalized(&self) -> bool {
        self.lock().is_finalized()
    }

    /// Scales a source into `slot` (off the JS thread).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn transform_slot<'env>(
        &self,
        env: &'env Env,
        slot: u32,
        src: &SharedBufferJs,
        src_rect: Option<RectJs>,
    ) -> Result<PromiseRaw<'env, ()>, Code> {
        let src = src.get()?;
        let batch = std::sync::Arc::clone(&self.inner);
        let src_rect = rect(src_rect);
        env.spawn_future_with_callback(
            async move {
                let mut batch = batch.lock().unwrap_or_else(|e| e.into_inner());
                Ok(batch
                    .transform_slot(slot as usize, &src, src_rect)
                    .map(drop))
            },
            settle,
        )
        .map_err(spawn_failed)
    }

    /// Scales a source into `slot` on the calling thread.
    #[napi(catch_unwind)]
    pub fn transform_slot_sync(
        &self,
        slot: u32,
        src: &SharedBufferJs,
        src_rect: Option<RectJs>,
    ) -> Result<(), Code> {
        let src = src.get()?;
        self.lock()
            .transform_slot(slot as usize, &src, rect(src_rect))
            .map(drop)
            .map_err(from_buffers)
    }

    #[napi(catch_unwind)]
    pub fn upload_slot(&self, slot: u32, data: &[u8]) -> Result<(), Code> {
        self.lock()
            .upload_slot(slot as usize, data)
            .map_err(from_buffers)
    }

    #[napi(catch_unwind)]
    pub fn memset_slot(&self, slot: u32, value: u32) -> Result<(), Code> {
        let value = u8::try_from(value)
            .map_err(|_| crate::error::invalid_argument("value must be 0-255"))?;
        self.lock()
            .memset_slot(slot as usize, value)
            .map_err(from_buffers)
    }

    #[napi(catch_unwind)]
    pub fn view(&self, slot: u32) -> Result<SurfaceViewJs, Code> {
        let inner = self.lock().view(slot as usize).map_err(from_buffers)?;
        Ok(SurfaceViewJs::wrap(inner))
    }

    #[napi(catch_unwind)]
    pub fn finalize(&self) -> Result<(), Code> {
        self.lock().finalize().map_err(from_buffers)
    }

    #[napi(catch_unwind)]
    pub fn shared_buffer(&self) -> Result<SharedBufferJs, Code> {
        let buffer = self.lock().shared_buffer().map_err(from_buffers)?;
        Ok(SharedBufferJs::wrap(buffer))
    }
}

/// A batch of other buffers' surfaces, by reference.
#[napi(js_name = "NonUniformBatch")]
#[derive(Debug)]
pub struct NonUniformBatchJs {
    inner: Mutex<Option<pb::NonUniformBatch>>,
}

#[napi]
impl NonUniformBatchJs {
    #[napi(constructor)]
    pub fn new(gpu_id: Option<u32>) -> Self {
        Self {
            inner: Mutex::new(Some(pb::NonUniformBatch::new(gpu_id.unwrap_or(0)))),
        }
    }

    #[napi(getter)]
    pub fn len(&self) -> u32 {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |b| saturating_u32(b.len()))
    }

    #[napi(catch_unwind)]
    pub fn add(&self, view: &SurfaceViewJs) -> Result<(), Code> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let batch = guard.as_mut().ok_or_else(finalized)?;
        batch.add(&view.get()?).map_err(from_buffers)
    }

    #[napi(catch_unwind)]
    pub fn finalize(&self, ids: Option<Vec<SavantIdJs>>) -> Result<SharedBufferJs, Code> {
        let ids = ids_from_js(ids)?;
        let batch = self
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(finalized)?;
        Ok(SharedBufferJs::wrap(
            batch.finalize(ids).map_err(from_buffers)?,
        ))
    }
}

fn finalized() -> Error<Code> {
    from_buffers(pb::BuffersError::BatchState {
        state: "already finalized",
    })
}
