//! The waveplot: min/max envelope per pixel column, seconds on the x axis, and the silence the
//! core removed before analysis shaded.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use super::{Theme, draw_err, fit_canvas, label_font};
use ser::dsp::Interval;

/// Plot area insets in CSS pixels, shared with the HTML overlays (playback cursor, emotion
/// timeline) so they line up with the drawn time axis.
pub const INSET_LEFT: f64 = 58.0;
pub const INSET_RIGHT: f64 = 16.0;

pub fn draw(
    canvas: &HtmlCanvasElement,
    signal: &[f32],
    sample_rate: u32,
    kept: &[Interval],
    theme: &Theme,
) -> Result<(), String> {
    let s = fit_canvas(canvas);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("This browser cannot draw on a canvas.")?;
    let root = backend.into_drawing_area();
    root.fill(&theme.bg).map_err(draw_err)?;

    let duration = (signal.len() as f64 / sample_rate as f64).max(1e-3);
    let peak = signal.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(0.01) as f64 * 1.05;
    // Enough decimals that a quiet clip's ticks differ (0.04, not 0.0).
    let decimals = ((-peak.log10()).ceil().max(1.0) as usize).min(4);
    let amplitude_label = move |v: &f64| {
        let text = format!("{v:.decimals$}");
        if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { "0".to_string() } else { text }
    };
    let mut chart = ChartBuilder::on(&root)
        .margin_top(8.0 * s)
        .margin_right(INSET_RIGHT * s)
        .x_label_area_size(40.0 * s)
        .y_label_area_size(INSET_LEFT * s)
        .build_cartesian_2d(0f64..duration, -peak..peak)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(theme.muted.mix(0.25))
        .x_labels(((canvas.client_width() as f64 - INSET_LEFT - INSET_RIGHT) / 64.0).clamp(2.0, 12.0) as usize)
        .y_labels(3)
        .x_desc("time (s)")
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&amplitude_label)
        .label_style(label_font(s, theme.fg))
        .axis_desc_style(label_font(s, theme.fg))
        .axis_style(theme.muted)
        .draw()
        .map_err(draw_err)?;

    // One column per canvas pixel: the envelope as a single polygon, however long the clip.
    let (xs, _) = chart.plotting_area().get_pixel_range();
    let columns = (xs.end - xs.start).max(1) as usize;
    let n = signal.len().max(1);
    let mut upper = Vec::with_capacity(columns * 2);
    let mut lower = Vec::with_capacity(columns);
    for c in 0..columns {
        let a = (c * n / columns).min(n - 1);
        let b = ((c + 1) * n / columns).clamp(a + 1, n);
        let (lo, hi) =
            signal.get(a..b).unwrap_or(&[0.0]).iter().fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let t = (c as f64 + 0.5) / columns as f64 * duration;
        // At least a hairline, so silence still shows as a line.
        let pad = peak * 0.004;
        upper.push((t, hi as f64 + pad));
        lower.push((t, lo as f64 - pad));
    }
    lower.reverse();
    upper.extend(lower);
    chart.draw_series(std::iter::once(Polygon::new(upper, theme.wave.filled()))).map_err(draw_err)?;

    // Shade what the core trimmed away: everything outside the kept intervals.
    let sr = sample_rate as f64;
    let mut gaps = Vec::new();
    let mut at = 0usize;
    for k in kept {
        if k.start > at {
            gaps.push((at as f64 / sr, k.start as f64 / sr));
        }
        at = at.max(k.end);
    }
    if at < signal.len() {
        gaps.push((at as f64 / sr, duration));
    }
    chart
        .draw_series(
            gaps.into_iter().map(|(a, b)| Rectangle::new([(a, -peak), (b, peak)], theme.silence.mix(0.6).filled())),
        )
        .map_err(draw_err)?;
    root.present().map_err(draw_err)?;
    Ok(())
}
