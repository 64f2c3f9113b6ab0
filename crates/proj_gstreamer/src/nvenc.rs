//! Whether NVENC works here: true only where GStreamer can open an NVIDIA
//! hardware H.264 encoder.

use gstreamer::ElementFactory;

/// The encoder elements that exist only where NVENC works for GPU
/// `gpu_id`: GStreamer's `nvcodec` registers them after opening an encode
/// session on that device (none on H100, H200, A100), Jetson's
/// `nvv4l2h264enc` is the V4L2 encoder.
fn element_names(gpu_id: u32) -> Vec<String> {
    if gpu_id == 0 {
        ["nvh264enc", "nvcudah264enc", "nvautogpuh264enc"]
            .map(str::to_owned)
            .to_vec()
    } else {
        vec![
            format!("nvh264device{gpu_id}enc"),
            format!("nvcudah264device{gpu_id}enc"),
        ]
    }
}

/// True if GPU `gpu_id` has a working hardware H.264 encoder. On Jetson:
/// every known module but the Orin Nano (an unknown one: false). Elsewhere:
/// an NVENC element for that GPU is registered. No GPU: false.
pub fn has_nvenc(gpu_id: u32) -> bool {
    if proj_buffers::is_jetson_kernel() {
        return matches!(proj_buffers::jetson_model(gpu_id), Ok(Some(model)) if !model.starts_with("Orin Nano"));
    }
    if !proj_buffers::cuda::driver_loaded() || crate::init().is_err() {
        return false;
    }
    element_names(gpu_id)
        .iter()
        .any(|name| ElementFactory::find(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `has_nvenc` agrees with what this machine registers: false without
    /// a driver, and otherwise exactly when an NVENC element exists.
    #[test]
    fn answers_match_this_machine() {
        let registered = |id: u32| {
            crate::init().is_ok()
                && element_names(id)
                    .iter()
                    .any(|name| ElementFactory::find(name).is_some())
        };
        if proj_buffers::is_jetson_kernel() {
            return;
        }
        let driver = proj_buffers::cuda::driver_loaded();
        for id in [0, 3] {
            assert_eq!(has_nvenc(id), driver && registered(id), "GPU {id}");
        }
        assert_eq!(
            element_names(2),
            ["nvh264device2enc", "nvcudah264device2enc"]
        );
    }
}
