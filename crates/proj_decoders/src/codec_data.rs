//! `codec_data` for length-prefixed H.264 and HEVC: an `avcC` record from
//! SPS and PPS, an `hvcC` record from VPS, SPS and PPS with the profile,
//! level, chroma format and bit depths read from the SPS. The parsers need
//! it to know the length size and to start decoding.

/// H.264 NAL unit types.
const H264_SPS: u8 = 7;
const H264_PPS: u8 = 8;
/// HEVC NAL unit types.
const HEVC_VPS: u8 = 32;
const HEVC_SPS: u8 = 33;
const HEVC_PPS: u8 = 34;

fn h264_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

fn hevc_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| (b >> 1) & 0x3f)
}

fn push_sized(out: &mut Vec<u8>, nal: &[u8]) -> Option<()> {
    out.extend_from_slice(&u16::try_from(nal.len()).ok()?.to_be_bytes());
    out.extend_from_slice(nal);
    Some(())
}

/// The `avcC` record for an access unit's SPS and PPS (4-byte lengths);
/// `None` without them.
pub(crate) fn avcc(units: &[&[u8]]) -> Option<Vec<u8>> {
    let sps: Vec<&[u8]> = units
        .iter()
        .copied()
        .filter(|n| h264_type(n) == Some(H264_SPS))
        .collect();
    let pps: Vec<&[u8]> = units
        .iter()
        .copied()
        .filter(|n| h264_type(n) == Some(H264_PPS))
        .collect();
    let first = sps.first()?;
    if pps.is_empty() || first.len() < 4 || sps.len() > 31 || pps.len() > 255 {
        return None;
    }
    // version, profile, compatibility, level, 4-byte lengths.
    let mut out = vec![1, first[1], first[2], first[3], 0xff];
    out.push(0xe0 | u8::try_from(sps.len()).ok()?);
    for nal in &sps {
        push_sized(&mut out, nal)?;
    }
    out.push(u8::try_from(pps.len()).ok()?);
    for nal in &pps {
        push_sized(&mut out, nal)?;
    }
    Some(out)
}

/// Reads bits of an RBSP (emulation prevention removed), most significant
/// first.
struct Bits {
    bytes: Vec<u8>,
    at: usize,
}

impl Bits {
    fn rbsp(nal_payload: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(nal_payload.len());
        let mut zeros = 0;
        for &b in nal_payload {
            if zeros >= 2 && b == 3 {
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            bytes.push(b);
        }
        Self { bytes, at: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = self.bytes.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some((acc << 1) | self.bit()?))
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.at += n;
        (self.at <= self.bytes.len() * 8).then_some(())
    }

    /// Unsigned Exp-Golomb.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    /// `n` whole bytes at a byte-aligned position.
    fn bytes(&mut self, n: usize) -> Option<Vec<u8>> {
        if !self.at.is_multiple_of(8) {
            return (0..n)
                .map(|_| self.bits(8).and_then(|b| u8::try_from(b).ok()))
                .collect();
        }
        let start = self.at / 8;
        let out = self.bytes.get(start..start + n)?.to_vec();
        self.at += n * 8;
        Some(out)
    }
}

/// What `hvcC` needs from an HEVC SPS.
struct HevcSps {
    /// profile_space, tier, profile_idc (1 byte), compatibility flags (4),
    /// constraint flags (6), level_idc (1).
    general: Vec<u8>,
    max_sub_layers: u8,
    temporal_id_nesting: bool,
    chroma_format_idc: u32,
    bit_depth_luma_minus8: u32,
    bit_depth_chroma_minus8: u32,
}

fn parse_hevc_sps(nal: &[u8]) -> Option<HevcSps> {
    let mut bits = Bits::rbsp(nal.get(2..)?);
    bits.skip(4)?; // sps_video_parameter_set_id
    let max_sub_layers_minus1 = bits.bits(3)?;
    let temporal_id_nesting = bits.bit()? == 1;
    let general = bits.bytes(12)?;
    let sub_layers = max_sub_layers_minus1 as usize;
    let mut present = Vec::with_capacity(sub_layers);
    for _ in 0..sub_layers {
        present.push((bits.bit()? == 1, bits.bit()? == 1));
    }
    if sub_layers > 0 {
        bits.skip(2 * (8 - sub_layers))?;
    }
    for (profile, level) in present {
        if profile {
            bits.skip(88)?;
        }
        if level {
            bits.skip(8)?;
        }
    }
    bits.ue()?; // sps_seq_parameter_set_id
    let chroma_format_idc = bits.ue()?;
    if chroma_format_idc == 3 {
        bits.skip(1)?; // separate_colour_plane_flag
    }
    bits.ue()?; // pic_width_in_luma_samples
    bits.ue()?; // pic_height_in_luma_samples
    if bits.bit()? == 1 {
        for _ in 0..4 {
            bits.ue()?; // conformance window offsets
        }
    }
    let bit_depth_luma_minus8 = bits.ue()?;
    let bit_depth_chroma_minus8 = bits.ue()?;
    Some(HevcSps {
        general,
        max_sub_layers: u8::try_from(max_sub_layers_minus1 + 1).ok()?,
        temporal_id_nesting,
        chroma_format_idc,
        bit_depth_luma_minus8,
        bit_depth_chroma_minus8,
    })
}

/// The `hvcC` record for an access unit's VPS, SPS and PPS (4-byte
/// lengths); `None` without them or with an SPS that does not parse.
pub(crate) fn hvcc(units: &[&[u8]]) -> Option<Vec<u8>> {
    let of_type = |t: u8| -> Vec<&[u8]> {
        units
            .iter()
            .copied()
            .filter(|n| hevc_type(n) == Some(t))
            .collect()
    };
    let (vps, sps, pps) = (of_type(HEVC_VPS), of_type(HEVC_SPS), of_type(HEVC_PPS));
    if vps.is_empty() || pps.is_empty() {
        return None;
    }
    let info = parse_hevc_sps(sps.first()?)?;
    let low = |v: u32, mask: u32| u8::try_from(v & mask).ok();
    let mut out = vec![1];
    out.extend_from_slice(&info.general);
    out.extend_from_slice(&[
        0xf0,
        0x00, // min_spatial_segmentation_idc 0
        0xfc, // parallelismType unknown
        0xfc | low(info.chroma_format_idc, 3)?,
        0xf8 | low(info.bit_depth_luma_minus8, 7)?,
        0xf8 | low(info.bit_depth_chroma_minus8, 7)?,
        0,
        0, // avgFrameRate unknown
        (info.max_sub_layers.min(7) << 3) | (u8::from(info.temporal_id_nesting) << 2) | 3,
        3, // arrays: VPS, SPS, PPS
    ]);
    for (nal_type, nals) in [(HEVC_VPS, vps), (HEVC_SPS, sps), (HEVC_PPS, pps)] {
        out.push(0x80 | nal_type);
        out.extend_from_slice(&u16::try_from(nals.len()).ok()?.to_be_bytes());
        for nal in nals {
            push_sized(&mut out, nal)?;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avcc_holds_profile_and_parameter_sets() {
        let sps: &[u8] = &[0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9];
        let pps: &[u8] = &[0x68, 0xeb, 0xe3];
        let idr: &[u8] = &[0x65, 0x88];
        let record = avcc(&[sps, pps, idr]).unwrap_or_default();
        assert_eq!(&record[..6], &[1, 0x64, 0x00, 0x1f, 0xff, 0xe1]);
        assert_eq!(&record[6..8], &[0, 6]);
        assert_eq!(&record[8..14], sps);
        assert_eq!(&record[14..17], &[1, 0, 3]);
        assert!(avcc(&[sps, idr]).is_none());
    }

    #[test]
    fn exp_golomb_and_emulation_prevention() {
        // 00 00 03 01 → 00 00 01; then 1 (ue 0), 010 (ue 1), 011 (ue 2).
        let mut bits = Bits::rbsp(&[0, 0, 3, 1, 0b1010_0110]);
        assert_eq!(bits.bits(24), Some(1));
        assert_eq!(bits.ue(), Some(0));
        assert_eq!(bits.ue(), Some(1));
        assert_eq!(bits.ue(), Some(2));
    }
}
