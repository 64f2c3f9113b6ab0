//! The error codes the addon throws (and its loader, `packages/native/
//! load-error.cjs`, when it cannot load) and the ones `@proj/gstreamer` lists
//! in `ErrorCode` (what TS users branch on) are the same set.

use std::collections::BTreeSet;
use std::path::Path;

fn codes(text: &str, quote: char) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let pattern = format!("{quote}ERR_PROJ_");
    let mut rest = text;
    while let Some(start) = rest.find(&pattern) {
        let after = &rest[start + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        if after[end..].starts_with(quote) {
            found.insert(after[..end].to_owned());
        }
        rest = &after[end..];
    }
    found
}

fn rust_sources(dir: &Path, text: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_sources(&path, text);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("codes_test.rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

#[test]
fn rust_and_typescript_list_the_same_error_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut rust = String::new();
    rust_sources(&root.join("src"), &mut rust);
    let ts = std::fs::read_to_string(root.join("../../packages/gstreamer/src/errors.ts"))
        .unwrap_or_default();
    let loader = std::fs::read_to_string(root.join("../../packages/native/load-error.cjs"))
        .unwrap_or_default();
    let (mut thrown, listed) = (codes(&rust, '"'), codes(&ts, '\''));
    thrown.extend(codes(&loader, '\''));
    assert!(thrown.len() > 20, "found {thrown:?}");
    assert_eq!(
        thrown, listed,
        "codes thrown by the addon and its loader vs ErrorCode in packages/gstreamer/src/errors.ts"
    );
}
