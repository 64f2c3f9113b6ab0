use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_frame::{self as pf, IdPolicy, Rational, TranscodingMethod, VideoCodec};

use crate::convert::saturating_u32;
use crate::error::{from_frame, Code};
use crate::frame::attribute::{invalid, AttributeJs};
use crate::frame::bbox::RBBoxJs;
use crate::frame::content::FrameContentJs;
use crate::frame::object::VideoObjectJs;
use crate::frame::transformation::TransformationJs;
use crate::timestamp::ticks;

#[napi(object)]
#[derive(Debug)]
pub struct RationalJs {
    pub num: i64,
    pub den: i64,
}

/// What `new VideoFrame()` takes; the TS wrapper fills the defaults.
#[napi(object)]
#[allow(missing_debug_implementations)] // napi's Buffer has no Debug
pub struct VideoFrameInit {
    pub source_id: String,
    pub fps: RationalJs,
    pub width: i64,
    pub height: i64,
    pub content: Option<FrameContentJs>,
    pub transcoding_method: Option<String>,
    pub codec: Option<String>,
    pub keyframe: Option<bool>,
    pub time_base: RationalJs,
    pub pts: BigInt,
    pub dts: Option<BigInt>,
    pub duration: Option<BigInt>,
}

#[napi(object)]
#[derive(Debug)]
pub struct TimingJs {
    pub pts: BigInt,
    pub dts: Option<BigInt>,
    pub duration: Option<BigInt>,
}

#[napi(object)]
#[derive(Debug)]
pub struct ChainGeometryJs {
    pub initial_width: u32,
    pub initial_height: u32,
    pub current_width: u32,
    pub current_height: u32,
    pub scale_x: f64,
    pub scale_y: f64,
    pub offset_x: f64,
    pub offset_y: f64,
}

fn rational(name: &'static str, r: &RationalJs) -> Result<Rational, Code> {
    Rational::new(name, r.num, r.den).map_err(from_frame)
}

fn method(name: &str) -> Result<TranscodingMethod, Code> {
    match name {
        "copy" => Ok(TranscodingMethod::Copy),
        "encoded" => Ok(TranscodingMethod::Encoded),
        other => Err(from_frame(invalid(
            "transcodingMethod",
            format!("{other:?} is not copy or encoded"),
        ))),
    }
}

fn codec(name: Option<String>) -> Result<Option<VideoCodec>, Code> {
    name.map(|n| VideoCodec::from_name(&n))
        .transpose()
        .map_err(from_frame)
}

fn timing(t: &TimingJs) -> Result<(i64, Option<i64>, Option<i64>), Code> {
    Ok((
        ticks("pts", &t.pts)?,
        t.dts.as_ref().map(|v| ticks("dts", v)).transpose()?,
        t.duration
            .as_ref()
            .map(|v| ticks("duration", v))
            .transpose()?,
    ))
}

/// A video frame; see `proj_frame::VideoFrame`. Cloning the JS handle
/// (`frame.clone()` is a deep copy) is separate from sharing it with native
/// code, which holds the same `Arc`.
#[napi]
#[derive(Debug)]
pub struct VideoFrame {
    inner: Arc<Mutex<pf::VideoFrame>>,
}

impl VideoFrame {
    fn lock(&self) -> MutexGuard<'_, pf::VideoFrame> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A JS frame over a frame native code produced.
    pub fn from_model(frame: pf::VideoFrame) -> Self {
        Self {
            inner: Arc::new(Mutex::new(frame)),
        }
    }

    /// A copy of the frame (same uuid) for native code to own.
    pub fn model(&self) -> pf::VideoFrame {
        self.lock().clone()
    }
}

#[napi]
impl VideoFrame {
    #[napi(constructor, catch_unwind)]
    pub fn new(init: VideoFrameInit) -> Result<Self, Code> {
        let (pts, dts, duration) = timing(&TimingJs {
            pts: init.pts,
            dts: init.dts,
            duration: init.duration,
        })?;
        let params = pf::VideoFrameParams {
            source_id: init.source_id,
            fps: rational("fps", &init.fps)?,
            width: init.width,
            height: init.height,
            content: init
                .content
                .map(FrameContentJs::into_model)
                .transpose()
                .map_err(from_frame)?
                .unwrap_or(pf::FrameContent::None),
            transcoding_method: init
                .transcoding_method
                .as_deref()
                .map(method)
                .transpose()?
                .unwrap_or_default(),
            codec: codec(init.codec)?,
            keyframe: init.keyframe,
            time_base: rational("timeBase", &init.time_base)?,
            pts,
            dts,
            duration,
        };
        let frame = pf::VideoFrame::new(params).map_err(from_frame)?;
        Ok(Self {
            inner: Arc::new(Mutex::new(frame)),
        })
    }

    /// A deep copy with the same uuid.
    #[napi(catch_unwind)]
    pub fn copy(&self) -> Self {
        Self {
            inner: Arc::new(Mutex::new(self.lock().clone())),
        }
    }

    #[napi(getter)]
    pub fn uuid(&self) -> String {
        self.lock().uuid().to_string()
    }
    #[napi(getter)]
    pub fn source_id(&self) -> String {
        self.lock().source_id().to_owned()
    }
    #[napi(setter, catch_unwind)]
    pub fn set_source_id(&self, value: String) -> Result<(), Code> {
        self.lock().set_source_id(value).map_err(from_frame)
    }
    #[napi(getter)]
    pub fn fps(&self) -> RationalJs {
        let r = self.lock().fps();
        RationalJs {
            num: r.num,
            den: r.den,
        }
    }
    #[napi(setter, catch_unwind)]
    pub fn set_fps(&self, value: RationalJs) -> Result<(), Code> {
        let fps = rational("fps", &value)?;
        self.lock().set_fps(fps);
        Ok(())
    }
    #[napi(getter)]
    pub fn width(&self) -> i64 {
        self.lock().width()
    }
    #[napi(getter)]
    pub fn height(&self) -> i64 {
        self.lock().height()
    }
    #[napi(catch_unwind)]
    pub fn set_size(&self, width: i64, height: i64) -> Result<(), Code> {
        self.lock().set_size(width, height).map_err(from_frame)
    }
    #[napi(getter)]
    pub fn content(&self) -> FrameContentJs {
        FrameContentJs::from_model(self.lock().content())
    }
    #[napi(setter, catch_unwind)]
    pub fn set_content(&self, value: FrameContentJs) -> Result<(), Code> {
        let content = value.into_model().map_err(from_frame)?;
        self.lock().set_content(content);
        Ok(())
    }
    #[napi(getter)]
    pub fn transcoding_method(&self) -> String {
        match self.lock().transcoding_method() {
            TranscodingMethod::Copy => "copy",
            TranscodingMethod::Encoded => "encoded",
        }
        .into()
    }
    #[napi(setter, catch_unwind)]
    pub fn set_transcoding_method(&self, value: String) -> Result<(), Code> {
        let m = method(&value)?;
        self.lock().set_transcoding_method(m);
        Ok(())
    }
    #[napi(getter)]
    pub fn codec(&self) -> Option<String> {
        self.lock().codec().map(|c| c.name().to_owned())
    }
    #[napi(setter, catch_unwind)]
    pub fn set_codec(&self, value: Option<String>) -> Result<(), Code> {
        let c = codec(value)?;
        self.lock().set_codec(c);
        Ok(())
    }
    #[napi(getter)]
    pub fn keyframe(&self) -> Option<bool> {
        self.lock().keyframe()
    }
    #[napi(setter)]
    pub fn set_keyframe(&self, value: Option<bool>) {
        self.lock().set_keyframe(value);
    }
    #[napi(getter)]
    pub fn time_base(&self) -> RationalJs {
        let r = self.lock().time_base();
        RationalJs {
            num: r.num,
            den: r.den,
        }
    }
    #[napi(setter, catch_unwind)]
    pub fn set_time_base(&self, value: RationalJs) -> Result<(), Code> {
        let tb = rational("timeBase", &value)?;
        self.lock().set_time_base(tb);
        Ok(())
    }
    #[napi(getter)]
    pub fn pts(&self) -> BigInt {
        BigInt::from(self.lock().pts())
    }
    #[napi(getter)]
    pub fn dts(&self) -> Option<BigInt> {
        self.lock().dts().map(BigInt::from)
    }
    #[napi(getter)]
    pub fn duration(&self) -> Option<BigInt> {
        self.lock().duration().map(BigInt::from)
    }
    #[napi(catch_unwind)]
    pub fn set_timing(&self, timing_js: TimingJs) -> Result<(), Code> {
        let (pts, dts, duration) = timing(&timing_js)?;
        self.lock()
            .set_timing(pts, dts, duration)
            .map_err(from_frame)
    }

    // Transformations.

    #[napi(catch_unwind)]
    pub fn transformations(&self) -> Vec<TransformationJs> {
        self.lock()
            .transformations()
            .iter()
            .map(|t| (*t).into())
            .collect()
    }
    #[napi(catch_unwind)]
    pub fn add_transformation(&self, step: TransformationJs) -> Result<(), Code> {
        let step = step.into_model().map_err(from_frame)?;
        self.lock()
            .add_transformation(step)
            .map(drop)
            .map_err(from_frame)
    }
    #[napi(catch_unwind)]
    pub fn clear_transformations(&self) {
        self.lock().clear_transformations();
    }
    #[napi(catch_unwind)]
    pub fn geometry(&self) -> Result<ChainGeometryJs, Code> {
        let g = self.lock().geometry().map_err(from_frame)?;
        Ok(ChainGeometryJs {
            initial_width: saturating_u32(g.initial_size.0),
            initial_height: saturating_u32(g.initial_size.1),
            current_width: saturating_u32(g.current_size.0),
            current_height: saturating_u32(g.current_size.1),
            scale_x: g.affine.sx,
            scale_y: g.affine.sy,
            offset_x: g.affine.tx,
            offset_y: g.affine.ty,
        })
    }
    #[napi(catch_unwind)]
    pub fn transform_forward(&self) -> Result<(), Code> {
        self.lock().transform_forward().map_err(from_frame)
    }
    #[napi(catch_unwind)]
    pub fn transform_backward(&self) -> Result<(), Code> {
        self.lock().transform_backward().map_err(from_frame)
    }

    // Attributes.

    #[napi(catch_unwind)]
    pub fn attributes(&self) -> Vec<AttributeJs> {
        self.lock()
            .attributes()
            .iter()
            .map(AttributeJs::from_model)
            .collect()
    }
    #[napi(catch_unwind)]
    pub fn get_attribute(&self, namespace: String, name: String) -> Option<AttributeJs> {
        self.lock()
            .attribute(&namespace, &name)
            .map(AttributeJs::from_model)
    }
    #[napi(catch_unwind)]
    pub fn set_attribute(&self, attribute: AttributeJs) -> Result<Option<AttributeJs>, Code> {
        let attribute = attribute.into_model().map_err(from_frame)?;
        let replaced = self.lock().set_attribute(attribute).map_err(from_frame)?;
        Ok(replaced.as_ref().map(AttributeJs::from_model))
    }
    #[napi(catch_unwind)]
    pub fn delete_attribute(&self, namespace: String, name: String) -> Option<AttributeJs> {
        self.lock()
            .delete_attribute(&namespace, &name)
            .as_ref()
            .map(AttributeJs::from_model)
    }
    #[napi(catch_unwind)]
    pub fn delete_temporary_attributes(&self) {
        self.lock().delete_temporary_attributes();
    }

    // Objects.

    #[napi(catch_unwind)]
    pub fn objects(&self) -> Vec<VideoObjectJs> {
        self.lock()
            .objects()
            .map(VideoObjectJs::from_model)
            .collect()
    }
    #[napi(getter)]
    pub fn object_count(&self) -> u32 {
        saturating_u32(self.lock().object_count())
    }
    #[napi(catch_unwind)]
    pub fn get_object(&self, id: i64) -> Result<VideoObjectJs, Code> {
        let frame = self.lock();
        let object = frame.object(id).map_err(from_frame)?;
        Ok(VideoObjectJs::from_model(object))
    }
    /// Returns the id the object got. `idPolicy`: `error` (default),
    /// `generateNewId`, `overwrite`; an object without an id always gets a
    /// new one.
    #[napi(catch_unwind)]
    pub fn add_object(
        &self,
        object: VideoObjectJs,
        id_policy: Option<String>,
    ) -> Result<i64, Code> {
        let policy = match (object.id, id_policy.as_deref()) {
            (None, _) => IdPolicy::GenerateNewId,
            (_, None | Some("error")) => IdPolicy::Error,
            (_, Some("generateNewId")) => IdPolicy::GenerateNewId,
            (_, Some("overwrite")) => IdPolicy::Overwrite,
            (_, Some(other)) => {
                return Err(from_frame(invalid(
                    "idPolicy",
                    format!("{other:?} is not error, generateNewId or overwrite"),
                )))
            }
        };
        let object = object.into_model(0).map_err(from_frame)?;
        self.lock().add_object(object, policy).map_err(from_frame)
    }
    #[napi(catch_unwind)]
    pub fn update_object(&self, object: VideoObjectJs) -> Result<(), Code> {
        let Some(id) = object.id else {
            return Err(from_frame(invalid(
                "object",
                "updateObject needs the object's id",
            )));
        };
        let object = object.into_model(id).map_err(from_frame)?;
        self.lock().update_object(object).map_err(from_frame)
    }
    #[napi(catch_unwind)]
    pub fn delete_object(&self, id: i64) -> Result<VideoObjectJs, Code> {
        let object = self.lock().delete_object(id).map_err(from_frame)?;
        Ok(VideoObjectJs::from_model(&object))
    }
    #[napi(catch_unwind)]
    pub fn clear_objects(&self) {
        self.lock().clear_objects();
    }
    #[napi(catch_unwind)]
    pub fn set_object_attribute(
        &self,
        id: i64,
        attribute: AttributeJs,
    ) -> Result<Option<AttributeJs>, Code> {
        let attribute = attribute.into_model().map_err(from_frame)?;
        let replaced = self
            .lock()
            .set_object_attribute(id, attribute)
            .map_err(from_frame)?;
        Ok(replaced.as_ref().map(AttributeJs::from_model))
    }

    /// The detection boxes' wrapping boxes, for drawing or export.
    #[napi(catch_unwind)]
    pub fn wrapping_boxes(&self) -> Vec<RBBoxJs> {
        self.lock()
            .objects()
            .map(|o| o.detection_box.wrapping_box().into())
            .collect()
    }
}

/// Parses a video codec name (case-insensitive; `avc`, `h265` aliases) and
/// returns its canonical name.
#[napi(catch_unwind)]
pub fn video_codec_from_name(name: String) -> Result<String, Code> {
    VideoCodec::from_name(&name)
        .map(|c| c.name().to_owned())
        .map_err(from_frame)
}
