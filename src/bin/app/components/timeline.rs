//! The emotion timeline under the waveplot: one coloured band per model window, for clips
//! longer than the model's window. Hover, focus or tap a band to see its probabilities.

use yew::prelude::*;

use super::probabilities::ProbabilityBars;
use crate::plots::emotion_color;
use crate::plots::waveform::{INSET_LEFT, INSET_RIGHT};
use ser::model::Segment;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub segments: Vec<Segment>,
    pub duration_s: f64,
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let selected = use_state(|| None::<usize>);
    let n = props.segments.len();
    let duration = props.duration_s.max(1e-6);
    let bands = props.segments.iter().enumerate().map(|(i, seg)| {
        // Windows overlap; each band runs until the next window starts.
        let end = props.segments.get(i + 1).map_or(seg.end_s, |next| next.start_s.max(seg.start_s));
        let left = seg.start_s / duration * 100.0;
        let width = ((end - seg.start_s) / duration * 100.0).max(0.3);
        let p = &seg.prediction;
        let label = format!(
            "{:.1} to {:.1} seconds: {}, {:.0} percent",
            seg.start_s,
            seg.end_s,
            p.emotion(),
            p.confidence() * 100.0
        );
        let select = |selected: &UseStateHandle<Option<usize>>| {
            let selected = selected.clone();
            move || selected.set(Some(i))
        };
        let (on_enter, on_focus, on_click) = (select(&selected), select(&selected), select(&selected));
        html! {
            <button type="button"
                    class={classes!("band", (*selected == Some(i)).then_some("selected"))}
                    style={format!("left: {left:.3}%; width: {width:.3}%; background: {}", emotion_color(p.emotion(), p.best_index()))}
                    aria-label={label.clone()} title={label}
                    onmouseenter={Callback::from(move |_: MouseEvent| on_enter())}
                    onfocus={Callback::from(move |_: FocusEvent| on_focus())}
                    onclick={Callback::from(move |_: MouseEvent| on_click())}>
                <span>{ p.emotion() }</span>
            </button>
        }
    });
    let detail = selected.and_then(|i| props.segments.get(i)).map(|seg| {
        html! {
            <ProbabilityBars prediction={seg.prediction.clone()} testid={None::<&'static str>}
                caption={format!("Window {:.1}–{:.1} s: {}", seg.start_s, seg.end_s, seg.prediction.emotion())} />
        }
    });
    html! {
        <div class="timeline" data-testid="timeline">
            <p class="timeline-title">{ format!("Emotion over time ({n} windows)") }</p>
            <div class="bands" style={format!("margin-left: {INSET_LEFT}px; margin-right: {INSET_RIGHT}px")}
                 role="group" aria-label="Emotion timeline: one band per analysis window">
                { for bands }
            </div>
            <div class="timeline-detail" aria-live="polite">
                { detail.unwrap_or_else(|| html! { <p class="hint">{ "Point at, tap or tab to a band to see that window's probabilities." }</p> }) }
            </div>
        </div>
    }
}
