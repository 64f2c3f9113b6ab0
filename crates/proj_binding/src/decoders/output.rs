//! A decoder output as one tagged JS object (`kind` says which fields are
//! set); the TS wrapper turns it into the seed's output classes.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_decoders as pd;

use crate::buffers::SharedBuffer;
use crate::frame::VideoFrame;

#[napi(object)]
#[derive(Debug, Clone)]
pub struct DecoderParameters {
    pub codec: String,
    pub width: u32,
    pub height: u32,
}

impl From<pd::DecoderParameters> for DecoderParameters {
    fn from(p: pd::DecoderParameters) -> Self {
        Self {
            codec: p.codec.name().to_owned(),
            width: p.width,
            height: p.height,
        }
    }
}

/// `DecodedFrame` of the seed.
#[napi(object)]
#[derive(Debug)]
pub struct DecodedFrame {
    /// The submitted frame's uuid (`VideoFrame.uuid`), where one matched.
    pub frame_id: Option<String>,
    pub pts_ns: BigInt,
    pub dts_ns: Option<BigInt>,
    pub duration_ns: Option<BigInt>,
    pub codec: String,
    pub format: String,
    pub width: u32,
    pub height: u32,
}

impl From<pd::DecodedFrame> for DecodedFrame {
    fn from(d: pd::DecodedFrame) -> Self {
        Self {
            frame_id: d.frame_id.map(|id| uuid::Uuid::from_u128(id).to_string()),
            pts_ns: BigInt::from(d.pts_ns),
            dts_ns: d.dts_ns.map(BigInt::from),
            duration_ns: d.duration_ns.map(BigInt::from),
            codec: d.codec.name().to_owned(),
            format: d.format.name().to_owned(),
            width: d.width,
            height: d.height,
        }
    }
}

#[napi(object, object_from_js = false)]
pub struct DecoderOutput {
    /// `frame`, `parameter_change`, `skipped`, `orphan_frame`, `source_eos`,
    /// `event`, `error`.
    pub kind: String,
    pub frame: Option<VideoFrame>,
    pub buffer: Option<SharedBuffer>,
    pub decoded: Option<DecodedFrame>,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub data: Option<Buffer>,
    pub old_params: Option<DecoderParameters>,
    pub new_params: Option<DecoderParameters>,
    pub source_id: Option<String>,
    pub summary: Option<String>,
    pub message: Option<String>,
    /// The frames lost with an error.
    pub frames: Option<Vec<VideoFrame>>,
}

impl std::fmt::Debug for DecoderOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecoderOutput")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl DecoderOutput {
    /// An output with only its kind set (`closed`: the last output).
    pub fn empty(kind: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            frame: None,
            buffer: None,
            decoded: None,
            reason: None,
            detail: None,
            data: None,
            old_params: None,
            new_params: None,
            source_id: None,
            summary: None,
            message: None,
            frames: None,
        }
    }
}

impl From<pd::Output> for DecoderOutput {
    fn from(output: pd::Output) -> Self {
        let mut js = Self::empty(output.kind());
        match output {
            pd::Output::Frame {
                frame,
                decoded,
                buffer,
            } => {
                js.frame = Some(VideoFrame::from_model(frame));
                js.decoded = Some(decoded.into());
                js.buffer = Some(SharedBuffer::wrap(buffer));
            }
            pd::Output::ParameterChange { old, new } => {
                js.old_params = Some(old.into());
                js.new_params = Some(new.into());
            }
            pd::Output::Skipped {
                frame,
                data,
                reason,
            } => {
                js.frame = Some(VideoFrame::from_model(frame));
                js.data = data.map(Buffer::from);
                js.reason = Some(reason.name().to_owned());
                js.detail = reason.detail();
            }
            pd::Output::OrphanFrame { decoded, buffer } => {
                js.decoded = Some(decoded.into());
                js.buffer = Some(SharedBuffer::wrap(buffer));
            }
            pd::Output::SourceEos { source_id } => js.source_id = Some(source_id),
            pd::Output::Event { summary } => js.summary = Some(summary),
            pd::Output::Error { message, frames } => {
                js.message = Some(message);
                js.frames = Some(frames.into_iter().map(VideoFrame::from_model).collect());
            }
        }
        js
    }
}
