//! "Download image": the result card (label, bars, log-mel spectrogram) as a 16:9 PNG for
//! slides, drawn on a canvas in this page and saved as a local file; nothing is sent.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::probabilities::{capitalise, detail};
use crate::compute::Outcome;
use crate::plots::heatmap;
use crate::plots::{Theme, context_2d, css, emotion_color};
use crate::web;

/// The image's size in pixels: 16:9, sharp on a 1080p projector.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 900;

const MARGIN: f64 = 48.0;
const FONT: &str = "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Noto Sans\", \"DejaVu Sans\", sans-serif";

#[derive(Properties, PartialEq)]
pub struct DownloadImageProps {
    pub outcome: Rc<Outcome>,
}

#[function_component(DownloadImage)]
pub fn download_image(props: &DownloadImageProps) -> Html {
    let error = use_state(|| None::<String>);
    let onclick = {
        let (outcome, error) = (props.outcome.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let result = draw(&outcome).and_then(|canvas| save(&canvas, &file_name(&outcome.name), error.clone()));
            error.set(result.err());
        })
    };
    html! {
        <div class="download-image">
            <button type="button" class="button" data-testid="download-image" {onclick}>{ "Download image" }</button>
            <p class="hint">{ "A PNG of the emotion, its bars and the spectrogram, for slides. Made and saved on this device." }</p>
            if let Some(e) = &*error { <p class="error-inline" role="alert">{ e }</p> }
        </div>
    }
}

fn file_name(name: &str) -> String {
    format!("{}.emotion.png", name.rsplit_once('.').map_or(name, |(s, _)| s))
}

fn new_canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, String> {
    let canvas: HtmlCanvasElement = gloo::utils::document()
        .create_element("canvas")
        .map_err(|_| "This browser cannot draw the image.".to_string())?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    Ok(canvas)
}

/// Draws the card in the light scheme (slides are usually light, and a printout too).
fn draw(o: &Outcome) -> Result<HtmlCanvasElement, String> {
    let theme = Theme::light();
    let canvas = new_canvas(WIDTH, HEIGHT)?;
    let ctx = context_2d(&canvas)?;
    let (w, h) = (WIDTH as f64, HEIGHT as f64);
    ctx.set_fill_style_str(&css(theme.bg));
    ctx.fill_rect(0.0, 0.0, w, h);

    let p = &o.report.whole;
    let label = if p.unsure() { "Not sure".to_string() } else { capitalise(p.emotion()) };
    let detail = detail(p);
    let edge = if p.unsure() { css(theme.muted) } else { emotion_color(p.emotion(), p.best_index()) };

    // The label, with the emotion's colour as its edge, as on the page.
    let left = MARGIN;
    let column = 700.0;
    ctx.set_fill_style_str(&edge);
    ctx.fill_rect(left, MARGIN, 14.0, 230.0);
    ctx.set_text_baseline("alphabetic");
    ctx.set_text_align("left");
    text(
        &ctx,
        &format!("Predicted emotion in {}", o.name),
        left + 34.0,
        MARGIN + 34.0,
        28.0,
        false,
        &css(theme.muted),
        column - 34.0,
    );
    let color = if p.unsure() { css(theme.muted) } else { css(theme.fg) };
    text(&ctx, &label, left + 34.0, MARGIN + 150.0, 104.0, true, &color, column - 34.0);
    text(&ctx, &detail, left + 34.0, MARGIN + 212.0, 38.0, true, &css(theme.fg), column - 34.0);

    // Eight bars, one per emotion, the likeliest in bold.
    let best = p.best_index();
    let (top, row) = (MARGIN + 286.0, 54.0);
    let (track_x, track_w) = (left + 190.0, column - 190.0 - 110.0);
    for (i, (emotion, prob)) in p.iter().enumerate() {
        let y = top + row * i as f64;
        let bold = i == best;
        ctx.set_text_align("left");
        text(&ctx, &capitalise(emotion), left, y + 32.0, 30.0, bold, &css(theme.fg), 180.0);
        ctx.set_fill_style_str("#ebe6ff");
        ctx.fill_rect(track_x, y + 8.0, track_w, 32.0);
        ctx.set_fill_style_str(&emotion_color(emotion, i));
        ctx.fill_rect(track_x, y + 8.0, track_w * prob.clamp(0.0, 1.0) as f64, 32.0);
        ctx.set_text_align("right");
        text(&ctx, &format!("{:.0}%", prob * 100.0), left + column, y + 32.0, 30.0, bold, &css(theme.fg), 110.0);
    }

    // The spectrogram the model read, drawn by the page's own plot at a larger scale.
    let (sx, sy) = (left + column + 40.0, MARGIN);
    let (sw, sh) = (w - sx - MARGIN, h - sy - MARGIN - 114.0);
    let spectrogram = new_canvas(sw as u32, sh as u32)?;
    let a = &o.analysis;
    heatmap::draw_scaled(&spectrogram, &heatmap::log_mel(&a.features, a.sample_rate), &theme, 1.5)?;
    ctx.set_text_align("left");
    text(&ctx, "Log-mel spectrogram: what the model reads", sx, sy + 24.0, 26.0, true, &css(theme.fg), sw);
    ctx.draw_image_with_html_canvas_element(&spectrogram, sx, sy + 40.0)
        .map_err(|e| format!("The image could not be drawn ({}).", web::js_text(e)))?;

    // What it is, in one line, on every slide it ends up on.
    ctx.set_fill_style_str(&css(theme.muted));
    ctx.fill_rect(left, h - MARGIN - 46.0, w - 2.0 * MARGIN, 1.0);
    text(
        &ctx,
        "Voice emotion, run on this device. Trained on actors; it hears how something is said, not what is felt, and is often wrong.",
        left,
        h - MARGIN - 8.0,
        24.0,
        false,
        &css(theme.muted),
        w - 2.0 * MARGIN,
    );
    Ok(canvas)
}

#[allow(clippy::too_many_arguments)]
fn text(ctx: &CanvasRenderingContext2d, s: &str, x: f64, y: f64, size: f64, bold: bool, color: &str, max_width: f64) {
    ctx.set_font(&format!("{}{size}px {FONT}", if bold { "700 " } else { "" }));
    ctx.set_fill_style_str(color);
    let _ = ctx.fill_text_with_max_width(s, x, y, max_width);
}

/// Encodes the canvas as PNG (asynchronously, after the click) and downloads it; a failure
/// then is shown through `error`.
fn save(canvas: &HtmlCanvasElement, name: &str, error: UseStateHandle<Option<String>>) -> Result<(), String> {
    let name = name.to_string();
    let on_blob = Closure::once_into_js(move |blob: Option<web_sys::Blob>| {
        let result = match blob {
            Some(blob) => web::download_blob(&name, &blob),
            None => Err("The image could not be encoded as PNG.".to_string()),
        };
        if result.is_err() {
            error.set(result.err());
        }
    });
    canvas
        .to_blob_with_type(on_blob.unchecked_ref(), "image/png")
        .map_err(|e| format!("The image could not be made ({}).", web::js_text(e)))
}
