//! One analysis, run step by step on the page's thread: decode → resample → trim + features →
//! model → timeline windows, yielding to the browser between steps so the progress bar moves
//! and the page stays responsive. The numbers come from the same core functions as `ser predict`.

use std::rc::Rc;

use crate::audio::{decode_bytes, MonoResampler};
use crate::model::{EmotionModel, Report};
use crate::pipeline::{analyse_16k, Analysis, PipelineOptions};
use crate::SerError;

use super::audio_in::{browser_decode, wav};
use super::state::Step;
use super::web::{self, yield_now};

/// Where the audio comes from.
pub enum Source {
    File(web_sys::File),
    /// One of the bundled sample clips, fetched from the page's own origin.
    Sample { name: String, url: String },
    /// Mono samples at the device's rate (the microphone).
    Samples { name: String, samples: Vec<f32>, sample_rate: u32 },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::File(f) => f.name(),
            Source::Sample { name, .. } | Source::Samples { name, .. } => name.clone(),
        }
    }
}

/// A finished analysis: what the result view draws and exports.
pub struct Outcome {
    pub name: String,
    pub analysis: Analysis,
    pub report: Report,
    /// A 16 kHz WAV of the analysed signal for the player, so the cursor matches the plots.
    pub audio_url: Option<String>,
}

/// Identity: two outcomes are equal only if they are the same one.
impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if let Some(url) = &self.audio_url {
            web::revoke_url(url);
        }
    }
}

/// The options `ser predict` uses with this model.
pub fn options_for(model: &EmotionModel) -> PipelineOptions {
    PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() }
}

pub async fn analyse(source: Source, model: Rc<EmotionModel>, report_progress: &dyn Fn(Step, f64)) -> Result<Outcome, String> {
    let progress = &|step: Step, fraction: f64| {
        web::mark_step(step.label());
        report_progress(step, fraction);
    };
    let name = source.name();
    let options = options_for(&model);
    let (samples, rate) = match source {
        Source::Samples { samples, sample_rate, .. } => (samples, sample_rate),
        Source::File(file) => {
            progress(Step::Reading, 0.02);
            let bytes = web::read_file(&file).await?;
            decode(&bytes, &options, progress).await?
        }
        Source::Sample { url, .. } => {
            progress(Step::Reading, 0.02);
            let bytes = web::fetch_bytes(&url).await?;
            decode(&bytes, &options, progress).await?
        }
    };

    progress(Step::Resampling, 0.3);
    yield_now().await;
    let signal = crate::pipeline::to_analysis_rate(&samples, rate, &options).map_err(|e| e.to_string())?;
    drop(samples);

    progress(Step::Features, 0.5);
    yield_now().await;
    let analysis = analyse_16k(signal, &options).map_err(|e| e.to_string())?;

    progress(Step::Model, 0.7);
    yield_now().await;
    let report = report_stepwise(&model, &analysis, progress).await.map_err(|e| e.to_string())?;

    web::mark_step("Encoding playback audio");
    let wav = wav::encode_pcm16(&analysis.signal, analysis.sample_rate);
    let audio_url = web::blob_url(&wav, "audio/wav").ok();
    Ok(Outcome { name, analysis, report, audio_url })
}

/// Decodes with the core (WAV, FLAC, MP3, OGG, exactly as the CLI); formats the core does not
/// read (m4a, webm/opus, …) go through the browser's decoder instead.
async fn decode(bytes: &[u8], options: &PipelineOptions, progress: &dyn Fn(Step, f64)) -> Result<(Vec<f32>, u32), String> {
    progress(Step::Decoding, 0.1);
    yield_now().await;
    match decode_bytes(bytes, &options.limits) {
        Ok(decoded) => Ok((decoded.samples, decoded.sample_rate)),
        Err(e @ (SerError::NotAudio | SerError::UnsupportedCodec(_))) => match browser_decode(bytes).await {
            Ok(decoded) => Ok(decoded),
            // Neither decoder reads it: the core's sentence says why.
            Err(_) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    }
}

/// `Report::new`, one model window per step so long recordings do not freeze the page.
async fn report_stepwise(model: &EmotionModel, analysis: &Analysis, progress: &dyn Fn(Step, f64)) -> crate::Result<Report> {
    let starts = Report::timeline_starts(model, analysis);
    let mut timeline = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        if i % 4 == 0 {
            progress(Step::Timeline, 0.75 + 0.25 * i as f64 / starts.len() as f64);
            yield_now().await;
        }
        timeline.push(Report::segment(model, analysis, start)?);
    }
    let whole = Report::whole(model, analysis, &timeline)?;
    Ok(Report::from_parts(model, whole, analysis, timeline))
}

/// Fetches the model and its sidecar from the page's own origin and loads them with the core.
/// Fetched (not embedded) so a missing or damaged model is a message, not a broken page.
pub async fn load_model() -> Result<EmotionModel, String> {
    let load_err = |e: String| SerError::ModelLoad(e).to_string();
    let onnx = web::fetch_bytes(MODEL_URL).await.map_err(load_err)?;
    let sidecar = web::fetch_bytes(SIDECAR_URL).await.map_err(load_err)?;
    let sidecar = String::from_utf8(sidecar).map_err(|_| load_err(format!("{SIDECAR_URL} is not text")))?;
    yield_now().await;
    EmotionModel::from_bytes(&onnx, &sidecar).map_err(|e| e.to_string())
}

pub const MODEL_URL: &str = "ser_cnn.onnx";
pub const SIDECAR_URL: &str = "ser_cnn.json";

/// Runs features and the model once on a made-up signal right after loading, so the browser
/// has compiled the hot wasm paths before the first real clip (the first run was ~6x slower).
pub fn warm_up(model: &EmotionModel) {
    let options = options_for(model);
    let sr = options.params.sample_rate as f32;
    let signal: Vec<f32> = (0..(3.5 * sr) as usize)
        .map(|i| {
            let t = i as f32 / sr;
            // A gliding tone with pauses: exercises trimming, features and the model.
            let gate = if (t * 2.0).fract() < 0.7 { 1.0 } else { 0.0 };
            gate * 0.3 * (2.0 * std::f32::consts::PI * (150.0 + 80.0 * t) * t).sin()
        })
        .collect();
    if let Ok(analysis) = analyse_16k(signal, &options) {
        let _ = model.predict(&analysis.features);
    }
    let _ = MonoResampler::new(48_000, options.params.sample_rate).and_then(|mut r| r.process_all(&[0.0; 4800]));
}
