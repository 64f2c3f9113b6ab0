use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_frame::{self as pf, IdPolicy, TranscodingMethod, VideoCodec};

use crate::convert::saturating_u32;
use crate::entry::entry;
use crate::error::{from_frame, Code};
use crate::frame::attribute::{invalid, Attribute};
use crate::frame::bbox::RbBox;
use crate::frame::content::FrameContent;
use crate::frame::object::VideoObject;
use crate::frame::transformation::Transformation;
use crate::timestamp::ticks;

#[napi(object)]
#[derive(Debug)]
pub struct Rational {
    pub num: i64,
    pub den: i64,
}

/// What `new VideoFrame()` takes; the TS wrapper fills the defaults.
#[napi(object)]
#[expect(missing_debug_implementations, reason = "napi's Buffer has no Debug")]
pub struct VideoFrameInit {
    pub source_id: String,
    pub fps: Rational,
    pub width: i64,
    pub height: i64,
    pub content: Option<FrameContent>,
    pub transcoding_method: Option<String>,
    pub codec: Option<String>,
    pub keyframe: Option<bool>,
    pub time_base: Rational,
    pub pts: BigInt,
    pub dts: Option<BigInt>,
    pub duration: Option<BigInt>,
}

#[napi(object)]
#[derive(Debug)]
pub struct Timing {
    pub pts: BigInt,
    pub dts: Option<BigInt>,
    pub duration: Option<BigInt>,
}

#[napi(object)]
#[derive(Debug)]
pub struct ChainGeometry {
    pub initial_width: u32,
    pub initial_height: u32,
    pub current_width: u32,
    pub current_height: u32,
    pub scale_x: f64,
    pub scale_y: f64,
    pub offset_x: f64,
    pub offset_y: f64,
}

fn rational(name: &'static str, r: &Rational) -> Result<pf::Rational, Code> {
    pf::Rational::new(name, r.num, r.den).map_err(from_frame)
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

fn timing(t: &Timing) -> Result<(i64, Option<i64>, Option<i64>), Code> {
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
    #[napi(constructor)]
    pub fn new(init: VideoFrameInit) -> Result<Self, Code> {
        entry("VideoFrame::new", || {
            let (pts, dts, duration) = timing(&Timing {
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
                    .map(FrameContent::into_model)
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
        })
    }

    /// A deep copy with the same uuid.
    #[napi]
    pub fn copy(&self) -> Result<Self, Code> {
        entry("VideoFrame::copy", || {
            Ok({
                Self {
                    inner: Arc::new(Mutex::new(self.lock().clone())),
                }
            })
        })
    }

    #[napi(getter)]
    pub fn uuid(&self) -> Result<String, Code> {
        entry("VideoFrame::uuid", || Ok(self.lock().uuid().to_string()))
    }
    #[napi(getter)]
    pub fn source_id(&self) -> Result<String, Code> {
        entry("VideoFrame::source_id", || {
            Ok(self.lock().source_id().to_owned())
        })
    }
    #[napi(setter)]
    pub fn set_source_id(&self, value: String) -> Result<(), Code> {
        entry("VideoFrame::set_source_id", || {
            self.lock().set_source_id(value).map_err(from_frame)
        })
    }
    #[napi(getter)]
    pub fn fps(&self) -> Result<Rational, Code> {
        entry("VideoFrame::fps", || {
            Ok({
                let r = self.lock().fps();
                Rational {
                    num: r.num,
                    den: r.den,
                }
            })
        })
    }
    #[napi(setter)]
    pub fn set_fps(&self, value: Rational) -> Result<(), Code> {
        entry("VideoFrame::set_fps", || {
            let fps = rational("fps", &value)?;
            self.lock().set_fps(fps);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn width(&self) -> Result<i64, Code> {
        entry("VideoFrame::width", || Ok(self.lock().width()))
    }
    #[napi(getter)]
    pub fn height(&self) -> Result<i64, Code> {
        entry("VideoFrame::height", || Ok(self.lock().height()))
    }
    #[napi]
    pub fn set_size(&self, width: i64, height: i64) -> Result<(), Code> {
        entry("VideoFrame::set_size", || {
            self.lock().set_size(width, height).map_err(from_frame)
        })
    }
    #[napi(getter)]
    pub fn content(&self) -> Result<FrameContent, Code> {
        entry("VideoFrame::content", || {
            Ok(FrameContent::from_model(self.lock().content()))
        })
    }
    #[napi(setter)]
    pub fn set_content(&self, value: FrameContent) -> Result<(), Code> {
        entry("VideoFrame::set_content", || {
            let content = value.into_model().map_err(from_frame)?;
            self.lock().set_content(content);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn transcoding_method(&self) -> Result<String, Code> {
        entry("VideoFrame::transcoding_method", || {
            Ok({
                match self.lock().transcoding_method() {
                    TranscodingMethod::Copy => "copy",
                    TranscodingMethod::Encoded => "encoded",
                }
                .into()
            })
        })
    }
    #[napi(setter)]
    pub fn set_transcoding_method(&self, value: String) -> Result<(), Code> {
        entry("VideoFrame::set_transcoding_method", || {
            let m = method(&value)?;
            self.lock().set_transcoding_method(m);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn codec(&self) -> Result<Option<String>, Code> {
        entry("VideoFrame::codec", || {
            Ok(self.lock().codec().map(|c| c.name().to_owned()))
        })
    }
    #[napi(setter)]
    pub fn set_codec(&self, value: Option<String>) -> Result<(), Code> {
        entry("VideoFrame::set_codec", || {
            let c = codec(value)?;
            self.lock().set_codec(c);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn keyframe(&self) -> Result<Option<bool>, Code> {
        entry("VideoFrame::keyframe", || Ok(self.lock().keyframe()))
    }
    #[napi(setter)]
    pub fn set_keyframe(&self, value: Option<bool>) -> Result<(), Code> {
        entry("VideoFrame::set_keyframe", || {
            self.lock().set_keyframe(value);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn time_base(&self) -> Result<Rational, Code> {
        entry("VideoFrame::time_base", || {
            Ok({
                let r = self.lock().time_base();
                Rational {
                    num: r.num,
                    den: r.den,
                }
            })
        })
    }
    #[napi(setter)]
    pub fn set_time_base(&self, value: Rational) -> Result<(), Code> {
        entry("VideoFrame::set_time_base", || {
            let tb = rational("timeBase", &value)?;
            self.lock().set_time_base(tb);
            Ok(())
        })
    }
    #[napi(getter)]
    pub fn pts(&self) -> Result<BigInt, Code> {
        entry("VideoFrame::pts", || Ok(BigInt::from(self.lock().pts())))
    }
    #[napi(getter)]
    pub fn dts(&self) -> Result<Option<BigInt>, Code> {
        entry("VideoFrame::dts", || {
            Ok(self.lock().dts().map(BigInt::from))
        })
    }
    #[napi(getter)]
    pub fn duration(&self) -> Result<Option<BigInt>, Code> {
        entry("VideoFrame::duration", || {
            Ok(self.lock().duration().map(BigInt::from))
        })
    }
    #[napi]
    pub fn set_timing(&self, value: Timing) -> Result<(), Code> {
        entry("VideoFrame::set_timing", || {
            let (pts, dts, duration) = timing(&value)?;
            self.lock()
                .set_timing(pts, dts, duration)
                .map_err(from_frame)
        })
    }

    // Transformations.

    #[napi]
    pub fn transformations(&self) -> Result<Vec<Transformation>, Code> {
        entry("VideoFrame::transformations", || {
            Ok({
                self.lock()
                    .transformations()
                    .iter()
                    .map(|t| (*t).into())
                    .collect()
            })
        })
    }
    #[napi]
    pub fn add_transformation(&self, step: Transformation) -> Result<(), Code> {
        entry("VideoFrame::add_transformation", || {
            let step = step.into_model().map_err(from_frame)?;
            self.lock()
                .add_transformation(step)
                .map(drop)
                .map_err(from_frame)
        })
    }
    #[napi]
    pub fn clear_transformations(&self) -> Result<(), Code> {
        entry("VideoFrame::clear_transformations", || {
            self.lock().clear_transformations();
            Ok(())
        })
    }
    #[napi]
    pub fn geometry(&self) -> Result<ChainGeometry, Code> {
        entry("VideoFrame::geometry", || {
            let g = self.lock().geometry().map_err(from_frame)?;
            Ok(ChainGeometry {
                initial_width: saturating_u32(g.initial_size.0),
                initial_height: saturating_u32(g.initial_size.1),
                current_width: saturating_u32(g.current_size.0),
                current_height: saturating_u32(g.current_size.1),
                scale_x: g.affine.sx,
                scale_y: g.affine.sy,
                offset_x: g.affine.tx,
                offset_y: g.affine.ty,
            })
        })
    }
    #[napi]
    pub fn transform_forward(&self) -> Result<(), Code> {
        entry("VideoFrame::transform_forward", || {
            self.lock().transform_forward().map_err(from_frame)
        })
    }
    #[napi]
    pub fn transform_backward(&self) -> Result<(), Code> {
        entry("VideoFrame::transform_backward", || {
            self.lock().transform_backward().map_err(from_frame)
        })
    }

    // Attributes.

    #[napi]
    pub fn attributes(&self) -> Result<Vec<Attribute>, Code> {
        entry("VideoFrame::attributes", || {
            Ok({
                self.lock()
                    .attributes()
                    .iter()
                    .map(Attribute::from_model)
                    .collect()
            })
        })
    }
    #[napi]
    pub fn get_attribute(
        &self,
        namespace: String,
        name: String,
    ) -> Result<Option<Attribute>, Code> {
        entry("VideoFrame::get_attribute", || {
            Ok({
                self.lock()
                    .attribute(&namespace, &name)
                    .map(Attribute::from_model)
            })
        })
    }
    #[napi]
    pub fn set_attribute(&self, attribute: Attribute) -> Result<Option<Attribute>, Code> {
        entry("VideoFrame::set_attribute", || {
            let attribute = attribute.into_model().map_err(from_frame)?;
            let replaced = self.lock().set_attribute(attribute).map_err(from_frame)?;
            Ok(replaced.as_ref().map(Attribute::from_model))
        })
    }
    #[napi]
    pub fn delete_attribute(
        &self,
        namespace: String,
        name: String,
    ) -> Result<Option<Attribute>, Code> {
        entry("VideoFrame::delete_attribute", || {
            Ok({
                self.lock()
                    .delete_attribute(&namespace, &name)
                    .as_ref()
                    .map(Attribute::from_model)
            })
        })
    }
    #[napi]
    pub fn delete_temporary_attributes(&self) -> Result<(), Code> {
        entry("VideoFrame::delete_temporary_attributes", || {
            self.lock().delete_temporary_attributes();
            Ok(())
        })
    }

    // Objects.

    #[napi]
    pub fn objects(&self) -> Result<Vec<VideoObject>, Code> {
        entry("VideoFrame::objects", || {
            Ok(self.lock().objects().map(VideoObject::from_model).collect())
        })
    }
    #[napi(getter)]
    pub fn object_count(&self) -> Result<u32, Code> {
        entry("VideoFrame::object_count", || {
            Ok(saturating_u32(self.lock().object_count()))
        })
    }
    #[napi]
    pub fn get_object(&self, id: i64) -> Result<VideoObject, Code> {
        entry("VideoFrame::get_object", || {
            let frame = self.lock();
            let object = frame.object(id).map_err(from_frame)?;
            Ok(VideoObject::from_model(object))
        })
    }
    /// Returns the id the object got. `idPolicy`: `error` (default),
    /// `generateNewId`, `overwrite`; an object without an id always gets a
    /// new one.
    #[napi]
    pub fn add_object(&self, object: VideoObject, id_policy: Option<String>) -> Result<i64, Code> {
        entry("VideoFrame::add_object", || {
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
        })
    }
    #[napi]
    pub fn update_object(&self, object: VideoObject) -> Result<(), Code> {
        entry("VideoFrame::update_object", || {
            let Some(id) = object.id else {
                return Err(from_frame(invalid(
                    "object",
                    "updateObject needs the object's id",
                )));
            };
            let object = object.into_model(id).map_err(from_frame)?;
            self.lock().update_object(object).map_err(from_frame)
        })
    }
    #[napi]
    pub fn delete_object(&self, id: i64) -> Result<VideoObject, Code> {
        entry("VideoFrame::delete_object", || {
            let object = self.lock().delete_object(id).map_err(from_frame)?;
            Ok(VideoObject::from_model(&object))
        })
    }
    #[napi]
    pub fn clear_objects(&self) -> Result<(), Code> {
        entry("VideoFrame::clear_objects", || {
            self.lock().clear_objects();
            Ok(())
        })
    }
    #[napi]
    pub fn set_object_attribute(
        &self,
        id: i64,
        attribute: Attribute,
    ) -> Result<Option<Attribute>, Code> {
        entry("VideoFrame::set_object_attribute", || {
            let attribute = attribute.into_model().map_err(from_frame)?;
            let replaced = self
                .lock()
                .set_object_attribute(id, attribute)
                .map_err(from_frame)?;
            Ok(replaced.as_ref().map(Attribute::from_model))
        })
    }

    /// The detection boxes' wrapping boxes, for drawing or export.
    #[napi]
    pub fn wrapping_boxes(&self) -> Result<Vec<RbBox>, Code> {
        entry("VideoFrame::wrapping_boxes", || {
            Ok({
                self.lock()
                    .objects()
                    .map(|o| o.detection_box.wrapping_box().into())
                    .collect()
            })
        })
    }
}

/// Parses a video codec name (case-insensitive; `avc`, `h265` aliases) and
/// returns its canonical name.
#[napi]
pub fn video_codec_from_name(name: String) -> Result<String, Code> {
    entry("video_codec_from_name", || {
        VideoCodec::from_name(&name)
            .map(|c| c.name().to_owned())
            .map_err(from_frame)
    })
}
