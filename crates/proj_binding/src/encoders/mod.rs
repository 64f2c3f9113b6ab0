//! The encoders crate (`proj_encoders`) for JS: so far the configuration,
//! checked natively when a TypeScript config or property set is built, and
//! the CPU encoder a config maps onto.

mod config;
mod encoder;

pub(crate) use encoder::with_frame_data;
pub use encoder::BackendChange;
