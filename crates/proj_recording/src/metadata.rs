//! torio's `set_metadata` keys (FFmpeg's) as GStreamer tags.

use gstreamer as gst;

use crate::error::{invalid, unknown, unsupported};
use crate::Result;

/// FFmpeg's metadata keys and the GStreamer tag each becomes.
const KEYS: &[(&str, &str)] = &[
    ("title", "title"),
    ("artist", "artist"),
    ("album", "album"),
    ("comment", "comment"),
    ("description", "description"),
    ("genre", "genre"),
    ("copyright", "copyright"),
    ("composer", "composer"),
    ("encoder", "encoder"),
    ("language", "language-code"),
    ("date", "datetime"),
    ("creation_time", "datetime"),
];

/// The tags for `pairs`, checked.
pub fn tags(pairs: &[(String, String)]) -> Result<gst::TagList> {
    let mut list = gst::TagList::new();
    {
        let list = list.make_mut();
        for (key, value) in pairs {
            let folded = key.trim().to_ascii_lowercase();
            let Some((_, tag)) = KEYS.iter().find(|(k, _)| *k == folded) else {
                return Err(unknown(
                    "metadata key",
                    key,
                    &KEYS.iter().map(|k| k.0).collect::<Vec<_>>(),
                ));
            };
            if value.contains('\0') {
                return Err(invalid("metadata", format!("{key}: a NUL character")));
            }
            let result = if *tag == "datetime" {
                let date = gst::DateTime::from_iso8601_string(value.trim()).map_err(|_| {
                    invalid(
                        "metadata",
                        format!("{key}: {value:?} is not an ISO 8601 date"),
                    )
                })?;
                list.add_generic(*tag, date, gst::TagMergeMode::Replace)
            } else {
                list.add_generic(*tag, value.as_str(), gst::TagMergeMode::Replace)
            };
            result.map_err(|e| unsupported(format!("metadata {key}: {e}")))?;
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_become_tags_and_others_are_refused() -> Result<()> {
        proj_gstreamer::init()?;
        let list = tags(&[
            ("title".into(), "Cam 1".into()),
            ("date".into(), "2026-11-30T10:00:00Z".into()),
        ])?;
        assert_eq!(
            list.get::<gst::tags::Title>().map(|v| v.get().to_owned()),
            Some("Cam 1".into())
        );
        assert!(list.get::<gst::tags::DateTime>().is_some());
        assert!(tags(&[("bogus".into(), "x".into())]).is_err());
        assert!(tags(&[("date".into(), "yesterday".into())]).is_err());
        Ok(())
    }
}
