// Cuts an H.264 Annex-B byte stream into access units. Encoders asked to
// (x264 `aud=1`, most cameras) put an access unit delimiter (NAL type 9) in
// front of every frame, which makes the cut a byte search.

const DELIMITER = Buffer.from([0, 0, 1, 9]);

/** Yields Annex-B access units, each starting at an access unit delimiter,
 * from a stream of arbitrary chunks. */
export async function* accessUnits(stream) {
  let pending = Buffer.alloc(0);
  let scanFrom = 1;
  for await (const chunk of stream) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let start = 0;
    for (let next = findDelimiter(pending, scanFrom); next >= 0; next = findDelimiter(pending, next + 1)) {
      yield pending.subarray(start, next);
      start = next;
    }
    pending = pending.subarray(start);
    // A delimiter may straddle this chunk and the next.
    scanFrom = Math.max(1, pending.length - 4);
  }
  if (pending.length > 0) yield pending;
}

/** Offset of the start code (3 or 4 bytes) of the first delimiter at or
 * after `from`, or -1. nal_ref_idc is always 0 in a delimiter. */
export function findDelimiter(bytes, from) {
  for (let at = bytes.indexOf(DELIMITER, from); at >= 0; at = bytes.indexOf(DELIMITER, at + 1)) {
    const start = at > 0 && bytes[at - 1] === 0 ? at - 1 : at;
    if (start >= from) return start;
  }
  return -1;
}
