//! `ser predict` and `ser eval`: the shipped model (embedded in the binary) or `--model PATH`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::cli::{Loaded, SilenceArgs, for_each_file, in_file, load_file, open_input, read_input};
use crate::manifest::{default_root, read_manifest};
use ser::SerError;
use ser::model::{EmotionModel, Report};
use ser::model::{Metrics, score};
use ser::pipeline::{PipelineOptions, analyse_16k, analyse_long};
use symphonia::core::io::MediaSource;

#[derive(Args, Clone)]
pub struct ModelArgs {
    /// Use this ONNX model instead of the built-in one. Its description is read from the
    /// same path with a .json extension.
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
}

impl ModelArgs {
    pub fn load(&self) -> Result<EmotionModel, String> {
        match &self.model {
            None => EmotionModel::embedded().map_err(|e| e.to_string()),
            Some(path) => {
                let onnx = read_input(path)?;
                let sidecar_path = path.with_extension("json");
                let sidecar = std::fs::read_to_string(&sidecar_path)
                    .map_err(|e| format!("{}: cannot read the model's description ({e}).", sidecar_path.display()))?;
                EmotionModel::from_bytes(&onnx, &sidecar).map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

#[derive(Args)]
pub struct PredictArgs {
    /// Audio files to classify.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub silence: SilenceArgs,
}

#[derive(Args)]
pub struct EvalArgs {
    /// Manifest CSV with the columns of ../shared/data/manifest.csv (path and emotion are needed).
    #[arg(long)]
    pub manifest: PathBuf,
    /// Folder the manifest's paths are relative to (default: the manifest's folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The report for one file: in memory up to the pipeline's limit, streamed from disk beyond.
pub fn analyse_file(model: &EmotionModel, path: &Path, options: &PipelineOptions) -> Result<Report, String> {
    if let Loaded::Signal(signal) = load_file(path, options)? {
        let analysis = analyse_16k(signal, options).map_err(in_file(path))?;
        return Report::new(model, &analysis).map_err(in_file(path));
    }
    let mut open = || -> ser::Result<Box<dyn MediaSource>> {
        let file = open_input(path).map_err(|e| SerError::Corrupt(format!("it could not be read again ({e})")))?;
        Ok(Box::new(file))
    };
    // On a terminal, say how far a long file is; in a pipe or a log, stay quiet.
    let show = std::io::stderr().is_terminal();
    let mut last = -1i32;
    let mut progress = |fraction: f64| {
        let percent = (fraction * 100.0) as i32;
        if show && percent != last {
            last = percent;
            eprint!("\r{}: analysing a long recording in three passes… {percent:3} %", path.display());
        }
    };
    let report = analyse_long(&mut open, model, options, &mut progress);
    if show {
        eprint!("\r\x1b[2K");
    }
    report.map_err(in_file(path))
}

pub fn options_for(model: &EmotionModel, silence: &SilenceArgs) -> Result<PipelineOptions, String> {
    let mut options = silence.options()?;
    options.params = model.info().feature_params.clone();
    Ok(options)
}

pub fn run_predict(args: PredictArgs) -> ExitCode {
    let model = match args.model.load() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let options = match options_for(&model, &args.silence) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for_each_file(&args.files, |path| {
        analyse_file(&model, path, &options).map(|r| r.to_json(&path.display().to_string()))
    })
}

fn print_table(m: &Metrics, skipped: usize) {
    println!("clips: {}  (skipped, unreadable: {skipped})", m.n);
    println!("accuracy: {:.4}", m.accuracy);
    println!("UAR:      {:.4}", m.uar);
    println!("macro-F1: {:.4}", m.macro_f1);
    println!();
    println!("{:<10} {:>8} {:>9} {:>7} {:>7}", "class", "support", "precision", "recall", "F1");
    for c in &m.per_class {
        println!("{:<10} {:>8} {:>9.3} {:>7.3} {:>7.3}", c.label, c.support, c.precision, c.recall, c.f1);
    }
    println!();
    println!("confusion matrix (rows: true, columns: predicted)");
    print!("{:<10}", "");
    for l in &m.labels {
        print!(" {:>5.5}", l);
    }
    println!();
    for (label, row) in m.labels.iter().zip(&m.confusion) {
        print!("{:<10}", label);
        for v in row {
            print!(" {v:>5}");
        }
        println!();
    }
}

pub fn run_eval(args: EvalArgs) -> ExitCode {
    let model = match args.model.load() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let rows = match read_manifest(&args.manifest) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let root = default_root(&args.manifest, args.root.as_deref());
    let options = PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() };
    let mut pairs = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    for row in &rows {
        match analyse_file(&model, &row.resolve(&root), &options) {
            Ok(report) => pairs.push((row.emotion.clone(), report.whole.emotion().to_string())),
            Err(e) => {
                skipped += 1;
                eprintln!("skipped {e}");
            }
        }
    }
    if pairs.is_empty() {
        eprintln!("{}: none of the listed clips could be analysed.", args.manifest.display());
        return ExitCode::FAILURE;
    }
    let metrics = score(model.labels(), &pairs);
    if args.json {
        let mut value = serde_json::to_value(&metrics).unwrap_or_default();
        value["skipped"] = json!(skipped);
        value["model"] = json!(format!("{} {}", model.info().name, model.info().version));
        println!("{value}");
    } else {
        print_table(&metrics, skipped);
    }
    ExitCode::SUCCESS
}
