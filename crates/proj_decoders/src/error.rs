use proj_buffers::BuffersError;
use proj_frame::FrameError;

/// Everything that can go wrong in `proj_decoders`. Problems with one
/// submitted frame are not errors: they are reported as a `Skipped` output
/// and the decoder goes on.
#[derive(Debug, thiserror::Error)]
pub enum DecodersError {
    #[error("the decoder is shut down")]
    ShutDown,

    #[error("invalid {name}: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    #[error("GStreamer {operation} failed: {reason}")]
    Gstreamer {
        operation: &'static str,
        reason: String,
    },

    #[error(transparent)]
    Buffers(#[from] BuffersError),

    #[error(transparent)]
    Frame(#[from] FrameError),
}

pub type Result<T, E = DecodersError> = std::result::Result<T, E>;

pub(crate) fn gst_failed(operation: &'static str, reason: impl std::fmt::Display) -> DecodersError {
    DecodersError::Gstreamer {
        operation,
        reason: reason.to_string(),
    }
}
