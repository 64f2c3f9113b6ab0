//! Submitted frames waiting for their decoded picture, matched by PTS.
//!
//! Decoders output pictures in presentation order, so when the picture with
//! PTS `p` comes out, every frame still waiting with a smaller PTS will never
//! get one (the decoder dropped it): those are handed back as lost.
//! Intra-only codecs keep submission order (a FIFO), which also copes with
//! equal timestamps. For the others a frame whose PTS another waiting frame
//! already has is given the next free nanosecond: decoders re-time
//! duplicated PTS (to the previous picture's plus its duration), which
//! made such a picture an orphan and its frame `decode_failed`.

use std::collections::{BTreeMap, VecDeque};

use proj_frame::VideoFrame;

#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// By PTS; each frame with its submission number.
    by_pts: BTreeMap<u64, VecDeque<(u64, VideoFrame)>>,
    submitted: u64,
}

/// The frame a picture belongs to, and frames that will get none.
#[derive(Debug, Default)]
pub(crate) struct Matched {
    pub frame: Option<VideoFrame>,
    pub lost: Vec<VideoFrame>,
}

impl Pending {
    /// Files `frame` under `pts_ns`, or (`unique`) under the first
    /// nanosecond from `pts_ns` on that no waiting frame has; returns the PTS
    /// to give the decoder.
    pub fn insert(&mut self, pts_ns: u64, frame: VideoFrame, unique: bool) -> u64 {
        let mut pts = pts_ns;
        while unique && self.by_pts.contains_key(&pts) && pts < u64::MAX - 1 {
            pts += 1;
        }
        self.submitted += 1;
        self.by_pts
            .entry(pts)
            .or_default()
            .push_back((self.submitted, frame));
        pts
    }

    /// Takes back the frame inserted last at `pts_ns` (its push failed).
    pub fn remove_last(&mut self, pts_ns: u64) -> Option<VideoFrame> {
        let queue = self.by_pts.get_mut(&pts_ns)?;
        let frame = queue.pop_back().map(|(_, frame)| frame);
        if queue.is_empty() {
            self.by_pts.remove(&pts_ns);
        }
        frame
    }

    /// The frame for a picture with `pts_ns`; frames with smaller PTS are
    /// lost. With `fifo` (intra-only codecs, whose decoders keep
    /// submission order) the frame submitted first matches whatever the
    /// PTS.
    pub fn take(&mut self, pts_ns: Option<u64>, fifo: bool) -> Matched {
        let mut matched = Matched::default();
        let key = match (pts_ns, fifo) {
            (_, true) => self
                .by_pts
                .iter()
                .filter_map(|(pts, queue)| queue.front().map(|(n, _)| (*n, *pts)))
                .min()
                .map(|(_, pts)| pts),
            (None, _) => self.by_pts.keys().next().copied(),
            (Some(pts), false) => {
                let older: Vec<u64> = self.by_pts.range(..pts).map(|(k, _)| *k).collect();
                for k in older {
                    if let Some(queue) = self.by_pts.remove(&k) {
                        matched
                            .lost
                            .extend(queue.into_iter().map(|(_, frame)| frame));
                    }
                }
                self.by_pts.contains_key(&pts).then_some(pts)
            }
        };
        if let Some(key) = key {
            if let Some(queue) = self.by_pts.get_mut(&key) {
                matched.frame = queue.pop_front().map(|(_, frame)| frame);
                if queue.is_empty() {
                    self.by_pts.remove(&key);
                }
            }
        }
        matched
    }

    /// Everything still waiting, oldest PTS first.
    pub fn drain(&mut self) -> Vec<VideoFrame> {
        std::mem::take(&mut self.by_pts)
            .into_values()
            .flatten()
            .map(|(_, frame)| frame)
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_pts.values().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proj_frame::{FrameContent, Rational, VideoFrameParams};

    fn frame(pts: i64) -> VideoFrame {
        let params = VideoFrameParams {
            source_id: "s".into(),
            fps: Rational { num: 30, den: 1 },
            width: 16,
            height: 16,
            content: FrameContent::None,
            transcoding_method: Default::default(),
            codec: None,
            keyframe: None,
            time_base: Rational {
                num: 1,
                den: 1_000_000_000,
            },
            pts,
            dts: None,
            duration: None,
        };
        VideoFrame::new(params).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn pictures_match_by_pts_and_skipped_ones_are_lost() {
        let mut pending = Pending::default();
        for pts in [0u64, 3, 1, 2, 6, 4, 5] {
            pending.insert(pts, frame(pts as i64), true);
        }
        assert_eq!(pending.take(Some(0), false).frame.map(|f| f.pts()), Some(0));
        // 1 and 2 never came out: lost when 3 does.
        let m = pending.take(Some(3), false);
        assert_eq!(m.frame.map(|f| f.pts()), Some(3));
        assert_eq!(
            m.lost.iter().map(VideoFrame::pts).collect::<Vec<_>>(),
            [1, 2]
        );
        // A picture nobody submitted.
        assert!(pending.take(Some(100), false).frame.is_none());
        assert_eq!(pending.len(), 0);
    }

    /// A duplicated PTS gets the next free nanosecond, so each picture
    /// finds its own frame; intra-only codecs (FIFO) keep PTS as given.
    #[test]
    fn duplicated_pts_are_made_unique() {
        let mut pending = Pending::default();
        let given: Vec<u64> = [0u64, 33, 33, 33, 66]
            .iter()
            .map(|&pts| pending.insert(pts, frame(pts as i64), true))
            .collect();
        assert_eq!(given, [0, 33, 34, 35, 66]);
        for pts in given {
            let m = pending.take(Some(pts), false);
            assert!(m.frame.is_some() && m.lost.is_empty(), "picture {pts}");
        }
        assert_eq!(pending.insert(7, frame(7), false), 7);
        assert_eq!(pending.insert(7, frame(7), false), 7);
    }

    /// Intra-only codecs match in submission order, whatever the PTS
    /// (before, the smallest PTS matched first).
    #[test]
    fn fifo_matches_in_submission_order() {
        let mut pending = Pending::default();
        for pts in [0u64, 66, 33, 100] {
            pending.insert(pts, frame(pts as i64), false);
        }
        let order: Vec<i64> = (0..4)
            .filter_map(|_| pending.take(Some(999), true).frame.map(|f| f.pts()))
            .collect();
        assert_eq!(order, [0, 66, 33, 100]);
    }
}
