//! The voice's pitch and loudness under the waveform, on its time axis: the tracks are over the
//! kept audio joined end to end, so each frame is placed back in the recording
//! (`Prosody::recording_time_s`) and the lines break where silence was cut. Plain canvas calls,
//! no chart library: this plot has to stay small.

use web_sys::HtmlCanvasElement;

use super::waveform::{INSET_LEFT, INSET_RIGHT};
use super::{Theme, context_2d, css, fit_canvas};
use ser::dsp::{Interval, Prosody};

/// dB of loudness the plot's height spans, down from the loudest frame's round 10 dB.
const LOUDNESS_RANGE_DB: f64 = 60.0;

pub fn draw(
    canvas: &HtmlCanvasElement,
    track: &Prosody,
    kept: &[Interval],
    duration_s: f64,
    theme: &Theme,
) -> Result<(), String> {
    let s = fit_canvas(canvas);
    let ctx = context_2d(canvas)?;
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    let (x0, x1, y0, y1) = (INSET_LEFT * s, w - INSET_RIGHT * s, 24.0 * s, h - 4.0 * s);
    let x = |t: f64| x0 + (x1 - x0) * (t / duration_s.max(1e-3)).clamp(0.0, 1.0);
    ctx.set_fill_style_str(&css(theme.bg));
    ctx.fill_rect(0.0, 0.0, w, h);

    // The silence removed before analysis, shaded as on the waveform.
    ctx.set_fill_style_str(&css(theme.silence));
    ctx.set_global_alpha(0.6);
    let mut at = 0.0;
    for [a, b] in kept.iter().map(|k| k.seconds(track.params.sample_rate)).chain([[duration_s, f64::MAX]]) {
        if a > at {
            ctx.fill_rect(x(at), y0, x(a) - x(at), y1 - y0);
        }
        at = b;
    }

    // Pitch on a log scale over the voiced frames' range, at least an octave.
    let f0 = |t: usize| track.voiced[t].then(|| track.f0_hz[t] as f64);
    let (lo, hi) = (0..track.n_frames()).filter_map(f0).fold((f64::MAX, 0.0f64), |(l, h), f| (l.min(f), h.max(f)));
    let (mut lo, mut hi) = if hi > 0.0 { (lo, hi) } else { (100.0, 200.0) };
    if hi < 2.0 * lo {
        let middle = (lo * hi).sqrt();
        (lo, hi) = (middle / std::f64::consts::SQRT_2, middle * std::f64::consts::SQRT_2);
    }
    let (lo, hi) = (lo / 1.08, hi * 1.08);
    let pitch_y = |f: f64| y1 - (y1 - y0) * (f / lo).ln() / (hi / lo).ln();
    let top = (track.rms_db.iter().fold(-100.0f32, |m, &v| m.max(v)) as f64 / 10.0).ceil() * 10.0;
    let loudness_y = |db: f64| y1 - (y1 - y0) * ((db - top) / LOUDNESS_RANGE_DB + 1.0).clamp(0.0, 1.0);

    ctx.set_font(&format!("{}px sans-serif", (12.0 * s).round()));
    ctx.set_text_baseline("middle");
    ctx.set_line_width(s);
    ctx.set_stroke_style_str(&css(theme.muted));
    ctx.set_fill_style_str(&css(theme.pitch));
    ctx.set_text_align("right");
    // Round frequencies, skipping those too close to the one below to label.
    let mut below = f64::MAX;
    for f in [50.0, 70.0, 100.0, 150.0, 200.0, 300.0, 400.0, 600.0] {
        let y = pitch_y(f).round() + 0.5;
        if y < y0 || y > y1 || below - y < 18.0 * s {
            continue;
        }
        below = y;
        ctx.set_global_alpha(0.3);
        ctx.begin_path();
        ctx.move_to(x0, y);
        ctx.line_to(x1, y);
        ctx.stroke();
        ctx.set_global_alpha(1.0);
        let _ = ctx.fill_text(&format!("{f:.0} Hz"), x0 - 6.0 * s, y);
    }
    ctx.set_global_alpha(1.0);
    ctx.begin_path();
    ctx.move_to(x0 - 0.5, y0);
    ctx.line_to(x0 - 0.5, y1);
    ctx.stroke();

    // Loudness first, pitch over it; a line breaks at unvoiced frames and cut silence.
    ctx.set_line_width(2.0 * s);
    ctx.set_line_join("round");
    for (line, color) in [theme.loudness, theme.pitch].into_iter().enumerate() {
        ctx.begin_path();
        let mut last = None;
        for t in 0..track.n_frames() {
            let (time, interval) = track.recording_time_s(t, kept);
            let y = if line == 0 { Some(loudness_y(track.rms_db[t] as f64)) } else { f0(t).map(pitch_y) };
            let Some(y) = y else {
                last = None;
                continue;
            };
            if last != Some(interval) {
                // A stub, so a lone voiced frame still shows.
                ctx.move_to(x(time) - s, y);
            }
            ctx.line_to(x(time), y);
            last = Some(interval);
        }
        ctx.set_stroke_style_str(&css(color));
        ctx.stroke();
    }

    // The legend above the plot, with the loudness scale's span.
    let legend_y = 10.0 * s;
    ctx.set_fill_style_str(&css(theme.loudness));
    let span = format!("loudness {:.0} to {:.0} dB \u{2014}", top - LOUDNESS_RANGE_DB, top).replace('-', "\u{2212}");
    let _ = ctx.fill_text(&span, x1, legend_y);
    ctx.set_text_align("left");
    ctx.set_fill_style_str(&css(theme.pitch));
    let _ = ctx.fill_text("\u{2014} pitch (Hz), voiced", 4.0 * s, legend_y);
    Ok(())
}
