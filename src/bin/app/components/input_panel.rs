//! The three ways in: a file (picker or drag & drop), the microphone, or a bundled sample.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::audio_in::mic::MAX_SECONDS;
use crate::compute::engine::MAX_FILE_MB;
use crate::state::Phase;
use ser::audio::DecodeLimits;

/// Bundled RAVDESS clips (static/samples, CC BY-NC-SA 4.0): (file, button text, speaker).
pub const SAMPLES: &[(&str, &str, &str)] = &[
    ("ravdess-actor03-angry.flac", "Angry", "male actor"),
    ("ravdess-actor08-sad.flac", "Sad", "female actor"),
    ("ravdess-actor11-happy.flac", "Happy", "male actor"),
    ("ravdess-actor14-fearful.flac", "Fearful", "female actor"),
];

#[derive(Properties, PartialEq)]
pub struct InputPanelProps {
    pub phase: Phase,
    /// The voice calibration is recording or being checked: the inputs wait.
    #[prop_or_default]
    pub busy_elsewhere: bool,
    pub on_file: Callback<web_sys::File>,
    /// (display name, URL)
    pub on_sample: Callback<(String, String)>,
    pub on_record: Callback<()>,
    pub on_stop: Callback<()>,
}

/// The longest recording the page analyses, in words ("20 minutes"), from the core's limit.
fn longest_recording() -> String {
    let seconds = DecodeLimits::default().max_seconds;
    let minutes = seconds / 60.0;
    if minutes >= 1.0 && minutes.fract() == 0.0 {
        format!("{minutes} minute{}", if minutes == 1.0 { "" } else { "s" })
    } else {
        format!("{} seconds", seconds.round())
    }
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[function_component(InputPanel)]
pub fn input_panel(props: &InputPanelProps) -> Html {
    let recording = props.busy_elsewhere || matches!(props.phase, Phase::MicStarting | Phase::Recording { .. });
    let onchange = {
        let on_file = props.on_file.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_file.emit(file);
            }
            // Choosing the same file again should analyse it again.
            input.set_value("");
        })
    };

    let record = match &props.phase {
        Phase::MicStarting => html! {
            <button type="button" class="button record" disabled=true>{ "Starting the microphone…" }</button>
        },
        Phase::Recording { elapsed_s, level } => html! {
            <>
                <button type="button" class="button record active" aria-pressed="true"
                        onclick={props.on_stop.reform(|_: MouseEvent| ())}>
                    <span class="dot" aria-hidden="true"></span>{ "Stop and analyse" }
                </button>
                <div class="meter-row">
                    <meter min="0" max="1" low="0.15" high="0.9" optimum="0.6" value={level.to_string()}
                           aria-label="Microphone input level"></meter>
                    <span class="elapsed" aria-live="off">{ format!("{} / {}", clock(*elapsed_s), clock(MAX_SECONDS)) }</span>
                </div>
            </>
        },
        _ => html! {
            <button type="button" class="button record" aria-pressed="false" disabled={props.busy_elsewhere}
                    onclick={props.on_record.reform(|_: MouseEvent| ())}>
                <span class="dot" aria-hidden="true"></span>{ "Record from the microphone" }
            </button>
        },
    };

    html! {
        <section class="inputs" aria-label="Choose audio">
            <div class="card input-file">
                <h2>{ "Analyse a recording" }</h2>
                <input id="file-input" class="visually-hidden" type="file" data-testid="file-input"
                       accept="audio/*,.wav,.flac,.mp3,.ogg,.oga,.m4a,.webm,.opus"
                       disabled={recording} {onchange} />
                <label for="file-input" class="button primary">{ "Choose an audio file" }</label>
                <p class="hint" data-testid="file-hint">
                    { "…or drop one anywhere on this page. WAV and FLAC work everywhere; MP3, OGG, M4A and WebM wherever the browser can play them. " }
                    { format!("Recordings up to {} (files up to {} MB) are analysed.", longest_recording(), MAX_FILE_MB) }
                </p>
            </div>
            <div class="card input-mic">
                <h2>{ "Record your voice" }</h2>
                { record }
                <p class="hint">{ format!("Speak a sentence with feeling. Recording stops by itself after {} s.", MAX_SECONDS as u32) }</p>
            </div>
            <div class="card input-samples">
                <h2>{ "Try a sample" }</h2>
                <ul class="samples">
                    { for SAMPLES.iter().map(|&(file, emotion, speaker)| {
                        let on_sample = props.on_sample.clone();
                        let name = file.to_string();
                        let url = format!("samples/{file}");
                        let onclick = Callback::from(move |_: MouseEvent| on_sample.emit((name.clone(), url.clone())));
                        html! {
                            <li>
                                <button type="button" class="button" disabled={recording} {onclick}
                                        aria-label={format!("Analyse the sample clip: {emotion}, {speaker}")}>
                                    { emotion }<span class="sub">{ speaker }</span>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
                <p class="hint">{ "Acted clips from RAVDESS (CC BY-NC-SA 4.0), credited below." }</p>
            </div>
        </section>
    }
}
