//! `ser predict` and `ser eval`: the shipped model (embedded in the binary) or `--model PATH`.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::batch::{Progress, internal_error, run_ordered};
use crate::cli::{BatchArgs, JobsArgs, SilenceArgs, expand_or_exit, for_each_input};
use crate::inputs::{FileError, Input, Loaded, in_file, load, read_input};
use crate::manifest::{default_root, read_manifest};
use crate::output::{Destination, Format, per_input_path};
use ser::SerError;
use ser::model::{EmotionModel, Report};
use ser::model::{Metrics, score};
use ser::pipeline::{PipelineOptions, analyse_loaded, analyse_long};
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
    /// Audio files, folders (searched recursively, in name order) or - for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// What to print: JSON lines, CSV, or the timeline as WebVTT or SRT subtitles.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// With --format csv, one row per timeline window (3 s) instead of one per file.
    #[arg(long)]
    pub timeline: bool,
    /// Write to this file instead of standard output. VTT and SRT hold one recording each:
    /// with several inputs, name an existing folder, which gets one <name>.vtt (or .srt) per input.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
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
    pub jobs: JobsArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The report for one input: in memory up to the pipeline's limit, streamed from disk beyond.
pub fn analyse_file(
    model: &EmotionModel,
    input: &Input,
    options: &PipelineOptions,
    progress: &Progress,
) -> Result<Report, FileError> {
    let in_file = in_file(&input.name);
    if let Loaded::Signal(signal, source) = load(input, options)? {
        let analysis = analyse_loaded(signal, source, options).map_err(&in_file)?;
        return Report::new(model, &analysis).map_err(&in_file);
    }
    let mut open = || -> ser::Result<Box<dyn MediaSource>> {
        input.open().map_err(|e| SerError::Corrupt(format!("it could not be read again ({e})")))
    };
    analyse_long(&mut open, model, options, &mut |fraction| progress.long_file(&input.name, fraction)).map_err(in_file)
}

pub fn options_for(model: &EmotionModel, silence: &SilenceArgs) -> Result<PipelineOptions, String> {
    let mut options = silence.options()?;
    options.params = model.info().feature_params.clone();
    Ok(options)
}

/// Where `ser predict`'s output goes, or the sentence that says why it cannot.
fn destination(args: &PredictArgs, inputs: &[Input]) -> Result<Destination, String> {
    let format = args.format;
    let destination = match &args.out {
        None => Destination::Stdout,
        Some(path) if path.is_dir() && format.one_file_per_input() => Destination::Folder(path.clone()),
        Some(path) if path.is_dir() => {
            return Err(format!(
                "{}: this is a folder; --format {} writes one file, so give --out a file name.",
                path.display(),
                format.extension()
            ));
        }
        Some(path) => Destination::File { path: path.clone(), file: None },
    };
    let several = inputs.len() > 1;
    if format.one_file_per_input() && several && !matches!(destination, Destination::Folder(_)) {
        return Err(format!(
            "Subtitles hold the cues of one recording: for {} inputs, give --out an existing folder, which gets one .{} file per input.",
            inputs.len(),
            format.extension()
        ));
    }
    if let Destination::Folder(folder) = &destination {
        let mut seen: HashMap<PathBuf, &str> = HashMap::new();
        for input in inputs.iter().filter(|i| !i.out_stem.as_os_str().is_empty()) {
            let path = per_input_path(folder, &input.out_stem, format);
            if let Some(other) = seen.insert(path.clone(), &input.name) {
                return Err(format!(
                    "{other} and {} would both be written to {}; rename one or run them separately.",
                    input.name,
                    path.display()
                ));
            }
        }
    }
    Ok(destination)
}

/// The model and the pipeline options an analysing subcommand starts from: a model that does
/// not load is exit 1, bad options exit 2, each with its sentence on stderr.
pub fn model_and_options(
    model: &ModelArgs,
    silence: &SilenceArgs,
) -> Result<(EmotionModel, PipelineOptions), ExitCode> {
    let model = model.load().map_err(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })?;
    let options = options_for(&model, silence).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    Ok((model, options))
}

pub fn run_predict(args: PredictArgs) -> ExitCode {
    let (model, options) = match model_and_options(&args.model, &args.silence) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let inputs = match expand_or_exit(&args.files) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let mut destination = match destination(&args, &inputs) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (format, timeline) = (args.format, args.timeline);
    let header = format.header(model.labels(), timeline);
    for_each_input(&inputs, &args.batch, &mut destination, format, header, |input, progress| {
        analyse_file(&model, input, &options, progress).map(|report| format.render(&report, &input.name, timeline))
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
    let inputs: Vec<Input> = rows.iter().map(|row| Input::file(&row.resolve(&root))).collect();
    let progress = Progress::new(inputs.len());
    let mut pairs = Vec::with_capacity(rows.len());
    let mut skipped = 0;
    run_ordered(
        &inputs,
        args.jobs.get(),
        |input| analyse_file(&model, input, &options, &progress).map(|r| r.whole.emotion().to_string()),
        |i, result| {
            progress.advance();
            match result.unwrap_or_else(|()| Err(FileError::other(internal_error(&inputs[i].name)))) {
                Ok(emotion) => pairs.push((rows[i].emotion.clone(), emotion)),
                Err(e) => {
                    skipped += 1;
                    progress.note(&format!("skipped {e}"));
                }
            }
            ControlFlow::Continue(())
        },
    );
    progress.finish();
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
