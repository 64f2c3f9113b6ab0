//! Checks one encoded frame before it enters the pipeline.
//!
//! GStreamer parsers drop or error on malformed input asynchronously, which
//! would lose frames silently or kill the whole pipeline. Checking each frame
//! up front lets `push` reject it with a typed error and keep the muxer usable.

use crate::{Codec, GstreamerError, Result};

/// What the muxer needs to know about a frame that passed the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessUnit {
    /// Decodable on its own (IDR/IRAP/key frame, or any image).
    pub keyframe: bool,
    /// Carries everything a decoder needs to start here (parameter sets or
    /// sequence header plus a keyframe).
    pub random_access: bool,
    /// Width and height, for images (read from the JPEG SOF or PNG IHDR).
    pub image_size: Option<(u32, u32)>,
}

/// Largest frame accepted: far above any real 8K intra frame.
pub const MAX_FRAME_BYTES: usize = 256 << 20;

/// Validates `data` as one frame of `codec` and classifies it.
pub fn inspect_access_unit(codec: Codec, data: &[u8]) -> Result<AccessUnit> {
    let invalid = |reason: String| GstreamerError::InvalidData { codec, reason };
    if data.is_empty() {
        return Err(invalid("the frame is empty".into()));
    }
    if data.len() > MAX_FRAME_BYTES {
        return Err(invalid(format!(
            "{} bytes exceeds the {MAX_FRAME_BYTES}-byte limit",
            data.len()
        )));
    }
    match codec {
        Codec::H264 => h264(data).map_err(invalid),
        Codec::Hevc => hevc(data).map_err(invalid),
        Codec::Av1 => av1(data).map_err(invalid),
        Codec::Jpeg => jpeg(data).map_err(invalid).map(image),
        Codec::Png => png(data).map_err(invalid).map(image),
    }
}

type Check<T> = std::result::Result<T, String>;

fn image(size: (u32, u32)) -> AccessUnit {
    AccessUnit {
        keyframe: true,
        random_access: true,
        image_size: Some(size),
    }
}

/// Splits an Annex-B byte stream into NAL units (start codes removed,
/// trailing zero bytes trimmed); `None` unless it begins with a start code
/// and holds no empty unit.
pub fn split_annex_b(data: &[u8]) -> Option<Vec<&[u8]>> {
    annex_b_nal_units(data).ok()
}

/// Splits a length-prefixed stream (4-byte big-endian sizes, as in MP4
/// `avc1`/`hvc1` samples) into NAL units; `None` unless the sizes cover the
/// data exactly and no unit is empty.
pub fn split_length_prefixed(data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut units = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (size, tail) = rest.split_first_chunk::<4>()?;
        let size = usize::try_from(u32::from_be_bytes(*size)).ok()?;
        if size == 0 || size > tail.len() {
            return None;
        }
        let (unit, next) = tail.split_at(size);
        units.push(unit);
        rest = next;
    }
    (!units.is_empty()).then_some(units)
}

/// Classifies the NAL units of one H.264 or HEVC access unit (however they
/// were framed) for a decoder: unlike the muxer's check, NAL unit types a
/// decoder skips (reserved, unspecified, other layers' units such as Dolby
/// Vision's) are allowed. Other codecs are an error.
pub fn inspect_nal_units(codec: Codec, units: &[&[u8]]) -> Result<AccessUnit> {
    let invalid = |reason: String| GstreamerError::InvalidData { codec, reason };
    match codec {
        Codec::H264 => h264_units(units, Rules::Decode).map_err(invalid),
        Codec::Hevc => hevc_units(units, Rules::Decode).map_err(invalid),
        _ => Err(invalid("only H.264 and HEVC are made of NAL units".into())),
    }
}

fn annex_b_nal_units(data: &[u8]) -> Check<Vec<&[u8]>> {
    let first = start_code_at(data, 0).ok_or(
        "not an Annex-B byte stream: it must start with a 00 00 01 or 00 00 00 01 start code",
    )?;
    let mut units = Vec::new();
    let mut start = first;
    // SIMD search: frames are hundreds of KB and every byte is scanned.
    for at in memchr::memmem::find_iter(&data[first..], &[0, 0, 1]) {
        let at = first + at;
        units.push(trim_trailing_zeros(&data[start..at]));
        start = at + 3;
    }
    units.push(trim_trailing_zeros(&data[start..]));
    if units.iter().any(|nal| nal.is_empty()) {
        return Err("contains an empty NAL unit".into());
    }
    Ok(units)
}

fn start_code_at(data: &[u8], at: usize) -> Option<usize> {
    match data.get(at..at + 4) {
        Some([0, 0, 0, 1]) => Some(at + 4),
        _ => matches!(data.get(at..at + 3), Some([0, 0, 1])).then_some(at + 3),
    }
}

fn trim_trailing_zeros(nal: &[u8]) -> &[u8] {
    let end = nal.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    &nal[..end]
}

/// Which NAL units an access unit may hold: what we mux, or anything a
/// decoder can skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    Mux,
    Decode,
}

fn h264(data: &[u8]) -> Check<AccessUnit> {
    h264_units(&annex_b_nal_units(data)?, Rules::Mux)
}

fn h264_units(units: &[&[u8]], rules: Rules) -> Check<AccessUnit> {
    let (mut sps, mut pps, mut idr, mut slice) = (false, false, false, false);
    for nal in units {
        let Some(&header) = nal.first() else {
            return Err("contains an empty NAL unit".into());
        };
        if header & 0x80 != 0 {
            return Err("a NAL unit has its forbidden_zero_bit set".into());
        }
        match header & 0x1f {
            1 => slice = true,
            5 => idr = true,
            7 => sps = true,
            8 => pps = true,
            // SEI, AUD, end of sequence/stream, filler, SPS extension,
            // prefix, subset SPS, auxiliary and extension slices.
            6 | 9..=15 | 19 | 20 => {}
            _ if rules == Rules::Decode => {}
            t => {
                return Err(format!(
                    "NAL unit type {t} is not valid in an H.264 stream we can mux"
                ))
            }
        }
    }
    if !(slice || idr) {
        return Err("the access unit has no coded slice".into());
    }
    Ok(AccessUnit {
        keyframe: idr,
        random_access: idr && sps && pps,
        image_size: None,
    })
}

fn hevc(data: &[u8]) -> Check<AccessUnit> {
    hevc_units(&annex_b_nal_units(data)?, Rules::Mux)
}

fn hevc_units(units: &[&[u8]], rules: Rules) -> Check<AccessUnit> {
    let (mut vps, mut sps, mut pps, mut irap, mut vcl) = (false, false, false, false, false);
    for nal in units {
        let [b0, b1, ..] = **nal else {
            return Err("a NAL unit is shorter than its 2-byte header".into());
        };
        if b0 & 0x80 != 0 {
            return Err("a NAL unit has its forbidden_zero_bit set".into());
        }
        let layer_id = ((b0 & 1) << 5) | (b1 >> 3);
        if b1 & 7 == 0 {
            return Err("a NAL unit header has a zero temporal id".into());
        }
        if layer_id != 0 {
            if rules == Rules::Mux {
                return Err("a NAL unit header has a non-zero layer id".into());
            }
            // Another layer's unit: the base-layer decoder skips it.
            continue;
        }
        match (b0 >> 1) & 0x3f {
            0..=9 => vcl = true,
            16..=21 => {
                vcl = true;
                irap = true;
            }
            32 => vps = true,
            33 => sps = true,
            34 => pps = true,
            35..=40 => {}
            _ if rules == Rules::Decode => {}
            t => return Err(format!("NAL unit type {t} is not valid in an HEVC stream")),
        }
    }
    if !vcl {
        return Err("the access unit has no coded slice".into());
    }
    Ok(AccessUnit {
        keyframe: irap,
        random_access: irap && vps && sps && pps,
        image_size: None,
    })
}

fn av1(data: &[u8]) -> Check<AccessUnit> {
    const SEQUENCE_HEADER: u8 = 1;
    const FRAME_HEADER: u8 = 3;
    const FRAME: u8 = 6;
    let mut rest = data;
    let (mut sequence_header, mut keyframe, mut frames) = (false, false, 0usize);
    while !rest.is_empty() {
        let header = rest[0];
        if header & 0x80 != 0 || header & 0x01 != 0 {
            return Err("an OBU header has its forbidden or reserved bit set".into());
        }
        let obu_type = (header >> 3) & 0x0f;
        if !matches!(obu_type, 1..=8 | 15) {
            return Err(format!("OBU type {obu_type} is reserved"));
        }
        let mut at = 1 + usize::from(header & 0x04 != 0);
        let size = if header & 0x02 != 0 {
            let (size, len) = leb128(rest.get(at..).ok_or("truncated OBU header")?)?;
            at += len;
            size
        } else {
            // Only the last OBU of a temporal unit may omit its size.
            rest.len().saturating_sub(at)
        };
        let payload = rest
            .get(at..)
            .and_then(|p| p.get(..size))
            .ok_or("an OBU is longer than the temporal unit (truncated data)")?;
        match obu_type {
            SEQUENCE_HEADER => sequence_header = true,
            FRAME_HEADER | FRAME => {
                // show_existing_frame = 0 and frame_type = KEY_FRAME (0).
                if frames == 0 && payload.first().is_some_and(|b| b & 0xe0 == 0) {
                    keyframe = true;
                }
                frames += 1;
            }
            _ => {}
        }
        rest = &rest[at + size..];
    }
    if frames == 0 {
        return Err("the temporal unit has no frame or frame header OBU".into());
    }
    Ok(AccessUnit {
        keyframe,
        random_access: keyframe && sequence_header,
        image_size: None,
    })
}

fn leb128(bytes: &[u8]) -> Check<(usize, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let value = usize::try_from(value).map_err(|_| "OBU size does not fit in memory")?;
            return Ok((value, i + 1));
        }
    }
    Err("malformed OBU size field".into())
}

fn jpeg(data: &[u8]) -> Check<(u32, u32)> {
    if !data.starts_with(&[0xff, 0xd8, 0xff]) {
        return Err("missing the JPEG start-of-image marker".into());
    }
    let end = data.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    if end < 4 || data[end - 2..end] != [0xff, 0xd9] {
        return Err("missing the JPEG end-of-image marker (truncated image)".into());
    }
    // Walk the marker segments up to a start-of-frame.
    let mut at = 2;
    while let Some(&[0xff, marker, hi, lo]) = data.get(at..at + 4) {
        match marker {
            0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => {
                // length (2), precision (1), height (2), width (2)
                let Some(&[h0, h1, w0, w1]) = data.get(at + 5..at + 9) else {
                    break;
                };
                let size = (
                    u32::from(u16::from_be_bytes([w0, w1])),
                    u32::from(u16::from_be_bytes([h0, h1])),
                );
                return non_zero(size);
            }
            0xda | 0xd9 => break,
            0xff => at += 1,
            _ => at += 2 + usize::from(u16::from_be_bytes([hi, lo])),
        }
    }
    Err("no start-of-frame marker before the image data".into())
}

fn png(data: &[u8]) -> Check<(u32, u32)> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    if !data.starts_with(&SIGNATURE) {
        return Err("missing the PNG signature".into());
    }
    if data.get(8..16) != Some(&[0, 0, 0, 13, b'I', b'H', b'D', b'R'][..]) {
        return Err("the first chunk is not IHDR".into());
    }
    if !data.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]) {
        return Err("missing the IEND chunk (truncated image)".into());
    }
    let be32 = |at: usize| {
        data.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    non_zero((be32(16).unwrap_or(0), be32(20).unwrap_or(0)))
}

fn non_zero((width, height): (u32, u32)) -> Check<(u32, u32)> {
    if width == 0 || height == 0 {
        return Err(format!("the image header gives a size of {width}x{height}"));
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H264_IDR: &[u8] = &[
        0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88, 0x84,
    ];
    const H264_P: &[u8] = &[0, 0, 0, 1, 0x09, 0xf0, 0, 0, 0, 1, 0x41, 0x9a, 0x02];
    const HEVC_IDR: &[u8] = &[
        0, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 0, 1, 0x42, 0x01, 0x01, 0, 0, 0, 1, 0x44, 0x01, 0xc1,
        0, 0, 0, 1, 0x26, 0x01, 0xaf,
    ];
    const HEVC_P: &[u8] = &[0, 0, 0, 1, 0x46, 0x01, 0x50, 0, 0, 0, 1, 0x02, 0x01, 0xd0];

    fn video(keyframe: bool) -> Result<AccessUnit> {
        Ok(AccessUnit {
            keyframe,
            random_access: keyframe,
            image_size: None,
        })
    }

    #[test]
    fn classifies_h264_random_access_points() {
        assert_eq!(inspect_access_unit(Codec::H264, H264_IDR), video(true));
        assert_eq!(inspect_access_unit(Codec::H264, H264_P), video(false));
    }

    #[test]
    fn classifies_hevc_random_access_points() {
        assert_eq!(inspect_access_unit(Codec::Hevc, HEVC_IDR), video(true));
        assert_eq!(inspect_access_unit(Codec::Hevc, HEVC_P), video(false));
    }

    /// An HEVC key frame with a Dolby Vision RPU (type 62, unspecified) and
    /// an enhancement-layer slice (layer id 1): refused for muxing, fine
    /// for a decoder, which skips them.
    #[test]
    fn decoders_skip_units_the_muxer_refuses() -> std::result::Result<(), Box<dyn std::error::Error>>
    {
        let rpu: &[u8] = &[0x7c, 0x01, 0x19];
        let enhancement: &[u8] = &[0x26, 0x09, 0xaf];
        let mut data = HEVC_IDR.to_vec();
        for unit in [rpu, enhancement] {
            data.extend_from_slice(&[0, 0, 0, 1]);
            data.extend_from_slice(unit);
        }
        assert!(inspect_access_unit(Codec::Hevc, &data).is_err());
        let units = split_annex_b(&data).ok_or("no units")?;
        assert_eq!(inspect_nal_units(Codec::Hevc, &units)?, video(true)?);
        Ok(())
    }

    #[test]
    fn rejects_the_other_codec() {
        for data in [HEVC_IDR, HEVC_P] {
            assert!(inspect_access_unit(Codec::H264, data).is_err());
        }
        for data in [H264_IDR, H264_P] {
            assert!(inspect_access_unit(Codec::Hevc, data).is_err());
        }
        assert!(inspect_access_unit(Codec::Jpeg, H264_IDR).is_err());
        assert!(inspect_access_unit(Codec::Av1, H264_IDR).is_err());
    }

    #[test]
    fn rejects_empty_and_garbage() {
        for codec in Codec::ALL {
            assert!(inspect_access_unit(codec, &[]).is_err(), "{codec} empty");
            assert!(
                inspect_access_unit(codec, b"hello, world").is_err(),
                "{codec} text"
            );
            assert!(
                inspect_access_unit(codec, &[0, 0, 1]).is_err(),
                "{codec} bare start code"
            );
        }
    }

    #[test]
    fn av1_temporal_units() {
        // temporal delimiter, sequence header (1 byte), key frame.
        let key = [0x12, 0x00, 0x0a, 0x01, 0x00, 0x32, 0x02, 0x10, 0x00];
        assert_eq!(
            inspect_access_unit(Codec::Av1, &key),
            Ok(AccessUnit {
                keyframe: true,
                random_access: true,
                image_size: None
            })
        );
        // inter frame (frame_type 1 in bits 6-5).
        let inter = [0x12, 0x00, 0x32, 0x02, 0x30, 0x00];
        assert_eq!(
            inspect_access_unit(Codec::Av1, &inter),
            Ok(AccessUnit {
                keyframe: false,
                random_access: false,
                image_size: None
            })
        );
        // a frame OBU that claims more bytes than there are.
        assert!(inspect_access_unit(Codec::Av1, &[0x32, 0x09, 0x10]).is_err());
    }

    #[test]
    fn images_need_their_markers() {
        // SOF0: length 11, precision 8, height 2, width 3, 1 component.
        let jpeg = [
            0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0, 0xff, 0xd9,
        ];
        assert_eq!(
            inspect_access_unit(Codec::Jpeg, &jpeg).map(|au| au.image_size),
            Ok(Some((3, 2)))
        );
        assert!(inspect_access_unit(Codec::Jpeg, &jpeg[..6]).is_err());
        let mut zero_height = jpeg;
        zero_height[8] = 0;
        assert!(inspect_access_unit(Codec::Jpeg, &zero_height).is_err());
        let mut png = vec![
            0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ];
        png.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 7]);
        png.extend_from_slice(&[0; 9]);
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
        assert_eq!(
            inspect_access_unit(Codec::Png, &png).map(|au| au.image_size),
            Ok(Some((5, 7)))
        );
        assert!(inspect_access_unit(Codec::Png, &png[..20]).is_err());
    }
}
