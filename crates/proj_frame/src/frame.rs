use std::collections::BTreeMap;

use crate::error::invalid;
use crate::{
    Affine, Attribute, ChainGeometry, FrameError, IdPolicy, Rational, Result, Transformation,
    VideoCodec, VideoObject,
};

/// Where a frame's picture is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameContent {
    /// The encoded (or raw) bytes travel with the frame.
    Internal(Vec<u8>),
    /// Somewhere else: `method` says how to fetch it (e.g. `"s3"`), and
    /// `location` where.
    External {
        method: String,
        location: Option<String>,
    },
    /// No picture, metadata only.
    None,
}

/// Whether a frame's content is passed on as it came or re-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranscodingMethod {
    #[default]
    Copy,
    Encoded,
}

/// The widest side a frame may have: far beyond any sensor (16K is 15360).
pub const MAX_SIDE: i64 = 1 << 16;

/// Everything `VideoFrame::new` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrameParams {
    pub source_id: String,
    pub fps: Rational,
    pub width: i64,
    pub height: i64,
    pub content: FrameContent,
    pub transcoding_method: TranscodingMethod,
    pub codec: Option<VideoCodec>,
    pub keyframe: Option<bool>,
    /// Seconds per tick of `pts`, `dts` and `duration`.
    pub time_base: Rational,
    pub pts: i64,
    pub dts: Option<i64>,
    pub duration: Option<i64>,
}

/// A video frame: timing, content, attributes, objects and the chain of
/// transformations from the camera's picture to this one.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrame {
    uuid: uuid::Uuid,
    source_id: String,
    fps: Rational,
    width: i64,
    height: i64,
    content: FrameContent,
    transcoding_method: TranscodingMethod,
    codec: Option<VideoCodec>,
    keyframe: Option<bool>,
    time_base: Rational,
    pts: i64,
    dts: Option<i64>,
    duration: Option<i64>,
    transformations: Vec<Transformation>,
    attributes: Vec<Attribute>,
    objects: BTreeMap<i64, VideoObject>,
}

impl VideoFrame {
    /// Validates and builds a frame with a new time-ordered (v7) UUID and
    /// the chain `[InitialSize(width, height)]`.
    pub fn new(params: VideoFrameParams) -> Result<Self> {
        if params.source_id.is_empty() {
            return Err(invalid("sourceId", "must not be empty"));
        }
        let size = Self::side("width", params.width)?;
        let height = Self::side("height", params.height)?;
        Self::check_timing(params.pts, params.dts, params.duration)?;
        Ok(Self {
            uuid: uuid::Uuid::now_v7(),
            source_id: params.source_id,
            fps: params.fps,
            width: params.width,
            height: params.height,
            content: params.content,
            transcoding_method: params.transcoding_method,
            codec: params.codec,
            keyframe: params.keyframe,
            time_base: params.time_base,
            pts: params.pts,
            dts: params.dts,
            duration: params.duration,
            transformations: vec![Transformation::InitialSize {
                width: size,
                height,
            }],
            attributes: Vec::new(),
            objects: BTreeMap::new(),
        })
    }

    fn side(name: &'static str, value: i64) -> Result<u64> {
        u64::try_from(value)
            .ok()
            .filter(|&v| v > 0 && value <= MAX_SIDE)
            .ok_or_else(|| invalid(name, format!("{value} must be between 1 and {MAX_SIDE}")))
    }

    fn check_timing(pts: i64, dts: Option<i64>, duration: Option<i64>) -> Result<()> {
        if pts < 0 {
            return Err(invalid("pts", format!("{pts} is negative")));
        }
        if let Some(dts) = dts.filter(|&d| d < 0) {
            return Err(invalid("dts", format!("{dts} is negative")));
        }
        if let Some(duration) = duration.filter(|&d| d < 0) {
            return Err(invalid("duration", format!("{duration} is negative")));
        }
        Ok(())
    }

    pub fn uuid(&self) -> uuid::Uuid {
        self.uuid
    }
    pub fn source_id(&self) -> &str {
        &self.source_id
    }
    pub fn fps(&self) -> Rational {
        self.fps
    }
    pub fn width(&self) -> i64 {
        self.width
    }
    pub fn height(&self) -> i64 {
        self.height
    }
    pub fn content(&self) -> &FrameContent {
        &self.content
    }
    pub fn transcoding_method(&self) -> TranscodingMethod {
        self.transcoding_method
    }
    pub fn codec(&self) -> Option<VideoCodec> {
        self.codec
    }
    pub fn keyframe(&self) -> Option<bool> {
        self.keyframe
    }
    pub fn time_base(&self) -> Rational {
        self.time_base
    }
    pub fn pts(&self) -> i64 {
        self.pts
    }
    pub fn dts(&self) -> Option<i64> {
        self.dts
    }
    pub fn duration(&self) -> Option<i64> {
        self.duration
    }

    pub fn set_source_id(&mut self, source_id: String) -> Result<()> {
        if source_id.is_empty() {
            return Err(invalid("sourceId", "must not be empty"));
        }
        self.source_id = source_id;
        Ok(())
    }
    pub fn set_fps(&mut self, fps: Rational) {
        self.fps = fps;
    }
    /// Changes the size without touching the chain (a decoder learning the
    /// real size, say). Use `transform_*` to move objects.
    pub fn set_size(&mut self, width: i64, height: i64) -> Result<()> {
        Self::side("width", width)?;
        Self::side("height", height)?;
        self.width = width;
        self.height = height;
        Ok(())
    }
    pub fn set_content(&mut self, content: FrameContent) {
        self.content = content;
    }
    pub fn take_content(&mut self) -> FrameContent {
        std::mem::replace(&mut self.content, FrameContent::None)
    }
    pub fn set_transcoding_method(&mut self, method: TranscodingMethod) {
        self.transcoding_method = method;
    }
    pub fn set_codec(&mut self, codec: Option<VideoCodec>) {
        self.codec = codec;
    }
    pub fn set_keyframe(&mut self, keyframe: Option<bool>) {
        self.keyframe = keyframe;
    }
    pub fn set_time_base(&mut self, time_base: Rational) {
        self.time_base = time_base;
    }
    /// Sets all three together so they are checked together.
    pub fn set_timing(&mut self, pts: i64, dts: Option<i64>, duration: Option<i64>) -> Result<()> {
        Self::check_timing(pts, dts, duration)?;
        self.pts = pts;
        self.dts = dts;
        self.duration = duration;
        Ok(())
    }

    // Transformations.

    pub fn transformations(&self) -> &[Transformation] {
        &self.transformations
    }

    /// Appends a step; the chain must stay valid (see [`ChainGeometry::of`]).
    pub fn add_transformation(&mut self, step: Transformation) -> Result<ChainGeometry> {
        let mut chain = self.transformations.clone();
        chain.push(step);
        let geometry = ChainGeometry::of(&chain)?;
        self.transformations = chain;
        Ok(geometry)
    }

    /// Resets the chain to `[InitialSize(width, height)]` of the frame now.
    pub fn clear_transformations(&mut self) {
        self.transformations = vec![Transformation::InitialSize {
            width: self.width.unsigned_abs(),
            height: self.height.unsigned_abs(),
        }];
    }

    pub fn geometry(&self) -> Result<ChainGeometry> {
        ChainGeometry::of(&self.transformations)
    }

    /// Objects are in the initial picture's coordinates; moves them into
    /// the current picture's, makes the current size the frame's size and
    /// the chain `[InitialSize(current)]`.
    pub fn transform_forward(&mut self) -> Result<()> {
        let geometry = self.geometry()?;
        self.rebase(geometry.affine, geometry.current_size)
    }

    /// Objects are in the current picture's coordinates; moves them back
    /// into the initial picture's, makes the initial size the frame's size
    /// and the chain `[InitialSize(initial)]`.
    pub fn transform_backward(&mut self) -> Result<()> {
        let geometry = self.geometry()?;
        self.rebase(geometry.affine.inverse(), geometry.initial_size)
    }

    fn rebase(&mut self, affine: Affine, (width, height): (u64, u64)) -> Result<()> {
        let width = i64::try_from(width).map_err(|_| invalid("width", "too large"))?;
        let height = i64::try_from(height).map_err(|_| invalid("height", "too large"))?;
        self.set_size(width, height)?;
        for object in self.objects.values_mut() {
            object.detection_box = affine.apply(&object.detection_box);
            object.track_box = object.track_box.map(|b| affine.apply(&b));
        }
        self.clear_transformations();
        Ok(())
    }

    // Attributes.

    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    pub fn attribute(&self, namespace: &str, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.key() == (namespace, name))
    }

    /// Adds or replaces the attribute with the same namespace and name;
    /// returns the one replaced.
    pub fn set_attribute(&mut self, attribute: Attribute) -> Result<Option<Attribute>> {
        attribute.validate()?;
        set_in(&mut self.attributes, attribute)
    }

    pub fn delete_attribute(&mut self, namespace: &str, name: &str) -> Option<Attribute> {
        let at = self
            .attributes
            .iter()
            .position(|a| a.key() == (namespace, name))?;
        Some(self.attributes.remove(at))
    }

    /// Removes the attributes that are not persistent, from the frame and
    /// its objects.
    pub fn delete_temporary_attributes(&mut self) {
        self.attributes.retain(|a| a.persistent);
        for object in self.objects.values_mut() {
            object.attributes.retain(|a| a.persistent);
        }
    }

    // Objects.

    pub fn objects(&self) -> impl Iterator<Item = &VideoObject> {
        self.objects.values()
    }

    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    pub fn object(&self, id: i64) -> Result<&VideoObject> {
        self.objects
            .get(&id)
            .ok_or(FrameError::ObjectNotFound { id })
    }

    /// Adds an object; returns the id it got (see [`IdPolicy`]). Its
    /// parent, if any, must be in the frame.
    pub fn add_object(&mut self, mut object: VideoObject, policy: IdPolicy) -> Result<i64> {
        object.validate()?;
        if self.objects.contains_key(&object.id) {
            match policy {
                IdPolicy::Error => return Err(FrameError::DuplicateObjectId { id: object.id }),
                IdPolicy::GenerateNewId => object.id = self.next_object_id()?,
                IdPolicy::Overwrite => {}
            }
        }
        self.check_parent(object.id, object.parent_id)?;
        let id = object.id;
        self.objects.insert(id, object);
        Ok(id)
    }

    /// Replaces the object with the same id.
    pub fn update_object(&mut self, object: VideoObject) -> Result<()> {
        object.validate()?;
        self.object(object.id)?;
        self.check_parent(object.id, object.parent_id)?;
        self.objects.insert(object.id, object);
        Ok(())
    }

    /// Removes an object; its children lose their parent.
    pub fn delete_object(&mut self, id: i64) -> Result<VideoObject> {
        let object = self
            .objects
            .remove(&id)
            .ok_or(FrameError::ObjectNotFound { id })?;
        for child in self.objects.values_mut() {
            if child.parent_id == Some(id) {
                child.parent_id = None;
            }
        }
        Ok(object)
    }

    pub fn clear_objects(&mut self) {
        self.objects.clear();
    }

    /// Sets or replaces an attribute of an object.
    pub fn set_object_attribute(
        &mut self,
        id: i64,
        attribute: Attribute,
    ) -> Result<Option<Attribute>> {
        attribute.validate()?;
        let object = self
            .objects
            .get_mut(&id)
            .ok_or(FrameError::ObjectNotFound { id })?;
        set_in(&mut object.attributes, attribute)
    }

    fn next_object_id(&self) -> Result<i64> {
        let last = self.objects.keys().next_back().copied().unwrap_or(-1);
        last.checked_add(1)
            .ok_or_else(|| invalid("object id", "no free id after i64::MAX"))
    }

    /// `parent` exists and is not `id` nor one of its descendants (an
    /// update must not make a cycle that `add_object` would refuse).
    fn check_parent(&self, id: i64, parent: Option<i64>) -> Result<()> {
        let Some(first) = parent else {
            return Ok(());
        };
        if !self.objects.contains_key(&first) {
            return Err(invalid(
                "parentId",
                format!("object {first} is not in the frame"),
            ));
        }
        let mut ancestor = Some(first);
        for _ in 0..=self.objects.len() {
            match ancestor {
                Some(a) if a == id => {
                    return Err(invalid(
                        "parentId",
                        format!("object {first} descends from object {id}: a cycle"),
                    ))
                }
                Some(a) => ancestor = self.objects.get(&a).and_then(|o| o.parent_id),
                None => return Ok(()),
            }
        }
        Err(invalid("parentId", "the parent chain already has a cycle"))
    }
}

fn set_in(attributes: &mut Vec<Attribute>, attribute: Attribute) -> Result<Option<Attribute>> {
    match attributes.iter_mut().find(|a| a.key() == attribute.key()) {
        Some(existing) => Ok(Some(std::mem::replace(existing, attribute))),
        None => {
            attributes.push(attribute);
            Ok(None)
        }
    }
}
