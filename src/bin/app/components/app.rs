//! The page: owns the state reducer and the microphone recorder, and sends the compute side
//! its jobs; every update it sends back becomes an action.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::compare::CompareView;
use super::footer::Footer;
use super::input_panel::InputPanel;
use super::limits::Limits;
use super::presenter::Presenter;
use super::result_view::ResultView;
use super::status::{ErrorBanner, ModelStatus, Notice, ProgressBar};
use crate::audio_in::mic::{OnChunk, Recorder};
use crate::compute::{Compute, Job, Source};
use crate::state::{Action, ModelState, State};
use crate::web;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::default);
    let jobs = use_mut_ref(|| 0u32);
    let recorder = use_mut_ref(|| None::<Recorder>);
    let dragging = use_state(|| false);
    let compute = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| Compute::new(move |update| dispatcher.dispatch(update.into())))
    };

    {
        let compute = compute.clone();
        use_effect_with((), move |_| compute.send(Job::LoadModel));
    }

    // Starts an analysis; a newer one makes older ones irrelevant (see State::job).
    let start = {
        let dispatcher = state.dispatcher();
        let model = state.model.clone();
        let (jobs, compute) = (jobs.clone(), compute.clone());
        Callback::from(move |source: Source| {
            web::mark_input();
            match &model {
                ModelState::Ready(_) => {}
                ModelState::Failed(message) => {
                    dispatcher.dispatch(Action::Failed { job: None, message: message.clone() });
                    return;
                }
                ModelState::Loading => {
                    let message = "The emotion model is still loading. Try again in a moment.".to_string();
                    dispatcher.dispatch(Action::Failed { job: None, message });
                    return;
                }
            }
            let job = {
                let mut j = jobs.borrow_mut();
                *j += 1;
                *j
            };
            dispatcher.dispatch(Action::Started { job, name: source.name() });
            compute.send(Job::Analyse { job, source });
        })
    };

    // Stops the running analysis at its next step; the reducer restores the previous result.
    let cancel = {
        let dispatcher = state.dispatcher();
        let (jobs, compute) = (jobs.clone(), compute.clone());
        Callback::from(move |_: ()| {
            compute.send(Job::Cancel);
            dispatcher.dispatch(Action::Cancelled { job: *jobs.borrow() });
        })
    };

    let stop_recording = {
        let recorder = recorder.clone();
        let start = start.clone();
        let dispatcher = state.dispatcher();
        Callback::from(move |_: ()| {
            let Some(active) = recorder.borrow_mut().take() else { return };
            let (start, d) = (start.clone(), dispatcher.clone());
            spawn_local(async move {
                let (samples, sample_rate) = active.stop().await;
                if samples.is_empty() {
                    let message = "Nothing was recorded: the microphone sent no sound.".to_string();
                    d.dispatch(Action::Failed { job: None, message });
                    return;
                }
                start.emit(Source::Samples { name: "microphone recording".into(), samples, sample_rate });
            });
        })
    };

    let start_recording = {
        let recorder = recorder.clone();
        let dispatcher = state.dispatcher();
        let stop = stop_recording.clone();
        let compute = compute.clone();
        Callback::from(move |_: ()| {
            if recorder.borrow().is_some() {
                return;
            }
            compute.send(Job::Cancel); // recording replaces a running analysis
            dispatcher.dispatch(Action::MicStarting);
            let (recorder, d, stop) = (recorder.clone(), dispatcher.clone(), stop.clone());
            spawn_local(async move {
                let levels = d.clone();
                let on_chunk: OnChunk = Box::new(move |elapsed_s, level, full| {
                    levels.dispatch(Action::MicLevel { elapsed_s, level });
                    if full {
                        // Not from inside the worklet's message handler, which stop() unhooks.
                        let stop = stop.clone();
                        spawn_local(async move { stop.emit(()) });
                    }
                });
                match Recorder::start(on_chunk).await {
                    Ok(active) => {
                        *recorder.borrow_mut() = Some(active);
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
                <Presenter outcome={state.outcome.clone()} phase={state.phase.clone()} takes={state.takes.clone()}
                           on_clear={clear_takes(&state)} on_record={start_recording.clone()} on_stop={stop_recording.clone()} />
            </header>
            <main>
                <ModelStatus model={state.model.clone()} />
                <InputPanel
                    phase={state.phase.clone()}
                    {on_file}
                    {on_sample}
                    on_record={start_recording}
                    on_stop={stop_recording}
                />
                <ProgressBar phase={state.phase.clone()} on_cancel={cancel} />
                <Notice notice={state.notice.clone()} />
                <ErrorBanner error={state.error.clone()} {on_dismiss} />
                <CompareView takes={state.takes.clone()} on_clear={clear_takes(&state)} />
                if let Some(outcome) = state.outcome.clone() {
                    <ResultView {outcome} />
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
