use napi::bindgen_prelude::*;
use proj_buffers::{SavantIdMetaKind, SavantIds};

use crate::error::{invalid_argument, Code};

/// A u128 id from a JS bigint.
pub fn id_from_bigint(name: &str, value: &BigInt) -> std::result::Result<u128, Error<Code>> {
    let too_big = || invalid_argument(format!("{name} must be between 0 and 2^128-1"));
    if value.sign_bit && value.words.iter().any(|&w| w != 0) {
        return Err(too_big());
    }
    match value.words.as_slice() {
        [] => Ok(0),
        [lo] => Ok(u128::from(*lo)),
        [lo, hi] => Ok(u128::from(*lo) | (u128::from(*hi) << 64)),
        _ => Err(too_big()),
    }
}

pub fn id_to_bigint(id: u128) -> BigInt {
    // Splitting a u128 into its two 64-bit halves.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the low and high 64 bits of a 128-bit id, on purpose"
    )]
    let words = vec![id as u64, (id >> 64) as u64];
    BigInt {
        sign_bit: false,
        words,
    }
}

/// `{ kind: 'frame' | 'batch', id: bigint }`.
#[napi_derive::napi(object)]
#[derive(Debug)]
pub struct SavantId {
    pub kind: String,
    pub id: BigInt,
}

pub fn ids_from_js(ids: Option<Vec<SavantId>>) -> std::result::Result<SavantIds, Error<Code>> {
    ids.unwrap_or_default()
        .iter()
        .map(|entry| {
            let kind = match entry.kind.as_str() {
                "frame" => SavantIdMetaKind::Frame,
                "batch" => SavantIdMetaKind::Batch,
                other => {
                    return Err(invalid_argument(format!(
                        "id kind {other:?} is not frame or batch"
                    )))
                }
            };
            Ok((kind, id_from_bigint("id", &entry.id)?))
        })
        .collect()
}

pub fn ids_to_js(ids: &SavantIds) -> Vec<SavantId> {
    ids.iter()
        .map(|(kind, id)| SavantId {
            kind: match kind {
                SavantIdMetaKind::Frame => "frame",
                SavantIdMetaKind::Batch => "batch",
            }
            .into(),
            id: id_to_bigint(*id),
        })
        .collect()
}
