//! Silence detection equal to `librosa.effects.trim` and `librosa.effects.split` with
//! `ref=np.max`: a frame is silent when its RMS is more than `top_db` below the loudest frame.

use super::frames::frame_all;
use serde::{Deserialize, Serialize};

/// A half-open range of samples `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: usize,
    pub end: usize,
}

impl Interval {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    pub fn seconds(&self, sample_rate: u32) -> [f64; 2] {
        let sr = sample_rate as f64;
        [self.start as f64 / sr, self.end as f64 / sr]
    }
}

/// Where sample `offset` of the `kept` intervals joined end to end (what the features and the
/// pitch are computed on) lies in the original recording, and in which interval (its index).
/// An offset past the joined length maps to the end of the last interval.
pub fn original_sample(kept: &[Interval], mut offset: usize) -> (usize, usize) {
    for (i, interval) in kept.iter().enumerate() {
        if offset < interval.len() {
            return (interval.start + offset, i);
        }
        offset -= interval.len();
    }
    kept.last().map_or((offset, 0), |i| (i.end, kept.len() - 1))
}

/// How silence is found. Field names follow librosa.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceParams {
    pub top_db: f64,
    pub frame_length: usize,
    pub hop_length: usize,
}

/// Mean square of one frame (`librosa.feature.rms(...) ** 2` for that frame).
pub fn mean_square(frame: &[f32]) -> f64 {
    sum_of_squares(frame) / frame.len() as f64
}

/// `Σ x²` in f64, where each square is exact. Eight running sums instead of one, so the loop
/// vectorises instead of waiting on each addition (a third of a short clip's trimming time
/// was that wait); every caller sums in this same order, so streamed and whole-clip frame
/// powers stay equal to the bit.
pub fn sum_of_squares(x: &[f32]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = x.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64 * v as f64).sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v as f64 * v as f64;
        }
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + e) + (b + f)) + ((c + g) + (d + h)) + tail
}

/// Mean square of each centred, zero-padded frame (`librosa.feature.rms(...) ** 2`).
pub fn frame_power(signal: &[f32], frame_length: usize, hop_length: usize) -> Vec<f64> {
    let mut power = Vec::with_capacity(1 + signal.len() / hop_length);
    frame_all(signal, frame_length, hop_length, |_, frame| power.push(mean_square(frame)));
    power
}

/// Which frames are louder than `top_db` below the loudest one, from their [`frame_power`].
pub fn non_silent(power: &[f64], top_db: f64) -> Vec<bool> {
    const AMIN: f64 = 1e-10;
    let peak = power.iter().cloned().fold(0.0f64, f64::max);
    let ref_db = 10.0 * peak.max(AMIN).log10();
    power.iter().map(|&pw| 10.0 * pw.max(AMIN).log10() - ref_db > -top_db).collect()
}

/// Which frames are louder than `top_db` below the loudest one.
pub fn non_silent_frames(signal: &[f32], p: &SilenceParams) -> Vec<bool> {
    non_silent(&frame_power(signal, p.frame_length, p.hop_length), p.top_db)
}

/// The non-silent span, like `librosa.effects.trim`. `None` when everything is silent.
pub fn trim(signal: &[f32], p: &SilenceParams) -> Option<Interval> {
    trim_frames(&non_silent_frames(signal, p), signal.len(), p.hop_length)
}

fn trim_frames(frames: &[bool], n_samples: usize, hop: usize) -> Option<Interval> {
    let first = frames.iter().position(|&b| b)?;
    let last = frames.iter().rposition(|&b| b)?;
    Some(Interval { start: (first * hop).min(n_samples), end: ((last + 1) * hop).min(n_samples) })
}

/// Non-silent intervals, like `librosa.effects.split`.
pub fn split(signal: &[f32], p: &SilenceParams) -> Vec<Interval> {
    split_frames(&non_silent_frames(signal, p), signal.len(), p.hop_length)
}

fn split_frames(frames: &[bool], n_samples: usize, hop: usize) -> Vec<Interval> {
    let mut intervals = Vec::new();
    let mut open: Option<usize> = None;
    for (t, &loud) in frames.iter().enumerate() {
        match (loud, open) {
            (true, None) => open = Some(t),
            (false, Some(s)) => {
                intervals.push((s, t));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(s) = open {
        intervals.push((s, frames.len()));
    }
    intervals
        .into_iter()
        .map(|(s, e)| Interval { start: (s * hop).min(n_samples), end: (e * hop).min(n_samples) })
        .filter(|i| !i.is_empty())
        .collect()
}

/// The audio to keep: the trimmed span, and, when `max_pause` (in samples) is given, without
/// inner pauses longer than it. Returns nothing when the signal is silent.
pub fn kept_intervals(signal: &[f32], p: &SilenceParams, max_pause: Option<usize>) -> Vec<Interval> {
    let power = frame_power(signal, p.frame_length, p.hop_length);
    kept_intervals_from_power(&power, signal.len(), p, max_pause)
}

/// [`kept_intervals`] from the [`frame_power`] of a signal of `n_samples` samples, for audio
/// streamed past once and not held in memory.
pub fn kept_intervals_from_power(
    power: &[f64],
    n_samples: usize,
    p: &SilenceParams,
    max_pause: Option<usize>,
) -> Vec<Interval> {
    let frames = non_silent(power, p.top_db);
    let Some(max_pause) = max_pause else {
        return trim_frames(&frames, n_samples, p.hop_length).into_iter().filter(|i| !i.is_empty()).collect();
    };
    let mut kept: Vec<Interval> = Vec::new();
    for interval in split_frames(&frames, n_samples, p.hop_length) {
        match kept.last_mut() {
            Some(last) if interval.start - last.end <= max_pause => last.end = interval.end,
            _ => kept.push(interval),
        }
    }
    kept
}

/// The samples inside `intervals`, joined end to end.
pub fn concat_intervals(signal: &[f32], intervals: &[Interval]) -> Vec<f32> {
    let mut out = Vec::with_capacity(intervals.iter().map(Interval::len).sum());
    for i in intervals {
        out.extend_from_slice(&signal[i.start..i.end]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_of_squares_is_the_plain_sum_to_rounding() {
        for len in 0..70usize {
            let x: Vec<f32> = (0..len).map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.1).collect();
            let plain: f64 = x.iter().map(|&v| v as f64 * v as f64).sum();
            let got = sum_of_squares(&x);
            assert!((got - plain).abs() <= 1e-13 * plain.max(1e-300), "{len}: {got} vs {plain}");
            if len == 0 {
                assert_eq!(got, 0.0);
            }
        }
        // Exact where every partial sum is: small integers.
        assert_eq!(sum_of_squares(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]), 385.0);
    }
}
