//! GStreamer for `@proj`: the codec enum, a crash-safe MP4 muxer, media
//! sources that demux files into packets, and the NVENC probe.
//!
//! The muxer is `appsrc → parser → qtmux → filesink`. qtmux writes a
//! fragmented MP4 through an unbuffered filesink, so a file cut short by a
//! crash at any moment still opens and holds every completed fragment.

mod access_unit;
mod codec;
mod error;
mod flow;
mod init;
mod mp4_muxer;
mod nvenc;
mod property;
mod source;

pub use access_unit::{
    inspect_access_unit, inspect_nal_units, split_annex_b, split_length_prefixed, AccessUnit,
    MAX_FRAME_BYTES,
};
pub use codec::Codec;
pub use error::{GstreamerError, Result};
pub use flow::{FlowResult, InvocationReason};
pub use init::init;
pub use mp4_muxer::{Mp4Muxer, Mp4MuxerOptions, Mp4MuxerStats};
pub use nvenc::has_nvenc;
pub use property::set_property;
pub use source::{
    DropPolicy, LiveOptions, MediaSource, Packet, SourceEvent, SourceOptions, SourceStats,
    StreamInfo, StreamKind, Taken, Transport, Waker,
};
