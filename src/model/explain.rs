//! Why this answer: an occlusion map of the model's input.
//!
//! A person told "angry" who meant "calm" asks what the model listened to. Occlusion answers
//! with the model itself rather than a proxy: cut the clip's log-mel spectrogram (what the
//! page draws, and what the model reads) into patches of [`OcclusionParams::patch_frames`]
//! frames × [`OcclusionParams::patch_bands`] mel bands, hide one patch at a time by setting it
//! to the clip's floor (its quietest dB value: what silence looks like in this clip), run the
//! model again, and call the drop in the predicted emotion's probability that patch's
//! saliency. A positive value means the patch supported the answer; a negative one means it
//! argued against it; about zero, that the model did not use it. Gradients would need a
//! differentiable runtime in the browser and say what a tiny change does; occlusion says
//! what removing a real region of sound does, which is the question asked.
//!
//! The probabilities are the ones the clip's result shows (calibrated when the model's sidecar
//! says how), so a saliency is a change in the figure a person reads. A model that reads
//! MFCCs is explained in the same log-mel space: the hidden rows go through the same DCT that
//! makes its MFCCs.
//!
//! Cost: one model run over the whole clip per patch (the graph takes one input at a time;
//! each run reuses the model's one plan and one working copy of the input), 224 runs for a
//! 4.1 s clip with the default 0.15 s × 8-band patches: 0.65 s natively with model 1.5.0,
//! 2.8 ms a run (335 ms with 1.2.0's narrower members). It grows with the square of the length, so long recordings are
//! better explained a window at a time. [`Explaining`] does the runs a few at a time for a
//! caller that must not block; [`explain`] does them all.
//!
//! Faithfulness is tested, not assumed (`tests/explain.rs`): over the ten fixture and sample
//! clips, hiding the 10 % most salient patches at once lowers the answer's probability by
//! 0.49 on average, a random 10 % by 0.20, and the 10 % loudest patches (what a map that only
//! followed loudness would point at) by 0.32; on the seven speech clips, 0.63 against 0.23.
//!
//! ```
//! use ser::model::{Explaining, OcclusionParams};
//! use ser::{EmotionModel, PipelineOptions, Stepwise, analyse_bytes};
//!
//! let bytes = std::fs::read("tests/fixtures/librosa/ravdess_01_angry.flac")?;
//! let model = EmotionModel::embedded()?;
//! let analysis = analyse_bytes(&bytes, &PipelineOptions::default())?;
//! // Coarse patches keep this example quick; `ser::model::explain` uses the defaults.
//! let params = OcclusionParams { patch_frames: 50, patch_bands: 16 };
//! let mut machine = Explaining::new(&model, &analysis.features, &params)?;
//! while !machine.step(4)? {
//!     assert!((0.0..1.0).contains(&machine.progress()));
//! }
//! let map = machine.finish()?;
//! assert_eq!(map.prediction.probabilities, model.predict(&analysis.features)?.probabilities);
//! assert_eq!(map.saliency.len(), map.time_s.len());
//! assert!(map.saliency.iter().all(|row| row.len() == 4 && row.len() + 1 == map.band_hz.len()));
//! let top = map.strongest().expect("at least one patch");
//! println!(
//!     "{} mostly from {:.2}-{:.2} s, {:.0}-{:.0} Hz",
//!     map.prediction.emotion(), top.time_s[0], top.time_s[1], top.band_hz[0], top.band_hz[1]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use std::ops::Range;

use serde_json::{Map, Value, json};

use super::{EmotionModel, ModelInput, Prediction};
use crate::dsp::mfcc::Dct2;
use crate::dsp::{Features, mel_frequencies};
use crate::error::{Result, SerError};
use crate::stepwise::Stepwise;

/// The patch size. Zero counts as one; more bands than the model has means all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcclusionParams {
    /// Frames per patch (10 ms each at the shipped model's hop).
    pub patch_frames: usize,
    /// Mel bands per patch.
    pub patch_bands: usize,
}

/// 0.15 s: about a syllable, long enough for a patch to hold a piece of intonation, short
/// enough to point at a word. 8 of the 64 bands: an eighth of the mel scale, groups with
/// edges at 0, 394, 766, 1152, 1689, 2477, 3632, 5326 and 8000 Hz for the shipped model, so
/// the voice's pitch and lowest harmonics, the first and second formants and the fricatives'
/// hiss land in different groups.
impl Default for OcclusionParams {
    fn default() -> Self {
        Self { patch_frames: 15, patch_bands: 8 }
    }
}

/// The occlusion map of one clip's prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The index of the emotion explained (the prediction's best) in the model's labels.
    pub emotion: usize,
    /// The prediction over the unmasked input: the clip's whole-clip prediction.
    pub prediction: Prediction,
    /// Frames of the model input (T).
    pub frames: usize,
    /// Mel bands of the log-mel input.
    pub bands: usize,
    pub patch_frames: usize,
    pub patch_bands: usize,
    /// The value hidden patches were set to, dB (the clip's minimum).
    pub floor_db: f32,
    /// `saliency[time patch][band group]`, band groups from low to high frequency: the
    /// predicted emotion's probability minus that probability with the patch hidden.
    pub saliency: Vec<Vec<f32>>,
    /// Start of each time patch, in seconds from the start of the model's input (the kept
    /// audio joined end to end): frame `t` is centred on `t · hop / sample_rate`.
    pub time_s: Vec<f64>,
    /// Band-group edges in Hz, one more than the groups: `fmin`, the crossings between
    /// neighbouring mel filters where a group ends, `fmax`.
    pub band_hz: Vec<f64>,
    /// Seconds per frame.
    pub frame_s: f64,
}

/// One patch, located in seconds and Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patch {
    pub time_patch: usize,
    pub band_group: usize,
    /// Start of its first frame and start of the frame after its last, s.
    pub time_s: [f64; 2],
    pub band_hz: [f64; 2],
    pub saliency: f32,
}

impl Explanation {
    /// The patch whose hiding lowered the answer most (`None` only for an empty map).
    pub fn strongest(&self) -> Option<Patch> {
        let mut best: Option<Patch> = None;
        for (t, row) in self.saliency.iter().enumerate() {
            for (b, &s) in row.iter().enumerate() {
                if best.is_none_or(|p| s > p.saliency) {
                    best = Some(self.patch(t, b));
                }
            }
        }
        best
    }

    /// Patch `(time_patch, band_group)` with its place and saliency. Out-of-range indices are
    /// clamped to the last patch.
    pub fn patch(&self, time_patch: usize, band_group: usize) -> Patch {
        let t = time_patch.min(self.time_s.len().saturating_sub(1));
        let b = band_group.min(self.band_hz.len().saturating_sub(2));
        let end_frame = ((t + 1) * self.patch_frames).min(self.frames);
        Patch {
            time_patch: t,
            band_group: b,
            time_s: [self.time_s.get(t).copied().unwrap_or(0.0), end_frame as f64 * self.frame_s],
            band_hz: [self.band_hz.get(b).copied().unwrap_or(0.0), self.band_hz.get(b + 1).copied().unwrap_or(0.0)],
            saliency: self.saliency.get(t).and_then(|row| row.get(b)).copied().unwrap_or(0.0),
        }
    }

    /// Patches `(time_patch, band_group)` from the most salient down.
    pub fn ranked(&self) -> Vec<(usize, usize)> {
        let mut all: Vec<(usize, usize)> =
            (0..self.saliency.len()).flat_map(|t| (0..self.saliency[t].len()).map(move |b| (t, b))).collect();
        all.sort_by(|&(t1, b1), &(t2, b2)| self.saliency[t2][b2].total_cmp(&self.saliency[t1][b1]));
        all
    }

    /// The model's prediction with all of `patches` hidden at once (the deletion check behind
    /// the faithfulness test; also "what if this part were not there"). `features` must be the
    /// ones explained.
    pub fn run_masked(
        &self,
        model: &EmotionModel,
        features: &Features,
        patches: &[(usize, usize)],
    ) -> Result<Prediction> {
        let params = OcclusionParams { patch_frames: self.patch_frames, patch_bands: self.patch_bands };
        let mut masking = Masking::new(model, features, &params)?;
        if masking.grid.frames != self.frames || masking.grid.bands != self.bands {
            return Err(SerError::Inference("these features are not the ones explained".into()));
        }
        masking.run(patches)
    }

    /// The JSON object `ser explain` prints, less the pitch and loudness fields (the caller
    /// adds them, see `Prosody::to_json`): `file`, `emotion`, `probabilities`, `frames`, `bands`, `patch`, `saliency`,
    /// `time_s`, `band_hz`, `floor_db`. Numbers rounded to 1e-6, as in `Report::to_json`.
    pub fn to_json(&self, file: &str) -> Value {
        let mut probabilities = Map::new();
        for (label, p) in self.prediction.iter() {
            probabilities.insert(label.to_string(), json!(round6(p as f64)));
        }
        let mut out = Map::new();
        out.insert("file".into(), json!(file));
        out.insert("emotion".into(), json!(self.prediction.emotion()));
        out.insert("probabilities".into(), Value::Object(probabilities));
        out.extend(self.map_json());
        Value::Object(out)
    }

    /// The map's own fields of [`Self::to_json`] (`frames`, `bands`, `patch`, `saliency`,
    /// `time_s`, `band_hz`, `floor_db`): what the page's JSON export adds to its report once
    /// the person has run Explain, so the two have one shape.
    pub fn map_json(&self) -> Map<String, Value> {
        // Values built directly, not through `json!`'s serializer: the page carries this code.
        let round = |v: &[f64]| Value::from(v.iter().map(|&x| round6(x)).collect::<Vec<_>>());
        let saliency: Vec<Vec<f64>> =
            self.saliency.iter().map(|row| row.iter().map(|&s| round6(s as f64)).collect()).collect();
        let mut patch = Map::new();
        patch.insert("frames".into(), Value::from(self.patch_frames));
        patch.insert("bands".into(), Value::from(self.patch_bands));
        let mut map = Map::new();
        map.insert("frames".into(), Value::from(self.frames));
        map.insert("bands".into(), Value::from(self.bands));
        map.insert("patch".into(), Value::Object(patch));
        map.insert("saliency".into(), Value::from(saliency));
        map.insert("time_s".into(), round(&self.time_s));
        map.insert("band_hz".into(), round(&self.band_hz));
        map.insert("floor_db".into(), Value::from(round6(self.floor_db as f64)));
        map
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// How the log-mel matrix is cut.
#[derive(Debug, Clone, Copy)]
struct Grid {
    frames: usize,
    bands: usize,
    patch_frames: usize,
    patch_bands: usize,
}

impl Grid {
    fn new(frames: usize, bands: usize, params: &OcclusionParams) -> Self {
        Self {
            frames,
            bands,
            patch_frames: params.patch_frames.max(1),
            patch_bands: params.patch_bands.clamp(1, bands.max(1)),
        }
    }

    fn time_patches(&self) -> usize {
        self.frames.div_ceil(self.patch_frames)
    }

    fn band_groups(&self) -> usize {
        self.bands.div_ceil(self.patch_bands)
    }

    fn frame_range(&self, time_patch: usize) -> Range<usize> {
        (time_patch * self.patch_frames).min(self.frames)..((time_patch + 1) * self.patch_frames).min(self.frames)
    }

    fn band_range(&self, band_group: usize) -> Range<usize> {
        (band_group * self.patch_bands).min(self.bands)..((band_group + 1) * self.patch_bands).min(self.bands)
    }
}

/// The model's input with patches hidden, on one working copy: each run hides its patches,
/// runs the model and puts the original values back, so no run copies the whole clip.
struct Masking<'a> {
    model: &'a EmotionModel,
    features: &'a Features,
    grid: Grid,
    floor: f32,
    log_mel: Vec<f32>,
    /// For a model that reads MFCCs: the working MFCC matrix and the DCT that makes it.
    mfcc: Option<(Vec<f32>, Dct2)>,
}

impl<'a> Masking<'a> {
    fn new(model: &'a EmotionModel, features: &'a Features, params: &OcclusionParams) -> Result<Self> {
        let p = &model.info().feature_params;
        let (t, n_mels) = (features.n_frames, features.n_mels);
        let consistent = features.log_mel.len() == t.saturating_mul(n_mels)
            && n_mels == p.n_mels
            && (model.input() == ModelInput::LogMel || features.mfcc.len() == t.saturating_mul(model.input_rows()));
        if !consistent {
            return Err(SerError::Inference(format!(
                "the features do not fit the model ({n_mels} mel bands over {t} frames, it reads {})",
                p.n_mels
            )));
        }
        let floor = features.log_mel.iter().copied().fold(f32::INFINITY, f32::min);
        let mfcc = match model.input() {
            ModelInput::LogMel => None,
            ModelInput::Mfcc => Some((features.mfcc.clone(), Dct2::new(n_mels, model.input_rows()))),
        };
        Ok(Self { model, features, grid: Grid::new(t, n_mels, params), floor, log_mel: features.log_mel.clone(), mfcc })
    }

    /// Whether hiding the patch would change nothing (it is all floor already).
    fn is_floor(&self, (t, b): (usize, usize)) -> bool {
        let n = self.grid.bands;
        let bands = self.grid.band_range(b);
        self.grid
            .frame_range(t)
            .all(|f| self.log_mel[f * n + bands.start..f * n + bands.end].iter().all(|&v| v == self.floor))
    }

    fn run(&mut self, patches: &[(usize, usize)]) -> Result<Prediction> {
        let (n, rows) = (self.grid.bands, self.model.input_rows());
        for &(t, b) in patches {
            let bands = self.grid.band_range(b);
            for f in self.grid.frame_range(t) {
                self.log_mel[f * n + bands.start..f * n + bands.end].fill(self.floor);
            }
        }
        let prediction = match &mut self.mfcc {
            None => self.model.run(&self.log_mel, self.grid.frames),
            Some((mfcc, dct)) => {
                for &(t, _) in patches {
                    for f in self.grid.frame_range(t) {
                        dct.apply_into(&self.log_mel[f * n..(f + 1) * n], &mut mfcc[f * rows..(f + 1) * rows]);
                    }
                }
                self.model.run(mfcc, self.grid.frames)
            }
        };
        // Put back what was hidden, whatever the run gave.
        for &(t, b) in patches {
            let bands = self.grid.band_range(b);
            for f in self.grid.frame_range(t) {
                let row = f * n + bands.start..f * n + bands.end;
                self.log_mel[row.clone()].copy_from_slice(&self.features.log_mel[row]);
            }
            if let Some((mfcc, _)) = &mut self.mfcc {
                let frames = self.grid.frame_range(t);
                let rows = frames.start * rows..frames.end * rows;
                mfcc[rows.clone()].copy_from_slice(&self.features.mfcc[rows]);
            }
        }
        prediction
    }
}

/// [`explain`] in steps; the budget is model runs (one per patch; a patch already at the
/// floor is skipped, as hiding it changes nothing, and costs none).
pub struct Explaining<'a> {
    masking: Masking<'a>,
    prediction: Prediction,
    emotion: usize,
    /// Row-major `[time patch][band group]`, filled in that order.
    saliency: Vec<f32>,
    frame_s: f64,
    band_hz: Vec<f64>,
}

impl<'a> Explaining<'a> {
    /// Checks the features against the model and runs it once on the unmasked input (the
    /// prediction explained). Too few frames for the model is its usual error sentence.
    pub fn new(model: &'a EmotionModel, features: &'a Features, params: &OcclusionParams) -> Result<Self> {
        let masking = Masking::new(model, features, params)?;
        let prediction = model.predict(features)?;
        let emotion = prediction.best_index();
        let p = &model.info().feature_params;
        let frame_s = p.hop_length as f64 / p.sample_rate as f64;
        let band_hz = band_group_edges(&masking.grid, p.fmin, p.fmax);
        let total = masking.grid.time_patches() * masking.grid.band_groups();
        Ok(Self { masking, prediction, emotion, saliency: Vec::with_capacity(total), frame_s, band_hz })
    }

    fn total(&self) -> usize {
        self.masking.grid.time_patches() * self.masking.grid.band_groups()
    }
}

/// Band-group edges in Hz. The filterbank's points are `mel_frequencies(n_mels + 2, fmin,
/// fmax)`, evenly spaced in mel; filter `i` rises from point `i`, peaks at `i + 1` and falls
/// to `i + 2`, so neighbouring filters cross halfway between their peaks. A group's inner
/// edges are those crossings (the half-steps of `mel_frequencies(2 n_mels + 3, …)`), its
/// outer ones the filterbank's `fmin` and `fmax`.
fn band_group_edges(grid: &Grid, fmin: f64, fmax: f64) -> Vec<f64> {
    let half_steps = mel_frequencies(2 * grid.bands + 3, fmin, fmax);
    let groups = grid.band_groups();
    (0..=groups)
        .map(|g| match g * grid.patch_bands {
            0 => fmin,
            b if b >= grid.bands => fmax,
            b => half_steps[2 * b + 1],
        })
        .collect()
}

impl Stepwise for Explaining<'_> {
    type Output = Explanation;

    fn step(&mut self, budget: usize) -> Result<bool> {
        let groups = self.masking.grid.band_groups();
        let total = self.total();
        let mut runs = 0;
        while self.saliency.len() < total && runs < budget.max(1) {
            let i = self.saliency.len();
            let patch = (i / groups, i % groups);
            if self.masking.is_floor(patch) {
                self.saliency.push(0.0);
                continue;
            }
            let masked = self.masking.run(&[patch])?;
            runs += 1;
            self.saliency.push(self.prediction.probabilities[self.emotion] - masked.probabilities[self.emotion]);
        }
        Ok(self.saliency.len() == total)
    }

    fn progress(&self) -> f64 {
        let total = self.total();
        if total == 0 { 1.0 } else { self.saliency.len() as f64 / total as f64 }
    }

    fn finish(mut self) -> Result<Explanation> {
        while !self.step(usize::MAX)? {}
        let grid = self.masking.grid;
        let groups = grid.band_groups();
        Ok(Explanation {
            emotion: self.emotion,
            prediction: self.prediction,
            frames: grid.frames,
            bands: grid.bands,
            patch_frames: grid.patch_frames,
            patch_bands: grid.patch_bands,
            floor_db: self.masking.floor,
            saliency: self.saliency.chunks(groups.max(1)).map(<[f32]>::to_vec).collect(),
            time_s: (0..grid.time_patches()).map(|t| (t * grid.patch_frames) as f64 * self.frame_s).collect(),
            band_hz: self.band_hz,
            frame_s: self.frame_s,
        })
    }
}

/// The occlusion map of `features`' whole-clip prediction with the default patches:
/// [`Explaining`] run to the end.
pub fn explain(model: &EmotionModel, features: &Features) -> Result<Explanation> {
    Explaining::new(model, features, &OcclusionParams::default())?.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::FeatureParams;

    fn shipped() -> EmotionModel {
        EmotionModel::from_bytes(include_bytes!("../../models/ser_cnn.onnx"), include_str!("../../models/ser_cnn.json"))
            .unwrap()
    }

    /// Log-mel rows like a clip's: a floor at -80 dB for the first `silent` frames, then a
    /// pattern that moves over time and frequency.
    fn features(frames: usize, silent: usize) -> Features {
        let p = FeatureParams::default();
        let log_mel = (0..frames * p.n_mels)
            .map(|i| {
                let (t, m) = (i / p.n_mels, i % p.n_mels);
                if t < silent { -80.0 } else { -40.0 + 25.0 * ((t as f32 * 0.21).sin() * (m as f32 * 0.37).cos()) }
            })
            .collect();
        Features { n_frames: frames, n_mels: p.n_mels, n_mfcc: p.n_mfcc, log_mel, mfcc: vec![0.0; frames * p.n_mfcc] }
    }

    #[test]
    fn the_map_has_one_value_per_patch_and_says_where_each_is() {
        let model = shipped();
        // 107 frames: seven full time patches of 15 and one of 2; 64 bands: eight groups.
        let f = features(107, 30);
        let map = explain(&model, &f).unwrap();
        assert_eq!((map.frames, map.bands, map.patch_frames, map.patch_bands), (107, 64, 15, 8));
        assert_eq!(map.saliency.len(), 8);
        assert!(map.saliency.iter().all(|row| row.len() == 8));
        assert_eq!(map.time_s.len(), 8);
        for (i, t) in map.time_s.iter().enumerate() {
            assert!((t - 0.15 * i as f64).abs() < 1e-12, "{t}");
        }
        let last = map.patch(7, 0).time_s;
        assert!((last[0] - 1.05).abs() < 1e-12 && (last[1] - 1.07).abs() < 1e-12, "{last:?}");
        assert_eq!(map.band_hz.len(), 9);
        assert_eq!((map.band_hz[0], map.band_hz[8]), (0.0, 8000.0));
        assert!(map.band_hz.windows(2).all(|w| w[0] < w[1]), "{:?}", map.band_hz);
        // Between bands 7 and 8: halfway in mel between their peaks, mel points 8 and 9.
        let points = mel_frequencies(66, 0.0, 8000.0);
        let (lo, hi) = (crate::dsp::hz_to_mel(points[8]), crate::dsp::hz_to_mel(points[9]));
        assert!((map.band_hz[1] - crate::dsp::mel_to_hz((lo + hi) / 2.0)).abs() < 1e-6);
        // The first two time patches are at the floor already: hiding them changes nothing.
        assert_eq!(map.floor_db, -80.0);
        assert!(map.saliency[..2].iter().flatten().all(|&s| s == 0.0));
        assert!(map.saliency[2..].iter().flatten().any(|&s| s != 0.0));
        assert_eq!(map.prediction, model.predict(&f).unwrap());
        assert_eq!(map.emotion, map.prediction.best_index());
        // One patch hidden by hand: exactly its saliency.
        let mut hidden = f.log_mel.clone();
        for t in 45..60 {
            hidden[t * 64 + 16..t * 64 + 24].fill(-80.0);
        }
        let by_hand = model.run(&hidden, 107).unwrap().probabilities[map.emotion];
        assert_eq!(map.saliency[3][2], map.prediction.probabilities[map.emotion] - by_hand);
        assert_eq!(map.run_masked(&model, &f, &[(3, 2)]).unwrap().probabilities[map.emotion], by_hand);
        let json = map.to_json("x.wav");
        assert_eq!(json["patch"]["frames"], 15);
        assert_eq!(json["saliency"].as_array().unwrap().len(), 8);
        assert_eq!(json["band_hz"][8], 8000.0);
    }

    #[test]
    fn a_floor_patch_on_a_silent_region_is_zero_without_the_shortcut_too() {
        // The machine skips patches already at the floor; the model agrees they matter not.
        let model = shipped();
        let f = features(80, 30);
        let map = explain(&model, &f).unwrap();
        let hidden = map.run_masked(&model, &f, &[(0, 0), (1, 7)]).unwrap();
        assert_eq!(hidden.probabilities, map.prediction.probabilities);
    }

    #[test]
    fn steps_give_the_one_call_result_and_odd_sizes_do_not_panic() {
        let model = shipped();
        let f = features(60, 0);
        let params = OcclusionParams::default();
        let mut machine = Explaining::new(&model, &f, &params).unwrap();
        let mut steps = 0;
        while !machine.step(3).unwrap() {
            steps += 1;
            assert!(machine.progress() < 1.0);
        }
        assert_eq!(machine.progress(), 1.0);
        assert_eq!(steps, 32 / 3);
        assert_eq!(machine.finish().unwrap(), explain(&model, &f).unwrap());

        // Fewer frames than one patch, one-frame and oversized patches; zero counts as one.
        for (patch_frames, patch_bands, shape) in [(100, 8, (1, 8)), (0, 1000, (60, 1)), (1, 64, (60, 1))] {
            let map =
                Explaining::new(&model, &f, &OcclusionParams { patch_frames, patch_bands }).unwrap().finish().unwrap();
            assert_eq!((map.saliency.len(), map.saliency[0].len()), shape);
            assert_eq!(map.band_hz.len(), shape.1 + 1);
            assert_eq!((map.band_hz[0], map.band_hz[shape.1]), (0.0, 8000.0));
        }
        let grid = Grid::new(60, 64, &OcclusionParams { patch_frames: 0, patch_bands: 0 });
        assert_eq!((grid.time_patches(), grid.band_groups()), (60, 64));

        // Too short for the model, or features that do not fit it: sentences, not panics.
        let short = features(crate::model::MIN_FRAMES - 1, 0);
        assert!(explain(&model, &short).unwrap_err().to_string().contains("at least"));
        let mut bad = features(60, 0);
        bad.log_mel.pop();
        assert!(explain(&model, &bad).is_err());
        let map = explain(&model, &f).unwrap();
        assert!(map.run_masked(&model, &features(70, 0), &[(0, 0)]).is_err());
        assert_eq!(map.patch(99, 99), map.patch(3, 7));
    }
}
