//! torio's `filter_desc` is an FFmpeg filter graph. The filters that only
//! say what the encoder's input should be have a meaning here and become
//! the matching `encoder*` option; any other filter is refused by name.

use crate::error::{invalid, unsupported};
use crate::Result;

/// What a video filter chain asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VideoFilters {
    pub size: Option<(u32, u32)>,
    pub frame_rate: Option<f64>,
    pub format: Option<&'static str>,
}

/// What an audio filter chain asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AudioFilters {
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    pub format: Option<&'static str>,
}

/// `name=a:b:key=value` → the name and its arguments (positional ones
/// keyed by position).
/// A filter's arguments: (key, value), positional ones without a key.
type Args = Vec<(Option<String>, String)>;

fn filters(desc: &str) -> Result<Vec<(String, Args)>> {
    if desc.contains(';') || desc.contains('[') {
        return Err(unsupported(format!(
            "filter_desc {desc:?}: only a simple chain (a,b,c) is taken, no labelled graphs"
        )));
    }
    desc.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (name, args) = f.split_once('=').unwrap_or((f, ""));
            let args = args
                .split(':')
                .filter(|a| !a.is_empty())
                .map(|a| match a.split_once('=') {
                    Some((k, v)) => (Some(k.trim().to_owned()), v.trim().to_owned()),
                    None => (None, a.trim().to_owned()),
                })
                .collect();
            Ok((name.trim().to_ascii_lowercase(), args))
        })
        .collect()
}

fn arg<'a>(args: &'a [(Option<String>, String)], key: &str, position: usize) -> Option<&'a str> {
    args.iter()
        .find(|(k, _)| k.as_deref() == Some(key))
        .or_else(|| args.iter().filter(|(k, _)| k.is_none()).nth(position))
        .map(|(_, v)| v.as_str())
}

fn number<T: std::str::FromStr>(filter: &str, text: Option<&str>) -> Result<T> {
    text.and_then(|t| t.parse().ok()).ok_or_else(|| {
        invalid(
            "filterDesc",
            format!("{filter}: {text:?} is not a number we take"),
        )
    })
}

const VIDEO_FORMATS: &[&str] = &["yuv420p", "nv12"];

pub fn video(desc: &str) -> Result<VideoFilters> {
    let mut out = VideoFilters::default();
    for (name, args) in filters(desc)? {
        match name.as_str() {
            "scale" => {
                let w: u32 = number("scale", arg(&args, "w", 0).or(arg(&args, "width", 0)))?;
                let h: u32 = number("scale", arg(&args, "h", 1).or(arg(&args, "height", 1)))?;
                out.size = Some((w, h));
            }
            "fps" => {
                let text = arg(&args, "fps", 0);
                let rate = match text.and_then(|t| t.split_once('/')) {
                    Some((n, d)) => number::<f64>("fps", Some(n))? / number::<f64>("fps", Some(d))?,
                    None => number("fps", text)?,
                };
                out.frame_rate = Some(rate);
            }
            "format" => {
                let text = arg(&args, "pix_fmts", 0).unwrap_or("");
                out.format = Some(
                    VIDEO_FORMATS
                        .iter()
                        .find(|f| **f == text)
                        .copied()
                        .ok_or_else(|| unsupported(format!("format={text}: our encoders take yuv420p or nv12")))?,
                );
            }
            other => {
                return Err(unsupported(format!(
                    "the filter {other:?}: filter_desc takes scale=W:H, fps=R and format=yuv420p here (draw and transform frames with @proj/picasso and @proj/deepstream)"
                )))
            }
        }
    }
    Ok(out)
}

const SAMPLE_FORMATS: &[&str] = &["s16", "s32", "flt", "fltp", "s16p", "s32p"];

pub fn audio(desc: &str) -> Result<AudioFilters> {
    let mut out = AudioFilters::default();
    for (name, args) in filters(desc)? {
        match name.as_str() {
            "aresample" => out.sample_rate = Some(number("aresample", arg(&args, "osr", 0))?),
            "aformat" => {
                if let Some(rate) = arg(&args, "sample_rates", usize::MAX) {
                    out.sample_rate = Some(number("aformat", Some(rate))?);
                }
                if let Some(layout) = arg(&args, "channel_layouts", usize::MAX) {
                    out.channels = Some(match layout {
                        "mono" => 1,
                        "stereo" => 2,
                        other => {
                            return Err(unsupported(format!(
                                "channel_layouts={other}: mono or stereo here (or encoderNumChannels)"
                            )))
                        }
                    });
                }
                if let Some(format) = arg(&args, "sample_fmts", usize::MAX) {
                    out.format = Some(
                        SAMPLE_FORMATS
                            .iter()
                            .find(|f| **f == format)
                            .copied()
                            .ok_or_else(|| unsupported(format!("sample_fmts={format}")))?,
                    );
                }
            }
            other => {
                return Err(unsupported(format!(
                    "the filter {other:?}: filter_desc takes aresample=R and aformat=sample_rates=R:channel_layouts=mono|stereo:sample_fmts=F here"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingError;

    #[test]
    fn encoder_input_filters_map_and_the_rest_are_refused_by_name() -> Result<()> {
        let v = video("scale=640:360, fps=fps=15,format=pix_fmts=yuv420p")?;
        assert_eq!(v.size, Some((640, 360)));
        assert_eq!(v.frame_rate, Some(15.0));
        assert_eq!(video("scale=w=320:h=240")?.size, Some((320, 240)));
        let err = video("hflip").unwrap_err();
        assert!(matches!(&err, RecordingError::Unsupported { reason } if reason.contains("hflip")));
        let a = audio("aresample=16000,aformat=channel_layouts=mono")?;
        assert_eq!((a.sample_rate, a.channels), (Some(16000), Some(1)));
        assert!(audio("volume=0.5").is_err());
        Ok(())
    }
}
