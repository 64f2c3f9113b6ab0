//! `MediaSource` for JS: `next()` resolves with the packets queued (up to
//! `max`) and the events, or once some are; nothing waits on a thread for
//! a reader (the waiting is a future on a oneshot the streaming thread
//! completes).

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use proj_gstreamer as pg;

use crate::entry::{entry, promise};
use crate::error::{from_gstreamer, invalid_argument, Code};

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
pub struct SourceStream {
    pub index: u32,
    pub kind: String,
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub sample_rate: u32,
    pub channels: u32,
    /// The demuxer's codec configuration (AAC's AudioSpecificConfig when
    /// its packets are raw), for a remux (`addPacketStream`).
    pub codec_data: Option<Buffer>,
}

impl std::fmt::Debug for SourceStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceStream")
            .field("index", &self.index)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

#[napi(object)]
#[derive(Debug)]
pub struct SourceStats {
    pub packets: f64,
    pub bytes: f64,
    pub loops: f64,
    pub dropped_oldest: f64,
    pub dropped_newest: f64,
    pub reconnects: f64,
    pub last_error: Option<String>,
    /// Packets and bits a second over the last few seconds.
    pub packet_rate: f64,
    pub bit_rate: f64,
}

/// `connected`, `disconnected` (`reason`), `reconnecting` (`attempt`,
/// `delayMs`), `stalled` (`seconds`), `streamchanged` (`stream`, `codec`,
/// `width`, `height`), `ended`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct SourceEvent {
    pub kind: String,
    pub reason: Option<String>,
    pub attempt: Option<u32>,
    pub delay_ms: Option<f64>,
    pub seconds: Option<f64>,
    pub stream: Option<u32>,
    pub codec: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

impl From<pg::SourceEvent> for SourceEvent {
    fn from(e: pg::SourceEvent) -> Self {
        let kind = |k: &str| Self {
            kind: k.into(),
            ..Self::default()
        };
        match e {
            pg::SourceEvent::Connected => kind("connected"),
            pg::SourceEvent::Ended => kind("ended"),
            pg::SourceEvent::Disconnected { reason } => Self {
                reason: Some(reason),
                ..kind("disconnected")
            },
            #[expect(clippy::cast_precision_loss, reason = "milliseconds below 2^53")]
            pg::SourceEvent::Reconnecting { attempt, delay_ms } => Self {
                attempt: Some(attempt),
                delay_ms: Some(delay_ms as f64),
                ..kind("reconnecting")
            },
            pg::SourceEvent::Stalled { seconds } => Self {
                seconds: Some(seconds),
                ..kind("stalled")
            },
            pg::SourceEvent::StreamChanged {
                stream,
                codec,
                width,
                height,
            } => Self {
                stream: Some(stream),
                codec: Some(codec.into()),
                width: Some(width),
                height: Some(height),
                ..kind("streamchanged")
            },
        }
    }
}

/// What one `next()` brings.
#[napi(object)]
#[derive(Debug)]
pub struct SourceBatch {
    pub packets: Vec<SourcePacket>,
    pub events: Vec<SourceEvent>,
}

#[napi(object)]
#[derive(Debug, Default)]
pub struct MediaSourceOptions {
    pub realtime: Option<bool>,
    pub looping: Option<bool>,
    pub audio: Option<bool>,
    pub max_queued: Option<u32>,
    /// `tcp` (default), `udp` or `auto`.
    pub transport: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub connect_timeout_ms: Option<u32>,
    pub stall_timeout_ms: Option<u32>,
    pub latency_ms: Option<u32>,
    pub reconnect: Option<bool>,
    pub reconnect_base_delay_ms: Option<u32>,
    pub reconnect_max_delay_ms: Option<u32>,
    pub max_attempts: Option<u32>,
    /// `oldest` (default) or `newest`.
    pub drop_policy: Option<String>,
}

fn live_options(o: &MediaSourceOptions) -> Result<pg::LiveOptions, Code> {
    let d = pg::LiveOptions::default();
    let ms = |v: Option<u32>, default: Duration| {
        v.map_or(default, |m| Duration::from_millis(u64::from(m)))
    };
    let transport = match o.transport.as_deref() {
        None | Some("tcp") => pg::Transport::Tcp,
        Some("udp") => pg::Transport::Udp,
        Some("auto") => pg::Transport::Auto,
        Some(other) => {
            return Err(invalid_argument(format!(
                "transport {other:?}: expected tcp, udp or auto"
            )))
        }
    };
    let drop_policy = match o.drop_policy.as_deref() {
        None | Some("oldest") => pg::DropPolicy::Oldest,
        Some("newest") => pg::DropPolicy::Newest,
        Some(other) => {
            return Err(invalid_argument(format!(
                "dropPolicy {other:?}: expected oldest or newest"
            )))
        }
    };
    Ok(pg::LiveOptions {
        transport,
        user: o.user.clone(),
        password: o.password.clone(),
        connect_timeout: ms(o.connect_timeout_ms, d.connect_timeout),
        stall_timeout: ms(o.stall_timeout_ms, d.stall_timeout),
        latency_ms: o.latency_ms.unwrap_or(d.latency_ms),
        reconnect: o.reconnect.unwrap_or(d.reconnect),
        base_delay: ms(o.reconnect_base_delay_ms, d.base_delay),
        max_delay: ms(o.reconnect_max_delay_ms, d.max_delay),
        max_attempts: o.max_attempts,
        drop_policy,
    })
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
    let code = if reason.starts_with("not authorised") {
        "ERR_PROJ_SOURCE_AUTH"
    } else {
        "ERR_PROJ_SOURCE"
    };
    Error::new(Code(code), reason)
}

#[napi]
impl MediaSource {
    #[napi(constructor)]
    pub fn new(uri: String, options: Option<MediaSourceOptions>) -> Result<Self, Code> {
        entry("MediaSource::new", || {
            let o = options.unwrap_or_default();
            let defaults = pg::SourceOptions::default();
            let options = pg::SourceOptions {
                live: live_options(&o)?,
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

    /// Up to `max` packets (default 64) and the events so far: at once
    /// where some are queued, else once some are; `null` at the end;
    /// rejects with `ERR_PROJ_SOURCE` (`ERR_PROJ_SOURCE_AUTH` for refused
    /// credentials) after the packets before a failure.
    #[napi(ts_return_type = "Promise<SourceBatch | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        max: Option<u32>,
    ) -> Result<PromiseRaw<'env, Option<SourceBatch>>, Code> {
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
                            pg::Taken::Ready(packets, events) => {
                                return Ok(Some((packets, events)))
                            }
                            pg::Taken::End => return Ok(None),
                            pg::Taken::Failed(reason) => return Err(source_error(reason)),
                            pg::Taken::Wait => {
                                let _ = rx.await;
                            }
                        }
                    }
                },
                |batch: Option<(Vec<pg::Packet>, Vec<pg::SourceEvent>)>| {
                    Ok(batch.map(|(packets, events)| SourceBatch {
                        packets: packets.into_iter().map(SourcePacket::from).collect(),
                        events: events.into_iter().map(SourceEvent::from).collect(),
                    }))
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
                    codec_data: s.codec_data.map(Into::into),
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
            let count = |v: u64| v as f64;
            Ok(SourceStats {
                packets: count(s.packets),
                bytes: count(s.bytes),
                loops: count(s.loops),
                dropped_oldest: count(s.dropped_oldest),
                dropped_newest: count(s.dropped_newest),
                reconnects: count(s.reconnects),
                last_error: s.last_error,
                packet_rate: s.packet_rate,
                bit_rate: s.bit_rate,
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
