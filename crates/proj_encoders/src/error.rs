use proj_gstreamer::GstreamerError;

/// Everything that can go wrong in `proj_encoders`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodersError {
    /// A field of a property set or config out of range, or malformed.
    #[error("invalid {field}: {reason}")]
    InvalidProperty { field: &'static str, reason: String },

    #[error("unknown {what} {name:?}; expected one of {expected}")]
    UnknownName {
        what: &'static str,
        name: String,
        expected: String,
    },

    /// A property set for another codec than the config's.
    #[error("{props} properties do not fit a {config} encoder config")]
    CodecMismatch {
        props: &'static str,
        config: &'static str,
    },

    /// Jetson properties where there is no Jetson (or the other way round).
    #[error("{props} properties cannot run on this machine ({machine})")]
    PlatformMismatch {
        props: &'static str,
        machine: &'static str,
    },

    /// A call after `finish()` or `shutdown()`.
    #[error("the encoder is finished")]
    Finished,

    #[error("GStreamer: {reason}")]
    Gstreamer { reason: String },
}

impl From<GstreamerError> for EncodersError {
    fn from(e: GstreamerError) -> Self {
        Self::Gstreamer {
            reason: e.to_string(),
        }
    }
}

pub type Result<T, E = EncodersError> = std::result::Result<T, E>;

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> EncodersError {
    EncodersError::InvalidProperty {
        field,
        reason: reason.into(),
    }
}

/// `value` within `min..=max`, or an `InvalidProperty` naming `field`.
pub(crate) fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    field: &'static str,
    value: Option<T>,
    min: T,
    max: T,
) -> Result<()> {
    match value {
        Some(v) if v < min || v > max => Err(invalid(
            field,
            format!("must be from {min} to {max}, got {v}"),
        )),
        _ => Ok(()),
    }
}
