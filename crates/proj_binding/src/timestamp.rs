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

/// A signed tick count in a frame's time base (`pts`, `dts`, `duration`);
/// the frame model rejects negative ones with its own error.
pub fn ticks(name: &str, value: &BigInt) -> Result<i64, Code> {
    let (ticks, lossless) = value.get_i64();
    if !lossless {
        return Err(invalid_argument(format!("{name} does not fit in 64 bits")));
    }
    Ok(ticks)
}
