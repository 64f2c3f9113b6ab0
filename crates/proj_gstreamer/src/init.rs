use std::sync::OnceLock;

use crate::{GstreamerError, Result};

/// Initialises GStreamer once per process. Safe to call from any thread.
pub fn init() -> Result<()> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| gstreamer::init().map_err(|e| e.to_string()))
        .clone()
        .map_err(|reason| GstreamerError::Init { reason })
}
