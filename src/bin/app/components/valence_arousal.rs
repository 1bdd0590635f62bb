//! The result on a valence × arousal plane (an SVG, so it stays sharp on a projector): the
//! point is the core's [`valence_arousal`], the probability-weighted mean of each emotion's
//! place on Russell's circumplex ([`circumplex_angle`]); the page adds no mapping of its own.

use std::rc::Rc;

use yew::prelude::*;

use crate::plots::emotion_color;
use ser::model::{Prediction, circumplex_angle, valence_arousal};

/// Drawing units: the plane is a circle of radius `R` around (`CX`, `CY`), in a 300 × 260 box
/// with room for the labels on every side.
const CX: f64 = 150.0;
const CY: f64 = 130.0;
const R: f64 = 90.0;

fn at(valence: f64, arousal: f64) -> (f64, f64) {
    (CX + R * valence, CY - R * arousal)
}

#[derive(Properties, PartialEq)]
pub struct ValenceArousalProps {
    pub prediction: Prediction,
    /// Live mode: the last few points, oldest first, drawn as a fading trail to the dot.
    #[prop_or_default]
    pub trail: Rc<Vec<(f32, f32)>>,
}

#[function_component(ValenceArousal)]
pub fn valence_arousal_view(props: &ValenceArousalProps) -> Html {
    let p = &props.prediction;
    let (valence, arousal) = valence_arousal(p);
    let (x, y) = at(valence as f64, arousal as f64);
    let color = if p.unsure() { "var(--muted)".to_string() } else { emotion_color(p.emotion(), p.best_index()) };
    // Where each emotion sits, so the dot can be read against them.
    let anchors = p.labels.iter().map(|label| {
        let (ax, ay) = match circumplex_angle(label) {
            Some(deg) => {
                let (sin, cos) = deg.to_radians().sin_cos();
                at(cos, sin)
            }
            None => (CX, CY),
        };
        let anchor = if ax > CX + 1.0 { "start" } else if ax < CX - 1.0 { "end" } else { "middle" };
        let dx = match anchor { "start" => 5.0, "end" => -5.0, _ => 0.0 };
        html! {
            <g class="va-anchor">
                <circle cx={format!("{ax:.1}")} cy={format!("{ay:.1}")} r="2.5" />
                <text x={format!("{:.1}", ax + dx)} y={format!("{:.1}", ay + if ay < CY { -4.0 } else { 12.0 })} text-anchor={anchor}>{ label }</text>
            </g>
        }
    });
    let description = format!(
        "The result on the valence and arousal plane: {} and {}.",
        describe(valence, "pleasant", "unpleasant"),
        describe(arousal, "aroused", "calm or sleepy")
    );
    html! {
        <figure class="va" data-testid="valence-arousal"
                data-valence={format!("{valence:.4}")} data-arousal={format!("{arousal:.4}")}>
            <svg class="va-plane" viewBox="0 0 300 262" role="img" aria-label={description}>
                <circle class="va-rim" cx={CX.to_string()} cy={CY.to_string()} r={R.to_string()} />
                <line class="va-axis" x1={(CX - R - 8.0).to_string()} y1={CY.to_string()} x2={(CX + R + 8.0).to_string()} y2={CY.to_string()} />
                <line class="va-axis" x1={CX.to_string()} y1={(CY - R - 8.0).to_string()} x2={CX.to_string()} y2={(CY + R + 8.0).to_string()} />
                <text class="va-axis-label" x={CX.to_string()} y="14" text-anchor="middle">{ "aroused" }</text>
                <text class="va-axis-label" x={CX.to_string()} y="256" text-anchor="middle">{ "calm / sleepy" }</text>
                <text class="va-axis-label" x="298" y={(CY + 20.0).to_string()} text-anchor="end">{ "pleasant" }</text>
                <text class="va-axis-label" x="2" y={(CY + 20.0).to_string()} text-anchor="start">{ "unpleasant" }</text>
                { for anchors }
                if props.trail.len() > 1 {
                    <polyline class="va-trail" style={format!("stroke: {color}")} points={props.trail.iter().map(|&(v, a)| {
                        let (x, y) = at(v as f64, a as f64);
                        format!("{x:.1},{y:.1}")
                    }).collect::<Vec<_>>().join(" ")} />
                }
                <line class="va-ray" x1={CX.to_string()} y1={CY.to_string()} x2={format!("{x:.1}")} y2={format!("{y:.1}")} style={format!("stroke: {color}")} />
                <circle class="va-dot" data-testid="va-dot" cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="8" style={format!("fill: {color}")} />
            </svg>
            <figcaption>
                { "Derived from the 8 emotion probabilities, not measured: each emotion's place on Russell's circle \
                   of affect, weighted by its probability." }
            </figcaption>
        </figure>
    }
}

fn describe(v: f32, positive: &str, negative: &str) -> String {
    match v {
        v if v > 0.15 => positive.to_string(),
        v if v < -0.15 => negative.to_string(),
        _ => format!("neither {positive} nor {negative}"),
    }
}
