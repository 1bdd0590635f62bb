//! Canvas drawings. plotters (through plotters-canvas) draws axes, labels and vector shapes;
//! image-like data (spectrogram, MFCC, colour bars) goes to the canvas as one ImageData.

pub mod heatmap;
pub mod live;
pub mod prosody;
pub mod saliency;
pub mod waveform;

use plotters::prelude::IntoFont;
use plotters::style::{RGBColor, TextStyle};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::web;

/// Colours for drawings, following the page's light or dark scheme.
#[derive(Clone, Copy)]
pub struct Theme {
    pub bg: RGBColor,
    pub fg: RGBColor,
    pub muted: RGBColor,
    pub wave: RGBColor,
    pub silence: RGBColor,
    /// The pitch and loudness lines under the waveform.
    pub pitch: RGBColor,
    pub loudness: RGBColor,
}

impl Theme {
    pub fn current() -> Self {
        if web::prefers_dark() { Self::dark() } else { Self::light() }
    }

    pub fn light() -> Self {
        Theme {
            bg: RGBColor(0xff, 0xff, 0xff),
            fg: RGBColor(0x1d, 0x1b, 0x26),
            muted: RGBColor(0x55, 0x52, 0x69),
            wave: RGBColor(0x4a, 0x35, 0x9a),
            silence: RGBColor(0xb9, 0xb7, 0xc6),
            pitch: RGBColor(0xd9, 0x48, 0x0f),
            loudness: RGBColor(0x0b, 0x72, 0x85),
        }
    }

    pub fn dark() -> Self {
        Theme {
            bg: RGBColor(0x1c, 0x1a, 0x27),
            fg: RGBColor(0xee, 0xed, 0xf5),
            muted: RGBColor(0xb4, 0xb1, 0xc8),
            wave: RGBColor(0xb8, 0xa6, 0xff),
            silence: RGBColor(0x6a, 0x66, 0x80),
            pitch: RGBColor(0xff, 0xa9, 0x4d),
            loudness: RGBColor(0x66, 0xd9, 0xe8),
        }
    }
}

/// Sizes the canvas's pixels to its CSS box times the device pixel ratio, so lines and text
/// stay sharp on high-density screens and projectors. Returns the scale (CSS px → canvas px).
pub fn fit_canvas(canvas: &HtmlCanvasElement) -> f64 {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 3.0);
    let w = canvas.client_width().max(1) as f64;
    let h = canvas.client_height().max(1) as f64;
    canvas.set_width((w * dpr).round() as u32);
    canvas.set_height((h * dpr).round() as u32);
    dpr
}

pub fn context_2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| "This browser cannot draw on a canvas.".to_string())
}

/// A colour as CSS.
pub fn css(c: RGBColor) -> String {
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// Decibels with a true minus sign, to 0.1 dB.
pub fn decibels(db: f64, unit: &str) -> String {
    format!("{:.1} {unit}", db).replace('-', "\u{2212}")
}

/// Axis text, large enough to read on a projector.
pub fn label_font(scale: f64, color: RGBColor) -> TextStyle<'static> {
    ("sans-serif", 14.0 * scale).into_font().color(&color)
}

pub fn draw_err<E: std::fmt::Debug>(e: E) -> String {
    format!("A chart could not be drawn ({e:?}).")
}

/// One colour per emotion, the same in every view, chosen to match what a class expects
/// (angry red, sad blue, …); labels a future model adds fall back to a categorical palette.
pub fn emotion_color(label: &str, index: usize) -> String {
    let known = match label {
        "neutral" => "#7d7b8c",
        "calm" => "#1f9e89",
        "happy" => "#e8a100",
        "sad" => "#3b6fd8",
        "angry" => "#d62828",
        "fearful" => "#8e44ad",
        "disgust" => "#6b8e23",
        "surprised" => "#e0569a",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let c = colorous::TABLEAU10[index % colorous::TABLEAU10.len()];
    format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b)
}
