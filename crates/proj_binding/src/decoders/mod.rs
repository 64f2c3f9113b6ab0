//! The decoders crate (`proj_decoders`) for JS. Every call on a decoder
//! (submit, source EOS, shutdown) goes through one ordered queue served by
//! the decoder's own thread, so the JS thread never waits for GStreamer and
//! frames reach the decoder in the order they were submitted; each call's
//! Promise settles when the decoder has taken it. Outputs come back on the
//! JS thread through a threadsafe function.

mod config;
mod decoder;
mod output;
mod pool;
