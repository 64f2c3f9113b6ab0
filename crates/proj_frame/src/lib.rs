//! The frame model shared by decoders, transforms and Picasso: a
//! [`VideoFrame`] with its timing, content, attributes, objects and the chain
//! of geometric transformations between the camera's picture and the one the
//! frame now describes. Pure Rust, no GStreamer, no napi.

mod attribute;
mod bbox;
mod codec;
mod error;
mod frame;
mod object;
mod rational;
mod transformation;

pub use attribute::{Attribute, AttributeValue, Point, Value};
pub use bbox::RBBox;
pub use codec::VideoCodec;
pub use error::{FrameError, Result};
pub use frame::{FrameContent, TranscodingMethod, VideoFrame, VideoFrameParams};
pub use object::{IdPolicy, VideoObject};
pub use rational::Rational;
pub use transformation::{Affine, ChainGeometry, Transformation};
