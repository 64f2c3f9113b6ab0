//! Start-up salvage: every `.part` a crash left is made whole (Matroska:
//! cut after its last whole block, byte for byte; MP4: remuxed), made
//! durable, recorded, and only then deleted.

use super::*;

impl Inner {
    /// Salvages the `.part` files in the directory; returns the next free seq.
    pub(super) fn salvage(&self) -> Result<u64> {
        let mut next = 0;
        let entries = std::fs::read_dir(&self.dir).map_err(|e| RecordingError::Io {
            what: "listing",
            path: self.dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut parts: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".part"))
            .collect();
        parts.sort();
        for part in parts {
            let name = part
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".part").to_owned();
            let seq: Option<u64> = stem.split('.').next().and_then(|n| n.parse().ok());
            if let Some(seq) = seq {
                next = next.max(seq + 1);
            }
            let target = self.dir.join(&stem);
            let tmp = self.dir.join(format!("{stem}.salvage"));
            let size = std::fs::metadata(&part).map_or(0, |m| m.len());
            if size == 0 {
                // Nothing to keep: the muxer had not written a byte.
                let _ = std::fs::remove_file(&part);
                continue;
            }
            let outcome = salvage_file(&part, &tmp);
            if matches!(&outcome, Ok(report) if report.tracks.iter().all(|t| t.packets == 0)) {
                // Headers only (killed before its first whole frame): nothing
                // to keep either.
                let _ = std::fs::remove_file(&tmp);
                let _ = std::fs::remove_file(&part);
                continue;
            }
            let outcome = outcome.and_then(|report| {
                durable::commit(&tmp, &target)?;
                Ok(report)
            });
            match outcome {
                Ok(report) => {
                    let _ = std::fs::remove_file(&part);
                    let _ = durable::sync_dir(&self.dir);
                    let frames: Frames = report
                        .tracks
                        .iter()
                        .map(|t| (t.name.clone(), t.packets))
                        .collect();
                    let bytes = std::fs::metadata(&target).map_or(0, |m| m.len());
                    let mut manifest = lock(&self.manifest);
                    if let Some(seq) = seq {
                        if let Some(entry) = manifest.chunks.iter_mut().find(|c| c.seq == seq) {
                            entry.status = "salvaged".into();
                            entry.file = stem.clone();
                            entry.bytes = bytes;
                        } else {
                            manifest.chunks.push(ChunkEntry {
                                seq,
                                file: stem.clone(),
                                status: "salvaged".into(),
                                bytes,
                                tracks: report
                                    .tracks
                                    .iter()
                                    .map(|t| TrackEntry {
                                        stream: t.name.clone(),
                                        frames: t.packets,
                                        ..TrackEntry::default()
                                    })
                                    .collect(),
                                ..ChunkEntry::default()
                            });
                        }
                    }
                    let snapshot = manifest.clone();
                    drop(manifest);
                    snapshot.save(&self.dir)?;
                    (self.events)(ChunkEvent::Salvaged {
                        part: part.display().to_string(),
                        path: target.display().to_string(),
                        frames,
                        truncated: !report.truncated.is_empty(),
                    });
                }
                Err(error) => {
                    let _ = std::fs::remove_file(&tmp);
                    (self.events)(ChunkEvent::SalvageFailed {
                        part: part.display().to_string(),
                        error,
                    });
                }
            }
        }
        Ok(next)
    }
}

/// A `.part` made whole into `output` (not yet durable): Matroska cut after
/// its last whole block, byte for byte; MP4 remuxed.
fn salvage_file(part: &Path, output: &Path) -> Result<RemuxReport> {
    if !ebml_file(part) {
        return remux(&[vec![part.to_path_buf()]], output);
    }
    let bytes = read(part)?;
    let layout = ebml::scan(&bytes)?;
    let fixed = ebml::write(&[(&bytes, &layout)])?;
    std::fs::write(output, fixed).map_err(|e| RecordingError::Io {
        what: "writing",
        path: output.display().to_string(),
        reason: e.to_string(),
    })?;
    let cut = if layout.cut {
        vec![part.to_path_buf()]
    } else {
        Vec::new()
    };
    Ok(report_of(&layout, cut))
}

pub(super) fn ebml_file(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".part").unwrap_or(&name);
    name.ends_with(".mkv") || name.ends_with(".mka") || name.ends_with(".webm")
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| RecordingError::Io {
        what: "reading",
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

pub(super) fn report_of(layout: &ebml::Layout, cut: Vec<PathBuf>) -> RemuxReport {
    RemuxReport {
        tracks: layout
            .blocks
            .iter()
            .map(|(n, count)| RemuxedTrack {
                name: format!("track{n}"),
                media: String::new(),
                packets: *count,
            })
            .collect(),
        truncated: cut,
    }
}
