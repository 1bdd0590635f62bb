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

/// The signal's lowest and highest sample in each of at most [`Envelope::BUCKETS`] equal
/// stretches: what the waveplot draws. Made a block of buckets at a time ([`Envelope::step`]),
/// since one pass over a 20-minute recording held the page for tens of milliseconds.
pub struct Envelope {
    lo: Vec<f32>,
    hi: Vec<f32>,
    buckets: usize,
    samples: usize,
}

impl Envelope {
    /// Finer than any canvas is wide.
    pub const BUCKETS: usize = 8192;

    pub fn new(samples: usize) -> Self {
        let buckets = samples.clamp(1, Self::BUCKETS);
        Self { lo: Vec::with_capacity(buckets), hi: Vec::with_capacity(buckets), buckets, samples }
    }

    /// Adds up to `count` more buckets of `signal` (the one it was made for); true once all are in.
    pub fn step(&mut self, signal: &[f32], count: usize) -> bool {
        let n = self.samples;
        for _ in 0..count {
            let b = self.lo.len();
            if b == self.buckets {
                break;
            }
            let (start, end) = (b * n / self.buckets, ((b + 1) * n / self.buckets).min(n));
            let (lo, hi) = signal
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            self.lo.push(lo);
            self.hi.push(hi);
        }
        self.lo.len() == self.buckets
    }
}

pub fn draw(
    canvas: &HtmlCanvasElement,
    envelope: &Envelope,
    sample_rate: u32,
    kept: &[Interval],
    theme: &Theme,
) -> Result<(), String> {
    let s = fit_canvas(canvas);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("This browser cannot draw on a canvas.")?;
    let root = backend.into_drawing_area();
    root.fill(&theme.bg).map_err(draw_err)?;

    let samples = envelope.samples;
    let duration = (samples as f64 / sample_rate as f64).max(1e-3);
    let peak = envelope.lo.iter().chain(&envelope.hi).fold(0.0f32, |m, v| m.max(v.abs())).max(0.01) as f64 * 1.05;
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
    let n = envelope.lo.len().max(1);
    let mut upper = Vec::with_capacity(columns * 2);
    let mut lower = Vec::with_capacity(columns);
    for c in 0..columns {
        let a = (c * n / columns).min(n - 1);
        let b = ((c + 1) * n / columns).clamp(a + 1, n);
        let lo = envelope.lo.get(a..b).unwrap_or(&[0.0]).iter().fold(0.0f32, |m, &v| m.min(v));
        let hi = envelope.hi.get(a..b).unwrap_or(&[0.0]).iter().fold(0.0f32, |m, &v| m.max(v));
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
    if at < samples {
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
