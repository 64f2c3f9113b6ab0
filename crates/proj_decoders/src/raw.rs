//! Raw RGB/RGBA "sessions": pictures are copied into the pool directly, no
//! GStreamer. Stoppable like a GStreamer session: a copy waiting for a free
//! pool buffer gives up once the session is stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use proj_buffers::{import_packed, BufferGenerator, Packed, VideoFormat};
use proj_frame::VideoFrame;

use crate::buffer_wait::{wait_for_buffer, Waited};
use crate::output::{DecodedFrame, DecoderParameters, Output};
use crate::timing::Timing;

#[derive(Debug)]
pub(crate) struct RawSession {
    pub params: DecoderParameters,
    generator: BufferGenerator,
    channels: usize,
    stopped: Arc<AtomicBool>,
}

impl RawSession {
    pub fn new(params: DecoderParameters, generator: BufferGenerator, channels: usize) -> Self {
        Self {
            params,
            generator,
            channels,
            stopped: Arc::default(),
        }
    }

    /// The flag that stops this session from any thread.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stopped)
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// Copies one picture into a pool buffer, waiting while the consumer
    /// holds every buffer (back-pressure) until the session is stopped.
    pub fn picture(
        &self,
        frame: VideoFrame,
        data: &[u8],
        t: Timing,
        stall: impl Fn(String),
    ) -> Output {
        let id = frame.uuid().as_u128();
        let buffer = match wait_for_buffer(
            &self.generator,
            Some(id),
            || self.stopped.load(Ordering::Acquire),
            stall,
        ) {
            Waited::Buffer(buffer) => buffer,
            Waited::Stopped => {
                return Output::Error {
                    message: "the decoder shut down while waiting for a free output buffer".into(),
                    frames: vec![frame],
                }
            }
            Waited::Failed(e) => {
                return Output::Error {
                    message: format!("no output buffer: {e}"),
                    frames: vec![frame],
                }
            }
        };
        let packed = Packed {
            width: self.params.width,
            height: self.params.height,
            data,
            stride: self.params.width as usize * self.channels,
            channels: self.channels,
        };
        let written = buffer
            .with_surface_mut(0, |surface| import_packed(surface, &packed))
            .and_then(|r| r);
        if let Err(e) = written {
            return Output::Error {
                message: format!("could not copy the raw picture: {e}"),
                frames: vec![frame],
            };
        }
        buffer.set_pts_ns(Some(t.pts_ns));
        buffer.set_duration_ns(t.duration_ns);
        let decoded = DecodedFrame {
            frame_id: Some(id),
            pts_ns: t.pts_ns,
            dts_ns: t.dts_ns,
            duration_ns: t.duration_ns,
            codec: self.params.codec,
            format: VideoFormat::Rgba,
            width: self.params.width,
            height: self.params.height,
        };
        Output::Frame {
            frame,
            decoded,
            buffer,
        }
    }
}
