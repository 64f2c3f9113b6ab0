//! Writing: each item checked, its stream's time kept in order, routed to
//! its chunk (video through the stream's encoder first).

use super::*;
use crate::pixels::check_frame_len;

impl ChunkedWriter {
    /// One video frame (the stream's input pixel format, width × height) at
    /// `ts_ns` (epoch ns). Returns once the encoder took it.
    pub fn write_frame(&self, s: usize, frame: &[u8], ts_ns: u64) -> Result<()> {
        let inner = &self.inner;
        let lane = inner.lane(s)?;
        if let Some(spec) = lane.lossless {
            spec.check_frame(frame.len())?;
            let (n, d) = spec.rate;
            let duration_ns = u64::from(d) * 1_000_000_000 / u64::from(n.max(1));
            return self.write_item(
                s,
                "video",
                ts_ns,
                true,
                Item::Raw {
                    data: frame,
                    duration_ns,
                },
            );
        }
        let Some(plan) = &lane.plan else {
            return Err(invalid(
                "stream",
                format!("{} is not a video stream", lane.name),
            ));
        };
        check_frame_len(
            frame.len(),
            plan.format.frame_bytes(plan.width, plan.height),
            plan.width,
            plan.height,
            plan.format.name(),
        )?;
        let rel = inner.relative(ts_ns)?;
        let mut feed = lock(&lane.feed);
        if let Some(last) = feed.last_ts.filter(|&l| rel <= l) {
            return Err(invalid(
                "timestamp",
                format!(
                    "{} does not increase on stream {} (its last frame was {} ns later in the recording)",
                    ts_ns,
                    lane.name,
                    last - rel
                ),
            ));
        }
        let i420 = to_i420(plan.format, plan.width, plan.height, frame)?;
        let encoder = inner.encoder(s, plan)?;
        let prepared = crate::video_write::prepare(&encoder, &i420)?;
        inner.came(s, rel);
        let seq = inner.route(s, rel, true, false)?;
        if feed.last_seq.is_some_and(|l| l != seq) {
            encoder.request_keyframe();
        }
        let (n, d) = plan.rate;
        let duration = u64::from(d) * 1_000_000_000 / u64::from(n.max(1));
        encoder.submit_prepared(prepared, rel, Some(duration), Some(u128::from(seq)))?;
        feed.last_ts = Some(rel);
        feed.last_seq = Some(seq);
        lane.items.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// One payload of a data stream at `ts_ns` (epoch ns), stored byte for byte.
    pub fn write_data(&self, s: usize, payload: &[u8], ts_ns: u64) -> Result<()> {
        self.write_item(s, "data", ts_ns, true, Item::Data(payload))
    }

    /// Interleaved samples of an audio stream starting at `ts_ns`.
    pub fn write_audio(&self, s: usize, samples: &[u8], ts_ns: u64) -> Result<()> {
        self.write_item(s, "audio", ts_ns, true, Item::Audio(samples))
    }

    /// One encoded access unit of a packet stream (a camera's H.264).
    pub fn write_packet(
        &self,
        s: usize,
        data: &[u8],
        pts_ns: u64,
        dts_ns: Option<u64>,
        keyframe: bool,
    ) -> Result<()> {
        let dts_rel = match dts_ns {
            Some(d) => Some(self.inner.relative(d)?),
            None => None,
        };
        self.write_item(
            s,
            "packets",
            pts_ns,
            keyframe,
            Item::Packet {
                data,
                dts_ns: dts_rel,
                duration_ns: None,
                keyframe,
            },
        )
    }

    pub(super) fn write_item(
        &self,
        s: usize,
        kind: &'static str,
        ts_ns: u64,
        may_start: bool,
        item: Item<'_>,
    ) -> Result<()> {
        let inner = &self.inner;
        let lane = inner.lane(s)?;
        let config = &inner.streams[s].1;
        if config.kind() != kind {
            return Err(invalid(
                "stream",
                format!("{} is a {} stream, not {kind}", lane.name, config.kind()),
            ));
        }
        let rel = inner.relative(ts_ns)?;
        // Packets come in decode order: their DTS increases, not their PTS.
        let order = match &item {
            Item::Packet {
                dts_ns: Some(dts), ..
            } => *dts,
            _ => rel,
        };
        let mut feed = lock(&lane.feed);
        let strictly = kind != "data";
        if let Some(last) = feed
            .last_ts
            .filter(|&l| order < l || (strictly && order == l))
        {
            return Err(invalid(
                "timestamp",
                format!(
                    "{ts_ns} goes back on stream {} (its last item was {} ns later in the recording)",
                    lane.name,
                    last - order
                ),
            ));
        }
        inner.came(s, rel);
        let seq = inner.route(s, rel, may_start, true)?;
        let chunk = lock(&inner.state).chunks.get(&seq).cloned();
        let Some(chunk) = chunk else {
            inner.drop_items(
                s,
                1,
                "its chunk had closed (the stream was ended as stalled)",
            );
            return Ok(());
        };
        match chunk.write(s, rel, item) {
            Ok(()) => {}
            Err(RecordingError::Closed)
            | Err(RecordingError::InvalidArgument { name: "i", .. }) => {
                inner.drop_items(s, 1, "its track had been ended (the stream stalled)");
            }
            Err(e) => return Err(e),
        }
        feed.last_ts = Some(order);
        lane.items.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
