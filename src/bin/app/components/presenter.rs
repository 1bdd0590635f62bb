//! Presenter mode, for a class watching a projector: the emotion in type a tenth of the screen
//! high or more, its bars, the two takes and the limits card, white on black. Opened by its
//! toggle or `?present` in the address; Esc leaves, C clears the takes, Space records and stops.

use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::limits::LIMITS;
use super::live::{live_strip, readout, say};
use super::probabilities::bar_items;
use crate::compute::Outcome;
use crate::state::{Live, Phase, Takes};
use ser::Prediction;

#[derive(Properties, PartialEq)]
pub struct PresenterProps {
    pub outcome: Option<Rc<Outcome>>,
    pub phase: Phase,
    pub takes: Takes,
    /// Live mode while recording: what the view shows then.
    pub live: Live,
    pub on_clear: Callback<()>,
    pub on_record: Callback<()>,
    pub on_stop: Callback<()>,
}

/// Whether the page was opened with `?present` (or `&present`).
fn asked_in_url() -> bool {
    let search = gloo::utils::window().location().search().unwrap_or_default();
    search.trim_start_matches('?').split('&').any(|p| p == "present" || p.starts_with("present="))
}

fn recording(phase: &Phase) -> bool {
    matches!(phase, Phase::MicStarting | Phase::Recording { .. })
}

#[function_component(Presenter)]
pub fn presenter(props: &PresenterProps) -> Html {
    let active = use_state(asked_in_url);

    // Keys while presenting. Space toggles recording unless a button or field has the focus
    // (there Space already presses it). The listener reads this render's callbacks.
    let latest = use_mut_ref(|| None::<(Callback<()>, Callback<()>, Callback<()>, bool)>);
    *latest.borrow_mut() =
        Some((props.on_clear.clone(), props.on_record.clone(), props.on_stop.clone(), recording(&props.phase)));
    {
        let (active, latest) = (active.clone(), latest.clone());
        use_effect_with(*active, move |&on| {
            let listener = on.then(|| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&gloo::utils::window(), "keydown", options, move |e| {
                    let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
                    let Some((on_clear, on_record, on_stop, is_recording)) = latest.borrow().clone() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() || e.repeat() {
                        return;
                    }
                    let in_control = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|t| matches!(t.tag_name().as_str(), "BUTTON" | "INPUT" | "SELECT" | "TEXTAREA"));
                    match e.key().as_str() {
                        "Escape" => active.set(false),
                        "c" | "C" => on_clear.emit(()),
                        " " if !in_control => {
                            e.prevent_default();
                            if is_recording { on_stop.emit(()) } else { on_record.emit(()) }
                        }
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }

    // Focus moves into the view, so the keys and a screen reader start there.
    let view = use_node_ref();
    {
        let view = view.clone();
        use_effect_with(*active, move |&on| {
            if let (true, Some(el)) = (on, view.cast::<web_sys::HtmlElement>()) {
                let _ = el.focus();
            }
        });
    }

    let open = {
        let active = active.clone();
        Callback::from(move |_: MouseEvent| active.set(true))
    };
    if !*active {
        return html! {
            <button type="button" class="button presenter-toggle" data-testid="presenter-toggle" onclick={open}
                    aria-pressed="false">{ "Presenter view" }<span class="sub">{ "for a projector" }</span></button>
        };
    }
    let close = {
        let active = active.clone();
        Callback::from(move |_: MouseEvent| active.set(false))
    };
    let is_recording = recording(&props.phase);
    let record = {
        let (on_record, on_stop) = (props.on_record.clone(), props.on_stop.clone());
        Callback::from(move |_: MouseEvent| if is_recording { on_stop.emit(()) } else { on_record.emit(()) })
    };
    let clear = props.on_clear.reform(|_: MouseEvent| ());

    // The big line: what is happening now, else the latest result.
    let (big, detail, color, unsure) = match (&props.phase, &props.outcome) {
        (Phase::MicStarting, _) => ("…".to_string(), "Starting the microphone".to_string(), None, false),
        (Phase::Recording { elapsed_s, .. }, _) => {
            let (big, detail, color) = readout(&props.live);
            let unsure = big == "not sure";
            (big, format!("{detail} · Recording {:.0} s, Space stops", elapsed_s.floor()), color, unsure)
        }
        (Phase::Analysing { step, .. }, _) => ("…".to_string(), format!("{}…", step.label()), None, false),
        (Phase::Idle, Some(o)) => {
            let (big, detail, color) = say(&o.report.whole);
            let unsure = color.is_none();
            (big, detail, color, unsure)
        }
        (Phase::Idle, None) => {
            ("ready".to_string(), "Press Space to record, or leave and choose a clip.".to_string(), None, false)
        }
    };
    let bars = match &props.phase {
        Phase::Idle => props.outcome.as_ref().map(|o| bars(&o.report.whole)),
        Phase::Recording { .. } => props.live.last.as_deref().map(bars),
        _ => None,
    };
    let live = matches!(props.phase, Phase::Recording { .. })
        .then(|| html! { <div class="presenter-live">{ live_strip(&props.live, true) }</div> });
    let takes = props.takes.list();
    let strip = (takes.len() == 2).then(|| {
        html! {
            <p class="presenter-takes" data-testid="presenter-takes">
                { for takes.iter().enumerate().map(|(i, o)| {
                    let p = &o.report.whole;
                    let said = if p.unsure() { "not sure".to_string() } else { format!("{} {:.0}%", p.emotion(), p.confidence() * 100.0) };
                    html! { <span>{ format!("Take {}: {said}", i + 1) }</span> }
                }) }
            </p>
        }
    });

    html! {
        <div class="presenter" data-testid="presenter-view" ref={view} tabindex="-1" role="dialog" aria-modal="true" aria-label="Presenter view">
            <div class="presenter-top">
                <span class="presenter-title">{ "Voice emotion" }</span>
                <button type="button" class={classes!("button", "record", is_recording.then_some("active"))} onclick={record}>
                    <span class="dot" aria-hidden="true"></span>
                    { if is_recording { "Stop (Space)" } else { "Record (Space)" } }
                </button>
                <button type="button" class="button" onclick={clear} disabled={takes.is_empty()}>{ "Clear takes (C)" }</button>
                <button type="button" class="button" data-testid="presenter-leave" onclick={close}>{ "Leave (Esc)" }</button>
            </div>
            <div class={classes!("presenter-main", bars.is_none().then_some("solo"))}>
                <div class={classes!("presenter-label", unsure.then_some("unsure"))}
                     style={color.map(|c| format!("--emotion: {c}"))}>
                    <p class="presenter-emotion" data-testid="presenter-emotion" aria-live="polite">{ big }</p>
                    <p class="presenter-detail">{ detail }</p>
                    { for strip }
                </div>
                { for bars }
                { for live }
            </div>
            <ul class="presenter-limits" aria-label="What this can and cannot do">
                { for LIMITS.iter().map(|l| html! { <li>{ *l }</li> }) }
            </ul>
        </div>
    }
}

fn bars(p: &Prediction) -> Html {
    html! { <ul class="presenter-bars" aria-label="Probability of each emotion">{ bar_items(p, None, true) }</ul> }
}
