use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::shared_buffer::{info_to_js, SharedBuffer, SurfaceInfo};
use crate::convert::saturating_u32;
use crate::entry::entry;
use crate::error::{consumed, from_buffers, Code};

/// One slot of a buffer: fill it, read it, or hand its `SurfaceInfo` to native
/// code. It keeps its buffer out of the pool until released or collected.
#[napi]
#[derive(Debug)]
pub struct SurfaceView {
    inner: std::sync::Mutex<Option<pb::SurfaceView>>,
}

impl SurfaceView {
    pub(crate) fn wrap(view: pb::SurfaceView) -> Self {
        Self {
            inner: std::sync::Mutex::new(Some(view)),
        }
    }

    /// The view, or `ERR_PROJ_CONSUMED` after `release()`.
    pub(crate) fn get(&self) -> std::result::Result<pb::SurfaceView, Error<Code>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(consumed)
    }
}

#[napi]
impl SurfaceView {
    #[napi(factory)]
    pub fn from_buffer(buffer: &SharedBuffer, slot_index: Option<u32>) -> Result<Self, Code> {
        entry("SurfaceView::from_buffer", || {
            let buffer = buffer.get()?;
            let inner = pb::SurfaceView::new(&buffer, slot_index.unwrap_or(0) as usize)
                .map_err(from_buffers)?;
            Ok(Self::wrap(inner))
        })
    }

    /// Lets go of the buffer (it can return to its pool); later calls fail
    /// with `ERR_PROJ_CONSUMED`.
    #[napi]
    pub fn release(&self) -> Result<(), Code> {
        entry("SurfaceView::release", || {
            self.inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            Ok(())
        })
    }

    #[napi(getter)]
    pub fn width(&self) -> Result<u32, Code> {
        entry("SurfaceView::width", || Ok(self.get()?.info().width))
    }
    #[napi(getter)]
    pub fn height(&self) -> Result<u32, Code> {
        entry("SurfaceView::height", || Ok(self.get()?.info().height))
    }
    #[napi(getter)]
    pub fn pitch(&self) -> Result<u32, Code> {
        entry("SurfaceView::pitch", || {
            Ok(saturating_u32(self.get()?.info().pitch))
        })
    }
    #[napi(getter)]
    pub fn format(&self) -> Result<String, Code> {
        entry("SurfaceView::format", || {
            Ok(self.get()?.info().format.name().into())
        })
    }
    /// Interleaved channels, or null for multi-plane formats.
    #[napi(getter)]
    pub fn channels(&self) -> Result<Option<u32>, Code> {
        entry("SurfaceView::channels", || {
            Ok(self.get()?.channels().and_then(|c| u32::try_from(c).ok()))
        })
    }
    #[napi(getter)]
    pub fn slot_index(&self) -> Result<u32, Code> {
        entry("SurfaceView::slot_index", || {
            Ok(saturating_u32(self.get()?.slot()))
        })
    }
    #[napi]
    pub fn surface_info(&self) -> Result<SurfaceInfo, Code> {
        entry("SurfaceView::surface_info", || {
            Ok(info_to_js(self.get()?.info()))
        })
    }
    #[napi]
    pub fn fill(&self, color: Vec<u32>) -> Result<(), Code> {
        entry("SurfaceView::fill", || {
            let bytes = color
                .iter()
                .map(|&c| u8::try_from(c))
                .collect::<std::result::Result<Vec<u8>, _>>()
                .map_err(|_| crate::error::invalid_argument("color values must be 0-255"))?;
            self.get()?.fill(&bytes).map_err(from_buffers)
        })
    }
    #[napi]
    pub fn memset(&self, value: u32) -> Result<(), Code> {
        entry("SurfaceView::memset", || {
            let value = u8::try_from(value)
                .map_err(|_| crate::error::invalid_argument("value must be 0-255"))?;
            self.get()?.memset(value).map_err(from_buffers)
        })
    }
    #[napi]
    pub fn upload(&self, data: &[u8]) -> Result<(), Code> {
        entry("SurfaceView::upload", || {
            self.get()?.upload(data).map_err(from_buffers)
        })
    }
    #[napi]
    pub fn download(&self) -> Result<Buffer, Code> {
        entry("SurfaceView::download", || {
            Ok(self.get()?.download().map_err(from_buffers)?.into())
        })
    }
    /// Copies the pixels into `out` (exactly their size), avoiding a new
    /// allocation per frame.
    #[napi]
    pub fn download_into(&self, mut out: Uint8Array) -> Result<(), Code> {
        entry("SurfaceView::download_into", || {
            // SAFETY: this is a synchronous call on the JS thread, so no JS
            // code can touch the array while we write into it.
            let bytes = unsafe { out.as_mut() };
            self.get()?.download_into(bytes).map_err(from_buffers)
        })
    }
}
