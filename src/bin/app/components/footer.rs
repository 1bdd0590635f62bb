//! About the model, the data and privacy; credits for the sample clips.

use yew::prelude::*;

use crate::state::ModelState;
use ser::model::ModelInput;

#[derive(Properties, PartialEq)]
pub struct FooterProps {
    pub model: ModelState,
}

#[function_component(Footer)]
pub fn footer(props: &FooterProps) -> Html {
    let model = match &props.model {
        ModelState::Ready(i) => {
            let reads = match i.input() {
                Some(ModelInput::LogMel) => {
                    "small neural networks that read the log-mel spectrogram of the audio with silence removed (half of them through its MFCCs), averaged"
                }
                _ => "small neural networks that read 40 MFCCs of the audio with silence removed",
            };
            html! {
                <p>
                    { format!("Model: {} {} (trained {}), {reads}. ", i.name, i.version, i.trained) }
                    { &i.licence }
                </p>
            }
        }
        _ => html! {},
    };
    html! {
        <footer class="about">
            <h2>{ "About" }</h2>
            <p>
                { "The model was trained on acted emotional speech. It is a classroom demonstration, not a lie detector: \
                   real voices are more subtle than actors, and the guess can be wrong." }
            </p>
            { model }
            <p>
                { "Privacy: this page loads only its own files. It contains no analytics, fonts or scripts from elsewhere, \
                   and its Content-Security-Policy stops it from connecting to any other site. \
                   If you calibrate it to your voice, it keeps a summary of how your voice sounds (the average and \
                   spread of the loudness in 64 frequency bands, and the model's scores; no audio) in this browser's storage \
                   until you choose \"Forget my voice\"." }
            </p>
            <p>
                { "Sample clips: " }
                <cite>{ "The Ryerson Audio-Visual Database of Emotional Speech and Song (RAVDESS)" }</cite>
                { ", Livingstone & Russo (2018), PLoS ONE 13(5): e0196391, doi:10.1371/journal.pone.0196391. \
                   Licensed under " }
                <a href="https://creativecommons.org/licenses/by-nc-sa/4.0/" rel="license noreferrer">{ "CC BY-NC-SA 4.0" }</a>
                { "; converted to 16 kHz mono FLAC." }
            </p>
        </footer>
    }
}
