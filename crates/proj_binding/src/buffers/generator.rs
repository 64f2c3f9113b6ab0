use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::config::{format, GeneratorOptions, Rect, TransformConfig};
use crate::buffers::ids::id_from_bigint;
use crate::buffers::shared_buffer::{rect, SharedBuffer};
use crate::buffers::wait::{wait_for, CancelToken, Limits, Stalls};
use crate::convert::saturating_u32;
use crate::entry::{entry, guarded, promise};
use crate::error::{from_buffers, Code};
use crate::timestamp::nanoseconds;
use crate::workers;

/// What to stamp on an acquired buffer.
#[napi(object)]
#[derive(Debug)]
pub struct AcquireOptions {
    pub id: Option<BigInt>,
    pub pts_ns: Option<BigInt>,
    pub duration_ns: Option<BigInt>,
    /// Give up after this long with `ERR_PROJ_TIMEOUT` (default: wait).
    pub timeout_ms: Option<f64>,
}

struct Stamp {
    id: Option<u128>,
    pts: Option<u64>,
    duration: Option<u64>,
}

fn stamp(options: Option<&AcquireOptions>) -> std::result::Result<Stamp, Error<Code>> {
    let Some(o) = options else {
        return Ok(Stamp {
            id: None,
            pts: None,
            duration: None,
        });
    };
    Ok(Stamp {
        id: o.id.as_ref().map(|v| id_from_bigint("id", v)).transpose()?,
        pts: o
            .pts_ns
            .as_ref()
            .map(|v| nanoseconds("ptsNs", v))
            .transpose()?,
        duration: o
            .duration_ns
            .as_ref()
            .map(|v| nanoseconds("durationNs", v))
            .transpose()?,
    })
}

fn stamped(buffer: pb::SharedBuffer, s: &Stamp) -> pb::SharedBuffer {
    buffer.set_pts_ns(s.pts);
    buffer.set_duration_ns(s.duration);
    buffer
}

/// Tells V8 that `bytes` of native memory came (or went) with an object.
pub fn external_memory(env: &Env, bytes: u64, added: bool) {
    let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
    let _ = env.adjust_external_memory(if added { bytes } else { -bytes });
}

/// A bounded pool of frame buffers of one format and size.
#[napi(custom_finalize)]
#[derive(Debug)]
pub struct BufferGenerator {
    inner: pb::BufferGenerator,
    stalls: Arc<Stalls>,
}

/// V8 is told what a pool holds (it cannot see native memory), so that
/// dropped generators are collected before the process runs out: without
/// it ~260 dropped 1024² pools got the process killed.
impl ObjectFinalize for BufferGenerator {
    fn finalize(self, env: Env) -> Result<()> {
        // Runs in the garbage collector: guarded like every entry point.
        let _ = guarded("BufferGenerator::finalize", || {
            external_memory(&env, self.inner.pool_bytes(), false);
            Ok(())
        });
        Ok(())
    }
}

#[napi]
impl BufferGenerator {
    #[napi(constructor)]
    pub fn new(
        env: Env,
        video_format: String,
        width: u32,
        height: u32,
        options: Option<GeneratorOptions>,
    ) -> Result<Self, Code> {
        entry("BufferGenerator::new", || {
            let options = GeneratorOptions::parse(options.as_ref(), 4)?;
            let inner = pb::BufferGenerator::new(format(&video_format)?, width, height, options)
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
        entry("BufferGenerator::format", || {
            Ok(self.inner.format().name().into())
        })
    }
    #[napi(getter)]
    pub fn width(&self) -> Result<u32, Code> {
        entry("BufferGenerator::width", || Ok(self.inner.width()))
    }
    #[napi(getter)]
    pub fn height(&self) -> Result<u32, Code> {
        entry("BufferGenerator::height", || Ok(self.inner.height()))
    }
    #[napi(getter)]
    pub fn mem_type(&self) -> Result<String, Code> {
        entry("BufferGenerator::mem_type", || {
            Ok(self.inner.mem_type().name().into())
        })
    }
    #[napi(getter)]
    pub fn pool_size(&self) -> Result<u32, Code> {
        entry("BufferGenerator::pool_size", || {
            Ok(saturating_u32(self.inner.pool_size()))
        })
    }
    /// Buffers free now.
    #[napi(getter)]
    pub fn available(&self) -> Result<u32, Code> {
        entry("BufferGenerator::available", || {
            Ok(saturating_u32(self.inner.available()))
        })
    }
    #[napi]
    pub fn caps_string(&self) -> Result<String, Code> {
        entry("BufferGenerator::caps_string", || {
            Ok(self.inner.caps_string())
        })
    }

    /// A free buffer now, or `ERR_PROJ_POOL_EXHAUSTED`.
    #[napi]
    pub fn try_acquire(&self, options: Option<AcquireOptions>) -> Result<SharedBuffer, Code> {
        entry("BufferGenerator::try_acquire", || {
            let s = stamp(options.as_ref())?;
            let buffer = self.inner.try_acquire(s.id).map_err(from_buffers)?;
            Ok(SharedBuffer::wrap(stamped(buffer, &s)))
        })
    }

    /// Callers waiting for a buffer now.
    #[napi(getter)]
    pub fn waiting(&self) -> Result<u32, Code> {
        entry("BufferGenerator::waiting", || {
            Ok(saturating_u32(self.inner.waiting()))
        })
    }

    /// Waits that lasted longer than a few seconds (each also logged).
    #[napi(getter)]
    pub fn stalled_waits(&self) -> Result<f64, Code> {
        entry("BufferGenerator::stalled_waits", || {
            #[expect(clippy::cast_precision_loss, reason = "a counter, exact below 2^53")]
            Ok(self.stalls.count() as f64)
        })
    }

    /// Resolves with a buffer as soon as one is free, in turn; `timeoutMs`
    /// and `cancel` bound the wait.
    #[napi(ts_return_type = "Promise<SharedBuffer>")]
    pub fn acquire<'env>(
        &self,
        env: &'env Env,
        options: Option<AcquireOptions>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, SharedBuffer>, Code> {
        entry("BufferGenerator::acquire", || {
            let s = stamp(options.as_ref())?;
            let limits = Limits::new(options.as_ref().and_then(|o| o.timeout_ms), cancel)?;
            let acquire = wait_for(
                limits,
                self.inner.clone(),
                Arc::clone(&self.stalls),
                self.inner.acquire(s.id),
            );
            promise(
                env,
                "BufferGenerator::acquire",
                async move { Ok(stamped(acquire.await?, &s)) },
                |buffer| Ok(SharedBuffer::wrap(buffer)),
            )
        })
    }

    /// Scales and letterboxes `src` into a new buffer from this pool.
    #[napi(ts_return_type = "Promise<SharedBuffer>")]
    pub fn transform<'env>(
        &self,
        env: &'env Env,
        src: &SharedBuffer,
        config: Option<TransformConfig>,
        options: Option<AcquireOptions>,
        src_rect: Option<Rect>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, SharedBuffer>, Code> {
        entry("BufferGenerator::transform", || {
            let src = src.get()?;
            let config = TransformConfig::parse(config.as_ref())?;
            let s = stamp(options.as_ref())?;
            let limits = Limits::new(options.as_ref().and_then(|o| o.timeout_ms), cancel)?;
            let acquire = wait_for(
                limits,
                self.inner.clone(),
                Arc::clone(&self.stalls),
                self.inner.acquire(s.id),
            );
            let src_rect = rect(src_rect);
            let name = "BufferGenerator::transform";
            promise(
                env,
                name,
                async move {
                    let dst = stamped(acquire.await?, &s);
                    workers::run(name, move || {
                        pb::BufferGenerator::transform_into(&src, 0, src_rect, &dst, 0, &config)
                            .map_err(from_buffers)?;
                        Ok(dst)
                    })
                    .await
                },
                |dst| Ok(SharedBuffer::wrap(dst)),
            )
        })
    }
}
