//! The compute side of the page: it owns the model and runs analyses, and talks to the page
//! only through two messages, [`Job`] in and [`Update`] out (the shape of yew's web-worker
//! examples).
//!
//! - [`engine`]: the analyses themselves, the same code wherever it runs.
//! - [`worker`]: the engine in a Web Worker (the page's own wasm module, started again there),
//!   so that loading the model and running it never block the page.
//! - [`wire`]: the two messages as they cross between the page and the worker.
//!
//! [`Compute`] is the page's handle: it starts the worker and falls back to running the engine
//! on the page where the browser cannot start one.

pub mod engine;
mod wire;
pub mod worker;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use ser::model::Explanation;
use ser::{Analysis, LiveReading, ModelInfo, Report};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::audio_in::browser_decode;
use crate::web;
use engine::Engine;
use wire::{FromWorker, ToWorker};

/// What the page asks of the compute side.
pub enum Job {
    /// Load the model from its files, which the page fetched (once, when the page opens), or
    /// say why it cannot.
    LoadModel(Result<ModelFiles, String>),
    /// Run the model once on a made-up signal so the browser compiles its hot paths before the
    /// first real clip. The page sends it once it has drawn the ready model: warming up while
    /// the page lays out the ready state slowed that frame to a long task on two cores.
    WarmUp,
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
    /// Explain the answer of the result `outcome` ([`Outcome::id`]): an occlusion map, with
    /// the model that gave it. A newer analysis or explanation stops it.
    Explain { job: u32, outcome: u32 },
    /// Live mode: the next chunk of a recording in progress (the first starts the stream).
    Live { samples: Vec<f32>, sample_rate: u32 },
    /// Live mode ends (the recording stopped, or a new one starts).
    LiveStop,
}

/// The model and its sidecar, as served beside the page.
pub struct ModelFiles {
    /// Moved, not copied, to the worker, which copies it once into its own memory.
    pub graph: js_sys::Uint8Array,
    pub sidecar: String,
}

impl ModelFiles {
    /// Fetched by the page while its worker starts, rather than by the worker once it runs:
    /// the download overlaps the worker's start.
    pub async fn fetch() -> Result<Self, String> {
        let load_err = |e: String| ser::SerError::ModelLoad(e).to_string();
        let graph = web::fetch_array(MODEL_URL).await.map_err(load_err)?;
        let sidecar = web::fetch_bytes(SIDECAR_URL).await.map_err(load_err)?;
        let sidecar = String::from_utf8(sidecar).map_err(|_| load_err(format!("{SIDECAR_URL} is not text")))?;
        Ok(Self { graph, sidecar })
    }
}

/// The model as an NNEF archive made from `models/ser_cnn.onnx` by the build (`ser::model::nnef`).
const MODEL_URL: &str = "ser_cnn.nnef.tar";
const SIDECAR_URL: &str = "ser_cnn.json";

/// A baseline summary as the page keeps it: no audio, and when it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedBaseline {
    pub summary: String,
    /// Milliseconds since 1970 (`Date.now()`), shown to the person in local time.
    pub made_ms: f64,
}

/// What a baseline in use is made of, for the page to describe it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
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
        /// When the engine began the step ([`web::epoch_ms`]): the page's step marks are dated
        /// from it, not from when a busy page got round to the message.
        at: f64,
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
    /// A recording analysed before (the [`Outcome::id`] of its result), judged again by the
    /// model: the voice baseline changed.
    Analysed {
        name: String,
        outcome: u32,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    WaitingForModel,
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
            Step::WaitingForModel => "Waiting for the emotion model to load",
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
    /// The analysis job that made it; the compute side knows the result by it (to explain
    /// it, or to judge it again).
    pub id: u32,
    pub name: String,
    /// Shared with a later judgement of the same recording (see [`Source::Analysed`]).
    pub analysis: Rc<Analysis>,
    pub report: Report,
    /// The microphone's samples, when it was recorded.
    pub recorded: Option<Recorded>,
}

/// A recording's samples, their rate, and the frames the recorder posted.
pub type Recorded = (Rc<Vec<f32>>, u32, usize);

/// Identity: two outcomes are equal only if they are the same one.
impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The page's handle on the compute side: [`Self::send`] a [`Job`], get [`Update`]s through
/// the callback given to [`Self::listen`], wherever the engine runs.
pub struct Compute {
    backend: RefCell<Backend>,
    on_update: RefCell<Option<Listener>>,
    /// Updates that came before anyone listened.
    early: RefCell<Vec<Update>>,
    /// The microphone's samples of recordings being analysed in the worker, by job: the
    /// worker gets a copy and does not send them back (they become the result's `recorded`).
    recordings: RefCell<HashMap<u32, Recorded>>,
    /// The analysis step last marked on the page's timeline (scripts/bench_web.sh reads them).
    marked: RefCell<Option<(u32, Step)>>,
}

/// Where the page wants its updates.
type Listener = Box<dyn Fn(Update)>;

enum Backend {
    /// The worker is loading the wasm; jobs wait for it.
    Starting(web_sys::Worker, Vec<Job>),
    Worker(web_sys::Worker),
    /// No worker could start: the engine runs on the page, as it did before workers.
    Page(Rc<Engine>),
    /// Between two of the above.
    Moving,
}

/// Served beside the page (static/compute-worker.js).
const WORKER_SCRIPT: &str = "compute-worker.js";

#[wasm_bindgen]
extern "C" {
    /// Where the page's JS bindings were loaded from: the worker loads the same ones.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static BINDINGS_URL: String;
}

impl Compute {
    /// Starts the compute side and fetches the model for it at once, before the page has drawn
    /// anything: the worker and the model take longer to start than the page.
    pub fn start() -> Rc<Self> {
        let this = Rc::new(Self {
            backend: RefCell::new(Backend::Moving),
            on_update: RefCell::new(None),
            early: RefCell::new(Vec::new()),
            recordings: RefCell::new(HashMap::new()),
            marked: RefCell::new(None),
        });
        let backend = match this.start_worker() {
            Ok(worker) => Backend::Starting(worker, Vec::new()),
            Err(e) => {
                web_sys::console::warn_1(&format!("analysing on the page: no worker ({})", web::js_text(e)).into());
                show_where("page");
                Backend::Page(this.page_engine())
            }
        };
        *this.backend.borrow_mut() = backend;
        let compute = this.clone();
        wasm_bindgen_futures::spawn_local(async move { compute.send(Job::LoadModel(ModelFiles::fetch().await)) });
        this
    }

    /// Where updates go from now on, those that came before first.
    pub fn listen(&self, on_update: impl Fn(Update) + 'static) {
        *self.on_update.borrow_mut() = Some(Box::new(on_update));
        for update in std::mem::take(&mut *self.early.borrow_mut()) {
            self.deliver(update);
        }
    }

    fn deliver(&self, update: Update) {
        // One mark on the page's timeline per analysis step, where it starts, wherever the
        // engine runs (scripts/bench_web.sh reads them).
        if let Update::Progress { job, step, at, .. } = &update
            && self.marked.replace(Some((*job, *step))) != Some((*job, *step))
        {
            web::mark_step_at(step.label(), *at);
        }
        match &*self.on_update.borrow() {
            Some(on_update) => on_update(update),
            None => self.early.borrow_mut().push(update),
        }
    }

    pub fn send(self: &Rc<Self>, job: Job) {
        let engine = match &mut *self.backend.borrow_mut() {
            Backend::Starting(_, waiting) => return waiting.push(job),
            Backend::Worker(worker) => return self.post(worker, job),
            Backend::Page(engine) => engine.clone(),
            Backend::Moving => return,
        };
        // Not while the backend is borrowed: the engine may answer at once, and the page may
        // send another job from that answer.
        engine.send(job);
    }

    fn page_engine(self: &Rc<Self>) -> Rc<Engine> {
        let this = Rc::downgrade(self);
        let decode: engine::Decode = Rc::new(|bytes| Box::pin(async move { browser_decode(&bytes).await }));
        Engine::new(
            move |update| {
                if let Some(this) = this.upgrade() {
                    this.deliver(update)
                }
            },
            decode,
        )
    }

    /// Starts the worker with the page's own wasm module, compiled once and handed over:
    /// nothing is downloaded twice.
    fn start_worker(self: &Rc<Self>) -> Result<web_sys::Worker, JsValue> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(WORKER_SCRIPT, &options)?;
        let this = Rc::downgrade(self);
        let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if let Some(this) = this.upgrade() {
                this.received(&event.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget(); // as long as the page
        let this = Rc::downgrade(self);
        let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            if let Some(this) = this.upgrade() {
                this.worker_failed();
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        let hello = js_sys::Object::new();
        js_sys::Reflect::set(&hello, &"module".into(), &wasm_bindgen::module())?;
        js_sys::Reflect::set(&hello, &"bindings".into(), &BINDINGS_URL.with(|url| JsValue::from(url)))?;
        worker.post_message(&hello)?;
        Ok(worker)
    }

    /// A worker that fails to start leaves the engine to the page; one that fails later (a
    /// bug) is said in plain words.
    fn worker_failed(self: &Rc<Self>) {
        let backend = std::mem::replace(&mut *self.backend.borrow_mut(), Backend::Moving);
        match backend {
            Backend::Starting(worker, waiting) => {
                worker.terminate();
                web_sys::console::warn_1(&"analysing on the page: the worker did not start".into());
                show_where("page");
                *self.backend.borrow_mut() = Backend::Page(self.page_engine());
                waiting.into_iter().for_each(|job| self.send(job));
            }
            backend => {
                *self.backend.borrow_mut() = backend;
                crate::show_fatal("the compute worker stopped");
            }
        }
    }

    fn post(&self, worker: &web_sys::Worker, job: Job) {
        if let Job::Analyse { job, source: Source::Samples { samples, sample_rate, posted, .. } } = &job {
            let mut recordings = self.recordings.borrow_mut();
            recordings.retain(|j, _| j + 4 > *job); // those of cancelled analyses
            recordings.insert(*job, (samples.clone(), *sample_rate, *posted));
        }
        let mut packer = wire::Packer::default();
        let job = wire::pack_job(&job, &mut packer);
        match packer.finish(&ToWorker::Job(job)) {
            Ok((message, transfer)) => {
                if let Err(e) = worker.post_message_with_transfer(&message, &transfer) {
                    web_sys::console::error_1(&e);
                }
            }
            Err(e) => web_sys::console::error_1(&e.into()),
        }
    }

    fn received(self: &Rc<Self>, message: &JsValue) {
        let (message, data) = match wire::Unpacker::open::<FromWorker>(message) {
            Ok(opened) => opened,
            Err(e) => return web_sys::console::error_1(&format!("a message from the worker: {e}").into()),
        };
        match message {
            FromWorker::Started => {
                let backend = std::mem::replace(&mut *self.backend.borrow_mut(), Backend::Moving);
                if let Backend::Starting(worker, waiting) = backend {
                    show_where("worker");
                    waiting.into_iter().for_each(|job| self.post(&worker, job));
                    *self.backend.borrow_mut() = Backend::Worker(worker);
                }
            }
            FromWorker::Update(wire::UpdateWire::Done { job, outcome }) => {
                // The microphone's samples, which the page kept, become the result's `recorded`.
                let recorded = self.recordings.borrow_mut().remove(&job);
                let this = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = wire::unpack_outcome(*outcome, &data, recorded).await;
                    this.deliver(Update::Done { job, outcome: Rc::new(outcome) });
                });
            }
            FromWorker::Update(update) => {
                let Some(update) = wire::unpack_update(update, &data) else { return };
                self.deliver(update);
            }
            FromWorker::Decode { request, bytes } => {
                let bytes = data.bytes(bytes);
                let this = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let result = browser_decode(&bytes).await;
                    if let (Backend::Worker(worker), Ok((message, transfer))) =
                        (&*this.backend.borrow(), wire::pack_decoded(request, result))
                    {
                        let _ = worker.post_message_with_transfer(&message, &transfer);
                    }
                });
            }
        }
    }
}

/// Where the engine runs, `data-compute` on the page's root element: "worker" or "page".
fn show_where(place: &str) {
    if let Some(root) = gloo::utils::document().document_element() {
        let _ = root.set_attribute("data-compute", place);
    }
}
