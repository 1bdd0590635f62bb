//! A personal baseline: what one speaker's everyday (neutral) voice looks like to the model, so
//! a clip can be judged relative to that voice instead of to the actors the model learnt from.
//!
//! It is a summary of the speech frames of one or more clips (the silence the pipeline trims
//! does not count): the mean and spread of each log-mel band, 2 × 64 numbers, and what the
//! model makes of the clips, its mean log-probability of each emotion, 8 numbers. The model
//! uses the latter to remove its lean on this voice ([`super::EmotionModel::with_baseline`]);
//! the former check that the clips are one voice in one place and say how it sounds. It holds
//! no audio and cannot be turned back into audio. It records the model and feature parameters
//! it was made for, and is refused by any other.

use serde::{Deserialize, Serialize};

use super::{EmotionModel, MIN_FRAMES, ModelInfo};
use crate::dsp::FeatureParams;
use crate::error::{Result, SerError};
use crate::pipeline::Analysis;

/// The least speech, over all the baseline's clips, that gives a steady summary.
pub const MIN_BASELINE_SPEECH_S: f64 = 2.0;
/// A speech sample this close to full scale counts as clipped.
const CLIPPED_LEVEL: f32 = 0.98;
/// The largest share of clipped speech samples a baseline may have.
pub const MAX_CLIPPED_SHARE: f64 = 0.02;
/// The largest difference in overall level (mean log-mel, dB) between two baseline clips.
/// Over 8,860 pairs of neutral clips of the same speaker in RAVDESS, TESS and SAVEE the
/// largest was 13.5 dB (99.9th percentile 12.4 dB).
pub const MAX_LEVEL_GAP_DB: f32 = 15.0;
/// The largest RMS difference between two baseline clips' spectral shapes (band means less
/// their own average, dB). Same-speaker neutral pairs: at most 7.3 dB (99.9th percentile 6.6).
pub const MAX_SHAPE_GAP_DB: f32 = 8.0;

/// The `format` of the baselines this version writes and reads. Version 1 (no model
/// log-probabilities) is refused: it cannot be used by a model.
pub const BASELINE_FORMAT: &str = "ser-baseline/2";
const FORMAT: &str = BASELINE_FORMAT;

/// One speaker's neutral voice, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`BASELINE_FORMAT`].
    pub format: String,
    /// The model it was made for (its sidecar's `name` and `version`).
    pub model: String,
    pub model_version: String,
    pub feature_params: FeatureParams,
    /// How many recordings it summarises, and their speech in seconds.
    pub clips: usize,
    pub speech_s: f64,
    /// Mean and standard deviation of each floored log-mel band (dB) over every speech frame.
    pub log_mel_mean: Vec<f32>,
    pub log_mel_std: Vec<f32>,
    /// The model's mean log-probability of each emotion (its graph's output, before any
    /// calibration) over the clips, each clip one whole-clip prediction; in label order.
    pub model_log_probs: Vec<f32>,
}

impl Baseline {
    /// The baseline of the clips' speech frames, after the checks that make it trustworthy:
    /// enough speech, not clipped, and clips that sound alike (see [`MAX_LEVEL_GAP_DB`] and
    /// [`MAX_SHAPE_GAP_DB`]). Each clip is analysed with the model's options, at any sample
    /// rate, like any input, and the model reads each clip once.
    ///
    /// ```
    /// use ser::{analyse_bytes, Baseline, EmotionModel, PipelineOptions};
    ///
    /// let model = EmotionModel::embedded()?;
    /// let clips = ["tests/fixtures/baseline/ravdess_01_neutral_1.flac", "tests/fixtures/baseline/ravdess_01_neutral_2.flac"];
    /// let analyses = clips
    ///     .iter()
    ///     .map(|p| analyse_bytes(&std::fs::read(p).unwrap(), &PipelineOptions::default()))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let baseline = Baseline::from_analyses(&analyses, &model)?;
    /// assert!(baseline.speech_s >= 2.0 && baseline.log_mel_mean.len() == 64);
    /// // One of the two alone is too little speech, and the sentence says so.
    /// let err = Baseline::from_analyses(&analyses[..1], &model).unwrap_err();
    /// assert!(err.to_string().starts_with("The baseline needs at least 2 s of speech"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_analyses(analyses: &[Analysis], model: &EmotionModel) -> Result<Self> {
        let info = model.info();
        let params = &info.feature_params;
        let n_mels = params.n_mels;
        let mut speech_samples = 0usize;
        let mut clipped = 0usize;
        let mut frames = 0usize;
        let mut sum = vec![0.0f64; n_mels];
        let mut sum_sq = vec![0.0f64; n_mels];
        let mut clip_means = Vec::with_capacity(analyses.len());
        for a in analyses {
            let f = &a.features;
            if f.n_mels != n_mels || a.sample_rate != params.sample_rate {
                return Err(SerError::BaselineInvalid("its recordings were analysed with other parameters".into()));
            }
            for interval in &a.kept {
                let speech = &a.signal[interval.start..interval.end];
                speech_samples += speech.len();
                clipped += speech.iter().filter(|s| s.abs() >= CLIPPED_LEVEL).count();
            }
            let mut mean = vec![0.0f64; n_mels];
            for row in f.log_mel.chunks_exact(n_mels) {
                for (b, &v) in row.iter().enumerate() {
                    let v = v as f64;
                    mean[b] += v;
                    sum[b] += v;
                    sum_sq[b] += v * v;
                }
            }
            frames += f.n_frames;
            mean.iter_mut().for_each(|m| *m /= f.n_frames.max(1) as f64);
            clip_means.push(mean);
        }
        let speech_s = speech_samples as f64 / params.sample_rate as f64;
        if speech_s < MIN_BASELINE_SPEECH_S || frames == 0 {
            return Err(SerError::BaselineTooShort { got: speech_s, need: MIN_BASELINE_SPEECH_S });
        }
        let clipped_share = clipped as f64 / speech_samples as f64;
        if clipped_share > MAX_CLIPPED_SHARE {
            return Err(SerError::BaselineClipped { percent: 100.0 * clipped_share });
        }
        check_alike(&clip_means)?;
        let model_log_probs = mean_log_probs(analyses, model)?;
        let n = frames as f64;
        let log_mel_mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let log_mel_std = sum
            .iter()
            .zip(&sum_sq)
            .map(|(s, sq)| {
                let m = s / n;
                (sq / n - m * m).max(0.0).sqrt() as f32
            })
            .collect();
        Ok(Self {
            format: FORMAT.into(),
            model: info.name.clone(),
            model_version: info.version.clone(),
            feature_params: params.clone(),
            clips: analyses.len(),
            speech_s,
            log_mel_mean,
            log_mel_std,
            model_log_probs,
        })
    }

    /// Refuses a baseline made for another model or other features.
    pub fn check_for(&self, info: &ModelInfo) -> Result<()> {
        if self.model != info.name || self.model_version != info.version || self.feature_params != info.feature_params {
            return Err(SerError::BaselineModelMismatch {
                made_for: format!("{} {}", self.model, self.model_version),
                model: format!("{} {}", info.name, info.version),
            });
        }
        Ok(())
    }

    /// The summary as JSON, what `ser baseline --out` writes and the page keeps in this browser.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a baseline is plain data")
    }

    /// Reads a summary written by [`Self::to_json`], refusing anything else with a sentence.
    pub fn from_json(text: &str) -> Result<Self> {
        let b: Self = serde_json::from_str(text).map_err(|e| SerError::BaselineInvalid(plain_json_error(&e)))?;
        if b.format != FORMAT {
            return Err(SerError::BaselineInvalid(format!(
                "its format is \"{}\", not \"{FORMAT}\"; make it again with this version",
                b.format
            )));
        }
        let n = b.feature_params.n_mels;
        let finite = b.log_mel_mean.iter().chain(&b.log_mel_std).chain(&b.model_log_probs).all(|v| v.is_finite());
        if b.log_mel_mean.len() != n || b.log_mel_std.len() != n || !finite {
            return Err(SerError::BaselineInvalid(format!("it should hold {n} finite numbers per statistic")));
        }
        if b.model_log_probs.is_empty() || b.model_log_probs.iter().any(|&l| l > 0.0) {
            return Err(SerError::BaselineInvalid("its model log-probabilities are missing or above zero".into()));
        }
        Ok(b)
    }
}

/// Each clip's whole-clip log-probabilities, averaged over clips with enough frames for the
/// model (if none has, the model reads all their frames at once).
fn mean_log_probs(analyses: &[Analysis], model: &EmotionModel) -> Result<Vec<f32>> {
    let input = model.input();
    let mut runs = Vec::new();
    for a in analyses.iter().filter(|a| a.features.n_frames >= MIN_FRAMES) {
        runs.push(model.run_uncalibrated(input.frames(&a.features), a.features.n_frames)?.probabilities);
    }
    if runs.is_empty() {
        let joined: Vec<f32> = analyses.iter().flat_map(|a| input.frames(&a.features).iter().copied()).collect();
        let n_frames = analyses.iter().map(|a| a.features.n_frames).sum();
        runs.push(model.run_uncalibrated(&joined, n_frames)?.probabilities);
    }
    let n = runs.len() as f64;
    let labels = runs[0].len();
    Ok((0..labels).map(|i| (runs.iter().map(|p| (p[i].max(1e-30) as f64).ln()).sum::<f64>() / n) as f32).collect())
}

fn plain_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => "it is not valid JSON".into(),
        Category::Data => format!("a field is missing or has the wrong type ({e})"),
        Category::Io => "it could not be read".into(),
    }
}

/// Clips of one voice in one place differ little in level and spectral shape; a pair that
/// differs more than any same-speaker pair in the training corpora is refused.
fn check_alike(clip_means: &[Vec<f64>]) -> Result<()> {
    let level = |m: &[f64]| m.iter().sum::<f64>() / m.len() as f64;
    for (i, a) in clip_means.iter().enumerate() {
        for b in &clip_means[i + 1..] {
            let (la, lb) = (level(a), level(b));
            let gap = (la - lb).abs() as f32;
            if gap > MAX_LEVEL_GAP_DB {
                return Err(SerError::BaselineInconsistent {
                    why: format!("one is {gap:.0} dB louder than another, more than {MAX_LEVEL_GAP_DB:.0} dB"),
                });
            }
            let shape = (a.iter().zip(b).map(|(x, y)| ((x - la) - (y - lb)).powi(2)).sum::<f64>() / a.len() as f64)
                .sqrt() as f32;
            if shape > MAX_SHAPE_GAP_DB {
                return Err(SerError::BaselineInconsistent {
                    why: format!(
                        "their spectra differ by {shape:.1} dB, more than {MAX_SHAPE_GAP_DB:.0} dB: another voice, \
                         microphone or noise"
                    ),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{PipelineOptions, analyse_16k};

    fn model() -> EmotionModel {
        EmotionModel::from_bytes(include_bytes!("../../models/ser_cnn.onnx"), include_str!("../../models/ser_cnn.json"))
            .unwrap()
    }

    /// A voiced, speech-like signal with pauses: a gliding harmonic tone in bursts.
    fn voice(seconds: f64, gain: f32, pitch: f64) -> Vec<f32> {
        let sr = 16_000.0;
        (0..(seconds * sr) as usize)
            .map(|i| {
                let t = i as f64 / sr;
                let on = (t * 1.5).fract() < 0.7;
                let f0 = pitch * (1.0 + 0.1 * (t * 3.0).sin());
                let s: f64 = (1..6).map(|k| (2.0 * std::f64::consts::PI * f0 * k as f64 * t).sin() / k as f64).sum();
                if on { gain * (0.3 * s) as f32 } else { 0.0 }
            })
            .collect()
    }

    fn analysed(signal: Vec<f32>) -> Analysis {
        analyse_16k(signal, &PipelineOptions::default()).unwrap()
    }

    #[test]
    fn summarises_speech_frames_only() {
        let mut with_silence = vec![0.0f32; 32_000];
        with_silence.extend(voice(3.0, 1.0, 140.0));
        with_silence.extend(vec![0.0f32; 32_000]);
        let model = model();
        let padded = Baseline::from_analyses(&[analysed(with_silence.clone())], &model).unwrap();
        let plain = Baseline::from_analyses(&[analysed(voice(3.0, 1.0, 140.0))], &model).unwrap();
        // Four seconds of silence around three of voice: trimmed but for the edge frames.
        assert!((padded.speech_s - plain.speech_s).abs() < 0.3, "{} vs {}", padded.speech_s, plain.speech_s);
        let gap = |a: &Baseline, b: &Baseline| {
            a.log_mel_mean.iter().zip(&b.log_mel_mean).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max)
        };
        assert!(gap(&padded, &plain) < 3.0, "{}", gap(&padded, &plain));
        // Had the silence counted, the summary would be far off.
        let untrimmed = analyse_16k(with_silence, &PipelineOptions { trim: false, ..PipelineOptions::default() });
        let untrimmed = Baseline::from_analyses(&[untrimmed.unwrap()], &model).unwrap();
        assert!(gap(&untrimmed, &plain) > 10.0, "{}", gap(&untrimmed, &plain));
        assert_eq!(plain.log_mel_mean.len(), 64);
        assert!(plain.log_mel_std.iter().all(|&s| s > 0.0));
    }

    #[test]
    fn refuses_too_little_speech_clipping_and_clips_that_differ() {
        let model = model();
        let short = Baseline::from_analyses(&[analysed(voice(1.5, 1.0, 140.0))], &model).unwrap_err();
        assert!(matches!(short, SerError::BaselineTooShort { .. }), "{short:?}");
        assert!(Baseline::from_analyses(&[], &model).is_err());

        let clipped: Vec<f32> = voice(3.0, 8.0, 140.0).iter().map(|s| s.clamp(-1.0, 1.0)).collect();
        let err = Baseline::from_analyses(&[analysed(clipped)], &model).unwrap_err();
        assert!(matches!(err, SerError::BaselineClipped { .. }), "{err:?}");

        let loud = analysed(voice(2.0, 1.0, 140.0));
        let quiet = analysed(voice(2.0, 0.01, 140.0)); // 40 dB quieter
        let err = Baseline::from_analyses(&[loud.clone(), quiet], &model).unwrap_err();
        assert!(err.to_string().contains("dB louder"), "{err}");

        let noise: Vec<f32> =
            (0..48_000u32).map(|i| ((i.wrapping_mul(2_654_435_761) >> 8) as f32 / 8_388_608.0 - 1.0) * 0.3).collect();
        let err = Baseline::from_analyses(&[loud.clone(), analysed(noise)], &model).unwrap_err();
        assert!(matches!(err, SerError::BaselineInconsistent { .. }), "{err:?}");

        let same_voice = analysed(voice(2.0, 0.7, 150.0));
        assert!(Baseline::from_analyses(&[loud, same_voice], &model).is_ok());
    }

    #[test]
    fn json_round_trip_and_model_check() {
        let model = model();
        let info = model.info().clone();
        let b = Baseline::from_analyses(&[analysed(voice(3.0, 1.0, 140.0))], &model).unwrap();
        let back = Baseline::from_json(&b.to_json()).unwrap();
        assert_eq!(back, b);
        back.check_for(&info).unwrap();
        let mut other = info.clone();
        other.version = "0.9.0".into();
        let err = back.check_for(&other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "This voice baseline was made for the model {} {}, not for {} 0.9.0: make a new one with this model.",
                info.name, info.version, info.name
            )
        );
        assert!(matches!(Baseline::from_json("{\"format\": 3}"), Err(SerError::BaselineInvalid(_))));
        assert!(matches!(Baseline::from_json("not json"), Err(SerError::BaselineInvalid(_))));
        let mut wrong = b.clone();
        wrong.log_mel_mean.pop();
        assert!(Baseline::from_json(&serde_json::to_string(&wrong).unwrap()).is_err());
        let mut old = b.clone();
        old.format = "ser-baseline/1".into();
        let err = Baseline::from_json(&serde_json::to_string(&old).unwrap()).unwrap_err().to_string();
        assert!(err.contains("make it again"), "{err}");
    }

    /// The baseline holds the model's own reading of the clips: the mean of each clip's
    /// whole-clip log-probabilities, as the graph gives them.
    #[test]
    fn holds_the_models_mean_log_probabilities_of_its_clips() {
        let model = model();
        let clips = [analysed(voice(2.5, 1.0, 140.0)), analysed(voice(2.0, 0.8, 160.0))];
        let b = Baseline::from_analyses(&clips, &model).unwrap();
        let logs: Vec<Vec<f32>> = clips
            .iter()
            .map(|a| {
                let f = &a.features;
                let p = model.run_uncalibrated(model.input().frames(f), f.n_frames).unwrap().probabilities;
                p.iter().map(|v| v.ln()).collect()
            })
            .collect();
        assert_eq!(b.model_log_probs.len(), model.labels().len());
        for (i, &got) in b.model_log_probs.iter().enumerate() {
            let want = (logs[0][i] + logs[1][i]) / 2.0;
            assert!((got - want).abs() < 1e-4, "{i}: {got} vs {want}");
        }
    }
}
