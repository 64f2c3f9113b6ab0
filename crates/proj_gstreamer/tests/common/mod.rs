//! What the muxer's integration tests share: frames made by GStreamer's
//! own encoders at test time.

#![allow(dead_code, reason = "each test binary uses a different part")]

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// One encoded frame as the encoder's appsink gets it.
pub struct Frame {
    pub data: Vec<u8>,
    pub pts_ns: u64,
    pub dts_ns: u64,
}

/// `frames` frames of videotestsrc's `pattern` at `size` and 30 fps,
/// encoded by `encode` (a pipeline fragment), in decode order.
pub fn encoded(pattern: &str, size: (u32, u32), frames: u32, encode: &str) -> Result<Vec<Frame>> {
    proj_gstreamer::init()?;
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers={frames} pattern={pattern} ! video/x-raw,width={},height={},framerate=30/1 \
         ! {encode} ! appsink name=sink sync=false",
        size.0, size.1
    ))?
    .downcast::<gst::Pipeline>()
    .map_err(|_| "not a pipeline")?;
    let sink = pipeline
        .by_name("sink")
        .ok_or("no appsink")?
        .downcast::<gst_app::AppSink>()
        .map_err(|_| "not an appsink")?;
    pipeline.set_state(gst::State::Playing)?;
    let mut out = Vec::new();
    while let Ok(sample) = sink.pull_sample() {
        let buffer = sample.buffer().ok_or("sample without buffer")?;
        let pts_ns = buffer.pts().ok_or("no pts")?.nseconds();
        out.push(Frame {
            data: buffer.map_readable()?.to_vec(),
            pts_ns,
            dts_ns: buffer.dts().map_or(pts_ns, |d| d.nseconds()),
        });
    }
    pipeline.set_state(gst::State::Null)?;
    Ok(out)
}
