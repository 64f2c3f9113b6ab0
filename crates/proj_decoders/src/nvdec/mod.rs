//! NVDEC: which decoder element a session gets (NVDEC for the pool's GPU,
//! else software), the caps that keep its output on the GPU, the routes a
//! stream shape degrades through (`route.rs`), GStreamer's CUDA context and
//! memory (`cuda.rs`) and the FFI behind them (`sys.rs`).

pub(crate) mod cuda;
pub(crate) mod route;
mod sys;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use proj_buffers::{BufferGenerator, MemType};

use crate::config::{CudadecMemtype, DecoderConfig, JpegBackend};
use crate::error::gst_failed;
use crate::output::DecoderParameters;
use crate::Result;
use cuda::SharedContext;
use route::Route;

/// The GStreamer decoder elements for a config: NVDEC (`nvcodec`) and
/// software, best first.
fn decoder_elements(config: &DecoderConfig) -> (&'static [&'static str], &'static [&'static str]) {
    match config {
        DecoderConfig::H264 { .. } => (&["nvh264dec"], &["avdec_h264"]),
        DecoderConfig::Hevc { .. } => (&["nvh265dec"], &["avdec_h265"]),
        DecoderConfig::Vp8(_) => (&["nvvp8dec"], &["avdec_vp8", "vp8dec"]),
        DecoderConfig::Vp9(_) => (&["nvvp9dec"], &["avdec_vp9", "vp9dec"]),
        DecoderConfig::Av1(_) => (&["nvav1dec"], &["dav1ddec", "av1dec"]),
        DecoderConfig::Jpeg(JpegBackend::Gpu) => (&["nvjpegdec"], &["jpegdec"]),
        DecoderConfig::Jpeg(JpegBackend::Cpu) => (&[], &["jpegdec"]),
        DecoderConfig::Png => (&[], &["pngdec"]),
        DecoderConfig::RawRgb { .. } | DecoderConfig::RawRgba { .. } => (&[], &[]),
    }
}

/// Whether NVDEC's JPEG decoder takes pictures of this size: both sides at
/// least 16 and multiples of 8 (as the reference checks).
fn nvjpeg_size(params: DecoderParameters) -> bool {
    [params.width, params.height]
        .iter()
        .all(|&side| side >= 16 && side % 8 == 0)
}

/// The decoder element and its route: NVDEC registered for the pool's GPU
/// where the pool is CUDA memory and the stream's route allows, with the
/// CUDA context to share when the pool is device (or unified) memory and
/// the context can be made (else its output goes through system memory);
/// software otherwise and as the fallback.
pub(crate) fn decoder_element(
    config: &DecoderConfig,
    params: DecoderParameters,
    generator: &BufferGenerator,
) -> Result<(gst::Element, Route, Option<SharedContext>)> {
    let (hardware, software) = decoder_elements(config);
    let route = route::best(generator.options().gpu_id, params);
    let hardware_takes_it = !matches!(config, DecoderConfig::Jpeg(_)) || nvjpeg_size(params);
    if generator.mem_type() != MemType::System && hardware_takes_it && route < Route::Software {
        let gpu_id = generator.options().gpu_id;
        let found = hardware
            .iter()
            .filter(|name| gst::ElementFactory::find(name).is_some())
            .find_map(|name| cuda::element_for_gpu(name, gpu_id));
        if let Some(element) = found {
            // Pinned host memory takes NVDEC's output through system memory.
            let device_pool = matches!(
                generator.mem_type(),
                MemType::CudaDevice | MemType::CudaUnified
            );
            let cuda = (device_pool && route == Route::GpuMemory)
                .then(|| cuda::shared_context(gpu_id))
                .and_then(|shared| {
                    shared
                        .map_err(|reason| {
                            tracing::warn!("NVDEC output goes through system memory: {reason}");
                        })
                        .ok()
                });
            let route = if cuda.is_some() {
                Route::GpuMemory
            } else {
                Route::SystemMemory
            };
            return Ok((element, route, cuda));
        }
    }
    software
        .iter()
        .find_map(|name| gst::ElementFactory::make(name).build().ok())
        .map(|element| (element, Route::Software, None))
        .ok_or_else(|| {
            gst_failed(
                "find a decoder",
                format!(
                    "no GStreamer decoder for {} is installed",
                    config.codec().name()
                ),
            )
        })
}

/// What the appsink takes: NV12 in CUDA memory first where NVDEC shares
/// our context (videoconvert passes it through), then host pictures.
pub(crate) fn sink_caps(cuda: bool) -> gst::Caps {
    let host = gst::Caps::builder("video/x-raw")
        .field("format", gst::List::new(["I420", "NV12", "RGBA"]))
        .build();
    if !cuda {
        return host;
    }
    let mut caps = gst::Caps::builder("video/x-raw")
        .features(["memory:CUDAMemory"])
        .field("format", "NV12")
        .build();
    caps.make_mut().append(host);
    caps
}

/// Whether an encoded stream's caps (from its parser) allow NV12 output:
/// 8-bit 4:2:0, or not said. NVDEC picks CUDA memory whenever downstream
/// offers it, whatever the format, so a 10-bit or 4:4:4 stream must not be
/// offered the NV12-only CUDA caps.
fn decodes_to_nv12(caps: &gst::CapsRef) -> bool {
    caps.structure(0).is_none_or(|s| {
        s.get::<&str>("chroma-format")
            .map_or(true, |c| c == "4:2:0")
            && s.get::<u32>("bit-depth-luma").map_or(true, |d| d == 8)
    })
}

/// Withdraws the CUDA caps from `appsink` when the stream reaching the
/// decoder is not 8-bit 4:2:0 (and offers them again when it is), before
/// the decoder negotiates its output.
pub(crate) fn offer_cuda_only_for_nv12(decoder: &gst::Element, appsink: &gst_app::AppSink) {
    let Some(pad) = decoder.static_pad("sink") else {
        return;
    };
    let sink = appsink.downgrade();
    pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
        if let (Some(event), Some(sink)) = (info.event(), sink.upgrade()) {
            if let gst::EventView::Caps(c) = event.view() {
                sink.set_caps(Some(&sink_caps(decodes_to_nv12(c.caps()))));
            }
        }
        gst::PadProbeReturn::Ok
    });
}

/// Sets the config's hardware options on the decoder element where it has
/// the property (see `HardwareOptions`); elsewhere they are hints, skipped
/// with a log line.
pub(crate) fn apply_hardware_options(decoder: &gst::Element, config: &DecoderConfig) {
    let options = match config {
        DecoderConfig::H264 { options, .. }
        | DecoderConfig::Hevc { options, .. }
        | DecoderConfig::Vp8(options)
        | DecoderConfig::Vp9(options)
        | DecoderConfig::Av1(options) => *options,
        _ => return,
    };
    let memtype = options.cudadec_memtype.map(|m| match m {
        CudadecMemtype::Device => "0",
        CudadecMemtype::Pinned => "1",
        CudadecMemtype::Unified => "2",
    });
    let settings = [
        (
            "num-extra-surfaces",
            options.num_extra_surfaces.map(|v| v.to_string()),
        ),
        (
            "drop-frame-interval",
            options.drop_frame_interval.map(|v| v.to_string()),
        ),
        ("cudadec-memtype", memtype.map(str::to_owned)),
        (
            "low-latency-mode",
            options.low_latency_mode.map(|v| v.to_string()),
        ),
        (
            "max-display-delay",
            options
                .low_latency_mode
                .filter(|&on| on)
                .map(|_| "0".into()),
        ),
    ];
    for (name, value) in settings {
        let Some(value) = value else { continue };
        if decoder.find_property(name).is_none() {
            tracing::debug!("{} has no property {name}; option ignored", decoder.name());
        } else if let Err(e) = proj_gstreamer::set_property(decoder, name, &value) {
            tracing::warn!("hardware decoder option ignored: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::make;
    use std::process::Command;

    /// An H.264 stream made by ffmpeg (libx264) in `pix_fmt`.
    fn h264(pix_fmt: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("proj-{}-{pix_fmt}.h264", std::process::id()));
        let status = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=160x120:rate=30",
            ])
            .args(["-frames:v", "5", "-c:v", "libx264", "-pix_fmt", pix_fmt])
            .arg(&path)
            .status();
        assert!(matches!(status, Ok(s) if s.success()), "ffmpeg: {status:?}");
        path
    }

    /// Decodes `path` through `h264parse ! avdec_h264 ! videoconvert !
    /// appsink` with the CUDA caps offered and withdrawn as a session does;
    /// returns the caps the appsink ends with and the pictures' caps.
    fn decode_offering_cuda(path: &std::path::Path) -> (gst::Caps, Vec<String>) {
        assert!(proj_gstreamer::init().is_ok());
        let pipeline = gst::Pipeline::new();
        let elements: Vec<gst::Element> = ["filesrc", "h264parse", "avdec_h264", "videoconvert"]
            .iter()
            .map(|name| make(name))
            .collect::<Result<_>>()
            .unwrap_or_default();
        assert_eq!(elements.len(), 4);
        elements[0].set_property("location", path.to_string_lossy().as_ref());
        let appsink = gst_app::AppSink::builder()
            .caps(&sink_caps(true))
            .sync(false)
            .build();
        offer_cuda_only_for_nv12(&elements[2], &appsink);
        let mut chain = elements.clone();
        chain.push(appsink.clone().upcast());
        assert!(pipeline.add_many(&chain).is_ok());
        assert!(gst::Element::link_many(&chain).is_ok());
        assert!(pipeline.set_state(gst::State::Playing).is_ok());
        let mut pictures = Vec::new();
        while let Ok(sample) = appsink.pull_sample() {
            pictures.extend(sample.caps().map(|c| c.to_string()));
        }
        let _ = pipeline.set_state(gst::State::Null);
        let _ = std::fs::remove_file(path);
        (
            appsink.caps().unwrap_or_else(gst::Caps::new_empty),
            pictures,
        )
    }

    /// An 8-bit 4:2:0 stream keeps the CUDA caps offered (NVDEC would take
    /// them) and a software decoder still negotiates host NV12/I420 past
    /// them; a 10-bit stream gets them withdrawn before the decoder
    /// negotiates, so NVDEC would output P010 to videoconvert in host
    /// memory instead of failing.
    #[test]
    fn cuda_caps_are_offered_only_for_8_bit_420() {
        let (caps, pictures) = decode_offering_cuda(&h264("yuv420p"));
        assert!(caps.to_string().contains("memory:CUDAMemory"), "{caps}");
        assert_eq!(pictures.len(), 5);
        assert!(
            pictures
                .iter()
                .all(|c| c.contains("I420") && !c.contains("CUDA")),
            "{pictures:?}"
        );

        let (caps, pictures) = decode_offering_cuda(&h264("yuv420p10le"));
        assert!(!caps.to_string().contains("memory:CUDAMemory"), "{caps}");
        assert_eq!(
            pictures.len(),
            5,
            "a 10-bit stream decodes to 8-bit host pictures"
        );

        let (caps, _) = decode_offering_cuda(&h264("yuv444p"));
        assert!(!caps.to_string().contains("memory:CUDAMemory"), "{caps}");
    }

    /// The bus error of a failed negotiation says `not-negotiated`, which
    /// is what moves a stream to its next route (`route.rs`).
    #[test]
    fn a_failed_negotiation_is_recognised_on_the_bus() {
        assert!(proj_gstreamer::init().is_ok());
        let pipeline = gst::Pipeline::new();
        let source = make("videotestsrc").unwrap_or_else(|_| gst::Bin::new().upcast());
        source.set_property("num-buffers", 2i32);
        let appsink = gst_app::AppSink::builder().build();
        assert!(pipeline.add_many([&source, appsink.upcast_ref()]).is_ok());
        assert!(source.link(&appsink).is_ok());
        // Caps the source cannot produce, set after linking.
        appsink.set_caps(Some(
            &"video/x-raw(memory:CUDAMemory)"
                .parse()
                .unwrap_or_else(|_| gst::Caps::new_empty()),
        ));
        assert!(pipeline.set_state(gst::State::Playing).is_ok());
        let bus = pipeline.bus();
        let message = bus.as_ref().and_then(|bus| {
            bus.timed_pop_filtered(
                gst::ClockTime::from_seconds(5),
                &[gst::MessageType::Error, gst::MessageType::Eos],
            )
        });
        let _ = pipeline.set_state(gst::State::Null);
        let text = match message.as_ref().map(|m| m.view()) {
            Some(gst::MessageView::Error(e)) => format!("{} {:?}", e.error(), e.debug()),
            _ => format!("no error: {message:?}"),
        };
        assert!(text.contains("not-negotiated"), "{text}");
    }

    #[test]
    fn stream_caps_without_depth_or_chroma_allow_nv12() {
        let parse = |s: &str| {
            s.parse::<gst::Caps>()
                .unwrap_or_else(|_| gst::Caps::new_empty())
        };
        assert!(proj_gstreamer::init().is_ok());
        assert!(decodes_to_nv12(&parse("video/x-vp8, width=(int)320")));
        assert!(!decodes_to_nv12(&parse(
            "video/x-av1, chroma-format=(string)4:2:0, bit-depth-luma=(uint)10"
        )));
        assert!(!decodes_to_nv12(&parse(
            "video/x-vp9, chroma-format=(string)4:4:4, bit-depth-luma=(uint)8"
        )));
    }
}
