use proj_encoders::EncodersError;
use proj_gstreamer::GstreamerError;

/// Every failure of this crate; the napi crate maps each variant to a
/// stable JS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    /// An encoder, muxer, option, metadata key or format we do not know.
    #[error("unknown {what} {name:?}; known: {known}")]
    UnknownName {
        what: &'static str,
        name: String,
        known: String,
    },

    /// Something with a meaning we do not carry out (an FFmpeg-only
    /// option, a codec a container cannot hold, a seek on a stream).
    #[error("unsupported: {reason}")]
    Unsupported { reason: String },

    #[error("the encoder is not open: call open() first")]
    NotOpen,

    #[error("the encoder is already open: {what} must come before open()")]
    AlreadyOpen { what: &'static str },

    #[error("the encoder is closed")]
    Closed,

    #[error("cannot open the output {target}: {reason}")]
    OutputOpen { target: String, reason: String },

    /// The output failed while written (a server went away, a write failed).
    #[error("the output failed: {reason}")]
    Output { reason: String },

    #[error("the encoding pipeline failed: {reason}")]
    Pipeline { reason: String },

    #[error("GStreamer element {element:?} is not installed")]
    MissingElement { element: &'static str },

    #[error("{what} did not finish within {seconds} s")]
    Timeout { what: &'static str, seconds: u64 },

    #[error("{queued} bytes are waiting and this write would pass the limit of {limit}: await the earlier writes")]
    QueueFull { queued: u64, limit: u64 },

    /// A file or directory operation failed (create, write, rename, delete).
    #[error("{what} {path}: {reason}")]
    Io {
        what: &'static str,
        path: String,
        reason: String,
    },

    /// `fsync` failed: what was written may not be on disk. Never retried
    /// (a second fsync can succeed after the kernel dropped the pages).
    #[error("not durable: {path}: {reason}")]
    Durability { path: String, reason: String },

    #[error(transparent)]
    Encoder(#[from] EncodersError),

    #[error(transparent)]
    Gstreamer(#[from] GstreamerError),
}

pub type Result<T, E = RecordingError> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> RecordingError {
    RecordingError::InvalidArgument {
        name,
        reason: reason.into(),
    }
}

pub(crate) fn unsupported(reason: impl Into<String>) -> RecordingError {
    RecordingError::Unsupported {
        reason: reason.into(),
    }
}

pub(crate) fn unknown(what: &'static str, name: &str, known: &[&str]) -> RecordingError {
    RecordingError::UnknownName {
        what,
        name: name.to_owned(),
        known: known.join(", "),
    }
}

pub(crate) fn pipeline(e: impl std::fmt::Display) -> RecordingError {
    RecordingError::Pipeline {
        reason: e.to_string(),
    }
}
