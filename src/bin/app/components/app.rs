//! The page: owns the state reducer and the microphone recorder, and sends the compute side
//! its jobs; every update it sends back becomes an action.

use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::compare::CompareView;
use super::footer::Footer;
use super::input_panel::InputPanel;
use super::limits::Limits;
use super::live::live_view;
use super::presenter::Presenter;
use super::result_view::ResultView;
use super::status::{ErrorBanner, ModelStatus, Notice, ProgressBar};
use super::voice_panel::{VoiceLine, VoicePanel};

use crate::audio_in::mic::{OnChunk, Recorder, Recording};
use crate::compute::{Compute, Job, Source, Step, Update};
use crate::state::{Action, MicUse, ModelState, Phase, State};
use crate::voice_store::{self, Stored};
use crate::web;

#[derive(Properties)]
pub struct AppProps {
    /// Started before the page is drawn (see `main`), so the model loads meanwhile.
    pub compute: Rc<Compute>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.compute, &other.compute)
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    let jobs = use_mut_ref(|| 0u32);
    let gate = use_mut_ref(Gate::default);
    let explain_jobs = use_mut_ref(|| 0u32);
    let recorder = use_mut_ref(|| None::<(Recorder, MicUse)>);
    let dragging = use_state(|| false);
    let compute = props.compute.clone();
    {
        let dispatcher = state.dispatcher();
        let compute = compute.clone();
        use_effect_with((), move |_| {
            web::mark_after_paint(web::MARK_APP_SHOWN);
            compute.listen(move |update| {
                // Live columns go straight onto the canvas: the state never holds them.
                if let Update::LiveColumns { rows, peak_db } = &update {
                    return crate::plots::live::draw_columns(rows, *peak_db);
                }
                // The browser keeps exactly the baseline in use: saved when made, removed when
                // the model refuses it.
                let not_kept = match &update {
                    Update::BaselineMade { saved, .. } => voice_store::save(saved).is_err(),
                    Update::SavedBaselineRefused(why) => {
                        // The page says it in plain words; the core's reason is for developers.
                        web_sys::console::warn_1(&format!("saved voice baseline removed: {why}").into());
                        voice_store::forget();
                        false
                    }
                    _ => false,
                };
                dispatcher.dispatch(update.into());
                if not_kept {
                    dispatcher.dispatch(Action::BaselineNotKept);
                }
            })
        });
    }

    // A baseline saved on an earlier visit, used again once the model can check it.
    {
        let gate = gate.clone();
        let compute = compute.clone();
        let dispatcher = state.dispatcher();
        let ready = matches!(state.model, ModelState::Ready(_));
        use_effect_with(ready, move |&ready| {
            if ready {
                web::mark_after_paint(web::MARK_MODEL_READY);
                let warm = compute.clone();
                web::after_paint(move || warm.send(Job::WarmUp));
                match voice_store::load() {
                    Stored::Nothing => {}
                    Stored::Baseline(saved) => compute.send(Job::SetBaseline(Some(saved))),
                    Stored::Unreadable => {
                        voice_store::forget();
                        dispatcher.dispatch(Action::SavedBaselineRefused);
                    }
                }
                // After the saved baseline, so an analysis that waited is judged with it.
                let mut gate = gate.borrow_mut();
                gate.open = true;
                if let Some(job) = gate.held.take() {
                    compute.send(job);
                }
            }
        });
    }

    // The offline copy is saved once the model has loaded (or failed to), not alongside it: on
    // a first visit the service worker downloads and stores every file again, which on a slow
    // laptop competes with the model's load for the same cores.
    {
        let settled = !matches!(state.model, ModelState::Loading);
        use_effect_with(settled, move |&settled| {
            if settled {
                web::after_paint(web::register_service_worker);
            }
        });
    }

    // Starts an analysis: says so on the page and gives it a number (`None` if the model cannot
    // take it, which the page says). A newer analysis makes older ones irrelevant (State::job).
    let begin = {
        let dispatcher = state.dispatcher();
        let model = state.model.clone();
        let jobs = jobs.clone();
        Callback::from(move |name: String| -> Option<u32> {
            web::mark_input();
            // While the model loads, the analysis waits for it in the compute side.
            if let ModelState::Failed(message) = &model {
                dispatcher.dispatch(Action::Failed { job: None, message: message.clone() });
                return None;
            }
            let job = {
                let mut j = jobs.borrow_mut();
                *j += 1;
                *j
            };
            dispatcher.dispatch(Action::Started { job, name });
            Some(job)
        })
    };
    // Sends an analysis to the compute side, or holds it there until the model is ready.
    let submit = {
        let (gate, compute) = (gate.clone(), compute.clone());
        let dispatcher = state.dispatcher();
        Callback::from(move |(job, source): (u32, Source)| {
            let mut gate = gate.borrow_mut();
            if gate.open {
                drop(gate);
                compute.send(Job::Analyse { job, source });
            } else {
                gate.held = Some(Job::Analyse { job, source });
                dispatcher.dispatch(Action::Progress { job, step: Step::WaitingForModel, fraction: 0.0 });
            }
        })
    };
    let start = {
        let (begin, submit) = (begin.clone(), submit.clone());
        Callback::from(move |source: Source| {
            if let Some(job) = begin.emit(source.name()) {
                submit.emit((job, source));
            }
        })
    };

    // The result on show is judged again when the voice baseline changes, so it never
    // disagrees with the line above it (the recording is not decoded again).
    {
        let start = start.clone();
        let outcome = state.outcome.clone().filter(|_| !state.analysing() && !state.recording());
        let baseline_made = state.voice.baseline.map(|b| b.made_ms.to_bits());
        use_effect_with(baseline_made, move |_| {
            if let Some(o) = outcome {
                start.emit(Source::Analysed { name: o.name.clone(), outcome: o.id });
            }
        });
    }

    // Stops the running analysis at its next step; the reducer restores the previous result.
    let cancel = {
        let dispatcher = state.dispatcher();
        let (jobs, compute, gate) = (jobs.clone(), compute.clone(), gate.clone());
        Callback::from(move |_: ()| {
            gate.borrow_mut().held = None;
            compute.send(Job::Cancel);
            dispatcher.dispatch(Action::Cancelled { job: *jobs.borrow() });
        })
    };

    // Recordings of the person's everyday voice become the baseline (with this visit's others).
    let make_baseline = {
        let dispatcher = state.dispatcher();
        let compute = compute.clone();
        Callback::from(move |clips: Vec<Source>| {
            dispatcher.dispatch(Action::MakingBaseline);
            compute.send(Job::MakeBaseline { clips });
        })
    };

    let forget_voice = {
        let dispatcher = state.dispatcher();
        let compute = compute.clone();
        Callback::from(move |_: ()| {
            voice_store::forget();
            compute.send(Job::SetBaseline(None));
            dispatcher.dispatch(Action::ForgetVoice);
        })
    };

    let stop_recording = {
        let recorder = recorder.clone();
        let compute = compute.clone();
        let (begin, submit, make_baseline) = (begin.clone(), submit.clone(), make_baseline.clone());
        let dispatcher = state.dispatcher();
        Callback::from(move |_: ()| {
            let Some((active, mic_use)) = recorder.borrow_mut().take() else { return };
            let (begin, make_baseline, d) = (begin.clone(), make_baseline.clone(), dispatcher.clone());
            let submit = submit.clone();
            let compute = compute.clone();
            spawn_local(async move {
                let Recording { samples, sample_rate, posted } = active.stop().await;
                // After the recorder's last chunk, which live mode has seen too.
                compute.send(Job::LiveStop);
                if samples.is_empty() {
                    let message = "Nothing was recorded: the microphone sent no sound.".to_string();
                    d.dispatch(Action::Failed { job: None, message });
                    return;
                }
                match mic_use {
                    MicUse::Analyse => {
                        let name = "microphone recording".to_string();
                        let Some(job) = begin.emit(name.clone()) else { return };
                        // The page shows the analysis starting in this task, and copies up to a
                        // minute of samples to the worker (~15 ms) in the next: with the render,
                        // one task would near 50 ms on a slow machine.
                        web::yield_now().await;
                        let source = Source::Samples { name, samples: Rc::new(samples), sample_rate, posted };
                        submit.emit((job, source));
                    }
                    MicUse::Calibrate => make_baseline.emit(vec![Source::Samples {
                        name: "calibration recording".into(),
                        samples: Rc::new(samples),
                        sample_rate,
                        posted,
                    }]),
                }
            });
        })
    };

    let start_recording = {
        let recorder = recorder.clone();
        let dispatcher = state.dispatcher();
        let stop = stop_recording.clone();
        let compute = compute.clone();
        Callback::from(move |mic_use: MicUse| {
            if recorder.borrow().is_some() {
                return;
            }
            if mic_use == MicUse::Analyse {
                compute.send(Job::Cancel); // recording replaces a running analysis
            }
            compute.send(Job::LiveStop);
            dispatcher.dispatch(Action::MicStarting(mic_use));
            let (recorder, d, stop, compute) = (recorder.clone(), dispatcher.clone(), stop.clone(), compute.clone());
            spawn_local(async move {
                let levels = d.clone();
                let on_chunk: OnChunk = Box::new(move |samples, sample_rate, elapsed_s, level, full| {
                    // Live mode for recordings to analyse (not for the calibration sentence).
                    if mic_use == MicUse::Analyse {
                        compute.send(Job::Live { samples: samples.to_vec(), sample_rate });
                    }
                    levels.dispatch(Action::MicLevel { elapsed_s, level });
                    if full {
                        // Not from inside the worklet's message handler, which stop() unhooks.
                        let stop = stop.clone();
                        spawn_local(async move { stop.emit(()) });
                    }
                });
                match Recorder::start(on_chunk).await {
                    Ok(active) => {
                        *recorder.borrow_mut() = Some((active, mic_use));
                        d.dispatch(Action::MicLevel { elapsed_s: 0.0, level: 0.0 });
                    }
                    Err(message) => d.dispatch(Action::Failed { job: None, message }),
                }
            });
        })
    };

    let on_file = {
        let start = start.clone();
        Callback::from(move |file: web_sys::File| start.emit(Source::File(file)))
    };
    let on_sample = {
        let start = start.clone();
        Callback::from(move |(name, url): (String, String)| start.emit(Source::Sample { name, url }))
    };
    let on_voice_files = {
        let make_baseline = make_baseline.clone();
        Callback::from(move |files: Vec<web_sys::File>| {
            make_baseline.emit(files.into_iter().map(Source::File).collect())
        })
    };
    let on_dismiss = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_| dispatcher.dispatch(Action::DismissError))
    };

    // Drop a file anywhere on the page.
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Only when leaving the page, not when moving between its children.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let on_file = on_file.clone();
        let recording = state.recording();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if recording {
                return;
            }
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                on_file.emit(file);
            }
        })
    };

    // The "Explain" toggle: the map is computed once per result, then shown or hidden.
    let on_explain = {
        let dispatcher = state.dispatcher();
        let (jobs, compute) = (explain_jobs.clone(), compute.clone());
        let (outcome, explain) = (state.outcome.clone(), state.explain.clone());
        Callback::from(move |on: bool| {
            let Some(outcome) = outcome.clone().filter(|_| on && explain.map.is_none() && explain.running.is_none())
            else {
                return dispatcher.dispatch(Action::ExplainShown(on));
            };
            let job = {
                let mut j = jobs.borrow_mut();
                *j += 1;
                *j
            };
            dispatcher.dispatch(Action::ExplainStarted { job });
            compute.send(Job::Explain { job, outcome: outcome.id });
        })
    };

    let calibrating = state.recording() && state.mic_use == MicUse::Calibrate;
    // Only a model with a fitted voice adjustment can use a baseline.
    let takes_baseline = matches!(&state.model, ModelState::Ready(info) if info.voice_baseline.is_some());

    html! {
        <div class={classes!("page", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <header class="top">
                <h1>{ "Voice emotion" }</h1>
                <p class="privacy">
                    <strong>{ "Your audio never leaves this device." }</strong>
                    { " Decoding, analysis and the emotion model all run inside this page; nothing is uploaded. \
                       After your first visit it also works offline." }
                </p>
                <Limits />
                <Presenter outcome={state.outcome.clone()} phase={state.phase.clone()} takes={state.takes.clone()} live={state.live.clone()}
                           on_clear={clear_takes(&state)} on_record={start_recording.reform(|_| MicUse::Analyse)} on_stop={stop_recording.clone()} />
            </header>
            <main>
                <ModelStatus model={state.model.clone()} />
                if let Some(baseline) = state.voice.baseline {
                    <VoiceLine {baseline} on_forget={forget_voice} />
                }
                <InputPanel
                    phase={if calibrating { Phase::Idle } else { state.phase.clone() }}
                    busy_elsewhere={calibrating || state.voice.making}
                    {on_file}
                    {on_sample}
                    on_record={start_recording.reform(|_| MicUse::Analyse)}
                    on_stop={stop_recording.clone()}
                />
                if matches!(state.phase, Phase::Recording { .. }) && !calibrating {
                    { live_view(&state.live) }
                }
                if takes_baseline {
                    <VoicePanel
                        voice={state.voice.clone()}
                        recording_here={calibrating.then(|| state.phase.clone())}
                        busy_elsewhere={state.analysing() || (state.recording() && !calibrating)}
                        on_record={start_recording.reform(|_| MicUse::Calibrate)}
                        on_stop={stop_recording}
                        on_files={on_voice_files}
                    />
                }
                <ProgressBar phase={state.phase.clone()} on_cancel={cancel} />
                <Notice notice={state.notice.clone()} />
                <ErrorBanner error={state.error.clone()} {on_dismiss} />
                <CompareView takes={state.takes.clone()} on_clear={clear_takes(&state)} />
                if let Some(outcome) = state.outcome.clone() {
                    <ResultView {outcome} explain={state.explain.clone()} {on_explain} />
                }
            </main>
            <Footer model={state.model.clone()} />
            if *dragging {
                <div class="drop-overlay" aria-hidden="true"><p>{ "Drop the audio file to analyse it" }</p></div>
            }
        </div>
    }
}

fn clear_takes(state: &UseReducerHandle<State>) -> Callback<()> {
    let dispatcher = state.dispatcher();
    Callback::from(move |_| dispatcher.dispatch(Action::ClearTakes))
}

/// Analyses asked for before the model is ready wait here and go once it is: the newest only,
/// as a newer analysis makes an older one irrelevant.
#[derive(Default)]
struct Gate {
    open: bool,
    held: Option<Job>,
}
