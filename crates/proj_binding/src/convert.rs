/// A count or size for JS, where `u32` is the napi integer: values beyond
/// it (never seen in practice) read as `u32::MAX` rather than wrapping.
pub fn saturating_u32<T: TryInto<u32>>(value: T) -> u32 {
    value.try_into().unwrap_or(u32::MAX)
}
