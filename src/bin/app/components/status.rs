//! Model status, analysis progress and the error message.

use yew::prelude::*;

use crate::state::{ModelState, Phase};

#[derive(Properties, PartialEq)]
pub struct ModelStatusProps {
    pub model: ModelState,
}

#[function_component(ModelStatus)]
pub fn model_status(props: &ModelStatusProps) -> Html {
    let (state, text) = match &props.model {
        ModelState::Loading => ("loading", "Loading the emotion model…".to_string()),
        ModelState::Ready(m) => {
            ("ready", format!("Model ready: {} {}, {} emotions.", m.name, m.version, m.labels.len()))
        }
        ModelState::Failed(_) => ("failed", "The emotion model is not available (see the message below).".to_string()),
    };
    html! {
        <p class={classes!("model-status", state)} data-testid="model-status" data-state={state} role="status">{ text }</p>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub phase: Phase,
    pub on_cancel: Callback<()>,
}

#[function_component(ProgressBar)]
pub fn progress_bar(props: &ProgressProps) -> Html {
    let Phase::Analysing { name, step, fraction } = &props.phase else {
        return html! {};
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="progress card" data-testid="progress">
            <div class="progress-row">
                <progress max="1" value={fraction.to_string()} aria-label={format!("Analysing {name}")}></progress>
                <button type="button" class="button quiet" data-testid="cancel" onclick={on_cancel}
                        aria-label={format!("Cancel the analysis of {name}")}>{ "Cancel" }</button>
            </div>
            <p role="status" aria-live="polite">{ format!("{}… ({name})", step.label()) }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    pub notice: Option<String>,
}

/// Polite announcements that are not errors. Always in the page, so screen readers are
/// listening when the text arrives.
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    html! {
        <p class="notice" role="status" aria-live="polite" data-testid="notice">
            { props.notice.clone().unwrap_or_default() }
        </p>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    pub error: Option<String>,
    pub on_dismiss: Callback<()>,
}

#[function_component(ErrorBanner)]
pub fn error_banner(props: &ErrorProps) -> Html {
    let Some(error) = &props.error else {
        return html! {};
    };
    let on_dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="error" role="alert">
            <p data-testid="error">{ error }</p>
            <button type="button" class="button quiet" onclick={on_dismiss} aria-label="Dismiss this message">{ "Dismiss" }</button>
        </div>
    }
}
