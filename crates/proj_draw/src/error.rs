/// Everything that can go wrong in `proj_draw`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    /// A draw value out of its range, or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: &'static str, reason: String },

    /// A label template with a placeholder the renderer does not know,
    /// or a brace that does not close; found when the spec is built.
    #[error("label template {template:?}: {reason}")]
    Template { template: String, reason: String },

    /// A font name nobody registered, or bytes that are not a font.
    #[error("font {name:?}: {reason}")]
    Font { name: String, reason: String },

    /// A picture the renderer cannot draw on (format, size, memory).
    #[error("cannot draw on this picture: {reason}")]
    Target { reason: String },

    /// A draw list that does not decode (a truncated command, an unknown
    /// opcode, an index out of range).
    #[error("malformed draw list: {reason}")]
    DrawList { reason: String },
}

pub type Result<T, E = DrawError> = std::result::Result<T, E>;

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> DrawError {
    DrawError::InvalidArgument {
        field,
        reason: reason.into(),
    }
}
