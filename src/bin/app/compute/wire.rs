//! [`Job`] and [`Update`] as they cross between the page and the worker: one `postMessage`
//! each, `{head, data}`. The small part, `head`, is serde's derived form in postcard's binary
//! format (compact in code and on the wire, and exact for floats); the bulky part (samples,
//! features, the user's file) travels beside it in `data`, as typed arrays moved rather than
//! copied, and `head` refers to them by their place in it.

use std::rc::Rc;

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use ser::audio::SourceStats;
use ser::model::Explanation;
use ser::{Analysis, LiveReading, ModelInfo, Report};
use ser::{Features, Interval};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

use crate::web::js_text;

use super::engine::Decoded;
use super::{BaselineInfo, Job, ModelFiles, Outcome, Recorded, SavedBaseline, Source, Step, Update};

/// From the page to the worker.
#[derive(Serialize, Deserialize)]
pub enum ToWorker {
    Job(JobWire),
    /// The page's answer to [`FromWorker::Decode`]: mono samples (`data` index) and their
    /// rate, or why the browser could not decode them.
    Decoded {
        request: u32,
        result: Result<(usize, u32), String>,
    },
}

/// From the worker to the page.
#[derive(Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is running and takes jobs.
    Started,
    Update(UpdateWire),
    /// Asks the page to decode bytes (`data` index) with the browser's decoder, which needs
    /// Web Audio: a worker has none.
    Decode {
        request: u32,
        bytes: usize,
    },
}

#[derive(Serialize, Deserialize)]
pub enum JobWire {
    /// The model's files (the graph's `data` index, the sidecar's text), or why the page could
    /// not fetch them.
    LoadModel(Result<(usize, String), String>),
    WarmUp,
    Analyse {
        job: u32,
        source: SourceWire,
    },
    Cancel,
    MakeBaseline {
        clips: Vec<SourceWire>,
    },
    SetBaseline(Option<SavedBaseline>),
    Explain {
        job: u32,
        outcome: u32,
    },
    Live {
        samples: usize,
        sample_rate: u32,
    },
    LiveStop,
}

#[derive(Serialize, Deserialize)]
pub enum SourceWire {
    File { file: usize },
    Sample { name: String, url: String },
    Samples { name: String, samples: usize, sample_rate: u32, posted: usize },
    Analysed { name: String, outcome: u32 },
}

#[derive(Serialize, Deserialize)]
pub enum UpdateWire {
    /// The sidecar as JSON: its optional fields are left out when absent, which a binary
    /// format cannot tell.
    ModelReady(String),
    ModelFailed(String),
    Progress {
        job: u32,
        step: Step,
        fraction: f64,
        at: f64,
    },
    Done {
        job: u32,
        outcome: Box<OutcomeWire>,
    },
    Failed {
        job: u32,
        message: String,
    },
    BaselineMade {
        info: BaselineInfo,
        saved: SavedBaseline,
        clips_this_visit: usize,
    },
    BaselineFailed(String),
    BaselineRestored(BaselineInfo),
    SavedBaselineRefused(String),
    ExplainProgress {
        job: u32,
        fraction: f64,
    },
    Explained {
        job: u32,
        map: Explanation,
        ms: f64,
    },
    ExplainFailed {
        job: u32,
        message: String,
    },
    LiveColumns {
        rows: usize,
        peak_db: f32,
    },
    Live {
        reading: LiveReading,
        model_ms: f64,
    },
}

/// An [`Outcome`] without its arrays (in `data`: the signal, the log-mel and the MFCCs) and
/// without the microphone's samples, which the page kept (see `Remote::recordings`).
#[derive(Serialize, Deserialize)]
pub struct OutcomeWire {
    id: u32,
    name: String,
    report: Report,
    sample_rate: u32,
    kept: Vec<Interval>,
    source: SourceStats,
    n_frames: usize,
    n_mels: usize,
    n_mfcc: usize,
    signal: usize,
    log_mel: usize,
    mfcc: usize,
}

/// One message being built: its bulky parts, and the buffers to move with it.
#[derive(Default)]
pub struct Packer {
    data: Vec<JsValue>,
    transfer: Vec<JsValue>,
}

impl Packer {
    fn f32s(&mut self, values: &[f32]) -> usize {
        let array = Float32Array::from(values);
        self.transfer.push(array.buffer().into());
        self.push(array.into())
    }

    fn bytes(&mut self, bytes: &[u8]) -> usize {
        self.array(&Uint8Array::from(bytes))
    }

    /// Bytes already in the browser's memory: moved, not copied (the sender's copy is emptied).
    fn array(&mut self, array: &Uint8Array) -> usize {
        self.transfer.push(array.buffer().into());
        self.push(array.into())
    }

    /// Anything the browser can clone (a `File`): not moved, and not copied either.
    fn push(&mut self, value: JsValue) -> usize {
        self.data.push(value);
        self.data.len() - 1
    }

    /// The message and the buffers `postMessage` should move rather than copy.
    pub fn finish(self, small: &impl Serialize) -> Result<(JsValue, Array), String> {
        let head = Uint8Array::from(&postcard::to_allocvec(small).map_err(|e| e.to_string())?[..]);
        let message = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&message, &k.into(), v).map(|_| ());
        set("head", &head).and_then(|_| set("data", &self.data.iter().collect::<Array>())).map_err(js_text)?;
        Ok((message.into(), self.transfer.into_iter().collect()))
    }
}

/// One message received: its small part, and its bulky parts to take.
pub struct Unpacker {
    data: Array,
}

impl Unpacker {
    pub fn open<T: for<'de> Deserialize<'de>>(message: &JsValue) -> Result<(T, Self), String> {
        let get = |k: &str| Reflect::get(message, &k.into()).map_err(js_text);
        let head = get("head")?.dyn_into::<Uint8Array>().map_err(|_| "a message without its head")?.to_vec();
        let small = postcard::from_bytes(&head).map_err(|e| e.to_string())?;
        Ok((small, Self { data: get("data")?.dyn_into().map_err(js_text)? }))
    }

    pub fn f32s(&self, index: usize) -> Vec<f32> {
        self.data.get(index as u32).dyn_into::<Float32Array>().map(|a| a.to_vec()).unwrap_or_default()
    }

    pub fn bytes(&self, index: usize) -> Vec<u8> {
        self.data.get(index as u32).dyn_into::<Uint8Array>().map(|a| a.to_vec()).unwrap_or_default()
    }

    fn array(&self, index: usize) -> Result<Uint8Array, String> {
        self.data.get(index as u32).dyn_into().map_err(|_| "its bytes did not reach the worker".to_string())
    }

    fn file(&self, index: usize) -> Result<web_sys::File, String> {
        self.data.get(index as u32).dyn_into().map_err(|_| "a file that did not arrive".to_string())
    }
}

/// The page's side: what it sends.
pub fn pack_job(job: &Job, p: &mut Packer) -> JobWire {
    let source = |s: &Source, p: &mut Packer| match s {
        Source::File(file) => SourceWire::File { file: p.push(file.into()) },
        Source::Sample { name, url } => SourceWire::Sample { name: name.clone(), url: url.clone() },
        Source::Samples { name, samples, sample_rate, posted } => SourceWire::Samples {
            name: name.clone(),
            samples: p.f32s(samples),
            sample_rate: *sample_rate,
            posted: *posted,
        },
        Source::Analysed { name, outcome } => SourceWire::Analysed { name: name.clone(), outcome: *outcome },
    };
    match job {
        Job::LoadModel(files) => JobWire::LoadModel(match files {
            Ok(f) => Ok((p.array(&f.graph), f.sidecar.clone())),
            Err(e) => Err(e.clone()),
        }),
        Job::WarmUp => JobWire::WarmUp,
        Job::Analyse { job, source: s } => JobWire::Analyse { job: *job, source: source(s, p) },
        Job::Cancel => JobWire::Cancel,
        Job::MakeBaseline { clips } => JobWire::MakeBaseline { clips: clips.iter().map(|c| source(c, p)).collect() },
        Job::SetBaseline(saved) => JobWire::SetBaseline(saved.clone()),
        Job::Explain { job, outcome } => JobWire::Explain { job: *job, outcome: *outcome },
        Job::Live { samples, sample_rate } => JobWire::Live { samples: p.f32s(samples), sample_rate: *sample_rate },
        Job::LiveStop => JobWire::LiveStop,
    }
}

/// The worker's side: what it receives.
pub fn unpack_job(job: JobWire, u: &Unpacker) -> Result<Job, String> {
    let source = |s: SourceWire| -> Result<Source, String> {
        Ok(match s {
            SourceWire::File { file } => Source::File(u.file(file)?),
            SourceWire::Sample { name, url } => Source::Sample { name, url },
            SourceWire::Samples { name, samples, sample_rate, posted } => {
                Source::Samples { name, samples: Rc::new(u.f32s(samples)), sample_rate, posted }
            }
            SourceWire::Analysed { name, outcome } => Source::Analysed { name, outcome },
        })
    };
    Ok(match job {
        JobWire::LoadModel(files) => {
            let moved = |graph| u.array(graph).map_err(|e| ser::SerError::ModelLoad(e).to_string());
            Job::LoadModel(files.and_then(|(graph, sidecar)| Ok(ModelFiles { graph: moved(graph)?, sidecar })))
        }
        JobWire::WarmUp => Job::WarmUp,
        JobWire::Analyse { job, source: s } => Job::Analyse { job, source: source(s)? },
        JobWire::Cancel => Job::Cancel,
        JobWire::MakeBaseline { clips } => {
            Job::MakeBaseline { clips: clips.into_iter().map(source).collect::<Result<_, _>>()? }
        }
        JobWire::SetBaseline(saved) => Job::SetBaseline(saved),
        JobWire::Explain { job, outcome } => Job::Explain { job, outcome },
        JobWire::Live { samples, sample_rate } => Job::Live { samples: u.f32s(samples), sample_rate },
        JobWire::LiveStop => Job::LiveStop,
    })
}

/// The worker's side: what it sends.
pub fn pack_update(update: Update, p: &mut Packer) -> UpdateWire {
    match update {
        Update::ModelReady(info) => UpdateWire::ModelReady(serde_json::to_string(&*info).unwrap_or_default()),
        Update::ModelFailed(m) => UpdateWire::ModelFailed(m),
        Update::Progress { job, step, fraction, at } => UpdateWire::Progress { job, step, fraction, at },
        Update::Done { job, outcome } => {
            let a = &outcome.analysis;
            let outcome = OutcomeWire {
                id: outcome.id,
                name: outcome.name.clone(),
                report: outcome.report.clone(),
                sample_rate: a.sample_rate,
                kept: a.kept.clone(),
                source: a.source,
                n_frames: a.features.n_frames,
                n_mels: a.features.n_mels,
                n_mfcc: a.features.n_mfcc,
                signal: p.f32s(&a.signal),
                log_mel: p.f32s(&a.features.log_mel),
                mfcc: p.f32s(&a.features.mfcc),
            };
            UpdateWire::Done { job, outcome: Box::new(outcome) }
        }
        Update::Failed { job, message } => UpdateWire::Failed { job, message },
        Update::BaselineMade { info, saved, clips_this_visit } => {
            UpdateWire::BaselineMade { info, saved, clips_this_visit }
        }
        Update::BaselineFailed(m) => UpdateWire::BaselineFailed(m),
        Update::BaselineRestored(info) => UpdateWire::BaselineRestored(info),
        Update::SavedBaselineRefused(m) => UpdateWire::SavedBaselineRefused(m),
        Update::ExplainProgress { job, fraction } => UpdateWire::ExplainProgress { job, fraction },
        Update::Explained { job, map, ms } => UpdateWire::Explained { job, map: Explanation::clone(&map), ms },
        Update::ExplainFailed { job, message } => UpdateWire::ExplainFailed { job, message },
        Update::LiveColumns { rows, peak_db } => UpdateWire::LiveColumns { rows: p.f32s(&rows), peak_db },
        Update::Live { reading, model_ms } => UpdateWire::Live { reading, model_ms },
    }
}

/// The page's side: what it receives; `None` for a finished analysis, which
/// [`unpack_outcome`] takes in several tasks.
pub fn unpack_update(update: UpdateWire, u: &Unpacker) -> Option<Update> {
    Some(match update {
        UpdateWire::ModelReady(sidecar) => match serde_json::from_str::<ModelInfo>(&sidecar) {
            Ok(info) => Update::ModelReady(Rc::new(info)),
            Err(e) => Update::ModelFailed(format!("The model's description did not reach the page ({e}).")),
        },
        UpdateWire::ModelFailed(m) => Update::ModelFailed(m),
        UpdateWire::Progress { job, step, fraction, at } => Update::Progress { job, step, fraction, at },
        UpdateWire::Done { .. } => return None,
        UpdateWire::Failed { job, message } => Update::Failed { job, message },
        UpdateWire::BaselineMade { info, saved, clips_this_visit } => {
            Update::BaselineMade { info, saved, clips_this_visit }
        }
        UpdateWire::BaselineFailed(m) => Update::BaselineFailed(m),
        UpdateWire::BaselineRestored(info) => Update::BaselineRestored(info),
        UpdateWire::SavedBaselineRefused(m) => Update::SavedBaselineRefused(m),
        UpdateWire::ExplainProgress { job, fraction } => Update::ExplainProgress { job, fraction },
        UpdateWire::Explained { job, map, ms } => Update::Explained { job, map: Rc::new(map), ms },
        UpdateWire::ExplainFailed { job, message } => Update::ExplainFailed { job, message },
        UpdateWire::LiveColumns { rows, peak_db } => Update::LiveColumns { rows: u.f32s(rows), peak_db },
        UpdateWire::Live { reading, model_ms } => Update::Live { reading, model_ms },
    })
}

/// The page's side: a finished analysis, its arrays copied into the page's memory a task at a
/// time (a 10-minute recording's are about 60 MB, which in one task kept the page busy for
/// 40 ms before it even drew the result).
pub async fn unpack_outcome(o: OutcomeWire, u: &Unpacker, recorded: Option<Recorded>) -> Outcome {
    let signal = u.f32s(o.signal);
    crate::web::yield_now().await;
    let log_mel = u.f32s(o.log_mel);
    crate::web::yield_now().await;
    let features = Features { n_frames: o.n_frames, n_mels: o.n_mels, n_mfcc: o.n_mfcc, log_mel, mfcc: u.f32s(o.mfcc) };
    let analysis = Analysis { signal, sample_rate: o.sample_rate, kept: o.kept, features, source: o.source };
    crate::web::yield_now().await;
    Outcome { id: o.id, name: o.name, analysis: Rc::new(analysis), report: o.report, recorded }
}

/// The bytes the worker asks the page to decode, as a message.
pub fn pack_decode(request: u32, bytes: &[u8]) -> Result<(JsValue, Array), String> {
    let mut p = Packer::default();
    let bytes = p.bytes(bytes);
    p.finish(&FromWorker::Decode { request, bytes })
}

/// The page's answer to a decode request, as a message.
pub fn pack_decoded(request: u32, result: Decoded) -> Result<(JsValue, Array), String> {
    let mut p = Packer::default();
    let result = result.map(|(samples, rate)| (p.f32s(&samples), rate));
    p.finish(&ToWorker::Decoded { request, result })
}
