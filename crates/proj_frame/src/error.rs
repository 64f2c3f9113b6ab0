/// Every failure of the frame model. The napi crate maps each variant to a
/// stable JS error code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("invalid {name}: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    #[error("unknown video codec {name:?}; expected one of h264, hevc, h265, jpeg, av1, png, vp8, vp9, raw_rgba, raw_rgb, raw_nv12")]
    UnknownCodec { name: String },

    #[error("invalid transformation chain: {reason}")]
    InvalidTransformation { reason: String },

    #[error("no object with id {id} in the frame")]
    ObjectNotFound { id: i64 },

    #[error("an object with id {id} is already in the frame")]
    DuplicateObjectId { id: i64 },
}

pub type Result<T, E = FrameError> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> FrameError {
    FrameError::InvalidArgument {
        name,
        reason: reason.into(),
    }
}
