//! Checks one submitted payload before any decoder sees it: a packet
//! GStreamer would drop silently would never come out, so it is reported as
//! `InvalidPayload` instead. Also finds H.264/HEVC framing (Annex-B or
//! length-prefixed), random access points and the `codec_data` of
//! length-prefixed streams.

use proj_frame::VideoCodec;
use proj_gstreamer::{
    inspect_access_unit, inspect_nal_units, split_annex_b, split_length_prefixed, Codec,
    MAX_FRAME_BYTES,
};

use crate::codec_data;

/// How H.264/HEVC NAL units are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Start codes (`00 00 01`, `00 00 00 01`).
    AnnexB,
    /// 4-byte big-endian sizes.
    LengthPrefixed,
}

/// What a valid payload is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Inspected {
    /// Decodable on its own.
    pub keyframe: bool,
    /// A decoder can start here (parameter sets + keyframe, sequence
    /// header + key frame, any image or raw picture).
    pub random_access: bool,
    /// `codec_data` for a length-prefixed random access point.
    pub codec_data: Option<Vec<u8>>,
}

type Check<T> = std::result::Result<T, String>;

fn mux_codec(codec: VideoCodec) -> Option<Codec> {
    match codec {
        VideoCodec::H264 => Some(Codec::H264),
        VideoCodec::Hevc => Some(Codec::Hevc),
        _ => None,
    }
}

/// The framing of an H.264/HEVC stream, from its first packet. `00 00 01
/// xx` also reads as a 4-byte length of 256–511: length-prefixed wins only
/// if the whole packet splits into NAL units that way and the first one
/// parses.
pub(crate) fn detect_framing(codec: VideoCodec, data: &[u8]) -> Framing {
    match data {
        [0, 0, 0, 1, ..] => Framing::AnnexB,
        [0, 0, 1, ..] => {
            let parses = |units: Vec<&[u8]>| {
                mux_codec(codec).is_some_and(|c| inspect_nal_units(c, &units[..1]).is_ok())
            };
            if split_length_prefixed(data).is_some_and(parses) {
                Framing::LengthPrefixed
            } else {
                Framing::AnnexB
            }
        }
        _ => Framing::LengthPrefixed,
    }
}

/// Checks `data` as one frame of `codec` at `size` (`framing` for
/// H.264/HEVC).
pub(crate) fn inspect(
    codec: VideoCodec,
    data: &[u8],
    framing: Framing,
    size: (u32, u32),
) -> Check<Inspected> {
    if data.is_empty() {
        return Err("the payload is empty".into());
    }
    if data.len() > MAX_FRAME_BYTES {
        return Err(format!(
            "{} bytes exceeds the {MAX_FRAME_BYTES}-byte limit",
            data.len()
        ));
    }
    let image = Inspected {
        keyframe: true,
        random_access: true,
        codec_data: None,
    };
    match codec {
        VideoCodec::H264 | VideoCodec::Hevc => nal_stream(codec, data, framing),
        VideoCodec::Av1 => {
            let unit = inspect_access_unit(Codec::Av1, data).map_err(|e| e.to_string())?;
            Ok(Inspected {
                keyframe: unit.keyframe,
                random_access: unit.random_access,
                codec_data: None,
            })
        }
        VideoCodec::Jpeg => inspect_access_unit(Codec::Jpeg, data)
            .map(|_| image)
            .map_err(|e| e.to_string()),
        VideoCodec::Png => inspect_access_unit(Codec::Png, data)
            .map(|_| image)
            .map_err(|e| e.to_string()),
        VideoCodec::Vp8 => vp8(data),
        VideoCodec::Vp9 => vp9(data),
        VideoCodec::RawRgb | VideoCodec::RawRgba | VideoCodec::RawNv12 => {
            let bytes_per_pixel = match codec {
                VideoCodec::RawRgb => 3,
                VideoCodec::RawRgba => 4,
                _ => return Err("raw NV12 is not decoded".into()),
            };
            let expected = size.0 as usize * size.1 as usize * bytes_per_pixel;
            if data.len() == expected {
                Ok(image)
            } else {
                Err(format!(
                    "{} bytes is not a {}x{} picture of {bytes_per_pixel} bytes per pixel ({expected} bytes)",
                    data.len(),
                    size.0,
                    size.1
                ))
            }
        }
    }
}

fn nal_stream(codec: VideoCodec, data: &[u8], framing: Framing) -> Check<Inspected> {
    let mux = mux_codec(codec).ok_or("not a NAL-unit codec")?;
    let units = match framing {
        Framing::AnnexB => split_annex_b(data).ok_or(
            "not an Annex-B access unit (the stream started with start codes): no leading start code or an empty NAL unit",
        )?,
        Framing::LengthPrefixed => split_length_prefixed(data).ok_or(
            "not a length-prefixed access unit (the stream started that way): the 4-byte sizes do not cover the packet",
        )?,
    };
    let unit = inspect_nal_units(mux, &units).map_err(|e| e.to_string())?;
    let codec_data = match (framing, unit.random_access) {
        (Framing::LengthPrefixed, true) => {
            let record = if codec == VideoCodec::H264 {
                codec_data::avcc(&units)
            } else {
                codec_data::hvcc(&units)
            };
            Some(record.ok_or("its parameter sets do not parse")?)
        }
        _ => None,
    };
    Ok(Inspected {
        keyframe: unit.keyframe,
        random_access: unit.random_access,
        codec_data,
    })
}

/// VP8 (RFC 6386 §9.1): a 3-byte frame tag; key frames add the start code
/// `9d 01 2a` and the size.
fn vp8(data: &[u8]) -> Check<Inspected> {
    let [tag, ..] = *data else {
        return Err("the payload is empty".into());
    };
    let keyframe = tag & 1 == 0;
    if data.len() < 3 || (keyframe && (data.len() < 10 || data[3..6] != [0x9d, 0x01, 0x2a])) {
        return Err("not a VP8 frame: bad frame tag or key frame start code".into());
    }
    if tag >> 1 & 7 > 3 {
        return Err("not a VP8 frame: version above 3".into());
    }
    Ok(Inspected {
        keyframe,
        random_access: keyframe,
        codec_data: None,
    })
}

/// VP9 uncompressed header: frame marker 2, profile, show_existing_frame,
/// frame type (0 = key frame, which carries the sync code `49 83 42`).
fn vp9(data: &[u8]) -> Check<Inspected> {
    let mut at = 0usize;
    let mut read = |n: usize| -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| {
            let byte = data.get(at / 8)?;
            let bit = (byte >> (7 - at % 8)) & 1;
            at += 1;
            Some((acc << 1) | u32::from(bit))
        })
    };
    let short = || "a VP9 frame shorter than its header".to_string();
    if read(2).ok_or_else(short)? != 2 {
        return Err("not a VP9 frame: the frame marker is not 2".into());
    }
    let low = read(1).ok_or_else(short)?;
    let profile = low | (read(1).ok_or_else(short)? << 1);
    if profile == 3 && read(1).ok_or_else(short)? != 0 {
        return Err("not a VP9 frame: reserved bit set".into());
    }
    if read(1).ok_or_else(short)? == 1 {
        // show_existing_frame: shows an earlier frame, decodes nothing new.
        return Ok(Inspected::default());
    }
    let keyframe = read(1).ok_or_else(short)? == 0;
    if keyframe {
        read(2).ok_or_else(short)?; // show_frame, error_resilient_mode
        if read(24).ok_or_else(short)? != 0x49_8342 {
            return Err("not a VP9 key frame: bad sync code".into());
        }
    }
    Ok(Inspected {
        keyframe,
        random_access: keyframe,
        codec_data: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_of_the_ambiguous_prefix() {
        // A 4-byte length of 0x000001xx with a matching payload.
        let mut packet = vec![0, 0, 1, 2];
        packet.push(0x65); // IDR slice header byte
        packet.extend(std::iter::repeat_n(0x11u8, 257));
        assert_eq!(
            detect_framing(VideoCodec::H264, &packet),
            Framing::LengthPrefixed
        );
        // Start code + SPS.
        assert_eq!(
            detect_framing(VideoCodec::H264, &[0, 0, 1, 0x67, 0x64, 0, 0x1f]),
            Framing::AnnexB
        );
        assert_eq!(
            detect_framing(VideoCodec::H264, &[0, 0, 0, 1, 0x67]),
            Framing::AnnexB
        );
        assert_eq!(
            detect_framing(VideoCodec::H264, &[0, 0, 0, 5, 0x65, 1, 2, 3, 4]),
            Framing::LengthPrefixed
        );
    }

    #[test]
    fn raw_pictures_must_be_exactly_their_size() {
        assert!(inspect(VideoCodec::RawRgba, &[0; 16], Framing::AnnexB, (2, 2)).is_ok());
        assert!(inspect(VideoCodec::RawRgb, &[0; 16], Framing::AnnexB, (2, 2)).is_err());
        assert!(inspect(VideoCodec::RawRgb, &[0; 12], Framing::AnnexB, (2, 2)).is_ok());
    }
}
