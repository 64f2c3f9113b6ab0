//! An audio stream: torio's `add_audio_stream` arguments, its sample
//! formats, the FFmpeg encoder names we map onto GStreamer's encoders, and
//! torio's rules for the rate and channels an encoder is given.

use crate::codec_config::{bit_rate, integer, CodecConfig};
use crate::container::{Container, Media};
use crate::error::{invalid, unknown, unsupported};
use crate::{filter, Result};

/// torio's input sample formats (interleaved: `frames × channels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    U8,
    S16,
    S32,
    /// Taken as its top 32 bits (GStreamer has no 64-bit integer audio).
    S64,
    Flt,
    Dbl,
}

const SAMPLE_NAMES: &[(&str, SampleFormat)] = &[
    ("u8", SampleFormat::U8),
    ("s16", SampleFormat::S16),
    ("s32", SampleFormat::S32),
    ("s64", SampleFormat::S64),
    ("flt", SampleFormat::Flt),
    ("dbl", SampleFormat::Dbl),
];

impl SampleFormat {
    pub fn from_name(name: &str) -> Result<Self> {
        let folded = name.trim().to_ascii_lowercase();
        SAMPLE_NAMES
            .iter()
            .find(|(n, _)| *n == folded)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                unknown(
                    "sample format",
                    name,
                    &SAMPLE_NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                )
            })
    }

    pub fn name(self) -> &'static str {
        SAMPLE_NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// Bytes per sample as given.
    pub const fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::S16 => 2,
            Self::S32 | Self::Flt => 4,
            Self::S64 | Self::Dbl => 8,
        }
    }

    /// GStreamer's name of what enters the pipeline.
    pub const fn gst(self) -> &'static str {
        match self {
            Self::U8 => "U8",
            Self::S16 => "S16LE",
            Self::S32 | Self::S64 => "S32LE",
            Self::Flt => "F32LE",
            Self::Dbl => "F64LE",
        }
    }
}

/// An audio codec we encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    Aac,
    Opus,
    Flac,
    Mp3,
}

/// FFmpeg's encoder names we map.
pub const ENCODERS: &[(&str, AudioCodec)] = &[
    ("aac", AudioCodec::Aac),
    ("libopus", AudioCodec::Opus),
    ("opus", AudioCodec::Opus),
    ("flac", AudioCodec::Flac),
    ("libmp3lame", AudioCodec::Mp3),
    ("mp3", AudioCodec::Mp3),
];

impl AudioCodec {
    pub const fn media(self) -> Media {
        match self {
            Self::Aac => Media::Aac,
            Self::Opus => Media::Opus,
            Self::Flac => Media::Flac,
            Self::Mp3 => Media::Mp3,
        }
    }

    /// Elements, best first.
    pub const fn elements(self) -> &'static [&'static str] {
        match self {
            Self::Aac => &["avenc_aac", "voaacenc"],
            Self::Opus => &["opusenc"],
            Self::Flac => &["flacenc"],
            Self::Mp3 => &["lamemp3enc"],
        }
    }

    pub const fn parser(self) -> &'static str {
        match self {
            Self::Aac => "aacparse",
            Self::Opus => "opusparse",
            Self::Flac => "flacparse",
            Self::Mp3 => "mpegaudioparse",
        }
    }

    /// Rates the encoder takes (empty: any) and the one chosen when the
    /// input's is not among them.
    const fn rates(self) -> (&'static [u32], u32) {
        match self {
            Self::Aac => (
                &[
                    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000,
                    11_025, 8_000, 7_350,
                ],
                48_000,
            ),
            Self::Opus => (&[48_000, 24_000, 16_000, 12_000, 8_000], 48_000),
            Self::Flac => (&[], 48_000),
            Self::Mp3 => (
                &[
                    44_100, 48_000, 32_000, 22_050, 24_000, 16_000, 11_025, 12_000, 8_000,
                ],
                44_100,
            ),
        }
    }

    const fn max_channels(self) -> u32 {
        match self {
            Self::Aac => 6,
            Self::Opus | Self::Mp3 => 2,
            Self::Flac => 8,
        }
    }

    /// FFmpeg sample-format names the encoder can be asked for, as
    /// GStreamer formats.
    fn encoder_formats(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Aac => &[("fltp", "F32LE")],
            Self::Opus => &[("s16", "S16LE"), ("flt", "F32LE")],
            Self::Flac => &[("s16", "S16LE"), ("s32", "S32LE")],
            Self::Mp3 => &[
                ("s16", "S16LE"),
                ("flt", "F32LE"),
                ("s16p", "S16LE"),
                ("fltp", "F32LE"),
            ],
        }
    }
}

/// `add_audio_stream`'s arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudioStreamSpec {
    pub sample_rate: u32,
    pub num_channels: u32,
    pub format: Option<String>,
    pub encoder: Option<String>,
    pub encoder_option: Vec<(String, String)>,
    pub encoder_sample_rate: Option<u32>,
    pub encoder_num_channels: Option<u32>,
    pub encoder_format: Option<String>,
    pub codec_config: Option<CodecConfig>,
    pub filter_desc: Option<String>,
}

/// An audio stream, checked.
#[derive(Debug, Clone)]
pub struct AudioPlan {
    pub format: SampleFormat,
    pub rate: u32,
    pub channels: u32,
    pub codec: AudioCodec,
    pub element: &'static str,
    pub encoder_rate: u32,
    pub encoder_channels: u32,
    /// The encoder's input format, where one was asked for.
    pub encoder_format: Option<&'static str>,
    /// Element properties, as text (checked when set).
    pub properties: Vec<(&'static str, String)>,
}

/// GStreamer's default positions for 1–8 channels (FL FR FC LFE RL RR SL SR).
pub fn channel_mask(channels: u32) -> Option<u64> {
    Some(match channels {
        1 | 2 => return None,
        3 => 0x7,
        4 => 0x33,
        5 => 0x37,
        6 => 0x3f,
        7 => 0x13f,
        _ => 0xc3f,
    })
}

fn codec_properties(
    codec: AudioCodec,
    element: &'static str,
    options: &[(String, String)],
    cc: &CodecConfig,
) -> Result<Vec<(&'static str, String)>> {
    let mut props = Vec::new();
    if cc.gop_size.is_some() || cc.max_b_frames.is_some() {
        return Err(unsupported("gop_size and max_b_frames are video settings"));
    }
    let bitrate_prop = |bps: u32| -> Result<(&'static str, String)> {
        match (codec, element) {
            (AudioCodec::Flac, _) => Err(unsupported(
                "a bit rate for FLAC, which is lossless (compression_level sets its effort)",
            )),
            (AudioCodec::Mp3, _) => Ok(("bitrate", bps.div_ceil(1000).to_string())),
            _ => Ok(("bitrate", bps.to_string())),
        }
    };
    if let Some(bps) = cc.bit_rate {
        props.push(bitrate_prop(bps)?);
        if codec == AudioCodec::Mp3 {
            props.push(("target", "bitrate".into()));
        }
    }
    if let Some(level) = cc.compression_level {
        props.push(match codec {
            AudioCodec::Flac => (
                "quality",
                integer("compression_level", &level.to_string(), 0, 8)?.to_string(),
            ),
            AudioCodec::Opus => (
                "complexity",
                integer("compression_level", &level.to_string(), 0, 10)?.to_string(),
            ),
            _ => {
                return Err(unsupported(
                    "compression_level is taken by flac (0–8) and opus (0–10)",
                ))
            }
        });
    }
    if let Some(q) = cc.qscale {
        match codec {
            AudioCodec::Mp3 => {
                props.push(("target", "quality".into()));
                props.push((
                    "quality",
                    integer("qscale", &q.to_string(), 0, 9)?.to_string(),
                ));
            }
            _ => return Err(unsupported("qscale is taken by mp3 (0–9)")),
        }
    }
    let known: &[&str] = match codec {
        AudioCodec::Aac => &["b"],
        AudioCodec::Opus => &["b", "application", "frame_duration"],
        AudioCodec::Flac => &["compression_level"],
        AudioCodec::Mp3 => &["b", "q"],
    };
    for (key, value) in options {
        let key = key.trim();
        if !known.contains(&key) {
            return Err(unknown("encoder option", key, known));
        }
        let value = value.trim();
        match key {
            "b" => props.push(bitrate_prop(bit_rate("b", value)?)?),
            "application" => props.push((
                "audio-type",
                match value {
                    "audio" => "generic",
                    "voip" => "voice",
                    "lowdelay" => "restricted-lowdelay",
                    other => {
                        return Err(unknown(
                            "application",
                            other,
                            &["audio", "voip", "lowdelay"],
                        ))
                    }
                }
                .into(),
            )),
            "frame_duration" => {
                let ok = ["2.5", "5", "10", "20", "40", "60"];
                if !ok.contains(&value) {
                    return Err(unknown("frame_duration", value, &ok));
                }
                props.push(("frame-size", value.into()));
            }
            "compression_level" => props.push((
                "quality",
                integer("compression_level", value, 0, 8)?.to_string(),
            )),
            "q" => {
                props.push(("target", "quality".into()));
                props.push(("quality", integer("q", value, 0, 9)?.to_string()));
            }
            _ => {}
        }
    }
    if element == "avenc_aac" && !props.iter().any(|(k, _)| *k == "bitrate") {
        // FFmpeg's aac default, 128 kbit/s stereo; avenc_aac's own is 0 (auto, low).
        props.push(("bitrate", "128000".into()));
    }
    Ok(props)
}

impl AudioStreamSpec {
    /// Checks every argument for `container` and decides the encoder;
    /// `installed` says whether an element is present.
    pub fn plan(
        &self,
        container: Container,
        installed: impl Fn(&str) -> bool,
    ) -> Result<AudioPlan> {
        if !(1..=768_000).contains(&self.sample_rate) {
            return Err(invalid(
                "sampleRate",
                format!("{} is not 1 to 768000 Hz", self.sample_rate),
            ));
        }
        if !(1..=8).contains(&self.num_channels) {
            return Err(invalid(
                "numChannels",
                format!("{} is not 1 to 8", self.num_channels),
            ));
        }
        let format = SampleFormat::from_name(self.format.as_deref().unwrap_or("flt"))?;
        let codec = match self
            .encoder
            .as_deref()
            .map(|n| n.trim().to_ascii_lowercase())
        {
            Some(n) => ENCODERS
                .iter()
                .find(|(e, _)| *e == n)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    unknown(
                        "audio encoder",
                        &n,
                        &ENCODERS.iter().map(|e| e.0).collect::<Vec<_>>(),
                    )
                })?,
            None if container == Container::Matroska => AudioCodec::Opus,
            None => AudioCodec::Aac,
        };
        container.check_holds(codec.media())?;
        let element = codec
            .elements()
            .iter()
            .copied()
            .find(|e| installed(e))
            .ok_or(crate::RecordingError::MissingElement {
                element: codec.elements()[0],
            })?;
        let filters = self
            .filter_desc
            .as_deref()
            .map(filter::audio)
            .transpose()?
            .unwrap_or_default();
        let (rates, fallback) = codec.rates();
        let takes_rate = |r: u32| rates.is_empty() || rates.contains(&r);
        let encoder_rate = match self.encoder_sample_rate.or(filters.sample_rate) {
            Some(r) if takes_rate(r) && r > 0 && r <= 768_000 => r,
            Some(r) => {
                return Err(unsupported(format!(
                    "{} does not encode at {r} Hz (it takes {rates:?})",
                    element
                )))
            }
            None if takes_rate(self.sample_rate) => self.sample_rate,
            None => fallback,
        };
        let max = if element == "voaacenc" {
            2
        } else {
            codec.max_channels()
        };
        let encoder_channels = match self.encoder_num_channels.or(filters.channels) {
            Some(c) if (1..=max).contains(&c) => c,
            Some(c) => {
                return Err(unsupported(format!(
                    "{element} takes 1 to {max} channels, not {c}"
                )))
            }
            None => self.num_channels.min(max),
        };
        let encoder_format = match self.encoder_format.as_deref().or(filters.format) {
            None => None,
            Some(f) => Some(
                codec
                    .encoder_formats()
                    .iter()
                    .find(|(n, _)| *n == f.trim())
                    .map(|(_, g)| *g)
                    .ok_or_else(|| {
                        unsupported(format!(
                            "encoderFormat {f:?} for {element} (it takes {})",
                            codec
                                .encoder_formats()
                                .iter()
                                .map(|p| p.0)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?,
            ),
        };
        let properties = codec_properties(
            codec,
            element,
            &self.encoder_option,
            &self.codec_config.unwrap_or_default(),
        )?;
        Ok(AudioPlan {
            format,
            rate: self.sample_rate,
            channels: self.num_channels,
            codec,
            element,
            encoder_rate,
            encoder_channels,
            encoder_format,
            properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingError;

    fn spec(rate: u32, channels: u32) -> AudioStreamSpec {
        AudioStreamSpec {
            sample_rate: rate,
            num_channels: channels,
            ..AudioStreamSpec::default()
        }
    }

    #[test]
    fn torios_rate_and_channel_rules() -> Result<()> {
        let all = |_: &str| true;
        let mut s = spec(44_100, 6);
        s.encoder = Some("libopus".into());
        let p = s.plan(Container::Matroska, all)?;
        assert_eq!((p.encoder_rate, p.encoder_channels), (48_000, 2));
        let p = spec(44_100, 2).plan(Container::Mp4, all)?;
        assert_eq!((p.codec, p.encoder_rate), (AudioCodec::Aac, 44_100));
        let mut s = spec(48_000, 2);
        s.encoder = Some("opus".into());
        s.encoder_sample_rate = Some(44_100);
        assert!(matches!(
            s.plan(Container::Mp4, all),
            Err(RecordingError::Unsupported { .. })
        ));
        let mut s = spec(48_000, 2);
        s.encoder = Some("flac".into());
        assert!(matches!(
            s.plan(Container::Mp4, all),
            Err(RecordingError::Unsupported { .. })
        ));
        assert_eq!(s.plan(Container::Matroska, all)?.encoder_rate, 48_000);
        let p = spec(48_000, 2).plan(Container::Mp4, |e| e == "voaacenc")?;
        assert_eq!(p.element, "voaacenc");
        Ok(())
    }
}
