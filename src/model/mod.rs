//! The emotion CNN: an ONNX graph run by tract, described by a JSON sidecar.
//!
//! The sidecar names the labels in output order and the exact feature parameters the model
//! was trained on. Loading refuses a model whose parameters differ from the ones this crate
//! computes, or whose bytes do not match the sidecar's sha256. The page loads the same graph
//! from an NNEF archive made from the ONNX file ([`nnef`]).

mod baseline;
mod circumplex;
#[cfg(not(target_arch = "wasm32"))]
mod embedded;
mod explain;
mod metrics;
pub mod nnef;
mod pair_max;
pub(crate) mod report;

pub use baseline::{
    BASELINE_FORMAT, Baseline, MAX_CLIPPED_SHARE, MAX_LEVEL_GAP_DB, MAX_SHAPE_GAP_DB, MIN_BASELINE_SPEECH_S,
};
pub use circumplex::{circumplex_angle, valence_arousal};
#[cfg(not(target_arch = "wasm32"))]
pub use embedded::{EMBEDDED_ONNX, EMBEDDED_SIDECAR};
pub use explain::{Explaining, Explanation, OcclusionParams, Patch, explain};
pub use metrics::{ClassScore, Metrics, expected_calibration_error, score};
#[cfg(not(target_arch = "wasm32"))]
pub use nnef::onnx_to_nnef;
pub use report::{Parts, Report, Reporting, Segment, WHOLE_CLIP_MAX_S, window_starts};

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tract_nnef::prelude::*;

use crate::dsp::{FeatureParams, Features};
use crate::error::{Result, SerError};

/// The model's sidecar (`models/<name>.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub labels: Vec<String>,
    pub feature: String,
    pub feature_params: FeatureParams,
    #[serde(default = "default_true")]
    pub trim: bool,
    /// Clips with more kept audio than this get a timeline of windows.
    pub window_s: f64,
    /// Step between timeline windows.
    pub hop_s: f64,
    #[serde(default)]
    pub trained: String,
    pub onnx_sha256: String,
    #[serde(default)]
    pub licence: String,
    /// Absent for a model whose probabilities were never calibrated: they are then shown as
    /// the graph gives them, and no result is "not sure".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// How far a personal baseline moves this model's answers. Absent: the model takes no
    /// baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_baseline: Option<VoiceFit>,
}

/// A baseline removes the model's lean on one voice: the clip's log-probabilities less
/// `strength × (baseline − neutral_log_probs)`, where the baseline is the model's mean
/// log-probabilities over that speaker's neutral clips and `neutral_log_probs` what the
/// neutral clips of speakers the model never heard look like to it on average. Both numbers
/// are fitted on out-of-fold CV predictions (`models/train/voice_offset.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceFit {
    pub strength: f64,
    pub neutral_log_probs: Vec<f64>,
}

impl VoiceFit {
    /// What is added to a prediction's log-probabilities for a voice whose baseline holds
    /// these mean log-probabilities ([`Baseline::model_log_probs`]).
    pub fn offset(&self, baseline_log_probs: &[f32]) -> Vec<f64> {
        baseline_log_probs.iter().zip(&self.neutral_log_probs).map(|(&b, r)| -self.strength * (b as f64 - r)).collect()
    }

    /// Moves the graph's `probabilities` by `offset` (from [`Self::offset`]), in place:
    /// `p_i ∝ p_i · exp(offset_i)`. Calibration comes after.
    pub fn apply(offset: &[f64], probabilities: &mut [f32]) {
        shift_log_probs(probabilities, offset);
    }
}

/// Makes the probabilities mean what they say: fitted by the trainer on out-of-fold
/// predictions of the speaker-independent CV (`models/train/calibrate.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Temperature scaling of the graph's (averaged) probabilities: `p_i ∝ p_i^(1/T)`.
    pub temperature: f64,
    /// Below this top probability (after scaling) a result is "not sure".
    pub unsure_below: f64,
}

impl Calibration {
    /// Scales `probabilities` in place; the order of the emotions never changes.
    pub fn apply(&self, probabilities: &mut [f32]) {
        let inv_t = 1.0 / self.temperature;
        let logs: Vec<f64> = probabilities.iter().map(|&p| (p.max(1e-30) as f64).ln() * inv_t).collect();
        normalise_logs(&logs, probabilities);
    }
}

fn default_true() -> bool {
    true
}

/// What the graph takes for each 10 ms frame: the sidecar's `feature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelInput {
    /// `n_mfcc` MFCCs.
    Mfcc,
    /// `n_mels` log-mel bands in dB, floored at `db_top_db` below the clip's peak (the rows the
    /// MFCCs are the DCT of).
    LogMel,
}

impl ModelInfo {
    /// What the model takes per frame, if the sidecar names a feature this crate computes.
    pub fn input(&self) -> Option<ModelInput> {
        ModelInput::from_feature(&self.feature)
    }
}

impl ModelInput {
    fn from_feature(name: &str) -> Option<Self> {
        match name {
            "mfcc" => Some(Self::Mfcc),
            "logmel" => Some(Self::LogMel),
            _ => None,
        }
    }

    /// Values per frame.
    pub fn rows(self, params: &FeatureParams) -> usize {
        match self {
            Self::Mfcc => params.n_mfcc,
            Self::LogMel => params.n_mels,
        }
    }

    /// The frame-major matrix of this kind in `features`.
    pub fn frames(self, features: &Features) -> &[f32] {
        match self {
            Self::Mfcc => &features.mfcc,
            Self::LogMel => &features.log_mel,
        }
    }

    /// One frame of this kind, given the frame's floored log-mel row and its MFCCs.
    pub fn pick<'a>(self, log_mel_row: &'a [f32], mfcc_row: &'a [f32]) -> &'a [f32] {
        match self {
            Self::Mfcc => mfcc_row,
            Self::LogMel => log_mel_row,
        }
    }
}

/// Probabilities over the model's labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub labels: Arc<Vec<String>>,
    pub probabilities: Vec<f32>,
    /// The model's "not sure" threshold on the top probability, if it is calibrated.
    pub unsure_below: Option<f32>,
}

impl Prediction {
    pub fn best_index(&self) -> usize {
        let mut best = 0;
        for (i, &p) in self.probabilities.iter().enumerate() {
            if p > self.probabilities[best] {
                best = i;
            }
        }
        best
    }

    pub fn emotion(&self) -> &str {
        &self.labels[self.best_index()]
    }

    pub fn confidence(&self) -> f32 {
        self.probabilities[self.best_index()]
    }

    /// Whether the top probability is below the model's calibrated threshold.
    pub fn unsure(&self) -> bool {
        self.unsure_below.is_some_and(|t| self.confidence() < t)
    }

    /// The second most likely emotion.
    pub fn runner_up(&self) -> &str {
        let best = self.best_index();
        let second = (0..self.probabilities.len())
            .filter(|&i| i != best)
            .fold(None, |b: Option<usize>, i| match b {
                Some(j) if self.probabilities[j] >= self.probabilities[i] => Some(j),
                _ => Some(i),
            })
            .unwrap_or(best);
        &self.labels[second]
    }

    /// What to tell a person: the emotion, or "not sure: sad or calm" naming the two likeliest.
    pub fn verdict(&self) -> String {
        if self.unsure() {
            format!("not sure: {} or {}", self.emotion(), self.runner_up())
        } else {
            self.emotion().to_string()
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> {
        self.labels.iter().map(String::as_str).zip(self.probabilities.iter().copied())
    }
}

type Plan = Arc<TypedRunnableModel>;

/// The fewest frames the model takes (the model card's contract; 0.5 s of kept audio, the
/// pipeline's minimum, is 51 frames). Telling tract so lets it plan the any-length graph as
/// fast as a fixed-length one (without it, 1.2-1.4x slower at whole-clip lengths), and below
/// about 16 frames the pooled time axis would be empty.
pub const MIN_FRAMES: usize = 50;

#[derive(Clone)]
pub struct EmotionModel {
    info: ModelInfo,
    labels: Arc<Vec<String>>,
    /// Any number of frames from [`MIN_FRAMES`] up.
    plan: Plan,
    input: ModelInput,
    /// Added to the graph's log-probabilities before calibration when a personal baseline is
    /// in use ([`Self::with_baseline`]).
    voice_offset: Option<Arc<Vec<f64>>>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a sidecar against the features this crate computes.
pub fn check_compatible(info: &ModelInfo, ours: &FeatureParams) -> Result<()> {
    if ModelInput::from_feature(&info.feature).is_none() {
        return Err(SerError::ModelMismatch(format!(
            "it expects '{}' features, but this program computes 'mfcc' or 'logmel'",
            info.feature
        )));
    }
    let theirs = serde_json::to_value(&info.feature_params).unwrap_or_default();
    let mine = serde_json::to_value(ours).unwrap_or_default();
    if let (Some(t), Some(m)) = (theirs.as_object(), mine.as_object()) {
        for (key, value) in m {
            if t.get(key) != Some(value) {
                return Err(SerError::ModelMismatch(format!(
                    "it was trained with {key} = {}, but this program uses {value}",
                    t.get(key).map_or("nothing".to_string(), |v| v.to_string())
                )));
            }
        }
    }
    if info.labels.is_empty() {
        return Err(SerError::ModelMismatch("its description lists no labels".into()));
    }
    if !(info.window_s > 0.0 && info.hop_s > 0.0) {
        return Err(SerError::ModelMismatch("its window length is not positive".into()));
    }
    Ok(())
}

impl EmotionModel {
    /// Loads a model from its ONNX bytes (natively) or its NNEF archive ([`nnef`]), and its
    /// sidecar JSON.
    pub fn from_bytes(graph: &[u8], sidecar_json: &str) -> Result<Self> {
        let info: ModelInfo = serde_json::from_str(sidecar_json)
            .map_err(|e| SerError::ModelLoad(format!("its description file is not valid ({e})")))?;
        check_compatible(&info, &FeatureParams::default())?;
        if let Some(c) = &info.calibration
            && !(c.temperature.is_finite() && c.temperature > 0.0 && (0.0..=1.0).contains(&c.unsure_below))
        {
            return Err(SerError::ModelLoad(
                "its description holds an invalid calibration (temperature or threshold)".into(),
            ));
        }
        if let Some(v) = &info.voice_baseline
            && !(v.strength.is_finite()
                && (0.0..=4.0).contains(&v.strength)
                && v.neutral_log_probs.len() == info.labels.len()
                && v.neutral_log_probs.iter().all(|l| l.is_finite()))
        {
            return Err(SerError::ModelLoad(
                "its description holds an invalid voice-baseline fit (strength or reference)".into(),
            ));
        }
        let input = ModelInput::from_feature(&info.feature).expect("checked by check_compatible");
        let rows = input.rows(&info.feature_params);
        let load_err = |e: TractError| SerError::ModelLoad(format!("{e}"));
        let mismatch = || {
            SerError::ModelMismatch(
                "the model file is not the one its description was written for (sha256 differs)".into(),
            )
        };
        let expected_sha256 = info.onnx_sha256.to_ascii_lowercase();
        let typed = if nnef::is_archive(graph) {
            let (typed, made_from) = nnef::read(graph).map_err(load_err)?;
            if made_from.as_deref() != Some(expected_sha256.as_str()) {
                return Err(mismatch());
            }
            if typed.input_fact(0).ok().and_then(|f| f.shape.get(1).and_then(|d| d.as_i64())).map(|d| d as usize)
                != Some(rows)
            {
                return Err(SerError::ModelMismatch(format!(
                    "its input does not have the {rows} rows it was trained on"
                )));
            }
            typed
        } else {
            // Checked before parsing: a damaged file is then "not the one", not a parser's error.
            if sha256_hex(graph) != expected_sha256 {
                return Err(mismatch());
            }
            onnx_graph(graph, rows).map_err(load_err)?
        };
        let plan = runnable(typed).map_err(load_err)?;
        let labels = Arc::new(info.labels.clone());
        let model = Self { info, labels, plan, input, voice_offset: None };
        // A graph whose output does not fit the labels, told from its output's shape where the
        // graph fixes it (no run: in the page the first run also compiles the wasm it uses, which
        // the warm-up does once the model is ready), else from one probe run.
        let outputs = match model.plan.model().output_fact(0).ok().and_then(|f| f.shape.as_concrete()) {
            Some(shape) => shape.iter().product(),
            None => model.run(&vec![0.0; MIN_FRAMES * rows], MIN_FRAMES)?.probabilities.len(),
        };
        if outputs != model.labels.len() {
            return Err(SerError::ModelMismatch(format!(
                "it outputs {} values for {} labels",
                outputs,
                model.labels.len()
            )));
        }
        Ok(model)
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// tract's plan of the graph, as every run uses it (`benches/model_ops.rs` times it op by
    /// op).
    pub fn plan(&self) -> &Arc<TypedRunnableModel> {
        &self.plan
    }

    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Frames in one timeline window.
    pub fn window_frames(&self) -> usize {
        window_frames(&self.info)
    }

    pub fn hop_frames(&self) -> usize {
        let p = &self.info.feature_params;
        ((self.info.hop_s * p.sample_rate as f64 / p.hop_length as f64).round() as usize).max(1)
    }

    /// What the model takes per frame.
    pub fn input(&self) -> ModelInput {
        self.input
    }

    /// Values per frame of the model's input.
    pub fn input_rows(&self) -> usize {
        self.input.rows(&self.info.feature_params)
    }

    /// This model judging clips relative to one speaker's voice: every prediction it makes
    /// (whole clip, timeline, explanation) has the speaker's lean removed (see [`VoiceFit`]).
    /// Refused with a sentence for a baseline made for another model, or a model that takes
    /// none.
    pub fn with_baseline(&self, baseline: &Baseline) -> Result<Self> {
        baseline.check_for(&self.info)?;
        let fit = self.info.voice_baseline.as_ref().ok_or_else(|| SerError::BaselineUnsupported {
            model: format!("{} {}", self.info.name, self.info.version),
        })?;
        Ok(Self { voice_offset: Some(Arc::new(fit.offset(&baseline.model_log_probs))), ..self.clone() })
    }

    /// Whether predictions are relative to a personal baseline.
    pub fn has_baseline(&self) -> bool {
        self.voice_offset.is_some()
    }

    /// The model without its personal baseline.
    pub fn cold(&self) -> Self {
        Self { voice_offset: None, ..self.clone() }
    }

    /// Runs the model on frame-major input frames (`n_frames` rows of [`Self::input_rows`]),
    /// relative to the personal baseline if there is one, and calibrated when the sidecar
    /// says how.
    pub fn run(&self, frames: &[f32], n_frames: usize) -> Result<Prediction> {
        let mut prediction = self.run_uncalibrated(frames, n_frames)?;
        if let Some(offset) = &self.voice_offset {
            VoiceFit::apply(offset, &mut prediction.probabilities);
        }
        if let Some(c) = &self.info.calibration {
            c.apply(&mut prediction.probabilities);
            prediction.unsure_below = Some(c.unsure_below as f32);
        }
        Ok(prediction)
    }

    /// The graph's own output, as onnxruntime gives it (for parity checks).
    pub fn run_uncalibrated(&self, frames: &[f32], n_frames: usize) -> Result<Prediction> {
        let rows = self.input_rows();
        if frames.len() != n_frames * rows {
            return Err(SerError::Inference(format!("expected {n_frames} frames of {rows} values")));
        }
        if n_frames < MIN_FRAMES {
            return Err(SerError::Inference(format!(
                "the model needs at least {MIN_FRAMES} frames (0.5 s of sound), got {n_frames}"
            )));
        }
        // The graph takes [batch, row, frame].
        let input = tract_ndarray::Array3::from_shape_fn((1, rows, n_frames), |(_, c, t)| frames[t * rows + c]);
        let outputs =
            self.plan.run(tvec!(Tensor::from(input).into())).map_err(|e| SerError::Inference(e.to_string()))?;
        let view = outputs[0].to_plain_array_view::<f32>().map_err(|e| SerError::Inference(e.to_string()))?;
        let probabilities: Vec<f32> = view.iter().copied().collect();
        if probabilities.iter().any(|p| !p.is_finite()) {
            return Err(SerError::Inference("the model produced invalid numbers".into()));
        }
        Ok(Prediction { labels: self.labels.clone(), probabilities, unsure_below: None })
    }

    /// The whole-clip prediction: the model over every kept frame at once.
    pub fn predict(&self, features: &Features) -> Result<Prediction> {
        self.run(self.input.frames(features), features.n_frames)
    }
}

/// `p_i ∝ p_i · exp(offset_i)`.
fn shift_log_probs(probabilities: &mut [f32], offset: &[f64]) {
    let logs: Vec<f64> = probabilities.iter().zip(offset).map(|(&p, o)| (p.max(1e-30) as f64).ln() + o).collect();
    normalise_logs(&logs, probabilities);
}

/// Probabilities from unnormalised log-probabilities, from the largest, so small ones neither
/// underflow nor overflow.
fn normalise_logs(logs: &[f64], probabilities: &mut [f32]) {
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    for (p, l) in probabilities.iter_mut().zip(logs) {
        *p = ((l - top).exp() / total) as f32;
    }
}

/// The runnable plan of a typed graph: tract's optimisations, with the pools over pairs of
/// frames as [`pair_max::PairMax`].
fn runnable(mut typed: TypedModel) -> TractResult<Plan> {
    pair_max::pair_max_pools(&mut typed)?;
    typed.into_optimized()?.into_runnable()
}

fn window_frames(info: &ModelInfo) -> usize {
    let p = &info.feature_params;
    (info.window_s * p.sample_rate as f64 / p.hop_length as f64).round() as usize
}

/// The ONNX graph for `[1, rows, T]`, any T from [`MIN_FRAMES`] up, decluttered.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn onnx_graph(onnx: &[u8], rows: usize) -> TractResult<TypedModel> {
    use tract_onnx::prelude::Framework;
    typed_for_rows(tract_onnx::onnx().model_for_read(&mut std::io::Cursor::new(onnx))?, rows)
}

/// A parsed ONNX graph, typed and decluttered for `[1, rows, T]`, any T from [`MIN_FRAMES`] up.
#[cfg(not(target_arch = "wasm32"))]
fn typed_for_rows(mut model: tract_onnx::prelude::InferenceModel, rows: usize) -> TractResult<TypedModel> {
    use tract_onnx::prelude::InferenceModelExt;
    model.symbols.add_assertion(format!("T >= {MIN_FRAMES}"))?;
    let frames = model.symbols.sym("T");
    model.set_input_fact(0, f32::fact(tract_nnef::tract_core::dims!(1, rows, frames)).into())?;
    model.into_typed()?.into_decluttered()
}

/// The page reads the NNEF archive only: its wasm has no ONNX reader.
#[cfg(target_arch = "wasm32")]
fn onnx_graph(_onnx: &[u8], _rows: usize) -> TractResult<TypedModel> {
    tract_nnef::tract_core::internal::bail!("the file is not a model archive this page can read")
}

// Native only: the ONNX reader is not in the wasm build.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn shipped() -> EmotionModel {
        let onnx = include_bytes!("../../models/ser_cnn.onnx");
        let sidecar = include_str!("../../models/ser_cnn.json");
        EmotionModel::from_bytes(onnx, sidecar).unwrap()
    }

    fn prediction(probabilities: &[f32], unsure_below: Option<f32>) -> Prediction {
        let labels = ["neutral", "calm", "happy", "sad"].iter().map(|s| s.to_string()).collect();
        Prediction { labels: Arc::new(labels), probabilities: probabilities.to_vec(), unsure_below }
    }

    #[test]
    fn temperature_scaling_keeps_the_order_and_softens_or_sharpens() {
        let p = [0.1f32, 0.2, 0.6, 0.1];
        let mut same = p;
        Calibration { temperature: 1.0, unsure_below: 0.5 }.apply(&mut same);
        assert!(same.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-6), "{same:?}");
        let mut soft = p;
        Calibration { temperature: 2.0, unsure_below: 0.5 }.apply(&mut soft);
        // p^(1/2), renormalised: 0.6 -> sqrt(.6) / (2 sqrt(.1) + sqrt(.2) + sqrt(.6)).
        let want = 0.6f32.sqrt() / (2.0 * 0.1f32.sqrt() + 0.2f32.sqrt() + 0.6f32.sqrt());
        assert!((soft[2] - want).abs() < 1e-6, "{soft:?}");
        assert!((soft.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let mut sharp = p;
        Calibration { temperature: 0.5, unsure_below: 0.5 }.apply(&mut sharp);
        assert!(sharp[2] > 0.6 && soft[2] < 0.6);
        for q in [soft, sharp] {
            assert_eq!(prediction(&q, None).best_index(), 2, "{q:?}");
        }
    }

    #[test]
    fn a_result_below_the_threshold_is_not_sure_and_names_the_two_likeliest() {
        let p = prediction(&[0.05, 0.35, 0.15, 0.45], Some(0.5));
        assert!(p.unsure());
        assert_eq!(p.verdict(), "not sure: sad or calm");
        let sure = prediction(&[0.05, 0.25, 0.1, 0.6], Some(0.5));
        assert!(!sure.unsure());
        assert_eq!(sure.verdict(), "sad");
        // An uncalibrated model is never "not sure": it has no threshold that means anything.
        assert!(!prediction(&[0.05, 0.35, 0.15, 0.45], None).unsure());
    }

    #[test]
    fn the_sidecar_calibration_applies_to_every_run_and_an_invalid_one_is_refused() {
        let onnx = include_bytes!("../../models/ser_cnn.onnx");
        let mut info: ModelInfo = serde_json::from_str(include_str!("../../models/ser_cnn.json")).unwrap();
        let frames: Vec<f32> = (0..120 * 64).map(|i| -60.0 + 30.0 * ((i as f32) * 0.37).sin()).collect();
        info.calibration = Some(Calibration { temperature: 1.7, unsure_below: 0.99 });
        let model = EmotionModel::from_bytes(onnx, &serde_json::to_string(&info).unwrap()).unwrap();
        let raw = model.run_uncalibrated(&frames, 120).unwrap();
        let got = model.run(&frames, 120).unwrap();
        let mut want = raw.probabilities.clone();
        info.calibration.as_ref().unwrap().apply(&mut want);
        assert_eq!(got.probabilities, want);
        assert_ne!(got.probabilities, raw.probabilities);
        assert!(got.unsure(), "a threshold of 0.99 makes this result unsure");
        info.calibration = Some(Calibration { temperature: 0.0, unsure_below: 0.5 });
        let err = EmotionModel::from_bytes(onnx, &serde_json::to_string(&info).unwrap()).err().unwrap();
        assert!(err.to_string().contains("invalid calibration"), "{err}");
    }

    fn fixture_baseline(model: &EmotionModel) -> Baseline {
        let analyses: Vec<_> = [1, 2]
            .iter()
            .map(|n| {
                let path =
                    format!("{}/tests/fixtures/baseline/ravdess_01_neutral_{n}.flac", env!("CARGO_MANIFEST_DIR"));
                crate::analyse_bytes(&std::fs::read(path).unwrap(), &crate::PipelineOptions::default()).unwrap()
            })
            .collect();
        Baseline::from_analyses(&analyses, model).unwrap()
    }

    /// With a baseline, each prediction is the graph's, less `strength × (baseline − reference)`
    /// in logs, then calibrated; a voice that looks to the model like the average unseen
    /// speaker's neutral changes nothing.
    #[test]
    fn a_baseline_removes_the_models_lean_on_that_voice() {
        let model = shipped();
        let fit = model.info().voice_baseline.clone().expect("the shipped model takes a baseline");
        let baseline = fixture_baseline(&model);
        let personal = model.with_baseline(&baseline).unwrap();
        assert!(personal.has_baseline() && !model.has_baseline() && !personal.cold().has_baseline());
        let frames: Vec<f32> = (0..150 * 64).map(|i| -55.0 + 25.0 * ((i as f32) * 0.21).sin()).collect();
        let raw = model.run_uncalibrated(&frames, 150).unwrap().probabilities;
        let logs: Vec<f64> = raw
            .iter()
            .zip(&baseline.model_log_probs)
            .zip(&fit.neutral_log_probs)
            .map(|((&p, &b), r)| (p as f64).ln() - fit.strength * (b as f64 - r))
            .collect();
        let total: f64 = logs.iter().map(|l| l.exp()).sum();
        let mut want: Vec<f32> = logs.iter().map(|l| (l.exp() / total) as f32).collect();
        model.info().calibration.as_ref().unwrap().apply(&mut want);
        let got = personal.run(&frames, 150).unwrap().probabilities;
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
        }
        assert_ne!(got, model.run(&frames, 150).unwrap().probabilities, "this voice's lean moved the answer");
        assert_eq!(personal.cold().run(&frames, 150).unwrap(), model.run(&frames, 150).unwrap());

        let mut typical = baseline.clone();
        typical.model_log_probs = fit.neutral_log_probs.iter().map(|&r| r as f32).collect();
        let same = model.with_baseline(&typical).unwrap().run(&frames, 150).unwrap().probabilities;
        let cold = model.run(&frames, 150).unwrap().probabilities;
        assert!(same.iter().zip(&cold).all(|(a, b)| (a - b).abs() < 1e-5), "{same:?} vs {cold:?}");
    }

    #[test]
    fn a_model_without_a_fit_or_with_a_bad_one_refuses_baselines_with_a_sentence() {
        let onnx = include_bytes!("../../models/ser_cnn.onnx");
        let model = shipped();
        let baseline = fixture_baseline(&model);
        let mut info = model.info().clone();
        info.voice_baseline = None;
        let plain = EmotionModel::from_bytes(onnx, &serde_json::to_string(&info).unwrap()).unwrap();
        let err = plain.with_baseline(&baseline).err().unwrap().to_string();
        assert_eq!(
            err,
            format!(
                "The model {} {} cannot use a voice baseline; its results are for voices in general.",
                info.name, info.version
            )
        );
        for bad in [5.0, -1.0] {
            info.voice_baseline = Some(VoiceFit { strength: bad, neutral_log_probs: vec![-2.0; 8] });
            let err = EmotionModel::from_bytes(onnx, &serde_json::to_string(&info).unwrap()).err().unwrap();
            assert!(err.to_string().contains("invalid voice-baseline fit"), "{err}");
        }
        info.voice_baseline = Some(VoiceFit { strength: 0.3, neutral_log_probs: vec![-2.0; 7] });
        assert!(EmotionModel::from_bytes(onnx, &serde_json::to_string(&info).unwrap()).is_err());
    }

    /// The any-length plan, planned under `T >= MIN_FRAMES`, gives what a plan for exactly
    /// that many frames gives, at the shortest length, a window and a whole clip.
    #[test]
    fn the_any_length_plan_equals_fixed_length_plans() {
        let model = shipped();
        let onnx = include_bytes!("../../models/ser_cnn.onnx");
        let c = model.input_rows();
        for t in [MIN_FRAMES, 51, model.window_frames(), 421] {
            let mfcc: Vec<f32> = (0..t * c).map(|i| (i as f32 * 0.013).sin() * 12.0).collect();
            let general = model.run_uncalibrated(&mfcc, t).unwrap();
            use tract_onnx::prelude::{Framework, InferenceModelExt};
            let mut fixed_model = tract_onnx::onnx().model_for_read(&mut std::io::Cursor::new(onnx)).unwrap();
            fixed_model.set_input_fact(0, f32::fact([1, c, t]).into()).unwrap();
            let fixed_plan = fixed_model.into_optimized().unwrap().into_runnable().unwrap();
            let input = tract_ndarray::Array3::from_shape_fn((1, c, t), |(_, k, f)| mfcc[f * c + k]);
            let outputs = fixed_plan.run(tvec!(Tensor::from(input).into())).unwrap();
            let fixed: Vec<f32> = outputs[0].to_plain_array_view::<f32>().unwrap().iter().copied().collect();
            for (a, b) in general.probabilities.iter().zip(&fixed) {
                assert!((a - b).abs() < 1e-5, "T = {t}: {a} vs {b}");
            }
        }
    }

    /// Too few frames is an error, not a panic inside tract (whose pooling divides by the
    /// pooled length, zero below 16 frames).
    #[test]
    fn too_few_frames_is_an_error() {
        let model = shipped();
        let c = model.input_rows();
        for t in [0, 1, 15, MIN_FRAMES - 1] {
            let err = model.run(&vec![0.5; t * c], t).unwrap_err().to_string();
            assert!(err.contains(&format!("at least {MIN_FRAMES} frames")), "T = {t}: {err}");
        }
    }

    /// The model gets the matrix its sidecar names, and the whole-clip prediction is the
    /// model over exactly that matrix.
    #[test]
    fn the_model_reads_the_feature_its_sidecar_names() {
        let params = FeatureParams::default();
        let features = Features {
            n_frames: 2,
            n_mels: params.n_mels,
            n_mfcc: params.n_mfcc,
            log_mel: vec![1.0; 2 * params.n_mels],
            mfcc: vec![2.0; 2 * params.n_mfcc],
        };
        assert_eq!(ModelInput::from_feature("mfcc"), Some(ModelInput::Mfcc));
        assert_eq!(ModelInput::from_feature("logmel"), Some(ModelInput::LogMel));
        assert_eq!(ModelInput::from_feature("mel"), None);
        assert_eq!(ModelInput::LogMel.rows(&params), 64);
        assert_eq!(ModelInput::Mfcc.rows(&params), 40);
        assert_eq!(ModelInput::LogMel.frames(&features), &features.log_mel[..]);
        assert_eq!(ModelInput::Mfcc.frames(&features), &features.mfcc[..]);
        assert_eq!(ModelInput::LogMel.pick(&[1.0], &[2.0]), &[1.0]);
        assert_eq!(ModelInput::Mfcc.pick(&[1.0], &[2.0]), &[2.0]);

        let model = shipped();
        let clip = include_bytes!("../../tests/fixtures/librosa/ravdess_01_angry.flac");
        let analysis = crate::analyse_bytes(clip, &crate::PipelineOptions::default()).unwrap();
        let f = &analysis.features;
        let whole = model.predict(f).unwrap();
        let direct = model.run(model.input().frames(f), f.n_frames).unwrap();
        assert_eq!(whole.probabilities, direct.probabilities);
        let other = match model.input() {
            ModelInput::Mfcc => &f.log_mel,
            ModelInput::LogMel => &f.mfcc,
        };
        assert!(model.run(other, f.n_frames).is_err(), "the other feature has another width");
    }
}
