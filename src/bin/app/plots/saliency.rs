//! The explanation map over the log-mel spectrogram: a transparent canvas laid on the
//! spectrogram's, in the same plot area, that dims each patch by how little hiding it changed
//! the answer, so the regions the answer rested on stay bright; the strongest is outlined.

use web_sys::HtmlCanvasElement;

use super::{context_2d, fit_canvas, heatmap};
use ser::model::Explanation;

/// How dark a patch that did not support the answer is drawn (0..1).
pub const MAX_DIM: f64 = 0.78;

pub fn draw(canvas: &HtmlCanvasElement, map: &Explanation) -> Result<(), String> {
    let s = fit_canvas(canvas);
    let ctx = context_2d(canvas)?;
    ctx.clear_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    let (x0, y0, x1, y1) = heatmap::plot_rect(canvas.width(), canvas.height(), s);
    let strongest = map.saliency.iter().flatten().fold(0f32, |m, &v| m.max(v)) as f64;
    let (pf, pb) = (map.patch_frames.max(1), map.patch_bands.max(1));
    let x = |frame: usize| (x0 + (x1 - x0) * frame.min(map.frames) as f64 / map.frames.max(1) as f64).round();
    let y = |band: usize| (y1 - (y1 - y0) * band.min(map.bands) as f64 / map.bands.max(1) as f64).round();
    let rect = |t: usize, b: usize| (x(t * pf), y((b + 1) * pb), x((t + 1) * pf), y(b * pb));
    for (t, row) in map.saliency.iter().enumerate() {
        for (b, &v) in row.iter().enumerate() {
            let share = if strongest > 0.0 { (v as f64 / strongest).clamp(0.0, 1.0) } else { 0.0 };
            ctx.set_fill_style_str(&format!("rgba(0,0,0,{:.3})", MAX_DIM * (1.0 - share)));
            let (xa, ya, xb, yb) = rect(t, b);
            ctx.fill_rect(xa, ya, xb - xa, yb - ya);
        }
    }
    if let Some(p) = map.strongest().filter(|p| p.saliency > 0.0) {
        let (xa, ya, xb, yb) = rect(p.time_patch, p.band_group);
        ctx.set_stroke_style_str("#00e5ff");
        ctx.set_line_width(2.0 * s);
        ctx.stroke_rect(xa + s, ya + s, xb - xa - 2.0 * s, yb - ya - 2.0 * s);
    }
    Ok(())
}
