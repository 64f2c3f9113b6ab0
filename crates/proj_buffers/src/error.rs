/// Every failure of the buffers crate. The napi crate maps each variant to
/// a stable JS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuffersError {
    #[error("invalid {name}: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    #[error("unknown {what} {name:?}; expected one of {expected}")]
    UnknownName {
        what: &'static str,
        name: String,
        expected: &'static str,
    },

    #[error("{operation} does not support {format}: {reason}")]
    UnsupportedFormat {
        operation: &'static str,
        format: &'static str,
        reason: String,
    },

    #[error("{bytes} bytes of pixel memory were asked for; {available} are available")]
    OutOfMemory { bytes: u64, available: u64 },

    /// The system refused a thread (or another resource that is not memory).
    #[error("could not {what}: {reason}")]
    Resources { what: &'static str, reason: String },

    #[error("the pool of {capacity} buffers is exhausted")]
    PoolExhausted { capacity: usize },

    #[error("{waiting} callers already wait for this pool of {capacity}: release buffers (`release()`/`using`) before asking for more")]
    QueueFull { waiting: usize, capacity: usize },

    #[error("timed out after {ms} ms waiting for a free buffer in a pool of {capacity}")]
    AcquireTimeout { ms: u64, capacity: usize },

    #[error("CUDA is not available: {reason}")]
    CudaUnavailable { reason: String },

    /// A CUDA call failed on a machine where CUDA itself works.
    #[error("CUDA {operation} failed: {reason}")]
    Cuda {
        operation: &'static str,
        reason: String,
    },

    #[error("slot {index} is out of range for a batch of {size}")]
    SlotOutOfRange { index: usize, size: usize },

    #[error("the batch is {state}")]
    BatchState { state: &'static str },
}

pub type Result<T, E = BuffersError> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> BuffersError {
    BuffersError::InvalidArgument {
        name,
        reason: reason.into(),
    }
}
