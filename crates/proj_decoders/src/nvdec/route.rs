//! How NVDEC serves each stream shape, degraded for the rest of the process
//! when a session fails to negotiate: NVDEC with output in GPU memory first,
//! then NVDEC through system memory, then the software decoder. Keyed by
//! codec and size, so one stream NVDEC cannot take (a size beyond its
//! limits, a format the caps probe did not foresee) never takes the GPU
//! away from the other cameras. Kept per GPU: a failure on one GPU (another
//! model, another driver state) says nothing about the others.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::output::DecoderParameters;

/// The way a session decodes, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Route {
    /// NVDEC, pictures in GPU memory of our context (zero-copy).
    GpuMemory,
    /// NVDEC, pictures through system memory.
    SystemMemory,
    /// The software decoder.
    Software,
}

type Shape = (u32, DecoderParameters);

static DEGRADED: Mutex<Option<HashMap<Shape, Route>>> = Mutex::new(None);

/// The best route still open on GPU `gpu_id` for streams of `params`.
pub(crate) fn best(gpu_id: u32, params: DecoderParameters) -> Route {
    DEGRADED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|map| map.get(&(gpu_id, params)).copied())
        .unwrap_or(Route::GpuMemory)
}

/// A session of `params` on GPU `gpu_id` and `route` failed to negotiate:
/// later sessions of that shape on that GPU take the next route.
pub(crate) fn failed(gpu_id: u32, params: DecoderParameters, route: Route) {
    let next = match route {
        Route::GpuMemory => Route::SystemMemory,
        Route::SystemMemory | Route::Software => Route::Software,
    };
    tracing::warn!(
        "GPU {gpu_id}, {} {}x{}: {route:?} failed to negotiate; later sessions use {next:?}",
        params.codec.name(),
        params.width,
        params.height
    );
    let mut degraded = DEGRADED.lock().unwrap_or_else(PoisonError::into_inner);
    let entry = degraded
        .get_or_insert_with(HashMap::new)
        .entry((gpu_id, params));
    let current = entry.or_insert(next);
    *current = (*current).max(next);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proj_frame::VideoCodec;

    /// Failures degrade one stream shape on one GPU step by step, and no
    /// other shape or GPU.
    #[test]
    fn failures_degrade_one_shape_step_by_step() {
        let odd = DecoderParameters {
            codec: VideoCodec::Av1,
            width: 7680,
            height: 4320,
        };
        let other = DecoderParameters {
            width: 1920,
            height: 1080,
            ..odd
        };
        assert_eq!(best(0, odd), Route::GpuMemory);
        failed(0, odd, Route::GpuMemory);
        assert_eq!(best(0, odd), Route::SystemMemory);
        failed(0, odd, Route::SystemMemory);
        assert_eq!(best(0, odd), Route::Software);
        // A late report from an older session does not undo it.
        failed(0, odd, Route::GpuMemory);
        assert_eq!(best(0, odd), Route::Software);
        assert_eq!(best(0, other), Route::GpuMemory);
        // Another GPU keeps its own routes.
        assert_eq!(best(1, odd), Route::GpuMemory);
    }
}
