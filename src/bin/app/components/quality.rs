//! The input-quality panel next to the result: what may be wrong with the recording, in
//! sentences first (they are what a person acts on), the figures folded under "Details".

use ser::Quality;
use yew::prelude::*;

use crate::plots::decibels;

#[derive(Properties, PartialEq)]
pub struct QualityProps {
    pub quality: Quality,
}

/// A figure, or a dash where it was not measured.
fn or_dash(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| "\u{2014}".to_string(), show)
}

#[function_component(QualityPanel)]
pub fn quality_panel(props: &QualityProps) -> Html {
    let q = &props.quality;
    let warnings = q.warnings();
    let channels = match q.channels {
        1 => "1 (mono)".to_string(),
        2 => "2 (stereo)".to_string(),
        n => n.to_string(),
    };
    let mut figures = vec![
        ("Peak", decibels(q.peak_dbfs, "dBFS")),
        ("Speech level (RMS)", decibels(q.rms_dbfs, "dBFS")),
        ("Clipped samples", format!("{:.2} %", 100.0 * q.clipped_fraction)),
        ("Speech above background", or_dash(q.snr_db, |v| decibels(v, "dB"))),
        ("Speech after removing silence", format!("{:.2} s", q.speech_s)),
        ("Sound reaches", or_dash(q.bandwidth_hz, |v| format!("{:.1} kHz", v / 1000.0))),
        ("Sample rate of the file", format!("{} Hz", q.source_sample_rate)),
        ("Channels", channels),
    ];
    if let Some(t) = q.truncation {
        figures.push(("Length", format!("{:.2} s present of {:.2} s announced", t.present_s, t.announced_s)));
    }
    html! {
        <section class="card quality" data-testid="quality-panel" aria-labelledby="quality-title">
            <h3 id="quality-title">{ "Recording quality" }</h3>
            if warnings.is_empty() {
                <p class="quality-ok">{ "Nothing looks wrong with the recording: it is like those the model learnt from." }</p>
            } else {
                <ul class="warnings">
                    { for warnings.iter().map(|w| html! { <li data-testid="warning">{ w.clone() }</li> }) }
                </ul>
            }
            <details>
                <summary>{ "Details" }</summary>
                <dl class="quality-figures">
                    { for figures.iter().map(|(name, value)| html! {
                        <div><dt>{ *name }</dt><dd>{ value.clone() }</dd></div>
                    }) }
                </dl>
            </details>
        </section>
    }
}
