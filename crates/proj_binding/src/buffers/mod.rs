//! The buffers crate (`proj_buffers`) for JS: generators, shared buffers,
//! surface views, transforms and batches. Waiting for a pooled buffer is a
//! Promise (a future on napi's runtime), never a blocked JS thread;
//! transforms run off the JS thread too.

mod batch;
mod config;
mod generator;
mod ids;
mod placement;
mod shared_buffer;
mod view;
mod wait;

pub(crate) use config::TransformConfig;
pub(crate) use ids::{id_from_bigint, id_to_bigint};
pub(crate) use shared_buffer::SharedBuffer;
