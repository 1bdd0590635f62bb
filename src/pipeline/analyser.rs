//! [`analyse_16k`](super::analyse_16k) in steps, for a caller that must not block for long
//! (the web page runs on the browser's only thread). The same code does the whole job in one
//! go for `analyse_16k`, so there is one path and one result.

use super::{Analysis, LevelStats, PipelineOptions, check_kept};
use crate::audio::SourceStats;
use crate::dsp::trim::kept_intervals;
use crate::dsp::{FeatureParams, Features, Interval, LogMelStream, LogMelToMfcc};
use crate::error::Result;
use crate::stepwise::Stepwise;

/// One analysis of a 16 kHz signal: checks and silence detection in [`Analyser::new`], then
/// the log-mel spectrogram of the kept audio and the MFCCs a bounded number of frames per
/// [`step`](Stepwise::step).
pub struct Analyser {
    signal: Vec<f32>,
    kept: Vec<Interval>,
    params: FeatureParams,
    log_mel: LogMelStream,
    to_mfcc: LogMelToMfcc,
    features: Features,
    /// What the recording was before 16 kHz; the signal itself where nobody said.
    source: Option<SourceStats>,
    peak_db: f32,
    /// The next kept sample to feed: interval index and sample position in `signal`.
    interval: usize,
    at: usize,
    /// Log-mel rows complete (all of them once the stream is finished).
    streamed: bool,
    /// Frames whose MFCCs are done.
    mfcc_done: usize,
}

impl Analyser {
    /// Checks the level and finds the audio to keep (one pass over the signal, no features yet).
    pub fn new(signal: Vec<f32>, options: &PipelineOptions) -> Result<Self> {
        crate::audio::decode::check_samples(&signal)?;
        let mut stats = LevelStats::default();
        stats.add(&signal);
        stats.check(options)?;
        let kept = if options.trim {
            kept_intervals(&signal, &options.silence(), options.max_pause_samples())
        } else {
            vec![Interval { start: 0, end: signal.len() }]
        };
        let kept = check_kept(kept, options)?;
        let params = options.params.clone();
        let n_frames = params.n_frames(kept.iter().map(Interval::len).sum());
        let features = Features {
            n_frames,
            n_mels: params.n_mels,
            n_mfcc: params.n_mfcc,
            log_mel: Vec::with_capacity(n_frames * params.n_mels),
            mfcc: vec![0.0; n_frames * params.n_mfcc],
        };
        let at = kept[0].start;
        Ok(Self {
            source: None,
            log_mel: LogMelStream::new(&params),
            to_mfcc: LogMelToMfcc::new(&params),
            signal,
            kept,
            params,
            features,
            peak_db: f32::NEG_INFINITY,
            interval: 0,
            at,
            streamed: false,
            mfcc_done: 0,
        })
    }

    /// What the recording was before it reached the analysis rate (from
    /// [`Loader::finish_with_source`](super::Loader::finish_with_source)), for the quality
    /// report. Without it, the report describes the 16 kHz signal as if it were the source.
    pub fn with_source(mut self, source: SourceStats) -> Self {
        self.source = Some(source);
        self
    }
}

/// The budget is feature frames.
impl Stepwise for Analyser {
    type Output = Analysis;

    /// Log-mel rows first, then MFCCs (which need the loudest row of the whole clip).
    fn step(&mut self, max_frames: usize) -> Result<bool> {
        let max_frames = max_frames.max(1);
        let Self {
            signal, kept, params, log_mel, to_mfcc, features, peak_db, interval, at, streamed, mfcc_done, ..
        } = self;
        if !*streamed {
            let mut keep = |row: &[f32]| {
                *peak_db = row.iter().fold(*peak_db, |m, &v| m.max(v));
                features.log_mel.extend_from_slice(row);
            };
            let mut budget = max_frames.saturating_mul(params.hop_length);
            while budget > 0 && *interval < kept.len() {
                let end = kept[*interval].end.min(at.saturating_add(budget));
                log_mel.push(&signal[*at..end], &mut keep);
                budget -= end - *at;
                *at = end;
                if *at == kept[*interval].end {
                    *interval += 1;
                    if let Some(next) = kept.get(*interval) {
                        *at = next.start;
                    }
                }
            }
            if *interval == kept.len() {
                log_mel.finish(&mut keep);
                *streamed = true;
                debug_assert_eq!(features.log_mel.len(), features.n_frames * features.n_mels);
            }
            return Ok(false);
        }
        let (n_mels, n_mfcc) = (features.n_mels, features.n_mfcc);
        let end = mfcc_done.saturating_add(max_frames).min(features.n_frames);
        let rows = features.log_mel[*mfcc_done * n_mels..end * n_mels].chunks_exact_mut(n_mels);
        for (mel_row, mfcc_row) in rows.zip(features.mfcc[*mfcc_done * n_mfcc..end * n_mfcc].chunks_exact_mut(n_mfcc)) {
            to_mfcc.apply(mel_row, *peak_db, mfcc_row);
        }
        *mfcc_done = end;
        Ok(*mfcc_done == features.n_frames)
    }

    /// The log-mel rows are most of the work.
    fn progress(&self) -> f64 {
        let n = self.features.n_frames.max(1) as f64;
        let rows = (self.features.log_mel.len() / self.features.n_mels.max(1)) as f64;
        0.9 * rows / n + 0.1 * self.mfcc_done as f64 / n
    }

    fn finish(mut self) -> Result<Analysis> {
        while !self.step(usize::MAX)? {}
        let source = self.source.unwrap_or_else(|| SourceStats::of_mono(&self.signal, self.params.sample_rate));
        Ok(Analysis {
            signal: self.signal,
            sample_rate: self.params.sample_rate,
            kept: self.kept,
            features: self.features,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::FeatureExtractor;
    use crate::dsp::trim::concat_intervals;

    /// Speech-like bursts with pauses, so trimming keeps several intervals with `max_pause_s`.
    fn bursts(seconds: f64) -> Vec<f32> {
        let sr = 16_000.0;
        (0..(seconds * sr) as usize)
            .map(|i| {
                let t = i as f64 / sr;
                let on = (t * 0.7).fract() < 0.55 && t > 0.3;
                if on { (0.4 * (2.0 * std::f64::consts::PI * (180.0 + 40.0 * t) * t).sin()) as f32 } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn steps_of_any_size_give_the_features_of_the_kept_audio() {
        for max_pause_s in [None, Some(0.2)] {
            let options = PipelineOptions { max_pause_s, ..PipelineOptions::default() };
            let signal = bursts(6.3);
            let reference = Analyser::new(signal.clone(), &options).unwrap().finish().unwrap();
            if max_pause_s.is_some() {
                assert!(reference.kept.len() > 2, "{:?}", reference.kept);
            }
            let joined = concat_intervals(&signal, &reference.kept);
            assert_eq!(reference.features, FeatureExtractor::new(&options.params).compute(&joined));
            for frames in [1, 7, 160, 1000] {
                let mut steps = Analyser::new(signal.clone(), &options).unwrap();
                let mut last = 0.0;
                let mut n = 0;
                while !steps.step(frames).unwrap() {
                    assert!(steps.progress() >= last && steps.progress() <= 1.0);
                    last = steps.progress();
                    n += 1;
                }
                assert!(frames > 100 || n > 10, "{frames} frames per step took {n} steps");
                let got = steps.finish().unwrap();
                assert_eq!(got.kept, reference.kept);
                assert_eq!(got.features, reference.features, "{frames} frames per step");
            }
        }
    }

    #[test]
    fn the_checks_come_first() {
        let silent = vec![0.0f32; 32_000];
        assert!(Analyser::new(silent, &PipelineOptions::default()).is_err());
    }
}
