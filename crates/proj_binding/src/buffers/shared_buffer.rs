use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::config::Rect;
use crate::buffers::ids::{ids_from_js, ids_to_js, SavantId};
use crate::convert::saturating_u32;
use crate::entry::entry;
use crate::error::{consumed, from_buffers, invalid_argument, Code};
use crate::timestamp::nanoseconds;

/// A pooled buffer (a frame or a batch). It returns to its pool when
/// released, consumed, or collected.
#[napi]
#[derive(Debug)]
pub struct SharedBuffer {
    inner: Mutex<Option<pb::SharedBuffer>>,
    /// Open `hostView`s: each view's address and the hold it keeps on the
    /// buffer (emptied by `closeHostView`, or dropped with the view).
    views: Mutex<Vec<(usize, ViewHold)>>,
}

type ViewHold = Arc<Mutex<Option<pb::SharedBuffer>>>;

impl SharedBuffer {
    pub fn wrap(buffer: pb::SharedBuffer) -> Self {
        Self {
            inner: Mutex::new(Some(buffer)),
            views: Mutex::new(Vec::new()),
        }
    }

    /// The buffer, or `ERR_PROJ_CONSUMED`.
    pub fn get(&self) -> std::result::Result<pb::SharedBuffer, Error<Code>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(consumed)
    }

    /// Takes the buffer out (a consumer now owns it).
    pub fn take(&self) -> std::result::Result<pb::SharedBuffer, Error<Code>> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(consumed)
    }
}

#[napi(object)]
#[derive(Debug)]
pub struct SurfaceInfo {
    pub data_ptr: BigInt,
    pub pitch: u32,
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub data_size: f64,
    pub mem_type: String,
    /// The GPU of CUDA memory; null for system memory.
    pub gpu_id: Option<u32>,
    /// The `CUstream` GPU work on this surface runs on; 0 for host memory.
    pub cuda_stream: BigInt,
}

pub fn info_to_js(info: &pb::SurfaceInfo) -> SurfaceInfo {
    SurfaceInfo {
        data_ptr: BigInt::from(info.data_ptr as u64),
        pitch: saturating_u32(info.pitch),
        width: info.width,
        height: info.height,
        format: info.format.name().into(),
        data_size: info.data_size as f64,
        mem_type: info.mem_type.name().into(),
        gpu_id: info.gpu_id.map(saturating_u32),
        cuda_stream: BigInt::from(info.cuda_stream as u64),
    }
}

fn ns_to_js(value: Option<u64>) -> Option<BigInt> {
    value.map(BigInt::from)
}

#[napi]
impl SharedBuffer {
    #[napi(getter)]
    pub fn pts_ns(&self) -> Result<Option<BigInt>, Code> {
        entry("SharedBuffer::pts_ns", || {
            Ok(ns_to_js(self.get()?.pts_ns()))
        })
    }
    #[napi]
    pub fn set_pts_ns(&self, value: Option<BigInt>) -> Result<(), Code> {
        entry("SharedBuffer::set_pts_ns", || {
            let pts = value
                .as_ref()
                .map(|v| nanoseconds("ptsNs", v))
                .transpose()?;
            self.get()?.set_pts_ns(pts);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn duration_ns(&self) -> Result<Option<BigInt>, Code> {
        entry("SharedBuffer::duration_ns", || {
            Ok(ns_to_js(self.get()?.duration_ns()))
        })
    }
    #[napi]
    pub fn set_duration_ns(&self, value: Option<BigInt>) -> Result<(), Code> {
        entry("SharedBuffer::set_duration_ns", || {
            let duration = value
                .as_ref()
                .map(|v| nanoseconds("durationNs", v))
                .transpose()?;
            self.get()?.set_duration_ns(duration);
            Ok(())
        })
    }
    #[napi]
    pub fn savant_ids(&self) -> Result<Vec<SavantId>, Code> {
        entry("SharedBuffer::savant_ids", || {
            Ok(ids_to_js(&self.get()?.savant_ids()))
        })
    }
    #[napi]
    pub fn set_savant_ids(&self, ids: Vec<SavantId>) -> Result<(), Code> {
        entry("SharedBuffer::set_savant_ids", || {
            let ids = ids_from_js(Some(ids))?;
            self.get()?.set_savant_ids(ids);
            Ok(())
        })
    }
    /// References to the underlying buffer (views and batches hold some).
    #[napi(getter)]
    pub fn strong_count(&self) -> Result<u32, Code> {
        entry("SharedBuffer::strong_count", || {
            // This handle's own clone in `get` is dropped before counting.
            let count = self.get()?.strong_count().saturating_sub(1);
            Ok(saturating_u32(count))
        })
    }
    #[napi(getter)]
    pub fn is_consumed(&self) -> Result<bool, Code> {
        entry("SharedBuffer::is_consumed", || {
            Ok({
                self.inner
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_none()
            })
        })
    }
    /// Lets go of the buffer now rather than when collected.
    #[napi]
    pub fn release(&self) -> Result<(), Code> {
        entry("SharedBuffer::release", || {
            drop(self.inner.lock().unwrap_or_else(|e| e.into_inner()).take());
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn batch_size(&self) -> Result<u32, Code> {
        entry("SharedBuffer::batch_size", || {
            Ok(saturating_u32(self.get()?.batch_size()))
        })
    }
    #[napi(getter)]
    pub fn num_filled(&self) -> Result<u32, Code> {
        entry("SharedBuffer::num_filled", || {
            Ok(saturating_u32(self.get()?.num_filled()))
        })
    }
    #[napi]
    pub fn set_num_filled(&self, count: u32) -> Result<(), Code> {
        entry("SharedBuffer::set_num_filled", || {
            self.get()?
                .set_num_filled(count as usize)
                .map_err(from_buffers)
        })
    }
    #[napi]
    pub fn surface_info(&self, slot: Option<u32>) -> Result<SurfaceInfo, Code> {
        entry("SharedBuffer::surface_info", || {
            let info = self
                .get()?
                .surface_info(slot.unwrap_or(0) as usize)
                .map_err(from_buffers)?;
            Ok(info_to_js(&info))
        })
    }
}

#[napi]
impl SharedBuffer {
    /// The picture in `slot` as bytes over its own memory (no copy), for
    /// a callback that reads or changes it in place: system or pinned
    /// memory only. The view holds the buffer (out of its pool) until
    /// `closeHostView` cuts it off, or until it is collected.
    #[napi(ts_return_type = "Uint8Array")]
    pub fn host_view<'env>(
        &self,
        env: &'env Env,
        slot: Option<u32>,
    ) -> Result<Uint8ArraySlice<'env>, Code> {
        entry("SharedBuffer::host_view", || {
            let buffer = self.get()?;
            let (ptr, len) = buffer
                .with_surface_mut(slot.unwrap_or(0) as usize, |s| {
                    s.host_data_mut().map(|d| (d.as_mut_ptr(), d.len()))
                })
                .map_err(from_buffers)?
                .ok_or_else(|| {
                    invalid_argument(
                        "the picture is in CUDA memory; use its surfaceInfo() descriptor",
                    )
                })?;
            let hold: ViewHold = Arc::new(Mutex::new(Some(buffer)));
            // SAFETY: the bytes belong to a surface of the held buffer;
            // surfaces never resize, and the hold is emptied only once the
            // view is detached (`close_host_view`) or collected.
            let view = unsafe {
                Uint8ArraySlice::from_external(env, ptr, len, Arc::clone(&hold), |_, h| drop(h))
            }
            .map_err(|e| invalid_argument(e.reason.clone()))?;
            self.views
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((ptr as usize, hold));
            Ok(view)
        })
    }

    /// Cuts a `hostView` of this buffer off its memory (it reads as empty
    /// from then on) and lets go of its hold on the buffer.
    #[napi]
    pub fn close_host_view(&self, view: ArrayBuffer) -> Result<(), Code> {
        entry("SharedBuffer::close_host_view", || {
            let address = view.as_ptr() as usize;
            view.detach()
                .map_err(|e| invalid_argument(e.reason.clone()))?;
            let hold = {
                let mut views = self.views.lock().unwrap_or_else(|e| e.into_inner());
                views
                    .iter()
                    .position(|(a, _)| *a == address)
                    .map(|i| views.swap_remove(i).1)
            };
            if let Some(hold) = hold {
                let released = hold.lock().unwrap_or_else(|e| e.into_inner()).take();
                drop(released);
            }
            Ok(())
        })
    }
}

/// Argument type shared by transforms.
pub fn rect(value: Option<Rect>) -> Option<pb::Rect> {
    value.map(Into::into)
}
