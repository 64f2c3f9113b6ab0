//! What a decoder reports: every submitted frame ends in exactly one
//! `Frame`, `Skipped` or `Error` (in its `frames`); the other outputs
//! describe the stream.

use std::fmt;

use proj_buffers::{SharedBuffer, VideoFormat};
use proj_frame::{VideoCodec, VideoFrame};

/// The codec and size a decoder session was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecoderParameters {
    pub codec: VideoCodec,
    pub width: u32,
    pub height: u32,
}

/// Why a submitted frame was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Neither `data` nor internal content.
    NoPayload,
    /// The frame belongs to another source than the decoder's.
    SourceIdMismatch { expected: String, actual: String },
    /// No codec, or one no decoder takes (raw NV12).
    UnsupportedCodec(String),
    /// The payload is not a frame of its codec (truncated, corrupt, wrong
    /// size, another codec's data).
    InvalidPayload(String),
    /// Held before the first random access point and dropped when one came.
    WaitingForKeyframe,
    /// Held before a random access point until the detection buffer filled.
    DetectionBufferOverflow,
    /// The decoder for its codec could not be started.
    DecoderCreationFailed(String),
    /// The decoder took the frame but produced no picture for it (a corrupt
    /// or undecodable bitstream, or a reference it depended on was lost).
    DecodeFailed(String),
}

impl SkipReason {
    /// The reason's name, as in the seed (`waiting_for_keyframe`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::NoPayload => "no_payload",
            Self::SourceIdMismatch { .. } => "source_id_mismatch",
            Self::UnsupportedCodec(_) => "unsupported_codec",
            Self::InvalidPayload(_) => "invalid_payload",
            Self::WaitingForKeyframe => "waiting_for_keyframe",
            Self::DetectionBufferOverflow => "detection_buffer_overflow",
            Self::DecoderCreationFailed(_) => "decoder_creation_failed",
            Self::DecodeFailed(_) => "decode_failed",
        }
    }

    /// The human-readable detail of reasons that carry one.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::SourceIdMismatch { expected, actual } => {
                Some(format!("expected source {expected:?}, got {actual:?}"))
            }
            Self::UnsupportedCodec(d)
            | Self::InvalidPayload(d)
            | Self::DecoderCreationFailed(d)
            | Self::DecodeFailed(d) => Some(d.clone()),
            Self::NoPayload | Self::WaitingForKeyframe | Self::DetectionBufferOverflow => None,
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(detail) => write!(f, "{}: {detail}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

/// Scalar facts about one decoded picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedFrame {
    /// The submitted frame's uuid, where one matched.
    pub frame_id: Option<u128>,
    pub pts_ns: u64,
    pub dts_ns: Option<u64>,
    pub duration_ns: Option<u64>,
    pub codec: VideoCodec,
    /// The output buffer's format (RGBA).
    pub format: VideoFormat,
    pub width: u32,
    pub height: u32,
}

/// One report of a decoder.
pub enum Output {
    /// A decoded picture (RGBA, in the decoder's pool) and the frame it was
    /// submitted with.
    Frame {
        frame: VideoFrame,
        decoded: DecodedFrame,
        buffer: SharedBuffer,
    },
    /// The codec or size changed: the old session was drained, a new one
    /// started.
    ParameterChange {
        old: DecoderParameters,
        new: DecoderParameters,
    },
    /// A submitted frame that was not decoded, and why.
    Skipped {
        frame: VideoFrame,
        data: Option<Vec<u8>>,
        reason: SkipReason,
    },
    /// A decoded picture no submitted frame matched.
    OrphanFrame {
        decoded: DecodedFrame,
        buffer: SharedBuffer,
    },
    /// The source's stream ended (`source_eos`): everything submitted before
    /// has been reported.
    SourceEos { source_id: String },
    /// A GStreamer event seen at the decoder's output.
    Event { summary: String },
    /// The decoder failed and was restarted, or was shut down with frames
    /// in flight: those frames are in `frames` and get no other output.
    Error {
        message: String,
        frames: Vec<VideoFrame>,
    },
}

impl Output {
    /// The variant's name (`frame`, `skipped`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Frame { .. } => "frame",
            Self::ParameterChange { .. } => "parameter_change",
            Self::Skipped { .. } => "skipped",
            Self::OrphanFrame { .. } => "orphan_frame",
            Self::SourceEos { .. } => "source_eos",
            Self::Event { .. } => "event",
            Self::Error { .. } => "error",
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame { decoded, .. } => f
                .debug_struct("Frame")
                .field("decoded", decoded)
                .finish_non_exhaustive(),
            Self::ParameterChange { old, new } => f
                .debug_struct("ParameterChange")
                .field("old", old)
                .field("new", new)
                .finish(),
            Self::Skipped { frame, reason, .. } => f
                .debug_struct("Skipped")
                .field("pts", &frame.pts())
                .field("reason", reason)
                .finish_non_exhaustive(),
            Self::OrphanFrame { decoded, .. } => f
                .debug_struct("OrphanFrame")
                .field("decoded", decoded)
                .finish_non_exhaustive(),
            Self::SourceEos { source_id } => f
                .debug_struct("SourceEos")
                .field("source_id", source_id)
                .finish(),
            Self::Event { summary } => f.debug_struct("Event").field("summary", summary).finish(),
            Self::Error { message, frames } => f
                .debug_struct("Error")
                .field("message", message)
                .field("frames", &frames.len())
                .finish(),
        }
    }
}

/// Where a decoder's outputs go. Called from the submitting thread and from
/// the decoder's streaming threads, never under the decoder's lock, so it
/// may call back into the decoder.
pub type OutputCallback = std::sync::Arc<dyn Fn(Output) + Send + Sync>;
