//! JSON and CSV export through the core's report, the same format `ser predict` prints.

use std::rc::Rc;

use yew::prelude::*;

use crate::audio_in::wav;
use crate::compute::Outcome;
use crate::web;
use ser::model::Explanation;

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub outcome: Rc<Outcome>,
    /// The occlusion map, once the person has run Explain.
    pub explanation: Option<Rc<Explanation>>,
}

fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

#[function_component(Export)]
pub fn export(props: &ExportProps) -> Html {
    let error = use_state(|| None::<String>);
    let save = |kind: &'static str| {
        let (outcome, explanation) = (props.outcome.clone(), props.explanation.clone());
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let o = &outcome;
            let result = match kind {
                "wav" => match &o.recorded {
                    Some((samples, rate, _)) => web::blob_url(&wav::float32(samples, *rate), "audio/wav")
                        .and_then(|url| web::save_url(&format!("{}.wav", stem(&o.name)), url)),
                    None => Ok(()),
                },
                "json" => {
                    let mut json = o.report.to_json(&o.name);
                    // With the map, the fields `ser explain` adds to the prediction.
                    if let (Some(map), Some(out)) = (&explanation, json.as_object_mut()) {
                        out.extend(map.map_json());
                    }
                    // One line, exactly as `ser predict` prints it.
                    let text = serde_json::to_string(&json).unwrap_or_default();
                    web::download(&format!("{}.emotion.json", stem(&o.name)), "application/json", &text)
                }
                _ => web::download(&format!("{}.emotion.csv", stem(&o.name)), "text/csv", &o.report.to_csv(&o.name)),
            };
            error.set(result.err());
        })
    };
    html! {
        <div class="export">
            <h3>{ "Save the result" }</h3>
            <button type="button" class="button" data-testid="export-json" onclick={save("json")}>{ "Download JSON" }</button>
            <button type="button" class="button" data-testid="export-csv" onclick={save("csv")}>{ "Download CSV" }</button>
            // A recording can be saved as it was analysed: uploading the file gives the same result.
            // The counts say that nothing was dropped: frames the recorder posted, frames
            // analysed (at the device's rate) and the 16 kHz samples they became (`data-resampled`).
            if let Some((samples, rate, posted)) = &props.outcome.recorded {
                <button type="button" class="button" data-testid="save-recording" onclick={save("wav")}
                        data-recorded-frames={posted.to_string()} data-analysed-frames={samples.len().to_string()}
                        data-resampled={props.outcome.analysis.signal.len().to_string()} data-rate={rate.to_string()}>
                    { "Download the recording (WAV)" }
                </button>
            }
            <p class="hint">{ "File name, prediction, probabilities, kept intervals, timeline, pitch and loudness, whether it was compared with your voice and, once explained, the map. Saved on this device only." }</p>
            if let Some(e) = &*error { <p class="error-inline" role="alert">{ e }</p> }
        </div>
    }
}
