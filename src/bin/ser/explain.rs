//! `ser explain`: what the model listened to (`ser::model::explain`, an occlusion map of its
//! log-mel input) and what the voice did (`ser::dsp::prosody`: pitch and loudness on the same
//! frames), one JSON object per file; `--png` draws the map over the spectrogram.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use plotters::prelude::{BitMapBackend, DrawingBackend};
use serde_json::Value;

use crate::cli::{BatchArgs, expand_or_exit, for_each_input};
use crate::inputs::{FileError, Input, analyse, in_file};
use crate::output::{Destination, Format};
use crate::predict::{JudgeArgs, model_and_options};
use ser::dsp::{Features, PitchParams, prosody};
use ser::model::{EmotionModel, Explanation, Report, WHOLE_CLIP_MAX_S, explain};
use ser::pipeline::PipelineOptions;

#[derive(Args)]
pub struct ExplainArgs {
    /// Audio files, folders (searched recursively, in name order) or - for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Also draw the log-mel spectrogram with the saliency over it, as a PNG (one input only).
    #[arg(long, value_name = "OUT.png")]
    pub png: Option<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

pub fn run(args: ExplainArgs) -> ExitCode {
    let (model, options) = match model_and_options(&args.judge) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let inputs = match expand_or_exit(&args.files) {
        Ok(i) => i,
        Err(code) => return code,
    };
    if args.png.is_some() && inputs.len() != 1 {
        eprintln!("--png draws one recording: give one input file, not {}.", inputs.len());
        return ExitCode::from(2);
    }
    let png = args.png.as_deref();
    for_each_input(&inputs, &args.batch, &mut Destination::Stdout, Format::Jsonl, Vec::new(), |input, _| {
        explain_one(&model, input, &options, png).map(|v| format!("{v}\n").into_bytes())
    })
}

/// The explanation and the prosody of one input, as one JSON object; the picture too if asked.
fn explain_one(
    model: &EmotionModel,
    input: &Input,
    options: &PipelineOptions,
    png: Option<&Path>,
) -> Result<Value, FileError> {
    let analysis = analyse(input, options)?;
    // Beyond this the whole-clip answer is a mean of windows, not the one model run explained
    // here, and the runs (one per patch, each over the whole clip) grow with the square.
    if Report::whole_from_windows(model, analysis.features.n_frames) {
        let kept: f64 = analysis.kept_seconds().iter().map(|[a, b]| b - a).sum();
        return Err(FileError::other(format!(
            "{}: {kept:.0} s of speech is more than ser explain handles ({WHOLE_CLIP_MAX_S:.0} s); cut the recording into shorter parts first.",
            input.name
        )));
    }
    let map = explain(model, &analysis.features).map_err(in_file(&input.name))?;
    let params = PitchParams {
        sample_rate: analysis.sample_rate,
        hop_length: model.info().feature_params.hop_length,
        ..PitchParams::default()
    };
    // The kept signal is what the model read, so the pitch frames are the map's frames.
    let track =
        prosody(&analysis.kept_signal(), &params).map_err(|e| FileError::other(format!("{}: {e}.", input.name)))?;
    let mut json = map.to_json(&input.name);
    if let (Some(out), Value::Object(extra)) = (json.as_object_mut(), track.to_json()) {
        out.extend(extra);
    }
    if let Some(path) = png {
        write_png(&map, &analysis.features, path)
            .map_err(|e| FileError::other(format!("{}: cannot write the picture ({e}).", path.display())))?;
    }
    Ok(json)
}

/// Pixels per mel band and the plot's width range: a 4 s clip is about 800 pixels wide.
const BAND_PX: usize = 4;
const MIN_PLOT_W: usize = 480;
const MAX_PLOT_W: usize = 1600;
/// Margins around the plot: tick labels and axis titles on the left and below, the title
/// above, the saliency colour bar and its labels on the right.
const LEFT: usize = 64;
const RIGHT: usize = 110;
const TOP: usize = 34;
const BOTTOM: usize = 52;
/// Saliency at the strongest patch is drawn at this opacity, so the spectrogram stays visible.
const MAX_ALPHA: f64 = 0.7;

fn write_png(map: &Explanation, features: &Features, path: &Path) -> Result<(), String> {
    let picture = render(map, features);
    let mut backend = BitMapBackend::new(path, (picture.width as u32, picture.height as u32));
    backend
        .blit_bitmap((0, 0), (picture.width as u32, picture.height as u32), &picture.rgb)
        .map_err(|e| e.to_string())?;
    backend.present().map_err(|e| e.to_string())
}

/// An RGB image, row by row from the top.
struct Picture {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Picture {
    fn new(width: usize, height: usize) -> Self {
        Self { width, height, rgb: vec![255; width * height * 3] }
    }

    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, c: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    /// Text in the built-in 5×7 font at twice its size, its top left at `(x, y)`.
    fn text(&mut self, x: usize, y: usize, text: &str) {
        const SCALE: usize = 2;
        for (i, ch) in text.chars().enumerate() {
            let rows = glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        let (px, py) = (x + (i * 6 + col) * SCALE, y + r * SCALE);
                        self.rect(px, py, SCALE, SCALE, INK);
                    }
                }
            }
        }
    }
}

const INK: [u8; 3] = [20, 20, 20];
const TEXT_W: usize = 12;
const TEXT_H: usize = 14;

fn text_width(text: &str) -> usize {
    text.chars().count() * TEXT_W
}

/// The log-mel in grey (darker is quieter), the saliency over it in its own colours: warm
/// where hiding the patch lowered the answer (it supported it), blue where it raised it, the
/// opacity growing with the size of the change; axes in s (of the kept audio, joined) and Hz.
fn render(map: &Explanation, features: &Features) -> Picture {
    let (frames, bands) = (features.n_frames.max(1), features.n_mels.max(1));
    let plot_w = (frames * 2).clamp(MIN_PLOT_W, MAX_PLOT_W);
    let plot_h = bands * BAND_PX;
    let mut pic = Picture::new(LEFT + plot_w + RIGHT, TOP + plot_h + BOTTOM);
    let (lo, hi) = features.log_mel.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let span = if hi > lo { (hi - lo) as f64 } else { 1.0 };
    let strongest = map.saliency.iter().flatten().fold(0.0f32, |m, &s| m.max(s.abs())) as f64;
    let (pf, pb) = (map.patch_frames.max(1), map.patch_bands.max(1));
    for y in 0..plot_h {
        let band = (plot_h - 1 - y) * bands / plot_h;
        for x in 0..plot_w {
            let frame = x * frames / plot_w;
            let db = features.log_mel.get(frame * features.n_mels + band).copied().unwrap_or(lo);
            let grey = 25.0 + 200.0 * (db - lo) as f64 / span;
            let base = [grey; 3];
            let s = map.saliency.get(frame / pf).and_then(|row| row.get(band / pb)).copied().unwrap_or(0.0) as f64;
            let c = if strongest > 0.0 { blend(base, s / strongest) } else { base };
            pic.set(LEFT + x, TOP + y, c.map(|v| v.round().clamp(0.0, 255.0) as u8));
        }
    }
    // Axes.
    pic.rect(LEFT - 1, TOP, 1, plot_h + 1, INK);
    pic.rect(LEFT - 1, TOP + plot_h, plot_w + 1, 1, INK);
    let seconds = frames as f64 * map.frame_s;
    let step = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0]
        .into_iter()
        .find(|&s| seconds / s <= plot_w as f64 / 80.0)
        .unwrap_or(60.0);
    let mut t = 0.0;
    while t <= seconds + 1e-9 {
        let x = LEFT + ((t / seconds.max(1e-9)) * plot_w as f64).round() as usize;
        pic.rect(x.min(LEFT + plot_w - 1), TOP + plot_h, 1, 5, INK);
        let label = if step < 1.0 { format!("{t:.1}") } else { format!("{t:.0}") };
        pic.text(x.saturating_sub(text_width(&label) / 2), TOP + plot_h + 8, &label);
        t += step;
    }
    let title = "time (s)";
    pic.text(LEFT + plot_w / 2 - text_width(title) / 2, TOP + plot_h + 8 + TEXT_H + 6, title);
    for (g, hz) in map.band_hz.iter().enumerate() {
        let band = (g * pb).min(bands);
        let y = TOP + plot_h - band * plot_h / bands;
        pic.rect(LEFT - 5, y.min(TOP + plot_h), 5, 1, INK);
        let label = format!("{hz:.0}");
        pic.text(LEFT.saturating_sub(8 + text_width(&label)), y.saturating_sub(TEXT_H / 2), &label);
    }
    pic.text(4, 4, "Hz");
    let emotion = map.prediction.emotion();
    pic.text(LEFT, 8, &format!("{emotion}: saliency over the log-mel"));
    // The saliency's colour bar: +strongest at the top, 0 in the middle, -strongest below.
    let bar_x = LEFT + plot_w + 16;
    for y in 0..plot_h {
        let s = 1.0 - 2.0 * y as f64 / (plot_h - 1).max(1) as f64;
        pic.rect(bar_x, TOP + y, 16, 1, blend([128.0; 3], s).map(|v| v.round().clamp(0.0, 255.0) as u8));
    }
    for (y, label) in [
        (TOP, format!("+{strongest:.2}")),
        (TOP + plot_h / 2, "0".to_string()),
        (TOP + plot_h, format!("-{strongest:.2}")),
    ] {
        pic.text(bar_x + 22, y.saturating_sub(TEXT_H / 2), &label);
    }
    pic
}

/// `base` under the saliency colour of `s` in -1..=1: yellow through red for support, blue
/// against, opaque in proportion to |s|.
fn blend(base: [f64; 3], s: f64) -> [f64; 3] {
    let s = s.clamp(-1.0, 1.0);
    let colour = if s >= 0.0 { [255.0, 60.0 + 195.0 * s, 0.0] } else { [30.0, 110.0, 255.0] };
    let alpha = MAX_ALPHA * s.abs();
    [0, 1, 2].map(|i| base[i] * (1.0 - alpha) + colour[i] * alpha)
}

/// The 5×7 glyphs of the characters the picture writes (rows from the top, 5 bits each); no
/// font file needed, so the binary draws the same labels on any machine.
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '+' => [0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0],
        ':' => [0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'a' => [0, 0, 0x0E, 0x01, 0x0F, 0x11, 0x0F],
        'b' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E],
        'c' => [0, 0, 0x0E, 0x10, 0x10, 0x11, 0x0E],
        'd' => [0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F],
        'e' => [0, 0, 0x0E, 0x11, 0x1F, 0x10, 0x0E],
        'f' => [0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08],
        'g' => [0, 0, 0x0F, 0x11, 0x0F, 0x01, 0x0E],
        'h' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11],
        'i' => [0x04, 0, 0x0C, 0x04, 0x04, 0x04, 0x0E],
        'l' => [0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'm' => [0, 0, 0x1A, 0x15, 0x15, 0x11, 0x11],
        'n' => [0, 0, 0x16, 0x19, 0x11, 0x11, 0x11],
        'o' => [0, 0, 0x0E, 0x11, 0x11, 0x11, 0x0E],
        'p' => [0, 0, 0x1E, 0x11, 0x1E, 0x10, 0x10],
        'r' => [0, 0, 0x16, 0x19, 0x10, 0x10, 0x10],
        's' => [0, 0, 0x0E, 0x10, 0x0E, 0x01, 0x1E],
        't' => [0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06],
        'u' => [0, 0, 0x11, 0x11, 0x11, 0x13, 0x0D],
        'v' => [0, 0, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'w' => [0, 0, 0x11, 0x11, 0x15, 0x15, 0x0A],
        'y' => [0, 0, 0x11, 0x11, 0x0F, 0x01, 0x0E],
        'z' => [0, 0, 0x1F, 0x02, 0x04, 0x08, 0x1F],
        _ => [0; 7],
    }
}
