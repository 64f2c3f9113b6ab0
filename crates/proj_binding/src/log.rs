//! Logs for users: off by default. `PROJ_LOG=error|warn|info|debug|trace`
//! (read when the addon loads) sends the library's `tracing` events at that
//! level and above to stderr: NVDEC fallbacks, ignored decoder options,
//! stalled outputs, caught panics.

use tracing_subscriber::filter::LevelFilter;

/// The level `PROJ_LOG` asks for; `None` for off, unset or unknown (an
/// unknown value is said on stderr).
fn level(value: Option<&str>) -> Option<LevelFilter> {
    let value = value?.trim();
    match value.to_ascii_lowercase().as_str() {
        "" | "off" | "0" => None,
        "error" => Some(LevelFilter::ERROR),
        "warn" | "warning" => Some(LevelFilter::WARN),
        "info" => Some(LevelFilter::INFO),
        "debug" => Some(LevelFilter::DEBUG),
        "trace" => Some(LevelFilter::TRACE),
        _ => {
            eprintln!(
                "@proj: PROJ_LOG={value:?} is not one of error, warn, info, debug, trace; logging stays off"
            );
            None
        }
    }
}

/// Installs the stderr subscriber if `PROJ_LOG` asks for one (once; a
/// subscriber installed by the host first is kept).
pub fn init() {
    let Some(level) = level(std::env::var("PROJ_LOG").ok().as_deref()) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}

#[napi_derive::module_init]
fn on_load() {
    // Runs while the addon loads, where a panic would abort: kept from
    // unwinding like every entry point.
    // (catch_unwind itself, not `entry`: this runs in unit-test binaries
    // too, which have no Node to provide napi's error functions.)
    let _ = std::panic::catch_unwind(init);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level(None), None);
        assert_eq!(level(Some("off")), None);
        assert_eq!(level(Some(" Debug ")), Some(LevelFilter::DEBUG));
        assert_eq!(level(Some("warning")), Some(LevelFilter::WARN));
        assert_eq!(level(Some("loud")), None);
    }
}
