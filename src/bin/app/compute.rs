//! The compute side of the page: it owns the model and runs analyses, and talks to the page
//! only through two messages, [`Job`] in and [`Update`] out (the shape of yew's web-worker
//! examples), so moving it into a Web Worker changes where it runs, not what the page says.
//!
//! One analysis runs step by step: decode + resample → trim + features → model → timeline
//! windows, each stage a core [`Stepwise`] machine driven by one loop that hands the thread
//! back to the browser every few tens of milliseconds, so the progress bar moves, the page
//! stays responsive and Cancel works. The numbers come from the same core as `ser predict`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ser::audio::SourceStats;
use ser::model::{Explaining, Explanation, OcclusionParams, WHOLE_CLIP_MAX_S};
use ser::{
    Analyser, Analysis, Baseline, EmotionModel, LiveReading, LiveStream, Loader, ModelInfo, MonoResampler,
    PipelineOptions, Report, Reporting, Resampling, SerError, Stepwise, analyse_16k,
};
use wasm_bindgen_futures::spawn_local;

use crate::audio_in::browser_decode;
use crate::web::{self, yield_now};

/// What the page asks of the compute side.
pub enum Job {
    /// Fetch and load the model (once, when the page opens).
    LoadModel,
    /// Analyse one recording; a newer `Analyse` replaces a running one.
    Analyse { job: u32, source: Source },
    /// Stop the running analysis at its next step.
    Cancel,
    /// Add recordings of the person's everyday voice to those given so far in this visit and
    /// make a voice baseline of them all; later analyses are relative to it.
    MakeBaseline { clips: Vec<Source> },
    /// Use a saved baseline summary (`Baseline::to_json`) made at `made_ms`, or none: results
    /// for voices in general again.
    SetBaseline(Option<SavedBaseline>),
    /// Explain a result's answer (an occlusion map, with the model that gave it); a newer
    /// analysis or explanation stops it.
    Explain { job: u32, outcome: Rc<Outcome> },
    /// Live mode: the next chunk of a recording in progress (the first starts the stream).
    Live { samples: Vec<f32>, sample_rate: u32 },
    /// Live mode ends (the recording stopped, or a new one starts).
    LiveStop,
}

/// A baseline summary as the page keeps it: no audio, and when it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedBaseline {
    pub summary: String,
    /// Milliseconds since 1970 (`Date.now()`), shown to the person in local time.
    pub made_ms: f64,
}

/// What a baseline in use is made of, for the page to describe it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaselineInfo {
    pub clips: usize,
    pub speech_s: f64,
    pub made_ms: f64,
}

/// What the compute side tells the page.
pub enum Update {
    ModelReady(Rc<ModelInfo>),
    ModelFailed(String),
    Progress {
        job: u32,
        step: Step,
        fraction: f64,
    },
    Done {
        job: u32,
        outcome: Rc<Outcome>,
    },
    /// One sentence a person understands.
    Failed {
        job: u32,
        message: String,
    },
    /// A new baseline is in use; `saved` is what the page keeps to restore it.
    BaselineMade {
        info: BaselineInfo,
        saved: SavedBaseline,
        /// Recordings given in this visit that it is made of (more can be added to them).
        clips_this_visit: usize,
    },
    /// The recordings cannot make a baseline; the baseline in use, if any, is unchanged.
    BaselineFailed(String),
    /// A saved baseline is in use again.
    BaselineRestored(BaselineInfo),
    /// A saved baseline cannot be used (an older format, another model); none is in use.
    SavedBaselineRefused(String),
    ExplainProgress {
        job: u32,
        fraction: f64,
    },
    /// The map, and how long it took (ms, from the job to the map).
    Explained {
        job: u32,
        map: Rc<Explanation>,
        ms: f64,
    },
    ExplainFailed {
        job: u32,
        message: String,
    },
    /// Live mode: log-mel rows (dB, frame-major) the last chunk completed, to draw on a scale
    /// whose top is `peak_db`, the loudest cell so far.
    LiveColumns {
        rows: Vec<f32>,
        peak_db: f32,
    },
    /// Live mode: the emotion of the last window, and how long the model took (ms).
    Live {
        reading: LiveReading,
        model_ms: f64,
    },
}

/// Where the audio comes from.
pub enum Source {
    File(web_sys::File),
    /// One of the bundled sample clips, fetched from the page's own origin.
    Sample {
        name: String,
        url: String,
    },
    /// Mono samples at the device's rate (the microphone), and the frames the recorder's
    /// worklet posted (see [`crate::audio_in::mic::Recording`]).
    Samples {
        name: String,
        samples: Rc<Vec<f32>>,
        sample_rate: u32,
        posted: usize,
    },
    /// A recording analysed before, judged again by the model (the voice baseline changed).
    Analysed {
        name: String,
        analysis: Rc<Analysis>,
    },
}

impl Source {
    pub fn name(&self) -> String {
        match self {
            Source::File(f) => f.name(),
            Source::Sample { name, .. } | Source::Samples { name, .. } | Source::Analysed { name, .. } => name.clone(),
        }
    }
}

/// The stages of one analysis, in order; the progress bar names the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Reading,
    Decoding,
    Resampling,
    Features,
    Model,
    Timeline,
    Explain,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Reading => "Reading the audio",
            Step::Decoding => "Decoding",
            Step::Resampling => "Resampling to 16 kHz",
            Step::Features => "Removing silence and computing features",
            Step::Model => "Running the emotion model",
            Step::Timeline => "Building the emotion timeline",
            Step::Explain => "Explaining the answer",
        }
    }
}

/// A finished analysis: what the result view draws and exports.
pub struct Outcome {
    pub name: String,
    /// Shared with a later judgement of the same recording (see [`Source::Analysed`]).
    pub analysis: Rc<Analysis>,
    pub report: Report,
    /// The model that gave it (relative to the voice baseline in use then, if any): the one
    /// its explanation runs.
    pub model: Rc<EmotionModel>,
    /// The microphone's samples, when it was recorded: (samples, their rate, frames posted).
    pub recorded: Option<(Rc<Vec<f32>>, u32, usize)>,
}

/// Identity: two outcomes are equal only if they are the same one.
impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The compute side: takes [`Job`]s, reports [`Update`]s through the callback it was made with.
pub struct Compute {
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
    on_update: Box<dyn Fn(Update)>,
}

impl Compute {
    pub fn new(on_update: impl Fn(Update) + 'static) -> Rc<Self> {
        Rc::new(Self {
            model: RefCell::new(None),
            personal: RefCell::new(None),
            voice_clips: RefCell::new(Vec::new()),
            voice_job: Cell::new(0),
            current: Cell::new(0),
            explaining: Cell::new(0),
            live: RefCell::new(None),
            reading_queued: Cell::new(false),
            on_update: Box::new(on_update),
        })
    }

    pub fn send(self: &Rc<Self>, job: Job) {
        match job {
            Job::LoadModel => {
                let this = self.clone();
                spawn_local(async move {
                    match load_model().await {
                        Ok(model) => {
                            warm_up(&model);
                            let info = Rc::new(model.info().clone());
                            *this.model.borrow_mut() = Some(Rc::new(model));
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
                let this = self.clone();
                spawn_local(async move {
                    let cancelled = || this.current.get() != job;
                    let progress = |step, fraction| (this.on_update)(Update::Progress { job, step, fraction });
                    let result = analyse(source, model, &progress, &cancelled).await;
                    if cancelled() {
                        return;
                    }
                    match result {
                        Ok(outcome) => (this.on_update)(Update::Done { job, outcome: Rc::new(outcome) }),
                        Err(Stop::Failed(message)) => (this.on_update)(Update::Failed { job, message }),
                        Err(Stop::Core(e)) => (this.on_update)(Update::Failed { job, message: e.to_string() }),
                        Err(Stop::Cancelled) => {}
                    }
                });
            }
            Job::Cancel => self.current.set(0),
            Job::Explain { job, outcome } => self.explain(job, outcome),
            Job::Live { samples, sample_rate } => self.live(&samples, sample_rate),
            Job::LiveStop => *self.live.borrow_mut() = None,
            Job::MakeBaseline { clips } => self.make_baseline(clips),
            Job::SetBaseline(saved) => self.set_baseline(saved),
        }
    }

    fn explain(self: &Rc<Self>, job: u32, outcome: Rc<Outcome>) {
        self.explaining.set(job);
        let this = self.clone();
        spawn_local(async move {
            let stale = || this.explaining.get() != job;
            let progress = |_: Step, fraction: f64| (this.on_update)(Update::ExplainProgress { job, fraction });
            let pace = &mut Pacer { since: web::now_ms(), cancelled: &stale, progress: &progress };
            let start = web::now_ms();
            let (model, features) = (&outcome.model, &outcome.analysis.features);
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
                let message = match analyse_speech(source, &options, &mut pace).await {
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
    source: Source,
    model: Rc<EmotionModel>,
    report_progress: &dyn Fn(Step, f64),
    cancelled: &dyn Fn() -> bool,
) -> Result<Outcome, Stop> {
    let marked = Cell::new(None);
    let progress = &|step: Step, fraction: f64| {
        // One performance mark per step, where it starts (scripts/bench_web.sh reads them).
        if marked.replace(Some(step)) != Some(step) {
            web::mark_step(step.label());
        }
        report_progress(step, fraction);
    };
    let pace = &mut Pacer { since: web::now_ms(), cancelled, progress };
    let name = source.name();
    let options = options_for(&model);
    let recorded = match &source {
        Source::Samples { samples, sample_rate, posted, .. } => Some((samples.clone(), *sample_rate, *posted)),
        _ => None,
    };
    let analysis = match source {
        Source::Analysed { analysis, .. } => analysis,
        source => Rc::new(analyse_speech(source, &options, pace).await?),
    };

    pace.begin(Step::Model, 0.7).await?;
    let mut reporting = Reporting::new(&model, &analysis);
    pace.run(&mut reporting, WINDOWS_PER_STEP, Step::Timeline, (0.75, 1.0)).await?;
    // The whole-clip run.
    pace.pause().await?;
    let report = reporting.finish()?;

    let outcome = Outcome { name, analysis, report, model, recorded };
    // Drawing the result is a task of its own.
    pace.pause().await?;
    Ok(outcome)
}

/// Decode, resample, trim the silence and compute the features: what every recording goes
/// through, whether it is analysed or makes a voice baseline.
async fn analyse_speech(source: Source, options: &PipelineOptions, pace: &mut Pacer<'_>) -> Result<Analysis, Stop> {
    let progress = pace.progress;
    // `recorded`: what the recording was before 16 kHz, for the quality report.
    let (signal, recorded) = match source {
        Source::Samples { samples, sample_rate, .. } => resample(&samples, sample_rate, options, pace).await?,
        Source::Analysed { analysis, .. } => return Ok(Analysis::clone(&analysis)),
        Source::File(file) => {
            // Refused before reading: the page holds the whole file in memory.
            let got_mb = file.size() / 1e6;
            if got_mb > MAX_FILE_MB {
                return Err(SerError::FileTooLarge { got_mb, limit_mb: MAX_FILE_MB }.into());
            }
            progress(Step::Reading, 0.02);
            let bytes = web::read_file(&file).await?;
            load(&bytes, options, pace).await?
        }
        Source::Sample { url, .. } => {
            progress(Step::Reading, 0.02);
            let bytes = web::fetch_bytes(&url).await?;
            load(&bytes, options, pace).await?
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
async fn load(bytes: &[u8], options: &PipelineOptions, pace: &mut Pacer<'_>) -> Result<(Vec<f32>, SourceStats), Stop> {
    pace.begin(Step::Decoding, 0.05).await?;
    let mut loader = match Loader::from_bytes(bytes, options) {
        Ok(loader) => loader,
        Err(e) => return fall_back(bytes, e, options, pace).await,
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
        Err(Stop::Core(e)) if loader.decoded_seconds() == 0.0 => fall_back(bytes, e, options, pace).await,
        Err(stop) => Err(stop),
    }
}

/// The browser's decoder for what the core cannot read; the core's sentence if neither can.
async fn fall_back(
    bytes: &[u8],
    e: SerError,
    options: &PipelineOptions,
    pace: &mut Pacer<'_>,
) -> Result<(Vec<f32>, SourceStats), Stop> {
    if !matches!(e, SerError::NotAudio | SerError::UnsupportedCodec(_)) {
        return Err(e.into());
    }
    let Ok((samples, rate)) = browser_decode(bytes).await else {
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

/// Fetches the model and its sidecar from the page's own origin and loads them with the core.
/// Fetched (not embedded) so a missing or damaged model is a message, not a broken page.
async fn load_model() -> Result<EmotionModel, String> {
    let load_err = |e: String| SerError::ModelLoad(e).to_string();
    let onnx = web::fetch_bytes(MODEL_URL).await.map_err(load_err)?;
    let sidecar = web::fetch_bytes(SIDECAR_URL).await.map_err(load_err)?;
    let sidecar = String::from_utf8(sidecar).map_err(|_| load_err(format!("{SIDECAR_URL} is not text")))?;
    yield_now().await;
    EmotionModel::from_bytes(&onnx, &sidecar).map_err(|e| e.to_string())
}

const MODEL_URL: &str = "ser_cnn.onnx";
const SIDECAR_URL: &str = "ser_cnn.json";

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
