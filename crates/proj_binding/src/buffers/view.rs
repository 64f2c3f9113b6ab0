use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_buffers as pb;

use crate::buffers::shared_buffer::{info_to_js, SharedBufferJs, SurfaceInfoJs};
use crate::convert::saturating_u32;
use crate::error::{from_buffers, Code};

/// One slot of a buffer: fill it, read it, or hand its descriptor to native
/// code.
#[napi(js_name = "SurfaceView")]
#[derive(Debug)]
pub struct SurfaceViewJs {
    pub(crate) inner: pb::SurfaceView,
}

#[napi]
impl SurfaceViewJs {
    #[napi(factory, catch_unwind)]
    pub fn from_buffer(buffer: &SharedBufferJs, slot_index: Option<u32>) -> Result<Self, Code> {
        let buffer = buffer.get()?;
        let inner = pb::SurfaceView::new(&buffer, slot_index.unwrap_or(0) as usize)
            .map_err(from_buffers)?;
        Ok(Self { inner })
    }

    #[napi(getter)]
    pub fn width(&self) -> u32 {
        self.inner.info().width
    }
    #[napi(getter)]
    pub fn height(&self) -> u32 {
        self.inner.info().height
    }
    #[napi(getter)]
    pub fn pitch(&self) -> u32 {
        saturating_u32(self.inner.info().pitch)
    }
    #[napi(getter)]
    pub fn format(&self) -> String {
        self.inner.info().format.name().into()
    }
    /// Interleaved channels, or null for multi-plane formats.
    #[napi(getter)]
    pub fn channels(&self) -> Option<u32> {
        self.inner.channels().and_then(|c| u32::try_from(c).ok())
    }
    #[napi(getter)]
    pub fn slot_index(&self) -> u32 {
        saturating_u32(self.inner.slot())
    }
    #[napi(catch_unwind)]
    pub fn descriptor(&self) -> SurfaceInfoJs {
        info_to_js(self.inner.info())
    }
    #[napi(catch_unwind)]
    pub fn fill(&self, color: Vec<u32>) -> Result<(), Code> {
        let bytes = color
            .iter()
            .map(|&c| u8::try_from(c))
            .collect::<std::result::Result<Vec<u8>, _>>()
            .map_err(|_| crate::error::invalid_argument("color values must be 0-255"))?;
        self.inner.fill(&bytes).map_err(from_buffers)
    }
    #[napi(catch_unwind)]
    pub fn memset(&self, value: u32) -> Result<(), Code> {
        let value = u8::try_from(value)
            .map_err(|_| crate::error::invalid_argument("value must be 0-255"))?;
        self.inner.memset(value).map_err(from_buffers)
    }
    #[napi(catch_unwind)]
    pub fn upload(&self, data: &[u8]) -> Result<(), Code> {
        self.inner.upload(data).map_err(from_buffers)
    }
    #[napi(catch_unwind)]
    pub fn download(&self) -> Result<Buffer, Code> {
        Ok(self.inner.download().map_err(from_buffers)?.into())
    }
    /// Copies the pixels into `out` (exactly their size), avoiding a new
    /// allocation per frame.
    #[napi(catch_unwind)]
    pub fn download_into(&self, mut out: Uint8Array) -> Result<(), Code> {
        // SAFETY: this is a synchronous call on the JS thread, so no JS
        // code can touch the array while we write into it.
        let bytes = unsafe { out.as_mut() };
        self.inner.download_into(bytes).map_err(from_buffers)
    }
}
