//! Time × row heatmaps (log-mel spectrogram, MFCC) with a colour bar. The cells go to the
//! canvas as one ImageData, scaled into the plot area by drawImage; plotters draws the axes.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::{Theme, context_2d, css, draw_err, fit_canvas, label_font};
use ser::Features;
use ser::dsp::{FeatureParams, hz_to_mel, mel_to_hz};

/// What the rows are.
pub enum Rows {
    /// Mel bands between these frequencies (Slaney mel scale, as the core's filterbank).
    Mel { fmin: f64, fmax: f64 },
    /// Coefficient numbers 0..n.
    Index,
}

pub struct Heatmap<'a> {
    /// Frame-major: `n_frames` rows of `n_rows` values.
    pub values: &'a [f32],
    pub n_frames: usize,
    pub n_rows: usize,
    pub seconds_per_frame: f64,
    pub rows: Rows,
    /// Values mapped to the ends of the colour map (clamped outside).
    pub range: (f32, f32),
    pub gradient: colorous::Gradient,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    /// Caption under the colour bar.
    pub unit: &'a str,
}

/// Canvases cannot be arbitrarily wide; long clips are thinned to this many columns.
const MAX_COLUMNS: usize = 2048;

/// The log-mel spectrogram the model reads, in dB, 80 dB of range below its loudest cell.
pub fn log_mel(features: &Features, sample_rate: u32) -> Heatmap<'_> {
    // The model's parameters equal the core's defaults (the model refuses to load otherwise).
    let params = FeatureParams::default();
    let top = features.log_mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Heatmap {
        values: &features.log_mel,
        n_frames: features.n_frames,
        n_rows: features.n_mels,
        seconds_per_frame: params.hop_length as f64 / sample_rate as f64,
        rows: Rows::Mel { fmin: params.fmin, fmax: params.fmax },
        range: (top - 80.0, top),
        gradient: colorous::MAGMA,
        x_desc: "time (s), silence removed",
        y_desc: "frequency (Hz)",
        unit: "dB",
    }
}

/// The plot area (x0, y0, x1, y1 in canvas pixels) that [`draw_scaled`] gives a canvas of
/// this size: the same margins and label areas, so a layer on top lines up with the cells.
pub fn plot_rect(width: u32, height: u32, s: f64) -> (f64, f64, f64, f64) {
    let main = width.saturating_sub((BAR_W * s) as u32) as f64;
    ((LEFT_W * s).trunc(), (TOP_M * s).trunc(), main - (RIGHT_M * s).trunc(), height as f64 - (BOTTOM_H * s).trunc())
}

/// Margins and label areas of the plot, CSS pixels.
const BAR_W: f64 = 84.0;
const LEFT_W: f64 = 64.0;
const TOP_M: f64 = 8.0;
const RIGHT_M: f64 = 6.0;
const BOTTOM_H: f64 = 40.0;

/// Draws on a canvas sized to its box on the page.
pub fn draw(canvas: &HtmlCanvasElement, map: &Heatmap, theme: &Theme) -> Result<(), String> {
    let s = fit_canvas(canvas);
    draw_scaled(canvas, map, theme, s)
}

/// Draws on a canvas of any size (one not on the page too), text and margins times `s`.
pub fn draw_scaled(canvas: &HtmlCanvasElement, map: &Heatmap, theme: &Theme, s: f64) -> Result<(), String> {
    let ctx = context_2d(canvas)?;
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("This browser cannot draw on a canvas.")?;
    let root = backend.into_drawing_area();
    root.fill(&theme.bg).map_err(draw_err)?;
    let bar_width = (BAR_W * s) as u32;
    let (main, bar) = root.split_horizontally(canvas.width().saturating_sub(bar_width));
    let (top, bottom) = (TOP_M * s, BOTTOM_H * s);

    let duration = (map.n_frames as f64 * map.seconds_per_frame).max(1e-3);
    let (y_range, ticks) = match map.rows {
        Rows::Mel { fmin, fmax } => {
            let hz = [0.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0];
            let ticks: Vec<f64> = hz.iter().filter(|&&f| f >= fmin && f <= fmax).map(|&f| hz_to_mel(f)).collect();
            (hz_to_mel(fmin)..hz_to_mel(fmax), ticks)
        }
        Rows::Index => {
            let n = map.n_rows as f64;
            let ticks = (0..map.n_rows).step_by(10).map(|i| i as f64).collect();
            (-0.5..n - 0.5, ticks)
        }
    };
    let y_label = |v: f64| match map.rows {
        Rows::Mel { .. } => {
            let hz = mel_to_hz(v);
            if hz >= 1000.0 { format!("{}k", (hz / 1000.0).round()) } else { format!("{}", hz.round()) }
        }
        Rows::Index => format!("{}", v.round()),
    };

    let mut chart = ChartBuilder::on(&main)
        .margin_top(top)
        .margin_right(RIGHT_M * s)
        .x_label_area_size(bottom)
        .y_label_area_size(LEFT_W * s)
        .build_cartesian_2d(0f64..duration, y_range)
        .map_err(draw_err)?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let lut = lookup(map.gradient);
    blit(
        &ctx,
        map.values,
        map.n_frames,
        map.n_rows,
        map.range,
        &lut,
        (xs.start, ys.start, xs.end - xs.start, ys.end - ys.start),
    )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels((((xs.end - xs.start) as f64 / s) / 64.0).clamp(2.0, 8.0) as usize)
        .y_labels(0)
        .x_desc(map.x_desc)
        .y_desc(map.y_desc)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .label_style(label_font(s, theme.fg))
        .axis_desc_style(label_font(s, theme.fg))
        .axis_style(theme.muted)
        .draw()
        .map_err(draw_err)?;
    // Row ticks at round values (plotters would put them at round mel numbers, not round Hz).
    ctx.set_fill_style_str(&css(theme.fg));
    ctx.set_stroke_style_str(&css(theme.muted));
    ctx.set_line_width(s);
    ctx.set_font(&format!("{}px sans-serif", (14.0 * s).round()));
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for v in ticks {
        let (_, py) = chart.backend_coord(&(0.0, v));
        let x0 = xs.start as f64;
        ctx.begin_path();
        ctx.move_to(x0 - 5.0 * s, py as f64 + 0.5);
        ctx.line_to(x0, py as f64 + 0.5);
        ctx.stroke();
        let _ = ctx.fill_text(&y_label(v), x0 - 8.0 * s, py as f64);
    }

    // Colour bar: the same map, low values at the bottom, labelled in the data's unit.
    let (lo, hi) = (map.range.0 as f64, map.range.1 as f64);
    let mut bar_chart = ChartBuilder::on(&bar)
        .margin_top(top)
        .margin_left(10.0 * s)
        .x_label_area_size(bottom)
        .set_label_area_size(LabelAreaPosition::Right, 50.0 * s)
        .build_cartesian_2d(0f64..1f64, lo..hi)
        .map_err(draw_err)?;
    let (bx, by) = bar_chart.plotting_area().get_pixel_range();
    let ramp: Vec<f32> = (0..256).map(|i| map.range.0 + (map.range.1 - map.range.0) * i as f32 / 255.0).collect();
    blit(&ctx, &ramp, 1, 256, map.range, &lut, (bx.start, by.start, bx.end - bx.start, by.end - by.start))?;
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(6)
        .x_desc(map.unit)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(label_font(s, theme.fg))
        .axis_desc_style(label_font(s, theme.fg))
        .axis_style(theme.muted)
        .draw()
        .map_err(draw_err)?;
    root.present().map_err(draw_err)?;
    Ok(())
}

fn lookup(gradient: colorous::Gradient) -> Vec<[u8; 3]> {
    (0..256).map(|i| gradient.eval_rational(i, 256).into_array()).collect()
}

/// Paints a frame-major matrix into `rect` (x, y, w, h in canvas pixels), row 0 at the bottom.
fn blit(
    ctx: &CanvasRenderingContext2d,
    values: &[f32],
    n_frames: usize,
    n_rows: usize,
    (lo, hi): (f32, f32),
    lut: &[[u8; 3]],
    (x, y, w, h): (i32, i32, i32, i32),
) -> Result<(), String> {
    if n_frames == 0 || n_rows == 0 || w <= 0 || h <= 0 {
        return Ok(());
    }
    let columns = n_frames.min(MAX_COLUMNS);
    let span = (hi - lo).max(1e-6);
    let mut rgba = vec![0u8; columns * n_rows * 4];
    for c in 0..columns {
        let t = c * n_frames / columns;
        let frame = &values[t * n_rows..(t + 1) * n_rows];
        for (r, &v) in frame.iter().enumerate() {
            let k = (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as usize;
            let [cr, cg, cb] = lut[k];
            let i = ((n_rows - 1 - r) * columns + c) * 4;
            rgba[i..i + 4].copy_from_slice(&[cr, cg, cb, 255]);
        }
    }
    let err = |e: wasm_bindgen::JsValue| format!("A chart could not be drawn ({}).", crate::web::js_text(e));
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), columns as u32, n_rows as u32).map_err(err)?;
    // Paint at natural size on a scratch canvas, then let drawImage scale it into the plot.
    let scratch: HtmlCanvasElement = gloo::utils::document().create_element("canvas").map_err(err)?.unchecked_into();
    scratch.set_width(columns as u32);
    scratch.set_height(n_rows as u32);
    context_2d(&scratch)?.put_image_data(&image, 0.0, 0.0).map_err(err)?;
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&scratch, x as f64, y as f64, w as f64, h as f64)
        .map_err(err)?;
    Ok(())
}
