//! One analysis, run step by step on the page's thread: decode + resample → trim + features →
//! model → timeline windows, yielding to the browser every few tens of milliseconds so the
//! progress bar moves, the page stays responsive and Cancel works. The numbers come from the
//! same core functions as `ser predict`.

use std::rc::Rc;

use crate::audio::MonoResampler;
use crate::model::{EmotionModel, Report};
use crate::pipeline::{analyse_16k, Analyser, Analysis, Loader, PipelineOptions, Resampling};
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

/// Why an analysis ended without a result.
pub enum Stop {
    /// Cancelled, or replaced by a newer one: nothing to show.
    Cancelled,
    Failed(String),
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Failed(message)
    }
}

impl From<SerError> for Stop {
    fn from(e: SerError) -> Self {
        Stop::Failed(e.to_string())
    }
}

/// The most work done between two yields to the browser, in milliseconds: short enough for
/// clicks and the progress bar to stay prompt, long enough that yielding costs little.
const SLICE_MS: f64 = 25.0;
/// Packets decoded, and feature frames computed, between two looks at the clock.
const PACKETS_PER_STEP: usize = 32;
/// The largest file the page reads, in MB: it is held in memory twice while it is read
/// (browser and wasm), and 20 minutes of 48 kHz stereo float WAV is 461 MB.
pub const MAX_FILE_MB: f64 = 500.0;
const FRAMES_PER_STEP: usize = 400;
/// Input samples resampled between checks of the clock (about 1.4 s at 48 kHz).
const SAMPLES_PER_STEP: usize = 1 << 16;

/// Hands the thread back to the browser every [`SLICE_MS`] of work, and stops the job at the
/// next step once it has been cancelled.
struct Pacer<'a> {
    since: f64,
    cancelled: &'a dyn Fn() -> bool,
}

impl<'a> Pacer<'a> {
    fn new(cancelled: &'a dyn Fn() -> bool) -> Self {
        Self { since: web::now_ms(), cancelled }
    }

    fn due(&self) -> bool {
        web::now_ms() - self.since >= SLICE_MS
    }

    /// Yields now; `Err(Stop::Cancelled)` if the job was cancelled meanwhile.
    async fn pause(&mut self) -> Result<(), Stop> {
        yield_now().await;
        self.since = web::now_ms();
        if (self.cancelled)() { Err(Stop::Cancelled) } else { Ok(()) }
    }
}

pub async fn analyse(
    source: Source,
    model: Rc<EmotionModel>,
    report_progress: &dyn Fn(Step, f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<Outcome, Stop> {
    let marked = std::cell::Cell::new(None);
    let progress = &|step: Step, fraction: f64| {
        // One performance mark per step, where it starts (scripts/bench_web.sh reads them).
        if marked.replace(Some(step)) != Some(step) {
            web::mark_step(step.label());
        }
        report_progress(step, fraction);
    };
    let pace = &mut Pacer::new(cancelled);
    let name = source.name();
    let options = options_for(&model);
    let signal = match source {
        Source::Samples { samples, sample_rate, .. } => resample(&samples, sample_rate, &options, progress, pace).await?,
        Source::File(file) => {
            // Refused before reading: the page holds the whole file in memory.
            let got_mb = file.size() / 1e6;
            if got_mb > MAX_FILE_MB {
                return Err(SerError::FileTooLarge { got_mb, limit_mb: MAX_FILE_MB }.into());
            }
            progress(Step::Reading, 0.02);
            let bytes = web::read_file(&file).await?;
            load(&bytes, &options, progress, pace).await?
        }
        Source::Sample { url, .. } => {
            progress(Step::Reading, 0.02);
            let bytes = web::fetch_bytes(&url).await?;
            load(&bytes, &options, progress, pace).await?
        }
    };

    progress(Step::Features, 0.4);
    pace.pause().await?;
    let mut analyser = Analyser::new(signal, &options)?;
    while !analyser.step(FRAMES_PER_STEP) {
        if pace.due() {
            progress(Step::Features, 0.4 + 0.3 * analyser.progress());
            pace.pause().await?;
        }
    }
    let analysis = analyser.finish();

    progress(Step::Model, 0.7);
    pace.pause().await?;
    let report = report_stepwise(&model, &analysis, progress, pace).await?;

    pace.pause().await?;
    web::mark_step("Encoding playback audio");
    let mut wav = wav::header_pcm16(analysis.signal.len(), analysis.sample_rate);
    for block in analysis.signal.chunks(1 << 16) {
        wav::append_pcm16(block, &mut wav);
        if pace.due() {
            pace.pause().await?;
        }
    }
    let audio_url = web::blob_url(&wav, "audio/wav").ok();
    drop(wav);
    let outcome = Outcome { name, analysis, report, audio_url };
    // Drawing the result is a task of its own.
    pace.pause().await?;
    Ok(outcome)
}

/// Decodes to the analysis rate with the core's [`Loader`] (WAV, FLAC, MP3, OGG, exactly as
/// the CLI), a few packets at a time; formats the core does not read (m4a, webm/opus, …) go
/// through the browser's decoder instead.
async fn load(bytes: &[u8], options: &PipelineOptions, progress: &dyn Fn(Step, f64), pace: &mut Pacer<'_>) -> Result<Vec<f32>, Stop> {
    progress(Step::Decoding, 0.05);
    pace.pause().await?;
    let mut loader = match Loader::from_bytes(bytes, options) {
        Ok(loader) => loader,
        Err(e) => return fall_back(bytes, e, options, progress, pace).await,
    };
    // Said at once for a file that announces its length, not after decoding 20 minutes of it.
    let limit = options.limits.max_seconds;
    if let Some(got) = loader.expected_seconds().filter(|&s| s > limit) {
        return Err(SerError::TooLong { got, limit }.into());
    }
    loop {
        match loader.step(PACKETS_PER_STEP) {
            Ok(true) => break,
            Ok(false) => {}
            // The container was readable but not its contents: let the browser try, as before
            // anything was decoded.
            Err(e) if loader.decoded_seconds() == 0.0 => return fall_back(bytes, e, options, progress, pace).await,
            Err(e) => return Err(e.into()),
        }
        if pace.due() {
            progress(Step::Decoding, 0.05 + 0.3 * loader.progress().unwrap_or(0.0));
            pace.pause().await?;
        }
    }
    Ok(loader.finish()?)
}

/// The browser's decoder for what the core cannot read; the core's sentence if neither can.
async fn fall_back(
    bytes: &[u8],
    e: SerError,
    options: &PipelineOptions,
    progress: &dyn Fn(Step, f64),
    pace: &mut Pacer<'_>,
) -> Result<Vec<f32>, Stop> {
    if !matches!(e, SerError::NotAudio | SerError::UnsupportedCodec(_)) {
        return Err(e.into());
    }
    let Ok((samples, rate)) = browser_decode(bytes).await else {
        return Err(e.into());
    };
    resample(&samples, rate, options, progress, pace).await
}

/// Samples in memory (the microphone, the browser's decoder) to the analysis rate, in steps.
async fn resample(
    samples: &[f32],
    rate: u32,
    options: &PipelineOptions,
    progress: &dyn Fn(Step, f64),
    pace: &mut Pacer<'_>,
) -> Result<Vec<f32>, Stop> {
    progress(Step::Resampling, 0.3);
    pace.pause().await?;
    let mut resampling = Resampling::new(samples, rate, options)?;
    while !resampling.step(SAMPLES_PER_STEP)? {
        if pace.due() {
            progress(Step::Resampling, 0.3 + 0.1 * resampling.progress());
            pace.pause().await?;
        }
    }
    Ok(resampling.finish()?)
}

/// `Report::new`, a few model windows per step so long recordings do not freeze the page.
async fn report_stepwise(
    model: &EmotionModel,
    analysis: &Analysis,
    progress: &dyn Fn(Step, f64),
    pace: &mut Pacer<'_>,
) -> Result<Report, Stop> {
    let starts = Report::timeline_starts(model, analysis);
    let mut timeline = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        if pace.due() {
            progress(Step::Timeline, 0.75 + 0.25 * i as f64 / starts.len() as f64);
            pace.pause().await?;
        }
        timeline.push(Report::segment(model, analysis, start)?);
    }
    pace.pause().await?;
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
