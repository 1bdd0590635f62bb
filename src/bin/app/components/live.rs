//! Live mode, while recording: every quarter second the emotion of the last 3 s (the model's
//! window) with its bars and its place on the valence-arousal plane, the log-mel spectrogram
//! scrolling by (drawn chunk by chunk, see [`crate::plots::live`]) and a band that grows with
//! the recording. All of it comes from the core's [`ser::LiveStream`]; the page computes
//! nothing.

use yew::prelude::*;

use super::probabilities::{ProbabilityBars, detail};
use super::valence_arousal::ValenceArousal;
use crate::audio_in::mic::MAX_SECONDS;
use crate::plots::emotion_color;
use crate::plots::live::COLUMNS;
use crate::state::Live;
use ser::Prediction;

/// What the readout says: (big text, detail, colour).
pub fn readout(live: &Live) -> (String, String, Option<String>) {
    match live.shown.as_deref() {
        None => ("listening…".into(), String::new(), None),
        Some(r) => match &r.prediction {
            None => ("listening…".into(), "No speech in the last 3 seconds.".into(), None),
            Some(p) => say(p),
        },
    }
}

/// A prediction in large type: (the emotion or "not sure", [`detail`], its colour if sure).
pub fn say(p: &Prediction) -> (String, String, Option<String>) {
    let color = (!p.unsure()).then(|| emotion_color(p.emotion(), p.best_index()));
    (if p.unsure() { "not sure" } else { p.emotion() }.to_string(), detail(p), color)
}

/// The attributes tests and the curious read: when the window ended (ms of recording, new at
/// every reading; beside it the reading's number and that of the reading that named the label
/// on show) and how long the model took.
fn updated(live: &Live) -> String {
    live.reading.as_ref().map_or(String::new(), |r| format!("{:.0}", r.end_s * 1000.0))
}

/// The scrolling spectrogram and the growing band; `presenter`: the presenter's copy, with
/// its own canvas.
pub fn live_strip(live: &Live, presenter: bool) -> Html {
    let id = if presenter { "live-spectrogram-present" } else { "live-spectrogram" };
    let spans = live.spans.iter().map(|(from, to, emotion)| {
        let style = format!(
            "left: {:.3}%; width: {:.3}%; background: {}",
            from / MAX_SECONDS * 100.0,
            ((to - from) / MAX_SECONDS * 100.0).max(0.2),
            emotion.as_deref().map_or("var(--muted)".into(), |e| emotion_color(e, 0))
        );
        // Named where there is room for the word.
        let name = emotion.as_deref().filter(|_| to - from >= 2.0).unwrap_or("");
        html! { <span class="live-span" {style}>{ name }</span> }
    });
    html! {
        <div class="live-strip">
            <canvas {id} class="live-spectrogram" data-testid="live-spectrogram" width={COLUMNS.to_string()} height="64"
                    role="img" aria-label="Spectrogram of the last 6 s"></canvas>
            <div class="live-timeline" data-testid="live-timeline" data-spans={live.spans.len().to_string()}
                 role="img" aria-label="Emotion over the recording, on a 60 s scale">
                { for spans }
            </div>
        </div>
    }
}

/// The page's live view (its first columns bring it into sight, see
/// [`crate::plots::live::draw_columns`]).
pub fn live_view(live: &Live) -> Html {
    let (big, detail, color) = readout(live);
    let plain = color.is_none();
    let stale = live.reading.as_ref().is_some_and(|r| r.prediction.is_none());
    let bars = live.last.as_deref().map(|p| {
        html! {
            <div class={classes!("live-bars", stale.then_some("stale"))}>
                <ProbabilityBars prediction={p.clone()} testid={None::<&'static str>} caption="Probabilities, last 3 s" />
                <ValenceArousal prediction={p.clone()} trail={live.trail.clone()} />
            </div>
        }
    });
    html! {
        <section class="card live" data-testid="live-view" aria-label="Live emotion">
            <div class="live-readout" style={color.map(|c| format!("--emotion: {c}"))}>
                <p class="eyebrow">{ "Now, while you speak" }</p>
                <p class={classes!("live-emotion", plain.then_some("plain"))} data-testid="live-emotion" data-updated={updated(live)}
                   data-seq={live.seq.to_string()} data-named-at={live.named_at.to_string()}
                   data-model-ms={format!("{:.2}", live.model_ms)} aria-live="off">{ big }</p>
                <p class="confidence">{ detail }</p>
            </div>
            { for bars }
            { live_strip(live, false) }
        </section>
    }
}
