//! What `StreamingMediaEncoder::stats` reports.

/// One stream's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStats {
    pub index: u32,
    pub kind: &'static str,
    /// Frames, samples, payloads or packets written.
    pub units: u64,
    pub bytes: u64,
    /// Encoded frames out of a video stream's encoder.
    pub encoded: u64,
    pub queued_bytes: u64,
    pub waits: u64,
    pub wait_ms: u64,
}

/// The encoder's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderStats {
    pub streams: Vec<StreamStats>,
    /// Bytes the muxer has produced.
    pub output_bytes: u64,
    /// Bytes handed to a Writable and not yet written.
    pub pending_output_bytes: u64,
    /// The furthest media time written, ns.
    pub media_time_ns: u64,
}
