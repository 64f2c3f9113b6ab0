//! Setting an element's property from text without the panics of
//! gstreamer-rs's `set_property_from_str` (unknown, read-only or
//! construct-only property, unparsable value): each is a typed error.

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;

use crate::GstreamerError;

/// Sets `name` on `element` from its text form (`"4"`, `"true"`, an enum's
/// nick such as `"dash-or-mss"`), or says why it cannot.
pub fn set_property(element: &gst::Element, name: &str, value: &str) -> crate::Result<()> {
    let invalid = |reason: String| GstreamerError::InvalidArgument {
        name: "property",
        reason: format!("{} {name}={value:?}: {reason}", element.name()),
    };
    let Some(pspec) = element.find_property(name) else {
        return Err(invalid("no such property".into()));
    };
    let flags = pspec.flags();
    if !flags.contains(glib::ParamFlags::WRITABLE) {
        return Err(invalid("the property is read-only".into()));
    }
    if flags.contains(glib::ParamFlags::CONSTRUCT_ONLY) {
        return Err(invalid(
            "the property can only be set at construction".into(),
        ));
    }
    let parsed = glib::Value::deserialize_with_pspec(value, &pspec)
        .map_err(|e| invalid(format!("not a valid value ({e})")))?;
    if !parsed.type_().is_a(pspec.value_type()) {
        return Err(invalid(format!("not a {}", pspec.value_type())));
    }
    element.set_property_from_value(name, &parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(factory: &str) -> crate::Result<gst::Element> {
        crate::init()?;
        gst::ElementFactory::make(factory)
            .build()
            .map_err(|e| GstreamerError::Pipeline {
                reason: e.to_string(),
            })
    }

    #[test]
    fn good_values_are_set() -> crate::Result<()> {
        let mux = element("qtmux")?;
        set_property(&mux, "fragment-mode", "dash-or-mss")?;
        let src = element("appsrc")?;
        set_property(&src, "max-bytes", "1234")?;
        assert_eq!(src.property::<u64>("max-bytes"), 1234);
        set_property(&src, "block", "true")?;
        assert!(src.property::<bool>("block"));
        Ok(())
    }

    /// Each of these panicked inside `set_property_from_str`.
    #[test]
    fn bad_properties_and_values_are_typed_errors() -> crate::Result<()> {
        let src = element("appsrc")?;
        for (name, value) in [
            ("no-such-property", "1"),
            ("current-level-bytes", "5"),
            ("max-bytes", "lots"),
            ("max-bytes", "1.5"),
            ("block", "perhaps"),
            ("stream-type", "sideways"),
        ] {
            assert!(
                matches!(
                    set_property(&src, name, value),
                    Err(GstreamerError::InvalidArgument { .. })
                ),
                "{name}={value}"
            );
        }
        assert_eq!(src.property::<u64>("max-bytes"), 200_000);
        Ok(())
    }
}
