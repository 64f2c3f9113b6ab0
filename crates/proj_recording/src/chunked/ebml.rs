//! Matroska at the level of its elements, for what GStreamer's demuxer
//! cannot do losslessly: it hands `S_TEXT/UTF8` blocks out as Pango markup
//! (escaped, UTF-8-checked), so a data track read back through it is not
//! byte-exact. Salvage and chunk merging therefore copy whole clusters:
//!
//! - salvage cuts a `.part` after its last whole block (a crash may have
//!   cut one), drops the seek head and cues that point past the cut, and
//!   gives every cluster its real size;
//! - merging chunks of one recording keeps the first chunk's header and
//!   appends every chunk's clusters (their timestamps are already on the
//!   recording's timeline), provided every chunk has the same tracks.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::error::{invalid, unsupported};
use crate::Result;

const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const CLUSTER: u32 = 0x1F43_B675;
const SEEK_HEAD: u32 = 0x114D_9B74;
const CUES: u32 = 0x1C53_BB6B;
const VOID: u32 = 0xEC;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
/// Top-level elements that end a cluster of unknown size.
const TOP: &[u32] = &[
    CLUSTER,
    CUES,
    SEEK_HEAD,
    0x1549_A966,
    TRACKS,
    0x1254_C367,
    0x1941_A469,
    0x1043_A770,
];

/// (id, header length, data size; `None`: unknown) of the element at `pos`.
fn header(buf: &[u8], pos: usize) -> Option<(u32, usize, Option<u64>)> {
    let first = *buf.get(pos)?;
    let id_len = first.leading_zeros() as usize + 1;
    if id_len > 4 {
        return None;
    }
    let id = buf
        .get(pos..pos + id_len)?
        .iter()
        .fold(0u32, |v, b| (v << 8) | u32::from(*b));
    let s = *buf.get(pos + id_len)?;
    let size_len = s.leading_zeros() as usize + 1;
    if size_len > 8 {
        return None;
    }
    let bytes = buf.get(pos + id_len..pos + id_len + size_len)?;
    let mask = if size_len == 8 { 0 } else { 0xFFu8 >> size_len };
    let mut value = u64::from(bytes[0] & mask);
    for b in &bytes[1..] {
        value = (value << 8) | u64::from(*b);
    }
    let all_ones = (1u64 << (7 * size_len)) - 1;
    let size = (value != all_ones).then_some(value);
    Some((id, id_len + size_len, size))
}

/// A block's track number (the vint at the start of its data).
fn track_of(buf: &[u8], pos: usize) -> Option<u64> {
    let first = *buf.get(pos)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut value = u64::from(first & mask);
    for b in buf.get(pos + 1..pos + len)? {
        value = (value << 8) | u64::from(*b);
    }
    Some(value)
}

fn vint8(n: u64) -> [u8; 8] {
    (n | (1 << 56)).to_be_bytes()
}

/// What a Matroska file holds, up to its last whole element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    ebml: Range<usize>,
    /// Whole top-level elements before the clusters that a copy keeps
    /// (info, tracks, tags…), in order.
    heads: Vec<Range<usize>>,
    tracks: Option<Range<usize>>,
    /// Each cluster's children (its timestamp and whole blocks).
    clusters: Vec<Range<usize>>,
    /// Blocks per track number.
    pub blocks: BTreeMap<u64, u64>,
    /// The file went on past its last whole element (a crash cut it).
    pub cut: bool,
}

pub(crate) fn scan(buf: &[u8]) -> Result<Layout> {
    let bad = |why: &str| invalid("file", format!("not a Matroska file: {why}"));
    let (id, h, size) = header(buf, 0).ok_or_else(|| bad("no EBML header"))?;
    if id != EBML {
        return Err(bad("no EBML header"));
    }
    let ebml_end = h + usize::try_from(size.ok_or_else(|| bad("EBML header of unknown size"))?)
        .map_err(|_| bad("EBML header too large"))?;
    let (id, h, size) = header(buf, ebml_end).ok_or_else(|| bad("no segment"))?;
    if id != SEGMENT {
        return Err(bad("no segment"));
    }
    let start = ebml_end + h;
    let end = size
        .and_then(|s| usize::try_from(s).ok())
        .map_or(buf.len(), |s| (start + s).min(buf.len()));
    let mut layout = Layout {
        ebml: 0..ebml_end,
        ..Layout::default()
    };
    let mut pos = start;
    while pos < end {
        let Some((id, h, size)) = header(buf, pos) else {
            layout.cut = true;
            break;
        };
        if id == CLUSTER {
            let data = pos + h;
            let limit = size
                .and_then(|s| usize::try_from(s).ok())
                .map_or(end, |s| (data + s).min(end));
            let (kept, next, whole) = cluster(buf, data, limit, &mut layout.blocks);
            if kept > data {
                layout.clusters.push(data..kept);
            }
            if !whole {
                layout.cut = true;
                break;
            }
            pos = next;
            continue;
        }
        let Some(len) = size.and_then(|s| usize::try_from(s).ok()) else {
            layout.cut = true;
            break;
        };
        let next = pos + h + len;
        if next > end {
            layout.cut = true;
            break;
        }
        if id == TRACKS {
            layout.tracks = Some(pos..next);
        }
        if layout.clusters.is_empty() && !matches!(id, SEEK_HEAD | CUES | VOID) {
            layout.heads.push(pos..next);
        }
        pos = next;
    }
    if layout.tracks.is_none() {
        return Err(bad("no tracks (nothing was written before the cut)"));
    }
    Ok(layout)
}

/// Walks a cluster's children from `data` to `limit`; returns the end of
/// its last whole child, where the next element starts, and whether the
/// cluster was whole.
fn cluster(
    buf: &[u8],
    data: usize,
    limit: usize,
    blocks: &mut BTreeMap<u64, u64>,
) -> (usize, usize, bool) {
    let mut pos = data;
    while pos < limit {
        let Some((id, h, size)) = header(buf, pos) else {
            return (pos, pos, false);
        };
        if TOP.contains(&id) {
            // The next top-level element: a cluster of unknown size ends.
            return (pos, pos, true);
        }
        let Some(len) = size.and_then(|s| usize::try_from(s).ok()) else {
            return (pos, pos, false);
        };
        let next = pos + h + len;
        if next > limit {
            return (pos, pos, false);
        }
        let track = match id {
            SIMPLE_BLOCK => track_of(buf, pos + h),
            BLOCK_GROUP => {
                let mut inner = pos + h;
                let mut found = None;
                while inner < next {
                    let Some((cid, ch, Some(cs))) = header(buf, inner) else {
                        break;
                    };
                    if cid == BLOCK {
                        found = track_of(buf, inner + ch);
                        break;
                    }
                    inner += ch + usize::try_from(cs).unwrap_or(usize::MAX / 2);
                }
                found
            }
            _ => None,
        };
        if let Some(t) = track {
            *blocks.entry(t).or_default() += 1;
        }
        pos = next;
    }
    (pos, pos, pos == limit)
}

/// (number, type, codec) of each track: what must match to append clusters.
fn track_signature(buf: &[u8], tracks: &Range<usize>) -> Vec<(u64, u64, Vec<u8>)> {
    let mut out = Vec::new();
    let Some((_, h, _)) = header(buf, tracks.start) else {
        return out;
    };
    let mut pos = tracks.start + h;
    while pos < tracks.end {
        let Some((id, h, Some(size))) = header(buf, pos) else {
            break;
        };
        let next = pos + h + usize::try_from(size).unwrap_or(usize::MAX / 2);
        if id == TRACK_ENTRY {
            let (mut number, mut kind, mut codec) = (0, 0, Vec::new());
            let mut inner = pos + h;
            while inner < next.min(buf.len()) {
                let Some((cid, ch, Some(cs))) = header(buf, inner) else {
                    break;
                };
                let body = buf
                    .get(inner + ch..inner + ch + usize::try_from(cs).unwrap_or(0))
                    .unwrap_or(&[]);
                let uint = body.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
                match cid {
                    TRACK_NUMBER => number = uint,
                    TRACK_TYPE => kind = uint,
                    CODEC_ID => codec = body.to_vec(),
                    _ => {}
                }
                inner += ch + usize::try_from(cs).unwrap_or(usize::MAX / 2);
            }
            out.push((number, kind, codec));
        }
        pos = next;
    }
    out
}

/// A whole Matroska file: `first`'s header, then the clusters of `files`
/// in order (each `(bytes, layout)`).
pub(crate) fn write(files: &[(&[u8], &Layout)]) -> Result<Vec<u8>> {
    let Some((first, head)) = files.first() else {
        return Err(invalid("inputs", "no file"));
    };
    let signature = |(buf, l): &(&[u8], &Layout)| {
        l.tracks
            .as_ref()
            .map(|t| track_signature(buf, t))
            .unwrap_or_default()
    };
    let want = signature(&files[0]);
    for f in &files[1..] {
        if signature(f) != want {
            return Err(unsupported(
                "chunks with different tracks (a stream was stalled when one opened): merge each run of like chunks separately",
            ));
        }
    }
    let total: usize = files
        .iter()
        .map(|(_, l)| l.clusters.iter().map(|c| c.len() + 12).sum::<usize>())
        .sum();
    let mut out = Vec::with_capacity(total + 4096);
    out.extend_from_slice(&first[head.ebml.clone()]);
    out.extend_from_slice(&SEGMENT.to_be_bytes());
    // Unknown size: valid for any length, and what a live writer leaves.
    out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    for range in &head.heads {
        out.extend_from_slice(&first[range.clone()]);
    }
    for (buf, layout) in files {
        for c in &layout.clusters {
            out.extend_from_slice(&CLUSTER.to_be_bytes());
            out.extend_from_slice(&vint8(c.len() as u64));
            out.extend_from_slice(&buf[c.clone()]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(id: u32, body: &[u8]) -> Vec<u8> {
        let mut v: Vec<u8> = id
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        v.extend_from_slice(&vint8(body.len() as u64));
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_cut_file_keeps_its_whole_blocks_and_counts_them() {
        let tracks = element(
            TRACKS,
            &element(
                TRACK_ENTRY,
                &[
                    element(TRACK_NUMBER, &[1]),
                    element(CODEC_ID, b"S_TEXT/UTF8"),
                ]
                .concat(),
            ),
        );
        let block = |t: u8, payload: &[u8]| {
            element(
                SIMPLE_BLOCK,
                &[&[0x80 | t, 0, 0, 0x80][..], payload].concat(),
            )
        };
        let cluster_body = [
            element(0xE7, &[0]),
            block(1, b"{\"a\":1}"),
            block(1, b"\x00\xff binary"),
            block(1, b"cut"),
        ]
        .concat();
        let mut file = element(
            EBML,
            &[
                0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's', b'k', b'a',
            ],
        );
        file.extend_from_slice(&SEGMENT.to_be_bytes());
        file.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        file.extend_from_slice(&tracks);
        file.extend_from_slice(&CLUSTER.to_be_bytes());
        file.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        file.extend_from_slice(&cluster_body);
        let cut = &file[..file.len() - 2];
        let layout = scan(cut).unwrap_or_default();
        assert!(layout.cut);
        assert_eq!(layout.blocks.get(&1), Some(&2));
        let fixed = write(&[(cut, &layout)]).unwrap_or_default();
        let again = scan(&fixed).unwrap_or_default();
        assert!(!again.cut);
        assert_eq!(again.blocks.get(&1), Some(&2));
        let whole = write(&[(cut, &layout), (&fixed, &again)]).unwrap_or_default();
        assert_eq!(scan(&whole).unwrap_or_default().blocks.get(&1), Some(&4));
    }
}
