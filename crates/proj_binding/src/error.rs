use napi::bindgen_prelude::*;
use proj_buffers::BuffersError;
use proj_decoders::DecodersError;
use proj_encoders::EncodersError;
use proj_frame::FrameError;
use proj_gstreamer::GstreamerError;

/// The `code` of a JS error thrown by the addon (`ERR_PROJ_…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(pub &'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

pub fn invalid_argument(reason: impl Into<String>) -> Error<Code> {
    Error::new(Code("ERR_PROJ_INVALID_ARGUMENT"), reason.into())
}

pub fn gstreamer_code(error: &GstreamerError) -> Code {
    Code(match error {
        GstreamerError::UnknownCodec { .. } => "ERR_PROJ_UNKNOWN_CODEC",
        GstreamerError::Init { .. } => "ERR_PROJ_GSTREAMER_INIT",
        GstreamerError::MissingElement { .. } => "ERR_PROJ_MISSING_ELEMENT",
        GstreamerError::InvalidArgument { .. } => "ERR_PROJ_INVALID_ARGUMENT",
        GstreamerError::InvalidData { .. } => "ERR_PROJ_INVALID_DATA",
        GstreamerError::NeedsKeyframe { .. } => "ERR_PROJ_NEEDS_KEYFRAME",
        GstreamerError::DtsNotIncreasing { .. } => "ERR_PROJ_DTS_NOT_INCREASING",
        GstreamerError::PtsBeforeDts { .. } => "ERR_PROJ_PTS_BEFORE_DTS",
        GstreamerError::OutputOpen { .. } => "ERR_PROJ_OUTPUT_OPEN",
        GstreamerError::Finished => "ERR_PROJ_FINISHED",
        GstreamerError::Pipeline { .. } => "ERR_PROJ_PIPELINE",
        GstreamerError::Timeout { .. } => "ERR_PROJ_TIMEOUT",
        GstreamerError::QueueFull { .. } => "ERR_PROJ_QUEUE_FULL",
        GstreamerError::NoFrames { .. } => "ERR_PROJ_NO_FRAMES",
        GstreamerError::SourceOpen { .. } => "ERR_PROJ_SOURCE_OPEN",
    })
}

pub fn from_gstreamer(error: GstreamerError) -> Error<Code> {
    Error::new(gstreamer_code(&error), error.to_string())
}

pub fn frame_code(error: &FrameError) -> Code {
    Code(match error {
        FrameError::InvalidArgument { .. } => "ERR_PROJ_INVALID_ARGUMENT",
        FrameError::UnknownCodec { .. } => "ERR_PROJ_UNKNOWN_CODEC",
        FrameError::InvalidTransformation { .. } => "ERR_PROJ_INVALID_TRANSFORMATION",
        FrameError::ObjectNotFound { .. } => "ERR_PROJ_OBJECT_NOT_FOUND",
        FrameError::DuplicateObjectId { .. } => "ERR_PROJ_DUPLICATE_OBJECT_ID",
    })
}

pub fn from_frame(error: FrameError) -> Error<Code> {
    Error::new(frame_code(&error), error.to_string())
}

/// Turns a coded error into the plain `napi::Error` that async tasks must
/// reject with, keeping its `code` by building the JS error object here.
pub fn rejection(env: &Env, error: Error<Code>) -> Error {
    // SAFETY: `env` is the live environment napi-rs hands to `Task::resolve`
    // on the JS thread; `into_value` returns a value owned by that scope (or
    // null while the environment shuts down, which `Error::from` turns into a
    // plain error rather than dereferencing).
    let value = unsafe { JsError::from(error).into_value(env.raw()) };
    // SAFETY: `value` was created in `env` just above.
    Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), value) })
}

pub fn buffers_code(error: &BuffersError) -> Code {
    Code(match error {
        BuffersError::InvalidArgument { .. } => "ERR_PROJ_INVALID_ARGUMENT",
        BuffersError::UnknownName { .. } => "ERR_PROJ_UNKNOWN_NAME",
        BuffersError::UnsupportedFormat { .. } => "ERR_PROJ_UNSUPPORTED_FORMAT",
        BuffersError::PoolExhausted { .. } => "ERR_PROJ_POOL_EXHAUSTED",
        BuffersError::QueueFull { .. } => "ERR_PROJ_QUEUE_FULL",
        BuffersError::OutOfMemory { .. } => "ERR_PROJ_OUT_OF_MEMORY",
        BuffersError::Resources { .. } => "ERR_PROJ_RESOURCES",
        BuffersError::AcquireTimeout { .. } => "ERR_PROJ_TIMEOUT",
        BuffersError::CudaUnavailable { .. } => "ERR_PROJ_CUDA_UNAVAILABLE",
        BuffersError::Cuda { .. } => "ERR_PROJ_CUDA",
        BuffersError::SlotOutOfRange { .. } => "ERR_PROJ_SLOT_OUT_OF_RANGE",
        BuffersError::BatchState { .. } => "ERR_PROJ_BATCH_STATE",
    })
}

pub fn from_buffers(error: BuffersError) -> Error<Code> {
    Error::new(buffers_code(&error), error.to_string())
}

/// A buffer used after `release()` or after a consumer took it.
pub fn consumed() -> Error<Code> {
    Error::new(
        Code("ERR_PROJ_CONSUMED"),
        "the buffer was released or consumed and can no longer be used",
    )
}

/// napi could not start a future (its runtime is gone, e.g. at exit).
pub fn spawn_failed(error: Error) -> Error<Code> {
    Error::new(Code("ERR_PROJ_PIPELINE"), error.reason.clone())
}

pub fn decoders_code(error: &DecodersError) -> Code {
    match error {
        DecodersError::ShutDown => Code("ERR_PROJ_SHUT_DOWN"),
        DecodersError::InvalidArgument { .. } => Code("ERR_PROJ_INVALID_ARGUMENT"),
        DecodersError::Gstreamer { .. } => Code("ERR_PROJ_PIPELINE"),
        DecodersError::Buffers(e) => buffers_code(e),
        DecodersError::Frame(e) => frame_code(e),
    }
}

pub fn from_decoders(error: DecodersError) -> Error<Code> {
    Error::new(decoders_code(&error), error.to_string())
}

pub fn encoders_code(error: &EncodersError) -> Code {
    Code(match error {
        EncodersError::InvalidProperty { .. }
        | EncodersError::CodecMismatch { .. }
        | EncodersError::PlatformMismatch { .. } => "ERR_PROJ_INVALID_ARGUMENT",
        EncodersError::UnknownName { .. } => "ERR_PROJ_UNKNOWN_NAME",
        EncodersError::Finished => "ERR_PROJ_FINISHED",
        EncodersError::Gstreamer { .. } => "ERR_PROJ_PIPELINE",
    })
}

pub fn from_encoders(error: EncodersError) -> Error<Code> {
    Error::new(encoders_code(&error), error.to_string())
}

pub fn draw_code(error: &proj_draw::DrawError) -> Code {
    use proj_draw::DrawError;
    Code(match error {
        DrawError::InvalidArgument { .. } | DrawError::DrawList { .. } => {
            "ERR_PROJ_INVALID_ARGUMENT"
        }
        DrawError::Template { .. } => "ERR_PROJ_LABEL_TEMPLATE",
        DrawError::Font { .. } => "ERR_PROJ_FONT",
        DrawError::Target { .. } => "ERR_PROJ_UNSUPPORTED_FORMAT",
    })
}

pub fn from_draw(error: proj_draw::DrawError) -> Error<Code> {
    Error::new(draw_code(&error), error.to_string())
}

pub fn recording_code(error: &proj_recording::RecordingError) -> Code {
    use proj_recording::RecordingError as R;
    match error {
        R::InvalidArgument { .. } => Code("ERR_PROJ_INVALID_ARGUMENT"),
        R::UnknownName { .. } => Code("ERR_PROJ_UNKNOWN_NAME"),
        R::Unsupported { .. } => Code("ERR_PROJ_UNSUPPORTED"),
        R::NotOpen => Code("ERR_PROJ_NOT_OPEN"),
        R::AlreadyOpen { .. } => Code("ERR_PROJ_ALREADY_OPEN"),
        R::Closed => Code("ERR_PROJ_FINISHED"),
        R::OutputOpen { .. } => Code("ERR_PROJ_OUTPUT_OPEN"),
        R::Output { .. } => Code("ERR_PROJ_OUTPUT"),
        R::Pipeline { .. } => Code("ERR_PROJ_PIPELINE"),
        R::MissingElement { .. } => Code("ERR_PROJ_MISSING_ELEMENT"),
        R::Timeout { .. } => Code("ERR_PROJ_TIMEOUT"),
        R::QueueFull { .. } => Code("ERR_PROJ_QUEUE_FULL"),
        R::Io { .. } => Code("ERR_PROJ_IO"),
        R::Durability { .. } => Code("ERR_PROJ_DURABILITY"),
        R::Encoder(e) => encoders_code(e),
        R::Gstreamer(e) => gstreamer_code(e),
    }
}

pub fn from_recording(error: proj_recording::RecordingError) -> Error<Code> {
    Error::new(recording_code(&error), error.to_string())
}
