//! The engine: it owns the model and runs analyses, taking [`Job`]s and answering with
//! [`Update`]s, in a Web Worker or (where none starts) on the page.
//!
//! One analysis runs step by step: decode + resample → trim + features → model → timeline
//! windows, each stage a core [`Stepwise`] machine driven by one loop that hands the thread
//! back to the browser every few tens of milliseconds, so the progress bar moves, the page
//! stays responsive and Cancel works. The numbers come from the same core as `ser predict`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ser::audio::SourceStats;
use ser::model::{Explaining, OcclusionParams, WHOLE_CLIP_MAX_S};
use ser::{
    Analyser, Analysis, Baseline, EmotionModel, LiveStream, Loader, MonoResampler, PipelineOptions, Report, Reporting,
    Resampling, SerError, Stepwise, analyse_16k,
};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen_futures::spawn_local;

use super::{BaselineInfo, Job, ModelFiles, Outcome, SavedBaseline, Source, Step, Update};
use crate::web::{self, yield_now};

/// The browser's decoder, for what the core cannot read: mono samples and their rate, or why
/// not. It needs Web Audio, which only the page has: in a worker it is a request to the page.
pub type Decode = Rc<dyn Fn(Vec<u8>) -> Pin<Box<dyn Future<Output = Decoded>>>>;
/// Mono samples and their rate, or why the browser could not decode them.
pub type Decoded = Result<(Vec<f32>, u32), String>;

/// How many recent results the engine keeps, to explain them or judge them again: the one on
/// show and the one Cancel brings back. No more, since the page holds its own copy of each
/// (a 20-minute recording's analysis is about 120 MB).
const KEPT_RESULTS: usize = 2;

/// What the engine keeps of a result: what it was analysed from, and the model that judged it.
struct Kept {
    id: u32,
    analysis: Rc<Analysis>,
    model: Rc<EmotionModel>,
}

/// Takes [`Job`]s, reports [`Update`]s through the callback it was made with.
pub struct Engine {
    /// The model for voices in general.
    model: RefCell<Option<Rc<EmotionModel>>>,
    /// The same model relative to the person's voice, while a baseline is set.
    personal: RefCell<Option<Rc<EmotionModel>>>,
    /// This visit's baseline recordings, analysed, so that one more can join them; held in
    /// memory only and dropped when the baseline is forgotten.
    voice_clips: RefCell<Vec<Analysis>>,
    /// Bumped by every baseline job: a baseline finished after a newer job (say "Forget my
    /// voice" while it was being made) is not used.
    voice_job: Cell<u32>,
    /// The analysis whose work still counts (0: none); any other stops at its next step.
    current: Cell<u32>,
    /// The same for explanations.
    explaining: Cell<u32>,
    /// Live mode's stream and the model it reads with, while a recording is in progress.
    live: RefCell<Option<(LiveStream, Rc<EmotionModel>)>>,
    /// A live reading is waiting for its task.
    reading_queued: Cell<bool>,
    /// The hot paths have run once (a warm-up or an analysis).
    warm: Cell<bool>,
    /// The last few results, newest last.
    kept: RefCell<Vec<Kept>>,
    decode: Decode,
    on_update: Box<dyn Fn(Update)>,
}

impl Engine {
    pub fn new(on_update: impl Fn(Update) + 'static, decode: Decode) -> Rc<Self> {
        Rc::new(Self {
            model: RefCell::new(None),
            personal: RefCell::new(None),
            voice_clips: RefCell::new(Vec::new()),
            voice_job: Cell::new(0),
            current: Cell::new(0),
            explaining: Cell::new(0),
            live: RefCell::new(None),
            reading_queued: Cell::new(false),
            warm: Cell::new(false),
            kept: RefCell::new(Vec::new()),
            decode,
            on_update: Box::new(on_update),
        })
    }

    pub fn send(self: &Rc<Self>, job: Job) {
        match job {
            Job::LoadModel(files) => {
                let this = self.clone();
                spawn_local(async move {
                    match load_model(files).await {
                        Ok(model) => {
                            let info = Rc::new(model.info().clone());
                            let model = Rc::new(model);
                            *this.model.borrow_mut() = Some(model.clone());
                            (this.on_update)(Update::ModelReady(info));
                        }
                        Err(message) => (this.on_update)(Update::ModelFailed(message)),
                    }
                });
            }
            Job::Analyse { job, source } => {
                self.current.set(job);
                self.explaining.set(0);
                let model = self.personal.borrow().clone().or_else(|| self.model.borrow().clone());
                let Some(model) = model else {
                    (self.on_update)(Update::Failed { job, message: STILL_LOADING.into() });
                    return;
                };
                self.warm.set(true); // this analysis compiles the hot paths itself
                // A result judged again: what it was analysed from.
                let prior = match &source {
                    Source::Analysed { outcome, .. } => match self.kept(*outcome) {
                        Some((analysis, _)) => Some(analysis),
                        None => return (self.on_update)(Update::Failed { job, message: FORGOTTEN.into() }),
                    },
                    _ => None,
                };
                let this = self.clone();
                spawn_local(async move {
                    let cancelled = || this.current.get() != job;
                    let progress = |step, fraction| {
                        (this.on_update)(Update::Progress { job, step, fraction, at: web::epoch_ms() })
                    };
                    let result = analyse(job, source, prior, model.clone(), &this.decode, &progress, &cancelled).await;
                    if cancelled() {
                        return;
                    }
                    match result {
                        Ok(outcome) => {
                            this.keep(Kept { id: job, analysis: outcome.analysis.clone(), model });
                            (this.on_update)(Update::Done { job, outcome: Rc::new(outcome) })
                        }
                        Err(Stop::Failed(message)) => (this.on_update)(Update::Failed { job, message }),
                        Err(Stop::Core(e)) => (this.on_update)(Update::Failed { job, message: e.to_string() }),
                        Err(Stop::Cancelled) => {}
                    }
                });
            }
            Job::WarmUp => {
                let model = self.model.borrow().clone();
                if let Some(model) = model.filter(|_| !self.warm.replace(true)) {
                    warm_up(&model);
                }
            }
            Job::Cancel => self.current.set(0),
            Job::Explain { job, outcome } => self.explain(job, outcome),
            Job::Live { samples, sample_rate } => self.live(&samples, sample_rate),
            Job::LiveStop => *self.live.borrow_mut() = None,
            Job::MakeBaseline { clips } => self.make_baseline(clips),
            Job::SetBaseline(saved) => self.set_baseline(saved),
        }
    }

    fn keep(&self, kept: Kept) {
        let mut all = self.kept.borrow_mut();
        if all.len() == KEPT_RESULTS {
            all.remove(0);
        }
        all.push(kept);
    }

    /// A result kept by its id: what it was analysed from, and the model that judged it.
    fn kept(&self, id: u32) -> Option<(Rc<Analysis>, Rc<EmotionModel>)> {
        self.kept.borrow().iter().find(|k| k.id == id).map(|k| (k.analysis.clone(), k.model.clone()))
    }

    fn explain(self: &Rc<Self>, job: u32, outcome: u32) {
        self.explaining.set(job);
        let Some((analysis, model)) = self.kept(outcome) else {
            return (self.on_update)(Update::ExplainFailed { job, message: FORGOTTEN.into() });
        };
        let this = self.clone();
        spawn_local(async move {
            let stale = || this.explaining.get() != job;
            let progress = |_: Step, fraction: f64| (this.on_update)(Update::ExplainProgress { job, fraction });
            let pace = &mut Pacer { since: web::now_ms(), cancelled: &stale, progress: &progress };
            let start = web::now_ms();
            let (model, features) = (&model, &analysis.features);
            let result = async {
                // As `ser explain`: beyond this the answer is a mean of windows, not one run.
                if Report::whole_from_windows(model, features.n_frames) {
                    return Err(Stop::Failed(format!(
                        "Only recordings of up to {WHOLE_CLIP_MAX_S:.0} s of speech can be explained."
                    )));
                }
                let mut machine = Explaining::new(model, features, &OcclusionParams::default())?;
                pace.run(&mut machine, RUNS_PER_STEP, Step::Explain, (0.0, 1.0)).await?;
                Ok(machine.finish()?)
            }
            .await;
            let ms = web::now_ms() - start;
            match result {
                Ok(map) => (this.on_update)(Update::Explained { job, map: Rc::new(map), ms }),
                Err(Stop::Failed(message)) => (this.on_update)(Update::ExplainFailed { job, message }),
                Err(Stop::Core(e)) => (this.on_update)(Update::ExplainFailed { job, message: e.to_string() }),
                Err(Stop::Cancelled) => {}
            }
        });
    }

    /// One chunk of live mode: resample and log-mel it (the rows go to the page to draw), and
    /// every [`ser::pipeline::LIVE_EVERY_FRAMES`] frames judge the last window, in a task of
    /// its own so that no task holds both a chunk and a model run (a few milliseconds each).
    fn live(self: &Rc<Self>, samples: &[f32], sample_rate: u32) {
        let (columns, due) = {
            let mut live = self.live.borrow_mut();
            if live.is_none() {
                let model = self.personal.borrow().clone().or_else(|| self.model.borrow().clone());
                *live = model.and_then(|m| Some((LiveStream::new(&m, sample_rate).ok()?, m)));
            }
            let Some((stream, _)) = live.as_mut() else { return };
            if stream.push(samples).is_err() {
                *live = None;
                return;
            }
            let rows = stream.new_rows();
            let columns =
                (!rows.is_empty()).then(|| Update::LiveColumns { rows: rows.to_vec(), peak_db: stream.peak_db() });
            (columns, stream.reading_due())
        };
        if let Some(columns) = columns {
            (self.on_update)(columns);
        }
        if due && !self.reading_queued.replace(true) {
            let this = self.clone();
            spawn_local(async move {
                yield_now().await;
                this.reading_queued.set(false);
                let update = {
                    let mut live = this.live.borrow_mut();
                    let Some((stream, model)) = live.as_mut() else { return };
                    let start = web::now_ms();
                    let Ok(Some(reading)) = stream.reading(model) else { return };
                    Update::Live { reading, model_ms: web::now_ms() - start }
                };
                (this.on_update)(update);
            });
        }
    }

    fn next_voice_job(&self) -> u32 {
        self.voice_job.set(self.voice_job.get() + 1);
        self.voice_job.get()
    }

    fn make_baseline(self: &Rc<Self>, clips: Vec<Source>) {
        let voice_job = self.next_voice_job();
        let Some(model) = self.model.borrow().clone() else {
            (self.on_update)(Update::BaselineFailed(STILL_LOADING.into()));
            return;
        };
        let this = self.clone();
        spawn_local(async move {
            let stale = || this.voice_job.get() != voice_job;
            // Calibration is short and shows no progress bar.
            let no_progress = |_: Step, _: f64| {};
            let mut pace = Pacer { since: web::now_ms(), cancelled: &stale, progress: &no_progress };
            let options = options_for(&model);
            let several = clips.len() > 1;
            let mut added = Vec::with_capacity(clips.len());
            for source in clips {
                let name = source.name();
                let message = match analyse_speech(source, &options, &this.decode, &mut pace).await {
                    Ok(analysis) => {
                        added.push(analysis);
                        continue;
                    }
                    Err(Stop::Cancelled) => return,
                    Err(Stop::Failed(message)) => message,
                    Err(Stop::Core(e)) => e.to_string(),
                };
                // Among several files, say which one (as `ser baseline` does).
                let message = if several { format!("{name}: {message}") } else { message };
                return (this.on_update)(Update::BaselineFailed(message));
            }
            if stale() {
                return;
            }
            // All of this visit's recordings make the baseline; new ones that spoil it are
            // dropped, so the baseline in use stays as it was.
            let mut all = this.voice_clips.borrow().clone();
            all.extend(added);
            let made = Baseline::from_analyses(&all, &model).and_then(|b| Ok((model.with_baseline(&b)?, b)));
            match made {
                Ok((personal, baseline)) => {
                    let info = BaselineInfo {
                        clips: baseline.clips,
                        speech_s: baseline.speech_s,
                        made_ms: js_sys::Date::now(),
                    };
                    let saved = SavedBaseline { summary: baseline.to_json(), made_ms: info.made_ms };
                    let clips_this_visit = all.len();
                    *this.voice_clips.borrow_mut() = all;
                    *this.personal.borrow_mut() = Some(Rc::new(personal));
                    (this.on_update)(Update::BaselineMade { info, saved, clips_this_visit });
                }
                Err(e) => (this.on_update)(Update::BaselineFailed(e.to_string())),
            }
        });
    }

    fn set_baseline(&self, saved: Option<SavedBaseline>) {
        self.next_voice_job();
        self.voice_clips.borrow_mut().clear();
        *self.personal.borrow_mut() = None;
        let Some(saved) = saved else { return };
        let Some(model) = self.model.borrow().clone() else {
            // Not a reason to delete the saved baseline: the page sends it once the model is ready.
            (self.on_update)(Update::BaselineFailed(STILL_LOADING.into()));
            return;
        };
        let restored = Baseline::from_json(&saved.summary).and_then(|b| Ok((model.with_baseline(&b)?, b)));
        match restored {
            Ok((personal, baseline)) => {
                *self.personal.borrow_mut() = Some(Rc::new(personal));
                let info = BaselineInfo { clips: baseline.clips, speech_s: baseline.speech_s, made_ms: saved.made_ms };
                (self.on_update)(Update::BaselineRestored(info));
            }
            Err(e) => (self.on_update)(Update::SavedBaselineRefused(e.to_string())),
        }
    }
}

const STILL_LOADING: &str = "The emotion model is still loading. Try again in a moment.";
/// A result older than the [`KEPT_RESULTS`] the engine keeps.
const FORGOTTEN: &str = "This result is no longer held in memory; analyse the recording again.";

/// The options `ser predict` uses with this model.
fn options_for(model: &EmotionModel) -> PipelineOptions {
    PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() }
}

/// Why an analysis ended without a result.
enum Stop {
    /// Cancelled, or replaced by a newer one: nothing to show.
    Cancelled,
    /// The page's own failures (reading a file, fetching a sample).
    Failed(String),
    /// The core's: kept as the error, since some lead to the browser's decoder instead.
    Core(SerError),
}

impl From<String> for Stop {
    fn from(message: String) -> Self {
        Stop::Failed(message)
    }
}

impl From<SerError> for Stop {
    fn from(e: SerError) -> Self {
        Stop::Core(e)
    }
}

/// The most work done between two yields to the browser, in milliseconds: short enough for
/// clicks and the progress bar to stay prompt, long enough that yielding costs little.
const SLICE_MS: f64 = 25.0;
/// The largest file the page reads, in MB: it is held in memory twice while it is read
/// (browser and wasm), and 20 minutes of 48 kHz stereo float WAV is 461 MB.
pub const MAX_FILE_MB: f64 = 500.0;
/// Work between two looks at the clock, in each machine's unit.
const PACKETS_PER_STEP: usize = 32;
const FRAMES_PER_STEP: usize = 400;
/// Input samples (about 1.4 s at 48 kHz).
const SAMPLES_PER_STEP: usize = 1 << 16;
const WINDOWS_PER_STEP: usize = 1;
/// Model runs (one per hidden patch).
const RUNS_PER_STEP: usize = 1;

/// Hands the thread back to the browser every [`SLICE_MS`] of work, reports progress, and
/// stops the job at the next step once it has been cancelled.
struct Pacer<'a> {
    since: f64,
    cancelled: &'a dyn Fn() -> bool,
    progress: &'a dyn Fn(Step, f64),
}

impl Pacer<'_> {
    fn due(&self) -> bool {
        web::now_ms() - self.since >= SLICE_MS
    }

    /// Yields now; `Err(Stop::Cancelled)` if the job was cancelled meanwhile.
    async fn pause(&mut self) -> Result<(), Stop> {
        yield_now().await;
        self.since = web::now_ms();
        if (self.cancelled)() { Err(Stop::Cancelled) } else { Ok(()) }
    }

    /// Shows that a stage starts, and lets the page draw that before it runs.
    async fn begin(&mut self, step: Step, fraction: f64) -> Result<(), Stop> {
        (self.progress)(step, fraction);
        self.pause().await
    }

    /// The one stepping loop: runs `machine` to its end in steps of `budget`, its progress
    /// shown as `step` between `from` and `to` of the whole analysis.
    async fn run<M: Stepwise>(
        &mut self,
        machine: &mut M,
        budget: usize,
        step: Step,
        (from, to): (f64, f64),
    ) -> Result<(), Stop> {
        while !machine.step(budget)? {
            if self.due() {
                (self.progress)(step, from + (to - from) * machine.progress());
                self.pause().await?;
            }
        }
        Ok(())
    }
}

async fn analyse(
    id: u32,
    source: Source,
    prior: Option<Rc<Analysis>>,
    model: Rc<EmotionModel>,
    decode: &Decode,
    progress: &dyn Fn(Step, f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<Outcome, Stop> {
    let pace = &mut Pacer { since: web::now_ms(), cancelled, progress };
    let name = source.name();
    let options = options_for(&model);
    let recorded = match &source {
        Source::Samples { samples, sample_rate, posted, .. } => Some((samples.clone(), *sample_rate, *posted)),
        _ => None,
    };
    let analysis = match prior {
        Some(analysis) => analysis,
        None => Rc::new(analyse_speech(source, &options, decode, pace).await?),
    };

    pace.begin(Step::Model, 0.7).await?;
    let mut reporting = Reporting::new(&model, &analysis);
    pace.run(&mut reporting, WINDOWS_PER_STEP, Step::Timeline, (0.75, 1.0)).await?;
    // The whole-clip run.
    pace.pause().await?;
    let report = reporting.finish()?;

    let outcome = Outcome { id, name, analysis, report, recorded };
    // Drawing the result is a task of its own.
    pace.pause().await?;
    Ok(outcome)
}

/// Decode, resample, trim the silence and compute the features: what every recording goes
/// through, whether it is analysed or makes a voice baseline.
async fn analyse_speech(
    source: Source,
    options: &PipelineOptions,
    decode: &Decode,
    pace: &mut Pacer<'_>,
) -> Result<Analysis, Stop> {
    let progress = pace.progress;
    // `recorded`: what the recording was before 16 kHz, for the quality report.
    let (signal, recorded) = match source {
        Source::Samples { samples, sample_rate, .. } => resample(&samples, sample_rate, options, pace).await?,
        // Judged again from the analysis kept (see `Engine::kept`), never analysed afresh.
        Source::Analysed { .. } => return Err(Stop::Failed(FORGOTTEN.into())),
        Source::File(file) => {
            // Refused before reading: the page holds the whole file in memory.
            let got_mb = file.size() / 1e6;
            if got_mb > MAX_FILE_MB {
                return Err(SerError::FileTooLarge { got_mb, limit_mb: MAX_FILE_MB }.into());
            }
            progress(Step::Reading, 0.02);
            let bytes = web::read_file(&file).await?;
            load(&bytes, options, decode, pace).await?
        }
        Source::Sample { url, .. } => {
            progress(Step::Reading, 0.02);
            let bytes = web::fetch_bytes(&url).await?;
            load(&bytes, options, decode, pace).await?
        }
    };

    pace.begin(Step::Features, 0.4).await?;
    let mut analyser = Analyser::new(signal, options)?.with_source(recorded);
    pace.run(&mut analyser, FRAMES_PER_STEP, Step::Features, (0.4, 0.7)).await?;
    Ok(analyser.finish()?)
}

/// Decodes to the analysis rate with the core's [`Loader`] (WAV, FLAC, MP3, OGG, exactly as
/// the CLI); formats the core does not read (m4a, webm/opus, …) go through the browser's
/// decoder instead.
async fn load(
    bytes: &[u8],
    options: &PipelineOptions,
    decode: &Decode,
    pace: &mut Pacer<'_>,
) -> Result<(Vec<f32>, SourceStats), Stop> {
    pace.begin(Step::Decoding, 0.05).await?;
    let mut loader = match Loader::from_bytes(bytes, options) {
        Ok(loader) => loader,
        Err(e) => return fall_back(bytes, e, options, decode, pace).await,
    };
    // Said at once for a file that announces its length, not after decoding 20 minutes of it.
    let limit = options.limits.max_seconds;
    if let Some(got) = loader.expected_seconds().filter(|&s| s > limit) {
        return Err(SerError::TooLong { got, limit }.into());
    }
    match pace.run(&mut loader, PACKETS_PER_STEP, Step::Decoding, (0.05, 0.35)).await {
        Ok(()) => Ok(loader.finish_with_source()?),
        // The container was readable but not its contents: let the browser try, as before
        // anything was decoded.
        Err(Stop::Core(e)) if loader.decoded_seconds() == 0.0 => fall_back(bytes, e, options, decode, pace).await,
        Err(stop) => Err(stop),
    }
}

/// The browser's decoder for what the core cannot read; the core's sentence if neither can.
async fn fall_back(
    bytes: &[u8],
    e: SerError,
    options: &PipelineOptions,
    decode: &Decode,
    pace: &mut Pacer<'_>,
) -> Result<(Vec<f32>, SourceStats), Stop> {
    if !matches!(e, SerError::NotAudio | SerError::UnsupportedCodec(_)) {
        return Err(e.into());
    }
    let Ok((samples, rate)) = decode(bytes.to_vec()).await else {
        return Err(e.into());
    };
    resample(&samples, rate, options, pace).await
}

/// Samples in memory (the microphone, the browser's decoder) to the analysis rate, in steps.
async fn resample(
    samples: &[f32],
    rate: u32,
    options: &PipelineOptions,
    pace: &mut Pacer<'_>,
) -> Result<(Vec<f32>, SourceStats), Stop> {
    pace.begin(Step::Resampling, 0.3).await?;
    let mut resampling = Resampling::new(samples, rate, options)?;
    pace.run(&mut resampling, SAMPLES_PER_STEP, Step::Resampling, (0.3, 0.4)).await?;
    Ok(resampling.finish_with_source()?)
}

/// Loads the model and its sidecar, fetched from the page's own origin, with the core.
/// Fetched (not embedded) so a missing or damaged model is a message, not a broken page.
async fn load_model(files: Result<ModelFiles, String>) -> Result<EmotionModel, String> {
    let ModelFiles { graph, sidecar } = files?;
    let graph = graph.to_vec();
    yield_now().await;
    web::mark("ser:model-load-start");
    let model = EmotionModel::from_bytes(&graph, &sidecar).map_err(|e| e.to_string());
    web::measure_from(web::MEASURE_MODEL_LOAD, "ser:model-load-start");
    model
}

/// Runs features and the model once on a made-up signal right after loading, so the browser
/// has compiled the hot wasm paths before the first real clip (the first run was ~6x slower).
fn warm_up(model: &EmotionModel) {
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
