//! Silence detection equal to `librosa.effects.trim` and `librosa.effects.split` with
//! `ref=np.max`: a frame is silent when its RMS is more than `top_db` below the loudest frame.

/// A half-open range of samples `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// How silence is found. Field names follow librosa.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceParams {
    pub top_db: f64,
    pub frame_length: usize,
    pub hop_length: usize,
}

/// Mean square of each centred, zero-padded frame (`librosa.feature.rms(...) ** 2`).
pub fn frame_power(signal: &[f32], frame_length: usize, hop_length: usize) -> Vec<f64> {
    let n_frames = 1 + signal.len() / hop_length;
    let half = (frame_length / 2) as isize;
    (0..n_frames)
        .map(|t| {
            let start = t as isize * hop_length as isize - half;
            let lo = start.max(0) as usize;
            let hi = ((start + frame_length as isize).max(0) as usize).min(signal.len());
            let sum: f64 = signal[lo.min(hi)..hi].iter().map(|&x| (x as f64) * (x as f64)).sum();
            sum / frame_length as f64
        })
        .collect()
}

/// Which frames are louder than `top_db` below the loudest one.
pub fn non_silent_frames(signal: &[f32], p: &SilenceParams) -> Vec<bool> {
    const AMIN: f64 = 1e-10;
    let power = frame_power(signal, p.frame_length, p.hop_length);
    let peak = power.iter().cloned().fold(0.0f64, f64::max);
    let ref_db = 10.0 * peak.max(AMIN).log10();
    power
        .iter()
        .map(|&pw| 10.0 * pw.max(AMIN).log10() - ref_db > -p.top_db)
        .collect()
}

/// The non-silent span, like `librosa.effects.trim`. `None` when everything is silent.
pub fn trim(signal: &[f32], p: &SilenceParams) -> Option<Interval> {
    let frames = non_silent_frames(signal, p);
    let first = frames.iter().position(|&b| b)?;
    let last = frames.iter().rposition(|&b| b)?;
    Some(Interval {
        start: (first * p.hop_length).min(signal.len()),
        end: ((last + 1) * p.hop_length).min(signal.len()),
    })
}

/// Non-silent intervals, like `librosa.effects.split`.
pub fn split(signal: &[f32], p: &SilenceParams) -> Vec<Interval> {
    let frames = non_silent_frames(signal, p);
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
        .map(|(s, e)| Interval {
            start: (s * p.hop_length).min(signal.len()),
            end: (e * p.hop_length).min(signal.len()),
        })
        .filter(|i| !i.is_empty())
        .collect()
}

/// The audio to keep: the trimmed span, and, when `max_pause` (in samples) is given, without
/// inner pauses longer than it. Returns nothing when the signal is silent.
pub fn kept_intervals(signal: &[f32], p: &SilenceParams, max_pause: Option<usize>) -> Vec<Interval> {
    let Some(max_pause) = max_pause else {
        return trim(signal, p).into_iter().filter(|i| !i.is_empty()).collect();
    };
    let mut kept: Vec<Interval> = Vec::new();
    for interval in split(signal, p) {
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
