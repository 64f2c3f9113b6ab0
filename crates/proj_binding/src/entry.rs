//! The one way into native code. Every `#[napi]` entry point runs its body
//! through [`entry`]; work it hands elsewhere runs through [`guarded_stage`]
//! (a queued job, a thread of [`on_thread`], a worker job) or [`promise`] (a
//! future on napi's runtime, settled on the JS thread). A panic in any of them becomes an
//! `ERR_PROJ_INTERNAL` error for JS and never unwinds into Node, which
//! would abort the process. The test `every_entry_point_is_guarded` fails
//! when an entry point does not start with `entry(`.
//!
//! Test hook: `PROJ_TEST_PANIC=Name,Name` (read once, at the first call)
//! makes each named point panic once inside its guard, so tests can prove
//! the mapping end to end in a child process. Names are `Type::method` as in
//! the Rust source (`Mp4Muxer::push`, `BufferGenerator::acquire`), or a
//! job's name (`FlexibleDecoder::submit (job)`).

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

use napi::bindgen_prelude::*;

use crate::error::{rejection, spawn_failed, Code};

/// What every guarded body returns: a value or a coded error.
pub type Outcome<T> = std::result::Result<T, Error<Code>>;

/// Runs an entry point's body; a panic becomes `ERR_PROJ_INTERNAL`.
pub fn entry<T>(name: &'static str, body: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    guarded(name, body)
}

/// Runs work on behalf of an entry point (on any thread); a panic becomes
/// `ERR_PROJ_INTERNAL`.
pub fn guarded<T>(name: &'static str, body: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    guarded_stage(name, "", body)
}

/// [`guarded`] for one stage of an entry point's work (`job`, `thread`,
/// `work`, `future`, `settle`), which the test hook names `Name (stage)`.
pub fn guarded_stage<T>(
    name: &'static str,
    stage: &'static str,
    body: impl FnOnce() -> Outcome<T>,
) -> Outcome<T> {
    match catch_unwind(AssertUnwindSafe(|| {
        test_panic(name, stage);
        body()
    })) {
        Ok(outcome) => outcome,
        Err(payload) => Err(internal(name, payload.as_ref())),
    }
}

/// The error JS gets for a panic in `name`.
pub fn internal(name: &str, payload: &(dyn Any + Send)) -> Error<Code> {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    tracing::error!(entry = name, "internal error: {message}");
    Error::new(
        Code("ERR_PROJ_INTERNAL"),
        format!("internal error in {name}: {message} (a bug in @proj: please report it)"),
    )
}

/// A future whose panics become `ERR_PROJ_INTERNAL`.
struct Guarded<F> {
    name: &'static str,
    future: Pin<Box<F>>,
    armed: bool,
}

impl<T, F: Future<Output = Outcome<T>>> Future for Guarded<F> {
    type Output = Outcome<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let name = self.name;
        let armed = std::mem::replace(&mut self.armed, false);
        let future = &mut self.future;
        match catch_unwind(AssertUnwindSafe(|| {
            if armed {
                test_panic(name, "future");
            }
            future.as_mut().poll(cx)
        })) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(internal(name, payload.as_ref()))),
        }
    }
}

/// Runs `future` on napi's runtime and settles a Promise with its outcome on
/// the JS thread, keeping error codes. Panics in the future or in `finish`
/// (which makes the JS value) are `ERR_PROJ_INTERNAL`. The future must not
/// block: napi's runtime has few threads.
pub fn promise<'env, T, V, F>(
    env: &'env Env,
    name: &'static str,
    future: F,
    finish: impl FnOnce(T) -> Outcome<V> + 'static,
) -> Outcome<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Outcome<T>> + Send + 'static,
{
    let guarded = Guarded {
        name,
        future: Box::pin(future),
        armed: true,
    };
    env.spawn_future_with_callback(async move { Ok(guarded.await) }, move |env, outcome| {
        guarded_stage(name, "settle", move || outcome.and_then(finish))
            .map_err(|e| rejection(env, e))
    })
    .map_err(spawn_failed)
}

/// Runs blocking `work` on a thread of its own (never on napi's runtime or
/// libuv's pool) and settles a Promise with its outcome; a panic in it is
/// `ERR_PROJ_INTERNAL`, a thread that cannot be made is `ERR_PROJ_RESOURCES`.
pub fn on_thread<'env, T, V>(
    env: &'env Env,
    name: &'static str,
    work: impl FnOnce() -> Outcome<T> + Send + 'static,
    finish: impl FnOnce(T) -> Outcome<V> + 'static,
) -> Outcome<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn_thread(name, move || {
        let _ = tx.send(guarded_stage(name, "thread", work));
    })?;
    promise(
        env,
        name,
        async move {
            rx.await.unwrap_or_else(|_| {
                Err(Error::new(
                    Code("ERR_PROJ_INTERNAL"),
                    format!("{name}: its thread ended without an answer"),
                ))
            })
        },
        finish,
    )
}

/// Starts a named thread, or says why not as a typed error (a container's
/// pids limit, say) instead of panicking as `std::thread::spawn` does.
pub fn spawn_thread(
    name: &str,
    work: impl FnOnce() + Send + 'static,
) -> Outcome<std::thread::JoinHandle<()>> {
    let short: String = name.chars().take(15).collect();
    std::thread::Builder::new()
        .name(short)
        .spawn(work)
        .map_err(|e| {
            Error::new(
                Code("ERR_PROJ_RESOURCES"),
                format!("cannot start a thread for {name}: {e}"),
            )
        })
}

/// The points `PROJ_TEST_PANIC` arms (read once); each panics once, so a
/// test can show that the next call works.
fn armed() -> &'static Mutex<Vec<String>> {
    static POINTS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    POINTS.get_or_init(|| {
        let points: Vec<String> = std::env::var("PROJ_TEST_PANIC")
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
            .unwrap_or_default();
        ANY_ARMED.store(!points.is_empty(), Ordering::Release);
        Mutex::new(points)
    })
}

static ANY_ARMED: AtomicBool = AtomicBool::new(true);

fn test_panic(name: &str, stage: &str) {
    if !ANY_ARMED.load(Ordering::Acquire) {
        return;
    }
    let point = if stage.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({stage})")
    };
    let fire = {
        let mut points = armed().lock().unwrap_or_else(PoisonError::into_inner);
        let found = points.iter().position(|p| *p == point);
        found.map(|i| points.remove(i)).is_some()
    };
    if fire {
        #[expect(clippy::panic, reason = "the test hook's whole purpose")]
        {
            panic!("PROJ_TEST_PANIC at {point}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every function exported with `#[napi]` (methods, getters, setters,
    /// constructors, free functions) starts its body with `entry(`.
    #[test]
    fn every_entry_point_is_guarded() {
        let mut files = Vec::new();
        collect(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut files,
        );
        let mut checked = 0;
        let mut unguarded = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                unguarded.push(format!("{}: unreadable", file.display()));
                continue;
            };
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let line = line.trim_start();
                let napi = line.starts_with("#[napi]") || line.starts_with("#[napi(");
                if !napi || line.contains("object") {
                    continue;
                }
                // The item the attribute belongs to: skip the rest of the
                // attribute, other attributes and doc comments.
                let Some(item) = (i..lines.len()).find(|&j| {
                    let l = lines[j].trim_start();
                    l.starts_with("pub ") || l.starts_with("fn ") || l.starts_with("impl")
                }) else {
                    continue;
                };
                let head = lines[item].trim_start();
                if !head.contains("fn ") {
                    continue;
                }
                let Some(open) = (item..lines.len()).find(|&j| lines[j].trim_end().ends_with('{'))
                else {
                    continue;
                };
                checked += 1;
                let first = lines.get(open + 1).map_or("", |l| l.trim_start());
                if !first.starts_with("entry(") {
                    unguarded.push(format!("{}:{}: {head}", file.display(), item + 1));
                }
            }
        }
        assert!(checked > 100, "found only {checked} entry points");
        assert!(
            unguarded.is_empty(),
            "entry points whose body does not start with entry(…):\n{}",
            unguarded.join("\n")
        );
    }

    fn collect(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
}
