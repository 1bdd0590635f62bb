//! The result: prediction, probability bars, waveplot with playback and timeline, log-mel
//! spectrogram, MFCC heatmap and export. Draws the canvases one per task, then marks the
//! result as drawn for scripts/bench_web.sh.

use std::cell::Cell;
use std::rc::Rc;

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::download_image::DownloadImage;
use super::export::Export;
use super::playback::Playback;
use super::probabilities::{PredictionCard, ProbabilityBars};
use super::quality::QualityPanel;
use super::timeline::Timeline;
use super::valence_arousal::ValenceArousal;
use crate::audio_in::wav;
use crate::compute::Outcome;
use crate::plots::heatmap::{self, Heatmap, Rows};
use crate::plots::waveform::{self, Envelope};
use crate::plots::{Theme, prosody, saliency};
use crate::state::Explain;
use crate::web;
use ser::dsp::{FeatureParams, ProsodySummary};

#[derive(Properties, PartialEq)]
pub struct ResultProps {
    pub outcome: Rc<Outcome>,
    pub explain: Explain,
    /// The "Explain" toggle switched on (true) or off.
    pub on_explain: Callback<bool>,
}

/// The plots, drawn one per task (see [`draw_all`]).
#[derive(Clone, Copy)]
enum Plot {
    Wave,
    Track,
    Mel,
    Mfcc,
}

/// Draws every plot in tasks of at most about [`SLICE_MS`] (a long clip takes a while per plot);
/// stops if `stale` turns true. Errors become one sentence under the plots.
async fn draw_all(o: Rc<Outcome>, canvases: [NodeRef; 4], stale: Rc<Cell<bool>>) -> Result<(), String> {
    web::mark_step("Drawing the result");
    let theme = Theme::current();
    // The waveplot's envelope a block at a time (each a few ms, however long the recording).
    let mut envelope = Envelope::new(o.analysis.signal.len());
    let mut slices = web::Slices::start(SLICE_MS).await;
    loop {
        if stale.get() {
            return Ok(());
        }
        if envelope.step(&o.analysis.signal, ENVELOPE_BLOCK) {
            break;
        }
        slices.next(0.0).await;
    }
    // A plot is expected to take as long as the last one did; the first, as long as a slice,
    // so it starts a task of its own rather than finishing the envelope's.
    let mut last_ms = SLICE_MS;
    for (canvas, plot) in canvases.iter().zip([Plot::Wave, Plot::Track, Plot::Mel, Plot::Mfcc]) {
        slices.next(last_ms).await;
        if stale.get() {
            return Ok(());
        }
        let began = web::now_ms();
        if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
            draw_one(plot, &o, &c, &theme, &envelope)?;
        }
        last_ms = web::now_ms() - began;
    }
    Ok(())
}

/// The player's audio: a 16 kHz WAV of the analysed signal, so the cursor matches the plots.
/// Made after the result is drawn, so it is not on the way to the answer.
struct PlaybackAudio {
    outcome: Rc<Outcome>,
    url: String,
}

impl Drop for PlaybackAudio {
    fn drop(&mut self) {
        web::revoke_url(&self.url);
    }
}

/// Samples encoded between two yields: about 4 s of audio, a few ms of work.
const ENCODE_BLOCK: usize = 1 << 16;

async fn encode_playback(outcome: Rc<Outcome>, stale: Rc<Cell<bool>>) -> Option<PlaybackAudio> {
    let a = &outcome.analysis;
    let mut wav = wav::header_pcm16(a.signal.len(), a.sample_rate);
    for block in a.signal.chunks(ENCODE_BLOCK) {
        web::yield_now().await;
        if stale.get() {
            return None;
        }
        wav::append_pcm16(block, &mut wav);
    }
    let url = web::blob_url(&wav, "audio/wav").ok()?;
    Some(PlaybackAudio { outcome, url })
}

/// How long one task of drawing may run: a short clip's plots (5-7 ms each) share tasks two by
/// two, a long recording's (20-30 ms each) get one each, and the page stays free either way.
const SLICE_MS: f64 = 12.0;

/// Buckets of the waveplot's envelope per step: a 10-minute recording's 8192 buckets hold about
/// 1,200 samples each, so about 600,000 samples.
const ENVELOPE_BLOCK: usize = 512;

fn draw_one(
    plot: Plot,
    o: &Outcome,
    canvas: &HtmlCanvasElement,
    theme: &Theme,
    envelope: &Envelope,
) -> Result<(), String> {
    let a = &o.analysis;
    let f = &a.features;
    // The model's parameters equal the core's defaults (the model refuses to load otherwise).
    let params = FeatureParams::default();
    let seconds_per_frame = params.hop_length as f64 / a.sample_rate as f64;
    match plot {
        Plot::Wave => waveform::draw(canvas, envelope, a.sample_rate, &a.kept, theme)?,
        Plot::Track => {
            if let Some(track) = &o.report.prosody_track {
                let duration = a.signal.len() as f64 / a.sample_rate as f64;
                prosody::draw(canvas, track, &a.kept, duration, theme)?;
            }
        }
        Plot::Mel => heatmap::draw(canvas, &heatmap::log_mel(f, a.sample_rate), theme)?,
        Plot::Mfcc => {
            // Coefficient 0 (loudness) dwarfs the rest; scale to coefficients 1.. and let 0 clip.
            let reach =
                f.mfcc.chunks(f.n_mfcc.max(1)).flat_map(|row| row.iter().skip(1)).fold(1e-3f32, |m, v| m.max(v.abs()));
            let map = Heatmap {
                values: &f.mfcc,
                n_frames: f.n_frames,
                n_rows: f.n_mfcc,
                seconds_per_frame,
                rows: Rows::Index,
                range: (-reach, reach),
                gradient: colorous::VIRIDIS,
                x_desc: "time (s), silence removed",
                y_desc: "coefficient",
                unit: "value",
            };
            heatmap::draw(canvas, &map, theme)?;
        }
    }
    Ok(())
}

/// "Pitch: median 182 Hz, range 9.4 semitones · Loudness range 23 dB", the figures of
/// `ser predict`'s `prosody`.
fn prosody_line(p: &ProsodySummary) -> String {
    match (p.f0_median_hz, p.f0_range_semitones, p.loudness_range_db) {
        (Some(f0), Some(range), Some(db)) => {
            format!("Pitch: median {f0:.0} Hz, range {range:.1} semitones \u{b7} Loudness range {db:.0} dB")
        }
        _ => "No pitch to show: no part of the recording sounded voiced (noise or whispering has none).".to_string(),
    }
}

#[function_component(ResultView)]
pub fn result_view(props: &ResultProps) -> Html {
    let (wave, track, mel, mfcc) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let generation = use_state(|| 0u32);
    let draw_error = use_state(|| None::<String>);
    let audio = use_state(|| None::<Rc<PlaybackAudio>>);
    // The answer first, the rest of the result a task later: the whole view made in one task
    // was among the page's longest (16-21 ms on the 2-core dev machine under a trace, and a
    // slower laptop takes twice that). `complete` holds the outcome whose full view is shown.
    let complete = use_state(|| None::<Rc<Outcome>>);
    let full = complete.as_ref().is_some_and(|c| Rc::ptr_eq(c, &props.outcome));
    {
        let complete = complete.clone();
        use_effect_with(props.outcome.clone(), move |outcome| {
            let stale = Rc::new(Cell::new(false));
            let (outcome, flag) = (outcome.clone(), stale.clone());
            spawn_local(async move {
                web::yield_now().await;
                if !flag.get() {
                    complete.set(Some(outcome));
                }
            });
            move || stale.set(true)
        });
    }

    // Redraw when the window is resized (debounced) or the colour scheme changes.
    {
        let generation = generation.clone();
        use_effect_with((), move |_| {
            let pending = Rc::new(std::cell::RefCell::new(None::<Timeout>));
            let bump = {
                let generation = generation.clone();
                move || {
                    let g = generation.clone();
                    *pending.borrow_mut() = Some(Timeout::new(120, move || g.set(*g + 1)));
                }
            };
            let window = gloo::utils::window();
            let on_resize = {
                let bump = bump.clone();
                EventListener::new(&window, "resize", move |_| bump())
            };
            let on_scheme = window
                .match_media("(prefers-color-scheme: dark)")
                .ok()
                .flatten()
                .map(|mq| EventListener::new(&mq, "change", move |_| bump()));
            move || drop((on_resize, on_scheme))
        });
    }
    {
        let (wave, track, mel, mfcc, draw_error, audio) =
            (wave.clone(), track.clone(), mel.clone(), mfcc.clone(), draw_error.clone(), audio.clone());
        // Drawn once the canvases are there (the full view).
        use_effect_with((props.outcome.clone(), *generation, full), move |(outcome, _, full)| {
            let stale = Rc::new(Cell::new(false));
            let (outcome, flag) = (outcome.clone(), stale.clone());
            let draw = async move {
                let result = draw_all(outcome.clone(), [wave, track, mel, mfcc], flag.clone()).await;
                if flag.get() {
                    return;
                }
                if let Err(e) = &result {
                    web_sys::console::error_1(&e.into());
                }
                draw_error.set(result.err());
                web::measure_result_drawn();
                // A redraw (resize, colour scheme) keeps the player it has.
                if audio.as_ref().is_some_and(|a| Rc::ptr_eq(&a.outcome, &outcome)) {
                    return;
                }
                if let Some(made) = encode_playback(outcome, flag.clone()).await {
                    audio.set(Some(Rc::new(made)));
                }
            };
            if *full {
                spawn_local(draw);
            }
            move || stale.set(true)
        });
    }

    // The explanation map, on its own canvas over the spectrogram's.
    let overlay = use_node_ref();
    let shown = props.explain.map.clone().filter(|_| props.explain.on);
    {
        let overlay = overlay.clone();
        let map = shown.as_ref().map(|(map, _)| map.clone());
        use_effect_with((map, *generation), move |(map, _)| {
            if let (Some(map), Some(canvas)) = (map, overlay.cast::<HtmlCanvasElement>())
                && let Err(e) = saliency::draw(&canvas, map)
            {
                web_sys::console::error_1(&e.into());
            }
        });
    }
    let explain = &props.explain;
    let toggle = {
        let (on_explain, on) = (props.on_explain.clone(), explain.on);
        Callback::from(move |_: MouseEvent| on_explain.emit(!on))
    };

    let o = &props.outcome;
    let report = &o.report;
    let kept: f64 = report.kept.iter().map(|[a, b]| b - a).sum();
    html! {
        <section class="result" aria-labelledby="result-title" data-testid="result">
            <h2 id="result-title" class="visually-hidden">{ format!("Result for {}", o.name) }</h2>
            <div class="summary card">
                <PredictionCard prediction={report.whole.clone()} name={o.name.clone()} relative_to_voice={report.voice_baseline} />
                <ProbabilityBars prediction={report.whole.clone()} caption="Probability of each emotion (whole clip)" />
                <ValenceArousal prediction={report.whole.clone()} />
            </div>
            if full {
                if let Some(quality) = &report.quality {
                    <QualityPanel quality={quality.clone()} />
                }
                <div class="card">
                    <Playback canvas={wave.clone()} audio_url={audio.as_ref().filter(|a| Rc::ptr_eq(&a.outcome, o)).map(|a| a.url.clone())} duration_s={report.duration_s}>
                        if let (Some(t), Some(p)) = (&report.prosody_track, &report.prosody) {
                            <canvas ref={track} class="plot track-canvas" data-testid="prosody-track" role="img"
                                    data-frames={t.n_frames().to_string()}
                                    data-voiced-frames={t.voiced.iter().filter(|&&v| v).count().to_string()}
                                    aria-label="The voice's pitch and loudness over the same time as the waveform"></canvas>
                            <p class="prosody-summary" data-testid="prosody-summary">{ prosody_line(p) }</p>
                        }
                        if !report.timeline.is_empty() {
                            <Timeline segments={report.timeline.clone()} duration_s={report.duration_s} />
                        }
                    </Playback>
                    <p class="hint">{ format!("{:.2} s recorded, {:.2} s of it analysed after removing silence.", report.duration_s, kept) }</p>
                </div>
                <div class="features">
                    <figure class="card">
                        <figcaption>{ "Log-mel spectrogram: loudness (dB) of each of 64 frequency bands over time. This is what the model reads." }</figcaption>
                        <div class="stack">
                            <canvas ref={mel} class="plot feature-canvas" role="img"
                                    aria-label="Log-mel spectrogram of the analysed audio, frequency in hertz against time"></canvas>
                            if let Some((_, ms)) = &shown {
                                <canvas ref={overlay} class="plot overlay" data-testid="saliency-overlay" role="img"
                                        data-ms={format!("{ms:.1}")}
                                        aria-label="Explanation map over the spectrogram: brighter regions changed the answer most when hidden"></canvas>
                            }
                        </div>
                        <button class="button" data-testid="explain-toggle" aria-pressed={explain.on.to_string()}
                                disabled={explain.running.is_some()} onclick={toggle}>{ "Explain" }</button>
                        if let Some(f) = explain.running {
                            <span class="explaining" role="status">
                                <progress max="1" value={f.to_string()}></progress>{ format!(" Explaining the answer: {:.0} %", 100.0 * f) }
                            </span>
                        }
                        if let (true, Some(e)) = (explain.on, &explain.error) { <p class="error-inline" role="alert">{ e }</p> }
                        if let Some((map, ms)) = &shown {
                            <div class="explain-key">
                                <p>{ "Brighter regions changed the answer most when hidden. " }
                                   { format!(
                                       "Each patch ({:.2} s × {} bands) was hidden in turn and the model asked again.",
                                       map.patch_frames as f64 * map.frame_s, map.patch_bands
                                   ) }</p>
                                <p class="scale">
                                    <span>{ "no change" }</span><span class="ramp" aria-hidden="true"></span>
                                    <span>{ format!("answer {:.2} less likely", map.saliency.iter().flatten().fold(0f32, |m, &v| m.max(v))) }</span>
                                </p>
                                if let Some(p) = map.strongest() {
                                    <p data-testid="explain-most"><strong>{ format!(
                                        "Most: {:.2}–{:.2} s, {:.0}–{:.0} Hz",
                                        p.time_s[0], p.time_s[1], p.band_hz[0], p.band_hz[1]
                                    ) }</strong>{ format!(
                                        " (hiding it lowers “{}” by {:.2}; time without the silence). Explained in {:.2} s.",
                                        map.prediction.emotion(), p.saliency, ms / 1000.0
                                    ) }</p>
                                }
                            </div>
                        }
                    </figure>
                    <figure class="card">
                        <figcaption>{ "MFCC: 40 numbers per frame that summarise the spectrogram's shape; half of the model's networks work on these. Coefficient 0 (overall loudness) is clipped to the colour scale of the others." }</figcaption>
                        <canvas ref={mfcc} class="plot feature-canvas" role="img"
                                aria-label="MFCC heatmap: coefficient number against time"></canvas>
                    </figure>
                </div>
                if let Some(e) = &*draw_error { <p class="error-inline" role="alert">{ e }</p> }
                <div class="card"><Export outcome={o.clone()} explanation={explain.map.as_ref().map(|(m, _)| m.clone())} /><DownloadImage outcome={o.clone()} /></div>
            }
        </section>
    }
}
