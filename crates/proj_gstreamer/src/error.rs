use std::path::PathBuf;

use crate::Codec;

/// Every failure of this crate. Variants carry their context in fields; the
/// napi crate maps each variant to a stable JS error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GstreamerError {
    #[error("unknown codec name {name:?}; expected one of h264, hevc, h265, jpeg, av1, png")]
    UnknownCodec { name: String },

    #[error("GStreamer could not be initialised: {reason}")]
    Init { reason: String },

    #[error("GStreamer element {element:?} is not installed (install the Debian GStreamer plugin packages)")]
    MissingElement { element: &'static str },

    #[error("invalid argument {name}: {reason}")]
    InvalidArgument { name: &'static str, reason: String },

    #[error("invalid {codec} frame: {reason}")]
    InvalidData { codec: Codec, reason: String },

    #[error(
        "the first {codec} frame must be a random access point ({expected}); this frame is not one"
    )]
    NeedsKeyframe {
        codec: Codec,
        expected: &'static str,
    },

    #[error(
        "decode timestamp {dts_ns} ns does not increase (previous frame had {previous_ns} ns)"
    )]
    DtsNotIncreasing { dts_ns: u64, previous_ns: u64 },

    #[error("presentation timestamp {pts_ns} ns is before the decode timestamp {dts_ns} ns")]
    PtsBeforeDts { pts_ns: u64, dts_ns: u64 },

    #[error("cannot write {path:?}: {reason}")]
    OutputOpen { path: PathBuf, reason: String },

    #[error("the muxer is finished; no more frames can be pushed")]
    Finished,

    #[error("the muxing pipeline failed: {reason}")]
    Pipeline { reason: String },

    #[error("the muxer did not finish within {seconds} s")]
    Timeout { seconds: u64 },

    #[error(
        "{queued} bytes are queued and this frame would pass the limit of {limit}: wait for drained() (the output is slower than the input)"
    )]
    QueueFull { queued: u64, limit: u64 },

    #[error("cannot open the source {uri:?}: {reason}")]
    SourceOpen { uri: String, reason: String },

    #[error("no frame was pushed: {path:?} holds no video")]
    NoFrames { path: PathBuf },
}

pub type Result<T, E = GstreamerError> = std::result::Result<T, E>;
