use napi::bindgen_prelude::*;

use crate::error::{invalid_argument, Code};

/// A nanosecond timestamp from JS: a non-negative bigint that fits in u64.
/// (The TS wrappers convert `number | bigint` and reject bad numbers first.)
pub fn nanoseconds(name: &str, value: &BigInt) -> Result<u64, Code> {
    let (negative, ns, lossless) = value.get_u64();
    if negative && ns != 0 {
        return Err(invalid_argument(format!("{name} must not be negative")));
    }
    if !lossless {
        return Err(invalid_argument(format!("{name} does not fit in 64 bits")));
    }
    Ok(ns)
}
