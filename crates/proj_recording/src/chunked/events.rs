//! What a `ChunkedWriter` tells its owner.

use std::sync::Arc;

use crate::RecordingError;

/// Frames (packets, payloads, audio buffers) per stream.
pub type Frames = Vec<(String, u64)>;

#[derive(Debug, Clone)]
pub enum ChunkEvent {
    /// A chunk began: `path` is its `.part` while it is written.
    Opened {
        seq: u64,
        path: String,
        /// Epoch ns.
        start_ns: u64,
        tracks: Vec<String>,
    },
    /// Every track ended and the muxer wrote its end (not yet durable).
    Closed {
        seq: u64,
        path: String,
        start_ns: u64,
        duration_ns: u64,
        bytes: u64,
        frames: Frames,
    },
    /// fsync(file) → rename → fsync(directory) done: `path` is final.
    Durable {
        seq: u64,
        path: String,
        start_ns: u64,
        duration_ns: u64,
        bytes: u64,
        frames: Frames,
        fsync_ms: f64,
    },
    /// The chunk could not be closed or made durable; `path` (its
    /// `.part`) is kept for salvage.
    Failed {
        seq: u64,
        path: String,
        error: RecordingError,
    },
    /// A stream gave nothing for the stall time: it was ended in the chunks
    /// in flight, which go on without it.
    Stalled {
        stream: String,
        /// Epoch ns of its last item (`None`: it never gave one).
        since_ns: Option<u64>,
        silent_ms: u64,
    },
    /// A stalled stream came back: a new chunk with its track began.
    Resumed { stream: String, at_ns: u64 },
    /// A write has waited `seconds` for room in its chunk (`what` says who
    /// waits for what): the muxer or the disk is stuck. Repeated while it
    /// lasts; never silent.
    Waiting { what: String, seconds: u64 },
    /// Items lost by policy or because their chunk had closed.
    Dropped {
        stream: String,
        count: u64,
        reason: String,
    },
    /// A `.part` left by a crash, remuxed and finalized.
    Salvaged {
        part: String,
        path: String,
        frames: Frames,
        truncated: bool,
    },
    /// A `.part` that could not be salvaged (kept).
    SalvageFailed { part: String, error: RecordingError },
    /// Retention deleted a finalized chunk.
    Deleted { path: String, reason: String },
    /// Something failed outside a chunk (the manifest, an encoder).
    Error(RecordingError),
}

pub type ChunkEventCallback = Arc<dyn Fn(ChunkEvent) + Send + Sync>;
