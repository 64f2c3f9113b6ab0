//! Making a chunk durable: `fsync(file)` → `rename` → `fsync(directory)`.
//! An fsync error is final for that file: Linux may drop the failed dirty
//! pages, so a second fsync could succeed with data lost; the `.part`
//! stays for salvage and the chunk is reported failed, never retried.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{RecordingError, Result};

fn io(what: &'static str, path: &Path, e: &std::io::Error) -> RecordingError {
    RecordingError::Io {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// `fsync` of a file written by someone else (the muxer's filesink).
pub(crate) fn sync_file(path: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io("opening for fsync", path, &e))?;
    file.sync_all().map_err(|e| RecordingError::Durability {
        path: path.display().to_string(),
        reason: format!("fsync failed: {e}"),
    })
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let d = File::open(dir).map_err(|e| io("opening the directory", dir, &e))?;
    d.sync_all().map_err(|e| RecordingError::Durability {
        path: dir.display().to_string(),
        reason: format!("fsync of the directory failed: {e}"),
    })
}

/// `part` made durable under `target`; returns the time the two fsyncs took.
pub(crate) fn commit(part: &Path, target: &Path) -> Result<Duration> {
    let started = Instant::now();
    sync_file(part)?;
    std::fs::rename(part, target).map_err(|e| io("renaming", part, &e))?;
    let dir = target.parent().unwrap_or(Path::new("."));
    sync_dir(dir)?;
    Ok(started.elapsed())
}

/// Writes `bytes` to `path` atomically and durably (a temporary file
/// beside it, fsynced, renamed, directory fsynced).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp: PathBuf = {
        let mut name = path.as_os_str().to_owned();
        name.push(".tmp");
        name.into()
    };
    let mut file = File::create(&tmp).map_err(|e| io("creating", &tmp, &e))?;
    file.write_all(bytes).map_err(|e| io("writing", &tmp, &e))?;
    file.sync_all().map_err(|e| RecordingError::Durability {
        path: tmp.display().to_string(),
        reason: format!("fsync failed: {e}"),
    })?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io("renaming", &tmp, &e))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}
