//! "Calibrate to my voice": the person reads a sentence in their everyday voice (or gives
//! recordings of it), the compute side makes a baseline of it, and later results are relative
//! to that voice. Also the line that says a baseline is in use, with "Forget my voice".

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::compute::BaselineInfo;
use crate::state::{Phase, Voice};
use crate::voice_store::made_at;

/// Sentences to read: plain, emotionally flat, a few seconds each. The n-th recording of this
/// visit gets the n-th, so a second one sounds different and the baseline covers more sounds.
pub const SENTENCES: &[&str] = &[
    "The train to the coast leaves at ten past nine, and I will take a book for the journey.",
    "On Saturday we planted tomatoes in the garden, then walked down to the market for bread.",
    "The library opens at eight on weekdays, and the second floor is kept for quiet reading.",
];

/// The shortest calibration recording: a whole sentence, with room for the pauses the
/// silence trimming removes (the baseline needs 2 s of speech).
pub const MIN_RECORDING_S: f64 = 4.0;

#[derive(Properties, PartialEq)]
pub struct VoicePanelProps {
    pub voice: Voice,
    /// The microphone is recording (or starting) for this panel.
    pub recording_here: Option<Phase>,
    /// The microphone or an analysis is busy elsewhere on the page.
    pub busy_elsewhere: bool,
    pub on_record: Callback<()>,
    pub on_stop: Callback<()>,
    pub on_files: Callback<Vec<web_sys::File>>,
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

#[function_component(VoicePanel)]
pub fn voice_panel(props: &VoicePanelProps) -> Html {
    let voice = &props.voice;
    let busy = voice.making || props.busy_elsewhere || props.recording_here.is_some();
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files: Vec<web_sys::File> =
                input.files().map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect()).unwrap_or_default();
            // Choosing the same files again should use them again.
            input.set_value("");
            if !files.is_empty() {
                on_files.emit(files);
            }
        })
    };

    let sentence = SENTENCES[voice.clips_this_visit % SENTENCES.len()];
    let recording = props.recording_here.is_some();
    let set = voice.baseline.is_some();
    // Once a baseline is in use the panel steps back: the sentence shows when the person
    // starts to read it, and the result stays near the top of a phone's screen.
    let show_sentence = !set || recording;
    let record_label = match (set, voice.clips_this_visit) {
        (false, _) => "Record the sentence",
        (true, 0) => "Record a new baseline",
        (true, 1) => "Read a second sentence",
        (true, _) => "Read another sentence",
    };
    let record = match &props.recording_here {
        Some(Phase::MicStarting) => html! {
            <button type="button" class="button record" disabled=true>{ "Starting the microphone…" }</button>
        },
        Some(Phase::Recording { elapsed_s, level }) => {
            let early = *elapsed_s < MIN_RECORDING_S;
            html! {
                <>
                    <button type="button" class="button record active" aria-pressed="true" disabled={early}
                            data-testid="voice-stop" onclick={props.on_stop.reform(|_: MouseEvent| ())}>
                        <span class="dot" aria-hidden="true"></span>
                        { if early { "Keep reading…" } else { "Stop and use it" } }
                    </button>
                    <div class="meter-row">
                        <meter min="0" max="1" low="0.15" high="0.9" optimum="0.6" value={level.to_string()}
                               aria-label="Microphone input level"></meter>
                        <span class="elapsed" aria-live="off">{ clock(*elapsed_s) }</span>
                    </div>
                </>
            }
        }
        _ => html! {
            <button type="button" class="button record" aria-pressed="false" disabled={busy}
                    data-testid="voice-record" onclick={props.on_record.reform(|_: MouseEvent| ())}>
                <span class="dot" aria-hidden="true"></span>{ record_label }
            </button>
        },
    };

    let intro = match (&voice.baseline, recording) {
        (_, true) => "Read the sentence aloud in your everyday voice, then stop.".to_string(),
        (Some(b), false) if voice.clips_this_visit > 0 => format!(
            "Your results are compared with your voice ({}). Reading one more sentence makes the baseline steadier.",
            made_of(b)
        ),
        (Some(b), false) => format!(
            "Your results are compared with the voice baseline you recorded on {}. You can record a new one.",
            made_at(b.made_ms)
        ),
        (None, false) => "Voices differ: the model may hear yours as sad or angry when you are neither. \
                          Read this sentence aloud in your everyday voice, and results are compared with how you usually sound."
            .into(),
    };

    html! {
        <section class="card voice" aria-labelledby="voice-title" data-testid="voice-panel">
            <h2 id="voice-title">{ "Calibrate to my voice" }</h2>
            <p class="voice-intro" data-testid="voice-intro">{ intro }</p>
            if show_sentence {
                <blockquote class="read-aloud" data-testid="voice-sentence"><p>{ sentence }</p></blockquote>
            }
            <div class="voice-actions">
                { record }
                <input id="voice-file-input" class="visually-hidden" type="file" multiple=true
                       data-testid="voice-file-input" accept="audio/*,.wav,.flac,.mp3,.ogg,.oga,.m4a,.webm,.opus"
                       disabled={busy} {onchange} />
                <label for="voice-file-input" class={classes!("button", busy.then_some("disabled"))}>
                    { if voice.clips_this_visit > 0 { "Add recordings of my voice" } else { "Use recordings of my voice" } }
                </label>
            </div>
            if !set {
                <p class="hint">
                    { format!("Read for at least {} s, or choose one or more recordings of your everyday voice (together at least 2 s of speech). ", MIN_RECORDING_S as u32) }
                    { "Use the microphone and room you will record in. Only a summary of how your voice sounds is kept, in this browser; never the audio." }
                </p>
            }
            if voice.making {
                <p class="voice-status" role="status" data-testid="voice-making">{ "Checking your voice…" }</p>
            }
            if let Some(error) = &voice.error {
                <p class="error-inline voice-error" role="alert" data-testid="voice-error">{ error }</p>
            }
            if let Some(notice) = &voice.notice {
                <p class="voice-status" role="status" data-testid="voice-notice">{ notice }</p>
            }
        </section>
    }
}

/// "2 recordings, 5.2 s of speech".
fn made_of(b: &BaselineInfo) -> String {
    let plural = if b.clips == 1 { "" } else { "s" };
    format!("{} recording{plural}, {:.1} s of speech", b.clips, b.speech_s)
}

#[derive(Properties, PartialEq)]
pub struct VoiceLineProps {
    pub baseline: BaselineInfo,
    pub on_forget: Callback<()>,
}

/// The line shown while a baseline is in use, so nobody mistakes a relative result for a
/// general one.
#[function_component(VoiceLine)]
pub fn voice_line(props: &VoiceLineProps) -> Html {
    html! {
        <p class="voice-line" data-testid="voice-baseline">
            <span>{ format!("Compared with your voice (baseline recorded {})", made_at(props.baseline.made_ms)) }</span>
            <span class="voice-line-sep" aria-hidden="true">{ " · " }</span>
            <button type="button" class="link-button" data-testid="forget-voice"
                    onclick={props.on_forget.reform(|_: MouseEvent| ())}>{ "Forget my voice" }</button>
        </p>
    }
}
