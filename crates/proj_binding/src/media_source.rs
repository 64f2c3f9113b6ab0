//! `MediaSource` for JS: `next()` resolves with the packets queued (up to
//! `max`), or once some are; nothing waits on a thread for a reader (the
//! waiting is a future on a oneshot the streaming thread completes).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_gstreamer as pg;

use crate::entry::{entry, promise};
use crate::error::{from_gstreamer, Code};

/// One access unit of a source's stream (H.264/HEVC in Annex-B form).
#[napi(object)]
pub struct SourcePacket {
    pub stream: u32,
    /// `video` or `audio`.
    pub kind: String,
    /// `h264`, `hevc`, `av1`, `vp8`, `vp9`, `jpeg`, `png`; `aac`, `opus`.
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub pts_ns: Option<BigInt>,
    pub dts_ns: Option<BigInt>,
    pub duration_ns: Option<BigInt>,
    pub keyframe: bool,
    /// The first packet after a loop.
    pub discontinuity: bool,
    pub data: Buffer,
}

impl std::fmt::Debug for SourcePacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourcePacket")
            .field("stream", &self.stream)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

impl From<pg::Packet> for SourcePacket {
    fn from(p: pg::Packet) -> Self {
        Self {
            stream: p.stream,
            kind: p.kind.name().into(),
            codec: p.codec.into(),
            width: p.width,
            height: p.height,
            pts_ns: p.pts_ns.map(BigInt::from),
            dts_ns: p.dts_ns.map(BigInt::from),
            duration_ns: p.duration_ns.map(BigInt::from),
            keyframe: p.keyframe,
            discontinuity: p.discontinuity,
            data: p.data.into(),
        }
    }
}

/// One stream of a source.
#[napi(object)]
#[derive(Debug)]
pub struct SourceStream {
    pub index: u32,
    pub kind: String,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u32,
}

#[napi(object)]
#[derive(Debug)]
pub struct SourceStats {
    pub packets: f64,
    pub bytes: f64,
    pub loops: f64,
}

#[napi(object)]
#[derive(Debug, Default)]
pub struct MediaSourceOptions {
    pub realtime: Option<bool>,
    pub looping: Option<bool>,
    pub audio: Option<bool>,
    pub max_queued: Option<u32>,
}

/// A file (or a GStreamer source description) demuxed into packets.
#[napi]
pub struct MediaSource {
    inner: Arc<pg::MediaSource>,
}

impl std::fmt::Debug for MediaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

fn source_error(reason: String) -> Error<Code> {
    Error::new(Code("ERR_PROJ_SOURCE"), reason)
}

#[napi]
impl MediaSource {
    #[napi(constructor)]
    pub fn new(uri: String, options: Option<MediaSourceOptions>) -> Result<Self, Code> {
        entry("MediaSource::new", || {
            let o = options.unwrap_or_default();
            let defaults = pg::SourceOptions::default();
            let options = pg::SourceOptions {
                realtime: o.realtime.unwrap_or(defaults.realtime),
                looping: o.looping.unwrap_or(defaults.looping),
                audio: o.audio.unwrap_or(defaults.audio),
                max_queued: o
                    .max_queued
                    .map_or(defaults.max_queued, |m| usize::try_from(m).unwrap_or(0)),
            };
            let inner = pg::MediaSource::open(&uri, options).map_err(from_gstreamer)?;
            Ok(Self {
                inner: Arc::new(inner),
            })
        })
    }

    /// Up to `max` packets (default 64): at once where some are queued,
    /// else once some are; `null` at the end; rejects with
    /// `ERR_PROJ_SOURCE` after the packets before a failure.
    #[napi(ts_return_type = "Promise<SourcePacket[] | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
    ) -> Result<PromiseRaw<'env, Option<Vec<SourcePacket>>>, Code> {
        entry("MediaSource::next", || {
            let max = usize::try_from(max.unwrap_or(64).max(1)).unwrap_or(64);
            let inner = Arc::clone(&self.inner);
            promise(
                env,
                "MediaSource::next",
                async move {
                    loop {
                        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                        let waker: pg::Waker = Box::new(move || {
                            let _ = tx.send(());
                        });
                        match inner.take(max, Some(waker)) {
                            pg::Taken::Packets(packets) => return Ok(Some(packets)),
                            pg::Taken::End => return Ok(None),
                            pg::Taken::Failed(reason) => return Err(source_error(reason)),
                            pg::Taken::Wait => {
                                let _ = rx.await;
                            }
                        }
                    }
                },
                |packets: Option<Vec<pg::Packet>>| {
                    Ok(packets.map(|p| p.into_iter().map(SourcePacket::from).collect()))
                },
            )
        })
    }

    /// The streams found so far.
    #[napi]
    pub fn streams(&self) -> Result<Vec<SourceStream>, Code> {
        entry("MediaSource::streams", || {
            Ok(self
                .inner
                .streams()
                .into_iter()
                .map(|s| SourceStream {
                    index: s.index,
                    kind: s.kind.name().into(),
                    codec: s.codec.into(),
                    width: s.width,
                    height: s.height,
                    sample_rate: s.sample_rate,
                    channels: s.channels,
                })
                .collect())
        })
    }

    /// Streams of codecs not yielded (GStreamer caps names).
    #[napi]
    pub fn unsupported(&self) -> Result<Vec<String>, Code> {
        entry("MediaSource::unsupported", || Ok(self.inner.unsupported()))
    }

    #[napi]
    pub fn stats(&self) -> Result<SourceStats, Code> {
        entry("MediaSource::stats", || {
            let s = self.inner.stats();
            #[expect(clippy::cast_precision_loss, reason = "counters below 2^53")]
            Ok(SourceStats {
                packets: s.packets as f64,
                bytes: s.bytes as f64,
                loops: s.loops as f64,
            })
        })
    }

    /// Stops reading; a waiting `next()` resolves with `null`.
    #[napi]
    pub fn close(&self) -> Result<(), Code> {
        entry("MediaSource::close", || {
            self.inner.close();
            Ok(())
        })
    }
}
