//! omgrab's merge helpers, without an ffmpeg binary.

use super::salvage::{ebml_file, read, report_of};
use super::*;

/// omgrab's `merge_stream_files`: single-stream files into one multi-track
/// file (`output` `.mkv` or `.mp4`), written atomically and durably.
pub fn merge_stream_files(parts: &[PathBuf], output: &Path) -> Result<RemuxReport> {
    let groups: Vec<Vec<PathBuf>> = parts.iter().map(|p| vec![p.clone()]).collect();
    copy_durably(&groups, output)
}

/// omgrab's `merge_recording_chunks`: a recording directory's chunks, in
/// order, into one file. The chunks are kept (delete them yourself).
pub fn merge_recording_chunks(dir: &Path, output: &Path) -> Result<RemuxReport> {
    let mut files: Vec<(u64, PathBuf)> = match Manifest::load(dir)? {
        Some(m) => m
            .chunks
            .iter()
            .filter(|c| c.status == "durable" || c.status == "salvaged")
            .map(|c| (c.seq, dir.join(&c.file)))
            .filter(|(_, p)| p.is_file())
            .collect(),
        None => Vec::new(),
    };
    if files.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| RecordingError::Io {
            what: "listing",
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(seq) = name
                .strip_suffix(".mkv")
                .or_else(|| name.strip_suffix(".mp4"))
                .and_then(|s| s.parse::<u64>().ok())
            {
                files.push((seq, path));
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(invalid(
            "recordingDir",
            format!("{} holds no finished chunk", dir.display()),
        ));
    }
    let files: Vec<PathBuf> = files.into_iter().map(|(_, p)| p).collect();
    if files.iter().all(|f| ebml_file(f)) {
        return concat_matroska(&files, output);
    }
    copy_durably(&[files], output)
}

/// Chunks of one recording into one Matroska file, clusters copied byte
/// for byte (data tracks stay exact), atomically and durably.
fn concat_matroska(files: &[PathBuf], output: &Path) -> Result<RemuxReport> {
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| read(f)).collect::<Result<_>>()?;
    let layouts: Vec<ebml::Layout> = bytes.iter().map(|b| ebml::scan(b)).collect::<Result<_>>()?;
    let pairs: Vec<(&[u8], &ebml::Layout)> =
        bytes.iter().map(Vec::as_slice).zip(&layouts).collect();
    let merged = ebml::write(&pairs)?;
    let mut total = ebml::Layout::default();
    for l in &layouts {
        for (t, n) in &l.blocks {
            *total.blocks.entry(*t).or_default() += n;
        }
    }
    let cut = files
        .iter()
        .zip(&layouts)
        .filter(|(_, l)| l.cut)
        .map(|(f, _)| f.clone())
        .collect();
    durable::write_atomic(output, &merged)?;
    Ok(report_of(&total, cut))
}

fn copy_durably(groups: &[Vec<PathBuf>], output: &Path) -> Result<RemuxReport> {
    let tmp = {
        let mut name = output.as_os_str().to_owned();
        name.push(".tmp");
        PathBuf::from(name)
    };
    let report = remux(groups, &tmp);
    match report {
        Ok(r) => {
            durable::commit(&tmp, output)?;
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
