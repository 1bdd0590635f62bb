//! The one pipeline both front doors use: decode → resample to 16 kHz → trim silence → features.
//!
//! Recordings up to [`DecodeLimits::max_seconds`] are held in memory at 16 kHz ([`load`]);
//! longer files are streamed from disk in three passes ([`long`]).

mod analyser;
mod live;
mod load;
mod long;
mod quality;

pub use analyser::Analyser;
pub use live::{LIVE_EVERY_FRAMES, LIVE_FLOOR_DBFS, LiveReading, LiveStream};
pub use load::{Loader, Resampling};
pub use long::{MAX_STREAM_SECONDS, Open, analyse_long};
pub use quality::{Quality, Truncation};

use crate::audio::{DecodeLimits, SourceStats};
use crate::dsp::trim::concat_intervals;
use crate::dsp::{FeatureParams, Features, Interval, SilenceParams};
use crate::error::{Result, SerError};
use crate::stepwise::Stepwise;

/// Below this peak level (-80 dBFS) a recording counts as silent, whatever its shape.
const SILENCE_PEAK: f32 = 1e-4;

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOptions {
    pub params: FeatureParams,
    /// Trim silence at the edges (`librosa.effects.trim`). Off: use the whole file.
    pub trim: bool,
    /// Also cut inner pauses longer than this many seconds.
    pub max_pause_s: Option<f64>,
    /// The least audio, in seconds, worth analysing.
    pub min_duration_s: f64,
    pub limits: DecodeLimits,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            params: FeatureParams::default(),
            trim: true,
            max_pause_s: None,
            min_duration_s: 0.5,
            limits: DecodeLimits::default(),
        }
    }
}

impl PipelineOptions {
    pub fn silence(&self) -> SilenceParams {
        SilenceParams {
            top_db: self.params.top_db,
            frame_length: self.params.trim_frame_length,
            hop_length: self.params.trim_hop_length,
        }
    }
}

/// What the pipeline found in one recording.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The whole recording at 16 kHz, for drawing.
    pub signal: Vec<f32>,
    pub sample_rate: u32,
    /// The parts kept after silence removal, in samples of `signal`.
    pub kept: Vec<Interval>,
    /// Features of the kept audio, joined end to end.
    pub features: Features,
    /// The recording before resampling: its rate, channels, peak, clipping and announced
    /// length. Where only the 16 kHz signal was given ([`analyse_16k`]), that signal's own.
    pub source: SourceStats,
}

impl Analysis {
    pub fn duration_s(&self) -> f64 {
        self.signal.len() as f64 / self.sample_rate as f64
    }

    pub fn kept_seconds(&self) -> Vec<[f64; 2]> {
        self.kept.iter().map(|i| i.seconds(self.sample_rate)).collect()
    }

    /// The kept samples joined end to end: what the features were computed on.
    pub fn kept_signal(&self) -> Vec<f32> {
        concat_intervals(&self.signal, &self.kept)
    }

    /// The input-quality report: levels, clipping, noise, bandwidth, speech kept, and what
    /// may have gone wrong.
    pub fn quality(&self) -> Quality {
        Quality::measure(self)
    }
}

/// Analyse an encoded file held in memory.
pub fn analyse_bytes(bytes: &[u8], options: &PipelineOptions) -> Result<Analysis> {
    let (signal, source) = Loader::from_bytes(bytes, options)?.finish_with_source()?;
    analyse_loaded(signal, source, options)
}

/// Analyse mono samples at any supported rate (from a microphone or the browser's decoder).
pub fn analyse_samples(samples: &[f32], sample_rate: u32, options: &PipelineOptions) -> Result<Analysis> {
    let (signal, source) = Resampling::new(samples, sample_rate, options)?.finish_with_source()?;
    analyse_loaded(signal, source, options)
}

/// [`analyse_16k`] of a signal brought to the analysis rate by [`Loader`] or [`Resampling`],
/// with what it was before ([`Loader::finish_with_source`]), so the quality report describes
/// the recording, not its resampled copy.
pub fn analyse_loaded(signal: Vec<f32>, source: SourceStats, options: &PipelineOptions) -> Result<Analysis> {
    Analyser::new(signal, options)?.with_source(source).finish()
}

/// The first half of [`analyse_samples`]: checks the input and resamples it to the analysis
/// rate. Split out so the page can yield between this and [`analyse_16k`].
pub fn to_analysis_rate(samples: &[f32], sample_rate: u32, options: &PipelineOptions) -> Result<Vec<f32>> {
    Resampling::new(samples, sample_rate, options)?.finish()
}

/// Refuses a recording that is silent at its own rate, unless it is too short anyway, which
/// [`analyse_16k`] says first. Resampling turns the edges of a constant offset into ringing
/// that looks like sound at 16 kHz, so silence is checked before it too.
pub(crate) fn refuse_silent_source(source: &LevelStats, n_16k: usize, options: &PipelineOptions) -> Result<()> {
    let duration = n_16k as f64 / options.params.sample_rate as f64;
    if duration >= options.min_duration_s && source.is_silent() {
        return Err(SerError::Silent);
    }
    Ok(())
}

/// Level statistics gathered in one pass, for the checks every recording gets before analysis.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LevelStats {
    n: usize,
    sum: f64,
    min: f32,
    max: f32,
}

impl Default for LevelStats {
    fn default() -> Self {
        Self { n: 0, sum: 0.0, min: f32::INFINITY, max: f32::NEG_INFINITY }
    }
}

impl LevelStats {
    pub(crate) fn add(&mut self, block: &[f32]) {
        self.n += block.len();
        // Eight running sums and comparisons that skip a NaN as `f32::min` would, written so
        // the loop vectorises (one sum was a wait on every addition).
        let (mut sums, mut min, mut max) = ([0.0f64; 8], [self.min; 8], [self.max; 8]);
        let chunks = block.chunks_exact(8);
        let rest = chunks.remainder();
        for chunk in chunks {
            for (i, &s) in chunk.iter().enumerate() {
                sums[i] += s as f64;
                min[i] = if s < min[i] { s } else { min[i] };
                max[i] = if s > max[i] { s } else { max[i] };
            }
        }
        for &s in rest {
            sums[0] += s as f64;
            min[0] = if s < min[0] { s } else { min[0] };
            max[0] = if s > max[0] { s } else { max[0] };
        }
        self.sum += sums.iter().sum::<f64>();
        self.min = min.into_iter().fold(self.min, f32::min);
        self.max = max.into_iter().fold(self.max, f32::max);
    }

    /// Whether the level never moves more than -80 dBFS away from the mean: silence, or a
    /// constant DC offset, which counts as the silence it is.
    pub(crate) fn is_silent(&self) -> bool {
        let mean = self.sum / self.n.max(1) as f64;
        let peak = (self.max as f64 - mean).abs().max((self.min as f64 - mean).abs());
        // NaN (no samples at all) counts as silent too.
        peak.is_nan() || peak < SILENCE_PEAK as f64
    }

    /// Refuses a recording that is too short or silent (at the analysis rate; see
    /// [`refuse_silent_source`] for the file's own rate).
    pub(crate) fn check(&self, options: &PipelineOptions) -> Result<()> {
        let duration = self.n as f64 / options.params.sample_rate as f64;
        if duration < options.min_duration_s {
            return Err(SerError::TooShort { got: duration, need: options.min_duration_s });
        }
        if self.is_silent() {
            return Err(SerError::Silent);
        }
        Ok(())
    }
}

/// The kept intervals from silence detection (or the whole recording), refusing a recording
/// with too little sound left.
pub(crate) fn check_kept(kept: Vec<Interval>, options: &PipelineOptions) -> Result<Vec<Interval>> {
    if kept.is_empty() {
        return Err(SerError::Silent);
    }
    let kept_len: usize = kept.iter().map(Interval::len).sum();
    let kept_s = kept_len as f64 / options.params.sample_rate as f64;
    if kept_s < options.min_duration_s {
        return Err(SerError::TooLittleSpeech { got: kept_s, need: options.min_duration_s });
    }
    Ok(kept)
}

impl PipelineOptions {
    /// The longest inner pause kept, in samples at the analysis rate.
    pub(crate) fn max_pause_samples(&self) -> Option<usize> {
        self.max_pause_s.map(|s| (s * self.params.sample_rate as f64).round() as usize)
    }
}

/// Analyse a signal already at the analysis rate. [`Analyser`] does the same in steps.
pub fn analyse_16k(signal: Vec<f32>, options: &PipelineOptions) -> Result<Analysis> {
    Analyser::new(signal, options)?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_stats_equal_the_plain_loop_in_any_blocks() {
        let x: Vec<f32> = (0..1000).map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0 + 0.01).collect();
        let (mut min, mut max, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f64);
        for &s in &x {
            (min, max, sum) = (min.min(s), max.max(s), sum + s as f64);
        }
        for block in [1, 3, 8, 13, 1000] {
            let mut stats = LevelStats::default();
            for chunk in x.chunks(block) {
                stats.add(chunk);
            }
            assert_eq!((stats.n, stats.min, stats.max), (x.len(), min, max), "blocks of {block}");
            assert!((stats.sum - sum).abs() < 1e-9, "blocks of {block}: {} vs {sum}", stats.sum);
        }
        // A NaN is skipped, as f32::min and f32::max skip it.
        let mut stats = LevelStats::default();
        stats.add(&[f32::NAN, 0.5, -0.25, f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0, f32::NAN]);
        assert_eq!((stats.min, stats.max), (-0.25, 0.5));
    }
}
