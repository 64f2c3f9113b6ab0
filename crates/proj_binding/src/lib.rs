#![cfg_attr(
    test,
    allow(
        dead_code,
        reason = "napi registers the exported functions only outside unit tests"
    )
)]
//! `@proj/native`: the only crate with `#[napi]`. Each module wraps one
//! library type; `error` maps library errors to stable JS error codes.

mod buffers;
mod chunked_writer;
mod codec;
#[cfg(test)]
mod codes_test;
mod convert;
mod decoders;
mod draw;
mod encoders;
mod entry;
mod error;
mod frame;
mod gpu;
mod held;
mod log;
mod media_source;
mod mp4_muxer;
mod queue;
mod recording;
mod timestamp;
mod workers;
