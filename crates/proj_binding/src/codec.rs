use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_gstreamer::Codec;

use crate::entry::entry;
use crate::error::{from_gstreamer, Code};

/// Parses a codec name (case-insensitive) and returns its canonical name.
#[napi]
pub fn codec_from_name(name: String) -> Result<String, Code> {
    entry("codec_from_name", || {
        Codec::from_name(&name)
            .map(|codec| codec.name().to_owned())
            .map_err(from_gstreamer)
    })
}
