//! The frame model (`proj_frame`) for JS: `VideoFrame` is a class, so
//! decoders and Picasso can take the same native frame; boxes, objects,
//! attributes and transformations cross as plain objects.

mod attribute;
mod bbox;
mod content;
mod object;
mod transformation;
mod video_frame;

pub(crate) use object::VideoObject;
pub(crate) use video_frame::VideoFrame;
