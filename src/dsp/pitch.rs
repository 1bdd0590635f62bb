//! What the voice did, frame by frame: pitch (F0) by YIN equal to `librosa.yin`, a voicing
//! decision, and loudness (RMS in dB).
//!
//! Pitch and loudness are the cues emotional speech is made of, so a person asking "why did it
//! say that?" can see them next to the spectrogram the model reads. Both are computed on the
//! signal the model reads (the kept audio after silence trimming, `Analysis::kept_signal`) with
//! the log-mel's hop and centring, so frame `t` of every track is the model's frame `t`.
//!
//! # F0: `librosa.yin`, to the frame
//!
//! [`yin`] equals `librosa.yin(y, fmin=65, fmax=600, sr=16000, frame_length=1024,
//! hop_length=160, trough_threshold=0.1, center=True, pad_mode="constant")` (librosa 0.11; its
//! `win_length` is deprecated and has no effect: the difference function spans the whole frame):
//!
//! - frame `t` covers samples `[160 t − 512, 160 t + 512)`, zeros outside the signal, so a
//!   signal of `n` samples has `1 + n / 160` frames: exactly as many as its log-mel
//!   spectrogram (`FeatureParams::n_frames`), each centred on the same sample `160 t`;
//! - the autocorrelation `r(k)` of the whole frame by FFT (realfft in single precision, 1280
//!   points: the smallest 2-3-5-smooth length at least `frame_length + max period`, so no
//!   circular wrap reaches the lags used), `d(k) = 2 (r(0) − r(k)) − Σ_{m<k} y(m)²` (librosa's form of the
//!   difference function), and the cumulative mean normalised difference
//!   `d'(τ) = d(τ) / (mean of d(1..=τ) + tiny)` for periods `τ` from `floor(sr / fmax) = 26`
//!   to `min(ceil(sr / fmin), frame_length − 1) = 247` samples;
//! - the first local minimum of `d'` below `trough_threshold` (the ends of the range count as
//!   minima when lower than their one neighbour), else the global minimum; refined by
//!   parabolic interpolation through it and its two neighbours (no shift at the range's ends,
//!   or where the vertex would fall more than one lag away); `f0 = sr / period`.
//!
//! Every frame gets a number, as in librosa: a frame of silence has `d' = 0` everywhere and
//! no minimum, so it reads `sr / 26 ≈ 615 Hz`. That is why [`Prosody::voiced`] exists.
//! `tests/pitch_parity.rs` holds this to librosa within 1 % on at least 99 % of the frames of
//! every fixture, whole and trimmed (`tests/yin_reference.py` writes them); measured, every
//! frame agrees, the worst by 1.5e-5 (the fixtures' rounding to 1e-3 Hz). librosa's
//! difference function is not compensated for the overlap shrinking with the lag, so it reads
//! a pure tone slightly high (up to 0.9 % at 80 Hz, 0.3 % at 200 Hz); so does this.
//!
//! # Voicing (ser's own decision)
//!
//! A frame is voiced when all three hold:
//!
//! 1. **its chosen period is a true dip**: a local minimum of `d'` strictly inside the period
//!    range. A minimum at either end means the period lies outside 65–600 Hz, and the number
//!    reported (about 615 or 65 Hz) is the range's edge, not a pitch;
//! 2. **its aperiodicity is low**: `d'` at the chosen period below
//!    [`PitchParams::max_aperiodicity`] (0.35). `d'` is YIN's own measure of how much of the
//!    frame's power is not repeated one period later: near 0 for a steady vowel, near 1 for
//!    noise and fricatives. Next to `librosa.pyin`'s voiced flag (an HMM over many
//!    thresholds, too slow and stateful for the page), the agreement on the three speech
//!    fixtures rises from 82-96 % of frames at 0.2 to 92-97 % at 0.35 and then levels off
//!    (0.5: 92-98 %; the four sample clips: 89-96 % at 0.35). 0.35 is the strict end of that
//!    plateau: a frame called voiced gets a pitch drawn, and a wrong pitch misleads more than
//!    a gap;
//! 3. **it is loud enough to be the speaker**: its RMS no more than
//!    [`PitchParams::voicing_range_db`] (40 dB) below the clip's loudest frame. Mains hum,
//!    a fan or a reverberant tail can be perfectly periodic at a low level: pYIN calls 14-16 %
//!    of the frames of two quiet neutral clips (`tests/fixtures/baseline`) voiced about 58 dB
//!    below their speech, which says nothing about the voice. Relative to the loudest frame,
//!    so the decision does not depend on the recording level.
//!
//! # Loudness
//!
//! [`Prosody::rms_db`] is `20 log10(max(rms, 1e-5))` dBFS, where `rms` is the root mean
//! square of the same centred, zero-padded 1024-sample frame YIN reads (64 ms: long enough to
//! span a low voice's periods, so loudness does not ripple with them), hence floored at
//! -100 dBFS: `librosa.amplitude_to_db(librosa.feature.rms(y, frame_length=1024,
//! hop_length=160, center=True, pad_mode="constant"), ref=1.0, amin=1e-5, top_db=None)`.
//!
//! ```
//! use ser::dsp::{FeatureParams, PitchParams, prosody};
//! use ser::{PipelineOptions, analyse_bytes};
//!
//! let bytes = std::fs::read("tests/fixtures/librosa/ravdess_02_sad.flac")?;
//! let analysis = analyse_bytes(&bytes, &PipelineOptions::default())?;
//! // The signal the model reads, so frame t here is frame t of its log-mel input.
//! let track = prosody(&analysis.kept_signal(), &PitchParams::default())?;
//! assert_eq!(track.n_frames(), analysis.features.n_frames);
//! let summary = track.summary();
//! let median = summary.f0_median_hz.expect("this clip has voiced frames");
//! assert!((150.0..350.0).contains(&median), "a female speaker: {median} Hz");
//! println!("median pitch {median:.0} Hz, range {:.1} semitones", summary.f0_range_semitones.unwrap());
//!
//! // A pure tone reads as its frequency.
//! let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / 16_000.0).sin()).collect();
//! let f0 = ser::dsp::yin(&tone, &PitchParams::default())?;
//! assert_eq!(f0.len(), FeatureParams::default().n_frames(tone.len()));
//! assert!((f0[50] - 220.0).abs() < 0.5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use super::frames::frame_all;

/// YIN's parameters (librosa's names and meanings) and ser's voicing thresholds. Frames are
/// always centred and zero-padded (`center=True, pad_mode="constant"`), like the log-mel's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PitchParams {
    pub sample_rate: u32,
    /// Lowest F0 searched, Hz.
    pub fmin: f64,
    /// Highest F0 searched, Hz.
    pub fmax: f64,
    /// Samples per frame (even).
    pub frame_length: usize,
    pub hop_length: usize,
    /// YIN's absolute threshold: the first dip of `d'` below it is taken.
    pub trough_threshold: f64,
    /// Voicing: `d'` at the chosen period must be below this.
    pub max_aperiodicity: f64,
    /// Voicing: a frame's RMS must be within this many dB of the clip's loudest frame.
    pub voicing_range_db: f64,
}

impl Default for PitchParams {
    fn default() -> Self {
        Self {
            sample_rate: 16_000,
            fmin: 65.0,
            fmax: 600.0,
            frame_length: 1024,
            hop_length: 160,
            trough_threshold: 0.1,
            max_aperiodicity: 0.35,
            voicing_range_db: 40.0,
        }
    }
}

/// Parameters no YIN can run with (librosa raises on the same ones).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid pitch parameters: {0}")]
pub struct InvalidPitchParams(pub String);

impl PitchParams {
    /// Refuses what librosa refuses (`0 < fmin < fmax <= sr / 2`, a period of `fmin` shorter
    /// than the frame), and what centring needs (an even frame, a hop).
    pub fn check(&self) -> Result<(), InvalidPitchParams> {
        let sr = self.sample_rate as f64;
        let fail = |why: String| Err(InvalidPitchParams(why));
        if self.sample_rate == 0 {
            return fail("the sample rate is 0".into());
        }
        if !(self.fmin > 0.0 && self.fmin < self.fmax && self.fmax <= sr / 2.0) {
            return fail(format!("need 0 < fmin < fmax <= {} Hz, got {} and {}", sr / 2.0, self.fmin, self.fmax));
        }
        if self.frame_length < 4 || !self.frame_length.is_multiple_of(2) || self.hop_length == 0 {
            return fail(format!(
                "need an even frame_length and a hop, got {} and {}",
                self.frame_length, self.hop_length
            ));
        }
        if sr / self.fmin >= (self.frame_length - 1) as f64 {
            return fail(format!("fmin = {} Hz does not fit a period in {} samples", self.fmin, self.frame_length));
        }
        if !(self.trough_threshold.is_finite() && self.max_aperiodicity.is_finite() && self.voicing_range_db >= 0.0) {
            return fail("the thresholds must be finite and the voicing range non-negative".into());
        }
        Ok(())
    }

    /// Frames over `n_samples` samples (as the log-mel's for the same hop).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length.max(1)
    }

    fn min_period(&self) -> usize {
        (self.sample_rate as f64 / self.fmax).floor() as usize
    }

    fn max_period(&self) -> usize {
        ((self.sample_rate as f64 / self.fmin).ceil() as usize).min(self.frame_length - 1)
    }
}

/// One frame's YIN result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YinFrame {
    /// `sr / period`, as `librosa.yin` gives it.
    pub f0_hz: f64,
    /// `d'` at the chosen period (before interpolation).
    pub aperiodicity: f64,
    /// Whether the chosen period is a local minimum strictly inside the period range.
    pub interior_trough: bool,
    /// Mean square of the frame's samples.
    pub mean_square: f64,
}

/// A planned YIN: the two FFTs and every buffer are made once, so a frame allocates nothing.
pub struct Yin {
    params: PitchParams,
    min_period: usize,
    max_period: usize,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    time: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `d'` over the period range.
    cmnd: Vec<f64>,
    /// `Σ d(1..=τ)` for each period τ in range, beside `cmnd`.
    cumulative: Vec<f64>,
}

impl Yin {
    pub fn new(params: &PitchParams) -> Result<Self, InvalidPitchParams> {
        params.check()?;
        // Any length >= frame_length + max_period keeps the circular autocorrelation free of
        // wrap-around at the lags used (librosa takes 2 L - 1, over 1.5 times the work).
        let n_fft = smooth_length(params.frame_length + params.max_period());
        let (forward, inverse) = (super::stft::forward_plan(n_fft), super::stft::inverse_plan(n_fft));
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let (min_period, max_period) = (params.min_period(), params.max_period());
        Ok(Self {
            params: params.clone(),
            min_period,
            max_period,
            time: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            forward,
            inverse,
            cmnd: vec![0.0; max_period - min_period + 1],
            cumulative: vec![0.0; max_period - min_period + 1],
        })
    }

    pub fn params(&self) -> &PitchParams {
        &self.params
    }

    /// YIN of one frame of `frame_length` samples (a shorter one is zero-padded).
    pub fn frame(&mut self, frame: &[f32]) -> YinFrame {
        let length = self.params.frame_length;
        let frame = &frame[..frame.len().min(length)];
        self.time[..frame.len()].copy_from_slice(frame);
        self.time[frame.len()..].fill(0.0);
        let mean_square = super::trim::sum_of_squares(frame) / length as f64;
        // Lengths match the plans, so neither call can fail.
        let _ = self.forward.process_with_scratch(&mut self.time, &mut self.spectrum, &mut self.scratch);
        for c in self.spectrum.iter_mut() {
            *c = Complex::new(c.norm_sqr(), 0.0);
        }
        let _ = self.inverse.process_with_scratch(&mut self.spectrum, &mut self.time, &mut self.scratch);
        // realfft's inverse is unnormalised.
        let scale = 1.0 / self.time.len() as f64;
        let acf0 = self.time[0] as f64 * scale;

        // d(k) for k = 1..=max_period, with the cumulative sum of d(1..=k) alongside;
        // `energy` is Σ_{m<k} y(m)², computed from the same frame in the same loop.
        let (min_p, max_p) = (self.min_period, self.max_period);
        let mut energy = 0.0;
        let mut running = 0.0;
        for k in 1..=max_p {
            let y = frame.get(k - 1).map_or(0.0, |&s| s as f64);
            energy += y * y;
            let d = 2.0 * (acf0 - self.time[k] as f64 * scale) - energy;
            running += d;
            if k >= min_p {
                (self.cmnd[k - min_p], self.cumulative[k - min_p]) = (d, running);
            }
        }
        // The divisions apart from the running sums, so they vectorise: the same operations
        // on the same values as dividing inside the loop.
        for (i, (d, sum)) in self.cmnd.iter_mut().zip(&self.cumulative).enumerate() {
            *d /= sum / (min_p + i) as f64 + f64::MIN_POSITIVE;
        }

        let x = &self.cmnd;
        let threshold = self.params.trough_threshold;
        let chosen = (0..x.len()).find(|&i| is_trough(x, i) && x[i] < threshold).unwrap_or_else(|| argmin(x));
        let period = (min_p + chosen) as f64 + parabolic_shift(x, chosen);
        YinFrame {
            f0_hz: self.params.sample_rate as f64 / period,
            aperiodicity: x[chosen],
            interior_trough: chosen > 0 && chosen + 1 < x.len() && is_trough(x, chosen),
            mean_square,
        }
    }

    /// Every frame of a whole signal, centred as the log-mel's.
    pub fn frames(&mut self, signal: &[f32]) -> Vec<YinFrame> {
        let mut out = Vec::with_capacity(self.params.n_frames(signal.len()));
        let (length, hop) = (self.params.frame_length, self.params.hop_length);
        frame_all(signal, length, hop, |_, frame| out.push(self.frame(frame)));
        out
    }

    /// F0, voicing and loudness of a whole signal: see [`prosody`].
    pub fn prosody(&mut self, signal: &[f32]) -> Prosody {
        let frames = self.frames(signal);
        Prosody::from_frames(&frames, &self.params)
    }
}

/// The smallest length at least `n` whose only prime factors are 2, 3 and 5 (FFTs of such
/// lengths are as fast per point as powers of two).
fn smooth_length(n: usize) -> usize {
    (n.max(1)..)
        .find(|&m| {
            let mut m = m;
            for p in [2, 3, 5] {
                while m % p == 0 {
                    m /= p;
                }
            }
            m == 1
        })
        .expect("2-3-5-smooth numbers are unbounded")
}

/// librosa's trough test: `x[i] < x[i-1] && x[i] <= x[i+1]` inside, and each end when lower
/// than its one neighbour.
fn is_trough(x: &[f64], i: usize) -> bool {
    let last = x.len() - 1;
    match i {
        0 => x.len() > 1 && x[0] < x[1],
        _ if i == last => x[i] < x[i - 1],
        _ => x[i] < x[i - 1] && x[i] <= x[i + 1],
    }
}

/// The first index of the smallest value (`np.argmin`, whose NaN wins: a NaN frame then
/// reads as the range's first period rather than a made-up minimum).
fn argmin(x: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            return i;
        }
        if v < x[best] {
            best = i;
        }
    }
    best
}

/// The vertex of the parabola through `x[i-1..=i+1]`, relative to `i`; none at the ends, or
/// where it would move by a lag or more (librosa's `_parabolic_interpolation`).
fn parabolic_shift(x: &[f64], i: usize) -> f64 {
    if i == 0 || i + 1 >= x.len() {
        return 0.0;
    }
    let a = x[i + 1] + x[i - 1] - 2.0 * x[i];
    let b = (x[i + 1] - x[i - 1]) / 2.0;
    if b.abs() >= a.abs() { 0.0 } else { -b / a }
}

/// Amplitude of a mean square in dBFS, floored at -100 dB (librosa's `amplitude_to_db` with
/// `amin=1e-5`).
fn rms_db(mean_square: f64) -> f32 {
    (20.0 * mean_square.sqrt().max(1e-5).log10()) as f32
}

/// `librosa.yin` over a whole signal: one F0 in Hz per frame (see the module doc).
pub fn yin(signal: &[f32], params: &PitchParams) -> Result<Vec<f32>, InvalidPitchParams> {
    let mut yin = Yin::new(params)?;
    Ok(yin.frames(signal).iter().map(|f| f.f0_hz as f32).collect())
}

/// F0, voicing and loudness per frame of a signal (normally `Analysis::kept_signal`, so the
/// frames are the model's).
pub fn prosody(signal: &[f32], params: &PitchParams) -> Result<Prosody, InvalidPitchParams> {
    Ok(Yin::new(params)?.prosody(signal))
}

/// How many rows [`Prosody::model_rows`] gives per frame.
pub const PROSODY_ROWS: usize = 4;

/// The pitch and loudness tracks of one signal, one value per frame of every field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prosody {
    /// YIN's estimate in every frame, voiced or not (librosa's numbers).
    pub f0_hz: Vec<f32>,
    /// `d'` at the chosen period: 0 perfectly periodic, about 1 noise.
    pub aperiodicity: Vec<f32>,
    pub voiced: Vec<bool>,
    /// RMS in dBFS, floored at -100.
    pub rms_db: Vec<f32>,
    pub params: PitchParams,
}

/// The three figures a person reads first. Each is `None` without voiced frames.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProsodySummary {
    /// Median F0 of the voiced frames.
    pub f0_median_hz: Option<f64>,
    /// From the 5th to the 95th percentile of the voiced F0, in semitones
    /// (`12 log2(p95 / p5)`): percentiles, so a stray octave error does not set the range.
    pub f0_range_semitones: Option<f64>,
    /// From the 5th to the 95th percentile of the voiced frames' RMS, in dB: how much the
    /// voice's loudness moved, pauses and background left out.
    pub loudness_range_db: Option<f64>,
}

impl Prosody {
    /// The tracks of YIN frames computed elsewhere (a caller that frames the signal a block
    /// at a time, as `Reporting` does, so a long clip never blocks): the voicing decision
    /// needs the clip's loudest frame, so it is made here, over all of them.
    pub fn from_frames(frames: &[YinFrame], params: &PitchParams) -> Prosody {
        let rms_db: Vec<f32> = frames.iter().map(|f| rms_db(f.mean_square)).collect();
        let loudest = rms_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let quietest_voiced = loudest - params.voicing_range_db as f32;
        let voiced = frames
            .iter()
            .zip(&rms_db)
            .map(|(f, &db)| f.interior_trough && f.aperiodicity < params.max_aperiodicity && db >= quietest_voiced)
            .collect();
        Prosody {
            f0_hz: frames.iter().map(|f| f.f0_hz as f32).collect(),
            aperiodicity: frames.iter().map(|f| f.aperiodicity as f32).collect(),
            voiced,
            rms_db,
            params: params.clone(),
        }
    }

    pub fn n_frames(&self) -> usize {
        self.f0_hz.len()
    }

    /// The centre of frame `t`, in seconds from the start of the signal.
    pub fn frame_time_s(&self, t: usize) -> f64 {
        (t * self.params.hop_length) as f64 / self.params.sample_rate as f64
    }

    /// Where the centre of frame `t` lies in the original recording, in seconds, when the
    /// signal was the `kept` intervals of that recording joined end to end (as
    /// `Analysis::kept_signal`), and the index of the kept interval it falls in: a plot over
    /// the whole recording draws the frame there, and breaks its line where the interval
    /// changes (silence was cut between them).
    pub fn recording_time_s(&self, t: usize, kept: &[super::Interval]) -> (f64, usize) {
        let (sample, interval) = super::original_sample(kept, t * self.params.hop_length);
        (sample as f64 / self.params.sample_rate as f64, interval)
    }

    /// Rows a model can read beside the log-mel, one per frame: whether the frame is voiced
    /// (0 or 1), its F0 in semitones above 100 Hz where voiced (0 elsewhere), YIN's
    /// aperiodicity, and its loudness in dB below the clip's loudest frame (floored at -80,
    /// so a gain change leaves the rows as they were).
    pub fn model_rows(&self) -> Vec<[f32; PROSODY_ROWS]> {
        let loudest = self.rms_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (0..self.n_frames())
            .map(|t| {
                let voiced = self.voiced[t];
                let semitones = if voiced { 12.0 * (self.f0_hz[t] / 100.0).log2() } else { 0.0 };
                [voiced as u8 as f32, semitones, self.aperiodicity[t], (self.rms_db[t] - loudest).max(-80.0)]
            })
            .collect()
    }

    /// F0 of the voiced frames, `None` elsewhere (what a plot draws).
    pub fn voiced_f0(&self) -> Vec<Option<f32>> {
        self.f0_hz.iter().zip(&self.voiced).map(|(&f, &v)| v.then_some(f)).collect()
    }

    /// The fields `ser explain` adds to its JSON: `f0_hz` (YIN's estimate in every frame,
    /// rounded to 1e-3 Hz), `voiced`, `rms_db` (rounded to 1e-3 dB) and `f0_params`.
    pub fn to_json(&self) -> Value {
        let round3 = |v: &[f32]| v.iter().map(|&x| (x as f64 * 1e3).round() / 1e3).collect::<Vec<_>>();
        json!({
            "f0_hz": round3(&self.f0_hz),
            "voiced": self.voiced,
            "rms_db": round3(&self.rms_db),
            "f0_params": self.params,
        })
    }

    pub fn summary(&self) -> ProsodySummary {
        let pick = |values: &[f32]| -> Vec<f64> {
            let mut v: Vec<f64> =
                values.iter().zip(&self.voiced).filter(|&(_, &voiced)| voiced).map(|(&x, _)| x as f64).collect();
            v.sort_by(f64::total_cmp);
            v
        };
        let f0 = pick(&self.f0_hz);
        let db = pick(&self.rms_db);
        ProsodySummary {
            f0_median_hz: percentile(&f0, 50.0),
            f0_range_semitones: percentile(&f0, 95.0).zip(percentile(&f0, 5.0)).map(|(hi, lo)| 12.0 * (hi / lo).log2()),
            loudness_range_db: percentile(&db, 95.0).zip(percentile(&db, 5.0)).map(|(hi, lo)| hi - lo),
        }
    }
}

/// Linear-interpolated percentile of sorted values (numpy's default method).
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = q / 100.0 * last as f64;
    let (lo, frac) = (at.floor() as usize, at.fract());
    let hi = (lo + 1).min(last);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frames_line_up_with_the_log_mel() {
        let features = crate::dsp::FeatureParams::default();
        let params = PitchParams::default();
        for n in [0, 1, 159, 160, 161, 1023, 1024, 16_000, 16_001] {
            let signal = vec![0.1f32; n];
            assert_eq!(yin(&signal, &params).unwrap().len(), features.n_frames(n), "{n} samples");
        }
    }

    #[test]
    fn frames_of_the_kept_audio_map_back_to_the_recording() {
        use crate::dsp::Interval;
        // Kept: 0.1-0.5 s and 1.0-1.3 s of a 16 kHz recording, joined: 0.7 s, 71 frames.
        let kept = [Interval { start: 1_600, end: 8_000 }, Interval { start: 16_000, end: 20_800 }];
        let joined = crate::dsp::concat_intervals(&vec![0.1f32; 24_000], &kept);
        let track = prosody(&joined, &PitchParams::default()).unwrap();
        assert_eq!(track.n_frames(), 71);
        let at = |t| track.recording_time_s(t, &kept);
        // Frame 0 is centred on the first kept sample; frame 39 on the 6240th, still in the
        // first interval; frame 40 on the 6400th, the second interval's first sample.
        assert_eq!(at(0), (0.1, 0));
        assert_eq!(at(39), ((1_600.0 + 6_240.0) / 16_000.0, 0));
        assert_eq!(at(40), (1.0, 1));
        assert_eq!(at(41), (1.01, 1));
        // The last frame is centred on the joined signal's end: the recording's 1.3 s.
        assert_eq!(at(70), (1.3, 1));
        // Without kept intervals (nothing trimmed away recorded), times are the joined ones.
        assert_eq!(track.recording_time_s(10, &[]), (0.1, 0));
        // Times never go back, and every frame but the last lies inside its interval.
        for t in 1..71 {
            let ((a, _), (b, i)) = (at(t - 1), at(t));
            assert!(b > a, "frame {t}");
            let s = (b * 16_000.0).round() as usize;
            assert!(t == 70 || (kept[i].start..kept[i].end).contains(&s), "frame {t} at {s}");
        }
    }

    #[test]
    fn silence_reads_as_the_range_edge_and_is_not_voiced() {
        let track = prosody(&[0.0; 4_000], &PitchParams::default()).unwrap();
        for (f, v) in track.f0_hz.iter().zip(&track.voiced) {
            // librosa: argmin of an all-zero d' is its first lag, 26 samples.
            assert!((f - 16_000.0 / 26.0).abs() < 1e-3, "{f}");
            assert!(!v);
        }
        assert!(track.rms_db.iter().all(|&db| db == -100.0));
        assert_eq!(
            track.summary(),
            ProsodySummary { f0_median_hz: None, f0_range_semitones: None, loudness_range_db: None }
        );
    }

    #[test]
    fn a_tone_is_voiced_at_its_frequency_and_noise_is_not() {
        let sr = 16_000.0;
        for hz in [80.0, 150.0, 220.0, 440.0] {
            let tone: Vec<f32> =
                (0..16_000).map(|i| 0.3 * (i as f64 * 2.0 * std::f64::consts::PI * hz / sr).sin() as f32).collect();
            let track = prosody(&tone, &PitchParams::default()).unwrap();
            // Away from the edges, where the zero padding cuts into the frame. librosa's
            // difference function is biased upwards by up to 0.9 % (at 80 Hz; 0.4 % at
            // 150 Hz), and this is librosa's.
            for t in 4..track.n_frames() - 4 {
                assert!((track.f0_hz[t] as f64 - hz).abs() < hz * 0.01, "{hz} Hz, frame {t}: {}", track.f0_hz[t]);
                assert!(track.voiced[t], "{hz} Hz, frame {t}");
            }
            // The RMS of a sine of amplitude 0.3 is 0.3 / sqrt(2), -13.47 dBFS, give or take the
            // part of a period that does not fit the frame.
            assert!((track.rms_db[50] - (-13.468)).abs() < 0.1, "{}", track.rms_db[50]);
            let s = track.summary();
            assert!((s.f0_median_hz.unwrap() - hz).abs() < hz * 0.01);
            // The edge frames are half zero padding: 3 dB down at most.
            assert!(s.f0_range_semitones.unwrap() < 0.2 && s.loudness_range_db.unwrap() < 3.1, "{s:?}");
        }
        let mut state = 1u64;
        let noise: Vec<f32> = (0..16_000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.5
            })
            .collect();
        let track = prosody(&noise, &PitchParams::default()).unwrap();
        let voiced = track.voiced.iter().filter(|&&v| v).count();
        assert!(voiced * 50 < track.n_frames(), "{voiced} of {} noise frames voiced", track.n_frames());
    }

    #[test]
    fn the_voicing_ignores_periodic_sound_far_below_the_voice() {
        // A loud tone, then the same tone 50 dB down (like mains hum in a pause).
        let sr = 16_000.0;
        let tone = |amp: f64, i: usize| (amp * (i as f64 * 2.0 * std::f64::consts::PI * 200.0 / sr).sin()) as f32;
        let mut signal: Vec<f32> = (0..8_000).map(|i| tone(0.5, i)).collect();
        signal.extend((8_000..16_000).map(|i| tone(0.5 * 10f64.powf(-50.0 / 20.0), i)));
        let track = prosody(&signal, &PitchParams::default()).unwrap();
        assert!(track.voiced[20] && !track.voiced[80]);
        // Both halves still get librosa's F0: voicing is a separate decision.
        assert!((track.f0_hz[80] - 200.0).abs() < 0.5, "{}", track.f0_hz[80]);
    }

    #[test]
    fn bad_parameters_are_refused_and_odd_signals_do_not_panic() {
        let ok = PitchParams::default();
        for bad in [
            PitchParams { fmin: 0.0, ..ok.clone() },
            PitchParams { fmin: 700.0, ..ok.clone() },
            PitchParams { fmax: 9_000.0, ..ok.clone() },
            PitchParams { fmin: 15.0, ..ok.clone() },
            PitchParams { frame_length: 1023, ..ok.clone() },
            PitchParams { hop_length: 0, ..ok.clone() },
            PitchParams { sample_rate: 0, ..ok.clone() },
            PitchParams { trough_threshold: f64::NAN, ..ok.clone() },
        ] {
            assert!(yin(&[0.0; 100], &bad).is_err(), "{bad:?}");
        }
        let narrow = PitchParams { fmin: 599.0, ..ok.clone() };
        assert_eq!(yin(&[0.5; 1_000], &narrow).unwrap().len(), 7);
        for signal in [vec![], vec![1.0], vec![f32::NAN; 2_000], vec![f32::INFINITY; 2_000], vec![1.0; 3_000]] {
            let track = prosody(&signal, &ok).unwrap();
            assert_eq!(track.n_frames(), ok.n_frames(signal.len()));
            let _ = track.summary();
        }
    }

    #[test]
    fn percentiles_are_numpys() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile(&v, 50.0), Some(3.0));
        assert!((percentile(&v, 95.0).unwrap() - 8.8).abs() < 1e-12);
        assert_eq!(percentile(&v, 5.0), Some(1.2));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 5.0), Some(7.0));
    }

    #[test]
    fn model_rows_give_pitch_in_semitones_where_voiced_and_ignore_the_level() {
        // 200 Hz for 0.5 s, then 0.3 s of silence.
        let mut signal: Vec<f32> =
            (0..8_000).map(|i| 0.5 * (i as f32 * 2.0 * std::f32::consts::PI * 200.0 / 16_000.0).sin()).collect();
        signal.extend(std::iter::repeat_n(0.0, 4_800));
        let rows = prosody(&signal, &PitchParams::default()).unwrap().model_rows();
        assert_eq!(rows.len(), crate::dsp::FeatureParams::default().n_frames(signal.len()));
        let [voiced, semitones, aperiodicity, loudness] = rows[25];
        assert_eq!(voiced, 1.0);
        // 12 log2(200 / 100) = 12 semitones above 100 Hz (YIN reads a tone slightly high).
        assert!((semitones - 12.0).abs() < 0.1, "{semitones}");
        assert!(aperiodicity < 0.1 && loudness > -1.0, "{aperiodicity} {loudness}");
        // Silence: unvoiced, far below the tone (not exactly at the floor: YIN's running sums
        // leave a trace of the tone's energy).
        let [voiced, semitones, _, loudness] = rows[75];
        assert_eq!([voiced, semitones], [0.0, 0.0]);
        assert!(loudness < -60.0, "{loudness}");
        // 20 dB quieter: the same rows, wherever the frame is above the -100 dBFS floor of
        // the loudness in both (the silent frames' floor is absolute, not relative).
        let quiet: Vec<f32> = signal.iter().map(|s| s * 0.1).collect();
        let quiet_rows = prosody(&quiet, &PitchParams::default()).unwrap().model_rows();
        for (a, b) in rows.iter().zip(&quiet_rows).filter(|(a, _)| a[3] > -60.0) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() < 1e-3, "{a:?} {b:?}");
            }
        }
    }
}
