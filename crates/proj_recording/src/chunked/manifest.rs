//! `manifest.json` of a recording directory: every chunk with its
//! absolute start (epoch ns), duration, tracks and frame counts; written
//! atomically and durably after each chunk.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::chunked::durable::write_atomic;
use crate::error::invalid;
use crate::Result;

pub const FILE: &str = "manifest.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEntry {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub codec: String,
    #[serde(default)]
    pub metadata: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackEntry {
    pub stream: String,
    /// Frames, packets, payloads or audio buffers written.
    pub frames: u64,
    pub bytes: u64,
    /// The first and last item's recording time (ns from the origin): the
    /// file's timestamps in Matroska (MP4 chunks start at 0: mp4mux).
    pub first_pts_ns: Option<u64>,
    pub last_pts_ns: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkEntry {
    pub seq: u64,
    /// File name in the directory.
    pub file: String,
    /// `durable`, `failed`, `salvaged` or `deleted`.
    pub status: String,
    /// Epoch ns of the recording's origin (the file's timestamp 0), as a
    /// decimal string (beyond JavaScript's exact integers).
    pub origin_ns: String,
    /// Epoch ns of the chunk's start, as a decimal string.
    pub start_ns: String,
    pub duration_ns: u64,
    pub bytes: u64,
    pub fsync_ms: f64,
    pub tracks: Vec<TrackEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub container: String,
    pub chunk_length_ns: u64,
    pub streams: Vec<StreamEntry>,
    pub chunks: Vec<ChunkEntry>,
}

impl Manifest {
    /// The directory's manifest, if it has one.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                invalid(
                    "outputDirectory",
                    format!("{} is not a recording manifest: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(crate::RecordingError::Io {
                what: "reading",
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let bytes =
            serde_json::to_vec_pretty(self).map_err(|e| invalid("manifest", e.to_string()))?;
        write_atomic(&dir.join(FILE), &bytes)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn next_seq(&self) -> u64 {
        self.chunks.iter().map(|c| c.seq + 1).max().unwrap_or(0)
    }
}
