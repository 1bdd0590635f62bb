//! The predicted emotion, large, and a bar for each label's probability. Plain HTML, so the
//! numbers are text a screen reader (and a test) can read.

use yew::prelude::*;

use crate::plots::emotion_color;
use ser::model::Prediction;

#[derive(Properties, PartialEq)]
pub struct PredictionProps {
    pub prediction: Prediction,
    pub name: String,
    /// The model judged the clip relative to the person's voice baseline.
    #[prop_or_default]
    pub relative_to_voice: bool,
}

#[function_component(PredictionCard)]
pub fn prediction_card(props: &PredictionProps) -> Html {
    let p = &props.prediction;
    let relative = props.relative_to_voice.then(|| {
        html! {
            <p class="relative-note" data-testid="relative-to-voice">{ "Compared with your everyday voice, not with voices in general." }</p>
        }
    });
    // Below the model's calibrated threshold the two likeliest emotions are named instead of
    // one: a guess shown as large as a clear answer would be read as one.
    if p.unsure() {
        return html! {
            <div class="prediction-card unsure" data-testid="unsure">
                <p class="eyebrow">{ "Predicted emotion in " }<span class="file-name">{ &props.name }</span></p>
                <p class="prediction" data-testid="prediction">{ "Not sure" }</p>
                <p class="confidence" data-testid="confidence">
                    { detail(p) }
                </p>
                { for relative }
            </div>
        };
    }
    let color = emotion_color(p.emotion(), p.best_index());
    html! {
        <div class="prediction-card" style={format!("--emotion: {color}")}>
            <p class="eyebrow">{ "Predicted emotion in " }<span class="file-name">{ &props.name }</span></p>
            <p class="prediction" data-testid="prediction">{ p.emotion() }</p>
            <p class="confidence" data-testid="confidence">{ detail(p) }</p>
            { for relative }
        </div>
    }
}

/// The line under a verdict, the same in every view: "Sad or calm? At most 45% likely." below
/// the model's calibrated threshold, else "72% confidence".
pub fn detail(p: &Prediction) -> String {
    if p.unsure() {
        format!("{} or {}? At most {:.0}% likely.", capitalise(p.emotion()), p.runner_up(), p.confidence() * 100.0)
    } else {
        format!("{:.0}% confidence", p.confidence() * 100.0)
    }
}

pub fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct BarsProps {
    pub prediction: Prediction,
    /// Prefix for data-testid, "prob" for the whole clip.
    #[prop_or(Some("prob"))]
    pub testid: Option<&'static str>,
    pub caption: AttrValue,
}

#[function_component(ProbabilityBars)]
pub fn probability_bars(props: &BarsProps) -> Html {
    html! {
        <figure class="bars">
            <figcaption>{ props.caption.clone() }</figcaption>
            <ul>{ bar_items(&props.prediction, props.testid, false) }</ul>
        </figure>
    }
}

/// One `li` per label: its name, its bar and its probability (as a percentage for a room,
/// else to 4 decimals, with test ids `{testid}-{label}`).
pub fn bar_items(prediction: &Prediction, testid: Option<&str>, percent: bool) -> Html {
    let best = prediction.best_index();
    html! {
        { for prediction.iter().enumerate().map(|(i, (label, p))| {
            let testid = testid.map(|t| format!("{t}-{label}"));
            html! {
                <li class={classes!((i == best).then_some("best"))}>
                    <span class="bar-label">{ label }</span>
                    <span class="bar-track" aria-hidden="true">
                        <span class="bar-fill" style={format!("width: {:.2}%; background: {}", p * 100.0, emotion_color(label, i))}></span>
                    </span>
                    <span class="bar-value" data-testid={testid}>{ if percent { format!("{:.0}%", p * 100.0) } else { format!("{p:.4}") } }</span>
                </li>
            }
        }) }
    }
}
