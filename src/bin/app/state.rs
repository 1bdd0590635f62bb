//! The page's state as plain data, changed only by [`reduce`]: a pure function of the old
//! state and an [`Action`] (the shape of yew's function_todomvc example). Side effects
//! (the compute side, the microphone, drawing) live elsewhere and report back through
//! actions; every compute [`Update`] is one.

use std::rc::Rc;

use yew::Reducible;

use ser::model::{Explanation, Prediction, valence_arousal};
use ser::{LiveReading, ModelInfo};

use crate::compute::{BaselineInfo, Outcome, Step, Update};
use crate::settle::{Settle, Taken, Verdict};

#[derive(Clone)]
pub enum ModelState {
    Loading,
    /// Loaded on the compute side; the page knows its description.
    Ready(Rc<ModelInfo>),
    Failed(String),
}

impl PartialEq for ModelState {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Loading, Self::Loading) => true,
            (Self::Ready(a), Self::Ready(b)) => Rc::ptr_eq(a, b),
            (Self::Failed(a), Self::Failed(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    /// Waiting for microphone permission and the audio worklet.
    MicStarting,
    Recording {
        elapsed_s: f64,
        level: f32,
    },
    Analysing {
        name: String,
        step: Step,
        fraction: f64,
    },
}

/// What a microphone recording is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MicUse {
    /// A clip to analyse.
    #[default]
    Analyse,
    /// The calibration sentence, read in the person's everyday voice.
    Calibrate,
}

/// The person's voice baseline, as the page shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Voice {
    /// The baseline analyses are relative to, if any.
    pub baseline: Option<BaselineInfo>,
    /// Recordings given in this visit that the baseline is made of; a saved baseline restored
    /// on load has none, so a second sentence then starts a new one.
    pub clips_this_visit: usize,
    /// Recordings are being checked and summarised.
    pub making: bool,
    /// Why the last recordings made no baseline.
    pub error: Option<String>,
    /// Said once, not an error (a saved baseline that had to be removed).
    pub notice: Option<String>,
}

#[derive(Clone, PartialEq)]
pub struct State {
    pub model: ModelState,
    pub phase: Phase,
    /// What the running (or last) microphone recording is for.
    pub mic_use: MicUse,
    pub voice: Voice,
    pub outcome: Option<Rc<Outcome>>,
    /// The result on show when the running analysis started, back on show if it is cancelled.
    pub previous: Option<Rc<Outcome>>,
    pub error: Option<String>,
    /// A polite announcement that is not an error ("Analysis cancelled.").
    pub notice: Option<String>,
    /// The analysis whose progress and result count; older ones are ignored when they finish.
    pub job: u32,
    /// The last results, for the side-by-side view.
    pub takes: Takes,
    /// The explanation of the result on show.
    pub explain: Explain,
    /// Live mode while recording.
    pub live: Live,
}

/// A stretch of the live band: (from s, to s, emotion).
pub type Span = (f64, f64, Option<Rc<str>>);

/// Live mode: what the last windows of the recording in progress sounded like.
#[derive(Clone, Default)]
pub struct Live {
    /// Readings so far: two states are equal when they have seen the same readings.
    pub seq: u32,
    /// The latest reading (its prediction is `None` while the window holds no speech).
    pub reading: Option<Rc<LiveReading>>,
    /// The reading whose verdict the readout names (see [`Settle`] for when it changes).
    pub shown: Option<Rc<LiveReading>>,
    settle: Settle,
    /// The reading (its `seq`) at which the label on show was named: how long a label stayed,
    /// counted in readings, even where one render shows two readings.
    pub named_at: u32,
    /// The latest prediction, kept (dimmed) while listening so the bars do not jump.
    pub last: Option<Rc<Prediction>>,
    /// The band: (from s, to s, emotion) in recording time, one stretch per run of equal
    /// readings; `None` while listening or not sure.
    pub spans: Rc<Vec<Span>>,
    /// The last few (valence, arousal) points, oldest first, for the moving dot's trail.
    pub trail: Rc<Vec<(f32, f32)>>,
    /// The last model run's time (ms).
    pub model_ms: f64,
}

fn verdict(reading: &LiveReading) -> Verdict {
    match &reading.prediction {
        None => Verdict::Listening,
        Some(p) if p.unsure() => Verdict::Unsure,
        Some(p) => Verdict::Emotion(p.best_index()),
    }
}

impl Live {
    /// Points in the valence-arousal trail (about a second of readings).
    pub const TRAIL: usize = 8;

    fn add(&mut self, reading: LiveReading, model_ms: f64) {
        let reading = Rc::new(reading);
        match self.settle.take(verdict(&reading)) {
            Taken::Named => {
                self.shown = Some(reading.clone());
                self.named_at = self.seq + 1;
            }
            Taken::Kept => self.shown = Some(reading.clone()),
            Taken::Waiting => {}
        }
        let emotion = reading.prediction.as_ref().filter(|p| !p.unsure()).map(|p| Rc::<str>::from(p.emotion()));
        let mut spans = self.spans.as_ref().clone();
        let from = spans.last().map_or(0.0, |s| s.1);
        match spans.last_mut() {
            Some(last) if last.2 == emotion => last.1 = reading.end_s,
            _ => spans.push((from, reading.end_s, emotion)),
        }
        self.spans = Rc::new(spans);
        if let Some(p) = &reading.prediction {
            let mut trail = self.trail.as_ref().clone();
            if trail.len() == Self::TRAIL {
                trail.remove(0);
            }
            trail.push(valence_arousal(p));
            self.trail = Rc::new(trail);
            self.last = Some(Rc::new(p.clone()));
        }
        self.reading = Some(reading);
        self.model_ms = model_ms;
        self.seq += 1;
    }
}

impl PartialEq for Live {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

/// The "Explain" toggle's state for the result on show.
#[derive(Clone, Default, PartialEq)]
pub struct Explain {
    /// The toggle is on.
    pub on: bool,
    /// The explanation job that counts (0: none).
    pub job: u32,
    /// Done so far while it runs, 0..1.
    pub running: Option<f64>,
    /// The map and its computing time (ms), kept while the toggle is off.
    pub map: Option<(Rc<Explanation>, f64)>,
    pub error: Option<String>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            model: ModelState::Loading,
            phase: Phase::Idle,
            mic_use: MicUse::Analyse,
            voice: Voice::default(),
            outcome: None,
            previous: None,
            error: None,
            notice: None,
            job: 0,
            takes: Takes::default(),
            explain: Explain::default(),
            live: Live::default(),
        }
    }
}

impl State {
    pub fn recording(&self) -> bool {
        matches!(self.phase, Phase::MicStarting | Phase::Recording { .. })
    }

    pub fn analysing(&self) -> bool {
        matches!(self.phase, Phase::Analysing { .. })
    }

    /// An analysis that ends without a result: the result it was to replace is back on show.
    fn stop_analysing(&mut self) {
        self.phase = Phase::Idle;
        self.outcome = self.previous.take();
    }
}

pub const CANCELLED: &str = "Analysis cancelled.";
pub const SAVED_BASELINE_REMOVED: &str = "Your saved voice baseline no longer works with this version of the page, \
     so it was removed: calibrate to your voice again to compare with it.";
pub const BASELINE_NOT_KEPT: &str = "This browser does not let the page keep your voice baseline, \
     so it is used only until you close the page.";

pub enum Action {
    ModelReady(Rc<ModelInfo>),
    ModelFailed(String),
    MicStarting(MicUse),
    MicLevel {
        elapsed_s: f64,
        level: f32,
    },
    Started {
        job: u32,
        name: String,
    },
    Progress {
        job: u32,
        step: Step,
        fraction: f64,
    },
    Finished {
        job: u32,
        outcome: Rc<Outcome>,
    },
    /// The person stopped the running analysis (its loop stops at its next step).
    Cancelled {
        job: u32,
    },
    /// `job: None` for failures outside an analysis (the microphone, the model).
    Failed {
        job: Option<u32>,
        message: String,
    },
    DismissError,
    /// Changes nothing.
    Nothing,
    /// Recordings of the person's voice went to the compute side to make a baseline.
    MakingBaseline,
    BaselineMade {
        info: BaselineInfo,
        clips_this_visit: usize,
    },
    BaselineFailed(String),
    BaselineRestored(BaselineInfo),
    SavedBaselineRefused,
    /// The baseline could not be kept in this browser (storage refused or full).
    BaselineNotKept,
    ForgetVoice,
    ClearTakes,
    /// The toggle was switched on for a result with no map yet: job `job` computes it.
    ExplainStarted {
        job: u32,
    },
    /// The toggle, for a map already there (or switched off).
    ExplainShown(bool),
    ExplainProgress {
        job: u32,
        fraction: f64,
    },
    Explained {
        job: u32,
        map: Rc<Explanation>,
        ms: f64,
    },
    ExplainFailed {
        job: u32,
        message: String,
    },
    Live {
        reading: LiveReading,
        model_ms: f64,
    },
}

impl From<Update> for Action {
    fn from(update: Update) -> Self {
        match update {
            Update::ModelReady(info) => Action::ModelReady(info),
            Update::ModelFailed(message) => Action::ModelFailed(message),
            Update::Progress { job, step, fraction, .. } => Action::Progress { job, step, fraction },
            Update::Done { job, outcome } => Action::Finished { job, outcome },
            Update::Failed { job, message } => Action::Failed { job: Some(job), message },
            Update::BaselineMade { info, clips_this_visit, .. } => Action::BaselineMade { info, clips_this_visit },
            Update::BaselineFailed(message) => Action::BaselineFailed(message),
            Update::BaselineRestored(info) => Action::BaselineRestored(info),
            // The core's reason names formats and model versions; the person only needs to
            // know that it is gone and what to do.
            Update::SavedBaselineRefused(_) => Action::SavedBaselineRefused,
            Update::ExplainProgress { job, fraction } => Action::ExplainProgress { job, fraction },
            Update::Explained { job, map, ms } => Action::Explained { job, map, ms },
            Update::ExplainFailed { job, message } => Action::ExplainFailed { job, message },
            Update::Live { reading, model_ms } => Action::Live { reading, model_ms },
            // Drawn straight onto the canvas by the page, never kept in the state.
            Update::LiveColumns { .. } => Action::Nothing,
        }
    }
}

pub fn reduce(state: &State, action: Action) -> State {
    let mut next = state.clone();
    match action {
        Action::ModelReady(model) => next.model = ModelState::Ready(model),
        Action::ModelFailed(message) => {
            next.model = ModelState::Failed(message.clone());
            next.error = Some(message);
            // An analysis that waited for the model will not run.
            if state.analysing() {
                next.stop_analysing();
            }
        }
        Action::MicStarting(mic_use) => {
            // Recording replaces a running analysis, as a new file does.
            if state.analysing() {
                next.outcome = next.previous.take();
            }
            next.phase = Phase::MicStarting;
            next.mic_use = mic_use;
            next.live = Live::default();
            next.error = None;
            next.notice = None;
            next.voice.error = None;
        }
        Action::MicLevel { elapsed_s, level } => {
            if state.recording() {
                next.phase = Phase::Recording { elapsed_s, level };
            }
        }
        Action::Started { job, name } => {
            next.job = job;
            next.phase = Phase::Analysing { name, step: Step::Reading, fraction: 0.0 };
            next.error = None;
            next.notice = None;
            next.explain = Explain::default();
            // A new clip replaces the old result: never show one clip's result beside another's
            // error. It is kept aside in case this analysis is cancelled.
            if let Some(outcome) = next.outcome.take() {
                next.previous = Some(outcome);
            }
        }
        Action::Progress { job, step, fraction } => {
            if let (true, Phase::Analysing { name, .. }) = (job == state.job, &state.phase) {
                next.phase = Phase::Analysing { name: name.clone(), step, fraction };
            }
        }
        Action::Finished { job, outcome } => {
            if job == state.job && state.analysing() {
                next.phase = Phase::Idle;
                next.takes.push(outcome.clone());
                next.outcome = Some(outcome);
                next.previous = None;
            }
        }
        Action::Cancelled { job } => {
            if job == state.job && state.analysing() {
                next.stop_analysing();
                next.notice = Some(CANCELLED.to_string());
            }
        }
        Action::Failed { job: None, message } if state.recording() && state.mic_use == MicUse::Calibrate => {
            // Said where the person is looking: in the calibration panel.
            next.phase = Phase::Idle;
            next.voice.error = Some(message);
        }
        Action::Failed { job, message } => {
            let current = match job {
                Some(j) => j == state.job && state.analysing(),
                None => true,
            };
            if current {
                next.previous = None;
                next.phase = Phase::Idle;
                next.error = Some(message);
                next.notice = None;
            }
        }
        Action::DismissError => next.error = None,
        Action::Nothing => {}
        Action::Live { reading, model_ms } => {
            if state.recording() && state.mic_use == MicUse::Analyse {
                next.live.add(reading, model_ms);
            }
        }
        Action::MakingBaseline => {
            if state.recording() {
                next.phase = Phase::Idle;
            }
            next.voice.making = true;
            next.voice.error = None;
            next.voice.notice = None;
        }
        Action::BaselineMade { info, clips_this_visit } => {
            next.voice = Voice { baseline: Some(info), clips_this_visit, ..Voice::default() };
        }
        Action::BaselineFailed(message) => {
            next.voice.making = false;
            next.voice.error = Some(message);
        }
        Action::BaselineRestored(info) => next.voice.baseline = Some(info),
        Action::SavedBaselineRefused => {
            next.voice = Voice { notice: Some(SAVED_BASELINE_REMOVED.into()), ..Voice::default() };
        }
        Action::BaselineNotKept => next.voice.notice = Some(BASELINE_NOT_KEPT.into()),
        Action::ForgetVoice => next.voice = Voice::default(),
        Action::ClearTakes => next.takes = Takes::default(),
        Action::ExplainStarted { job } => {
            next.explain = Explain { on: true, job, running: Some(0.0), ..Explain::default() };
        }
        Action::ExplainShown(on) => next.explain.on = on,
        Action::ExplainProgress { job, fraction } => {
            if job == state.explain.job && state.explain.running.is_some() {
                next.explain.running = Some(fraction);
            }
        }
        Action::Explained { job, map, ms } => {
            if job == state.explain.job {
                next.explain.running = None;
                next.explain.map = Some((map, ms));
            }
        }
        Action::ExplainFailed { job, message } => {
            if job == state.explain.job {
                next.explain.running = None;
                next.explain.error = Some(message);
            }
        }
    }
    next
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(reduce(&self, action))
    }
}

/// The last [`Takes::KEPT`] results (uploaded or recorded), oldest first, so two takes of the
/// same sentence can be compared.
#[derive(Clone, Default, PartialEq)]
pub struct Takes(Vec<Rc<Outcome>>);

impl Takes {
    pub const KEPT: usize = 2;

    pub fn push(&mut self, outcome: Rc<Outcome>) {
        if self.0.len() == Self::KEPT {
            self.0.remove(0);
        }
        self.0.push(outcome);
    }

    pub fn list(&self) -> &[Rc<Outcome>] {
        &self.0
    }
}
