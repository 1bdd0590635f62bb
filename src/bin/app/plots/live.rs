//! Live mode's scrolling log-mel spectrogram: a canvas one pixel per frame and per mel band,
//! scaled by CSS. Each chunk shifts what is drawn left by its new columns and draws only
//! those (one ImageData); nothing is redrawn from data (a canvas shown mid-recording copies the
//! other one's pixels).

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{HtmlCanvasElement, ImageData};

use super::context_2d;

/// The canvases that show it: the page's live view and the presenter's.
pub const CANVAS_IDS: [&str; 2] = ["live-spectrogram", "live-spectrogram-present"];
/// Columns on show: 6 s of 10 ms frames.
pub const COLUMNS: u32 = 600;
/// The range drawn, dB below the loudest cell so far (the log-mel's own `top_db`).
const RANGE_DB: f32 = 80.0;

/// Adds `rows` (frame-major log-mel rows in dB) at the right edge of every live canvas on
/// the page, coloured from `peak_db - 80` (black) to `peak_db` (white-yellow).
pub fn draw_columns(rows: &[f32], peak_db: f32) {
    let document = gloo::utils::document();
    let n_mels = ser::FeatureParams::default().n_mels;
    let n = rows.len() / n_mels;
    if n == 0 {
        return;
    }
    let mut pixels = vec![0u8; n * n_mels * 4];
    for (t, row) in rows.chunks_exact(n_mels).enumerate() {
        for (m, &v) in row.iter().enumerate() {
            let c = colorous::MAGMA.eval_continuous(((v - peak_db + RANGE_DB) / RANGE_DB).clamp(0.0, 1.0) as f64);
            // Low frequencies at the bottom.
            let at = ((n_mels - 1 - m) * n + t) * 4;
            pixels[at..at + 4].copy_from_slice(&[c.r, c.g, c.b, 255]);
        }
    }
    let canvases: Vec<HtmlCanvasElement> =
        CANVAS_IDS.iter().filter_map(|id| document.get_element_by_id(id)?.dyn_into().ok()).collect();
    // A canvas shown mid-recording (presenter mode turned on) starts from what the other one
    // shows, so it is not blank for its first 6 s; both then take this chunk alike.
    if let Some(drawn) = canvases.iter().find(|c| c.has_attribute("data-drawn")) {
        for fresh in canvases.iter().filter(|c| !c.has_attribute("data-drawn")) {
            if let Ok(ctx) = context_2d(fresh) {
                let _ = ctx.draw_image_with_html_canvas_element(drawn, 0.0, 0.0);
            }
        }
    }
    for canvas in &canvases {
        let Ok(ctx) = context_2d(canvas) else { continue };
        let _ = canvas.set_attribute("data-drawn", "");
        let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), n as u32, n_mels as u32) else {
            continue;
        };
        // A new canvas (a new recording) brings its view into sight, and again once the
        // first bars make it taller: all of it on a laptop, its top on a phone.
        if let Some(view) = canvas.closest("section").ok().flatten() {
            let seen = canvas.get_attribute("data-seen").unwrap_or_default();
            let bars = view.query_selector(".live-bars").ok().flatten().is_some();
            if seen != "bars" && (bars || seen.is_empty()) {
                let _ = canvas.set_attribute("data-seen", if bars { "bars" } else { "start" });
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                view.scroll_into_view_with_scroll_into_view_options(&options);
            }
        }
        let _ = ctx.draw_image_with_html_canvas_element(canvas, -(n as f64), 0.0);
        let _ = ctx.put_image_data(&image, canvas.width() as f64 - n as f64, 0.0);
    }
}
