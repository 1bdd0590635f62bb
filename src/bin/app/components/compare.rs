//! Two takes side by side: the last two results, each with its label and bars, and on the
//! second how far each emotion's probability moved from the first (take 2 − take 1), for a
//! class comparing "happily" with "sadly". Plain HTML, so every number is text.

use std::rc::Rc;

use yew::prelude::*;

use super::probabilities::detail;
use crate::compute::Outcome;
use crate::plots::emotion_color;
use crate::state::Takes;
use ser::model::Prediction;

#[derive(Properties, PartialEq)]
pub struct CompareProps {
    pub takes: Takes,
    pub on_clear: Callback<()>,
}

/// Shown once there are two takes; one take is the result view itself.
#[function_component(CompareView)]
pub fn compare_view(props: &CompareProps) -> Html {
    let takes = props.takes.list();
    if takes.len() < 2 {
        return html! {};
    }
    let on_clear = props.on_clear.reform(|_: MouseEvent| ());
    let first = &takes[0].report.whole;
    html! {
        <section class="compare card" data-testid="compare-view" aria-labelledby="compare-title">
            <div class="compare-head">
                <h2 id="compare-title">{ "Two takes side by side" }</h2>
                <button type="button" class="button quiet" data-testid="compare-clear" onclick={on_clear}>{ "Clear takes" }</button>
            </div>
            <div class="compare-grid">
                { for takes.iter().enumerate().map(|(i, o)| html! {
                    <Take number={i + 1} outcome={o.clone()} against={(i > 0).then(|| first.clone())} />
                }) }
            </div>
            <p class="hint">{ "The change is take 2 minus take 1, in percentage points. The next result becomes take 2 and this take 2 becomes take 1." }</p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TakeProps {
    number: usize,
    outcome: Rc<Outcome>,
    /// The earlier take, to show each probability's change from it.
    against: Option<Prediction>,
}

#[function_component(Take)]
fn take(props: &TakeProps) -> Html {
    let p = &props.outcome.report.whole;
    let (label, detail) = (if p.unsure() { "Not sure" } else { p.emotion() }, detail(p));
    let edge = if p.unsure() { "var(--muted)".to_string() } else { emotion_color(p.emotion(), p.best_index()) };
    let best = p.best_index();
    html! {
        <article class={classes!("compare-take", p.unsure().then_some("unsure"))} data-testid="compare-take"
                 data-take={props.number.to_string()} style={format!("--emotion: {edge}")}
                 aria-label={format!("Take {}: {}", props.number, label)}>
            <p class="eyebrow">{ format!("Take {}: ", props.number) }<span class="file-name">{ &props.outcome.name }</span></p>
            <p class="take-emotion" data-testid="take-emotion">{ label }</p>
            <p class="take-confidence">{ detail }</p>
            <table class="take-bars">
                <thead><tr>
                    <th scope="col">{ "Emotion" }</th>
                    <th scope="col"><span class="visually-hidden">{ "Bar" }</span></th>
                    <th scope="col">{ "Probability" }</th>
                    // Take 1 keeps an empty column, so both takes' bars line up.
                    <th scope="col">{ if props.against.is_some() { "Change" } else { "" } }</th>
                </tr></thead>
                <tbody>
                { for p.iter().enumerate().map(|(i, (emotion, prob))| {
                    let change = props.against.as_ref().map(|a| prob - a.probabilities.get(i).copied().unwrap_or(0.0));
                    html! {
                        <tr class={classes!((i == best).then_some("best"))}>
                            <th scope="row" class="bar-label">{ emotion }</th>
                            <td class="take-track" aria-hidden="true">
                                <span class="bar-track"><span class="bar-fill" style={format!("width: {:.2}%; background: {}", prob * 100.0, emotion_color(emotion, i))}></span></span>
                            </td>
                            <td class="bar-value" data-testid={format!("take-prob-{emotion}")} data-value={format!("{prob:.6}")}>
                                { format!("{:.0}%", prob * 100.0) }
                            </td>
                            if let Some(d) = change {
                                <td class={classes!("take-change", change_class(d))} data-testid={format!("take-diff-{emotion}")} data-value={format!("{d:.6}")}>
                                    { change_text(d) }
                                </td>
                            } else {
                                <td class="take-change"></td>
                            }
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        </article>
    }
}

/// "+12", "−3" or "0" percentage points; the sign is text, not only colour.
fn change_text(d: f32) -> String {
    let points = (d * 100.0).round();
    if points == 0.0 {
        "0".to_string()
    } else if points > 0.0 {
        format!("+{points:.0}")
    } else {
        format!("\u{2212}{:.0}", -points)
    }
}

fn change_class(d: f32) -> &'static str {
    match (d * 100.0).round() {
        x if x > 0.0 => "up",
        x if x < 0.0 => "down",
        _ => "same",
    }
}
