//! `ser predict` and `ser eval`: the shipped model (embedded in the binary) or `--model PATH`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::batch::{Progress, internal_error, run_ordered};
use crate::cli::{BatchArgs, JobsArgs, SilenceArgs, expand_or_exit, for_each_input};
use crate::inputs::{FileError, Input, Loaded, analyse, in_file, load, read_input};
use crate::manifest::{ManifestRow, default_root, read_manifest};
use crate::output::{Destination, Format, per_input_path};
use ser::model::{EmotionModel, Parts, Report};
use ser::model::{Metrics, score};
use ser::pipeline::{PipelineOptions, analyse_loaded, analyse_long};
use ser::{Baseline, SerError};
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

/// A personal baseline, for the commands that judge recordings.
#[derive(Args, Clone, Default)]
pub struct VoiceArgs {
    /// Judge each recording relative to one speaker's everyday voice: a summary written by
    /// `ser baseline`, or recordings of that voice (repeat --baseline for each; together at
    /// least 2 s of speech).
    #[arg(long, value_name = "FILE")]
    pub baseline: Vec<PathBuf>,
}

impl VoiceArgs {
    /// The model, relative to the baseline if one is given, with the pipeline options the
    /// baseline recordings are analysed with.
    pub fn apply(&self, model: EmotionModel, options: &PipelineOptions) -> Result<EmotionModel, String> {
        match self.baseline.as_slice() {
            [] => Ok(model),
            [path] if is_summary(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: cannot read the voice baseline ({e}).", path.display()))?;
                let baseline = Baseline::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                model.with_baseline(&baseline).map_err(|e| format!("{}: {e}", path.display()))
            }
            paths => {
                if let Some(summary) = paths.iter().find(|p| is_summary(p)) {
                    return Err(format!(
                        "{}: a saved baseline cannot be mixed with recordings; give either the one summary or the recordings.",
                        summary.display()
                    ));
                }
                let analyses =
                    paths.iter().map(|p| analyse(&Input::file(p), options)).collect::<Result<Vec<_>, _>>()?;
                Baseline::from_analyses(&analyses, &model)
                    .and_then(|b| model.with_baseline(&b))
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// A baseline summary is JSON: its first non-blank byte is `{`. Anything else (or a path that
/// cannot be read, whose error then comes from reading it) is taken as a recording.
fn is_summary(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 64];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    };
    head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The model, the voice it judges against and how silence is handled: what every subcommand
/// that judges recordings takes.
#[derive(Args)]
pub struct JudgeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub voice: VoiceArgs,
    #[command(flatten)]
    pub silence: SilenceArgs,
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
    pub judge: JudgeArgs,
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
    /// Also score each speaker relative to their own voice: the first --baseline-clips clips
    /// (in path order) of each speaker with this emotion make that speaker's baseline and are
    /// not scored; the other clips are scored cold and with the baseline.
    #[arg(long, value_name = "EMOTION")]
    pub baseline_from: Option<String>,
    /// Clips per speaker in the baseline (with --baseline-from).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub baseline_clips: u32,
    #[command(flatten)]
    pub jobs: JobsArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// The report for one input: in memory up to the pipeline's limit, streamed from disk beyond
/// (which has no pitch track either way).
pub fn analyse_file(
    model: &EmotionModel,
    input: &Input,
    options: &PipelineOptions,
    parts: Parts,
    progress: &Progress,
) -> Result<Report, FileError> {
    let in_file = in_file(&input.name);
    if let Loaded::Signal(signal, source) = load(input, options)? {
        let analysis = analyse_loaded(signal, source, options).map_err(&in_file)?;
        return Report::with_parts(model, &analysis, parts).map_err(&in_file);
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
pub fn model_and_options(judge: &JudgeArgs) -> Result<(EmotionModel, PipelineOptions), ExitCode> {
    let JudgeArgs { model, voice, silence } = judge;
    let model = model.load().map_err(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })?;
    let options = options_for(&model, silence).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })?;
    let model = voice.apply(model, &options).map_err(|e| {
        eprintln!("{e}");
        ExitCode::FAILURE
    })?;
    Ok((model, options))
}

pub fn run_predict(args: PredictArgs) -> ExitCode {
    let (model, options) = match model_and_options(&args.judge) {
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
    let parts = format.parts(timeline);
    for_each_input(&inputs, &args.batch, &mut destination, format, header, |input, progress| {
        analyse_file(&model, input, &options, parts, progress)
            .map(|report| format.render(&report, &input.name, timeline))
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
    print_confusion(m);
}

fn print_confusion(m: &Metrics) {
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

/// Cold and baseline figures on the same clips, side by side.
fn print_side_by_side(cold: &Metrics, relative: &Metrics, skipped: usize) {
    println!("clips: {}  (skipped, unreadable: {skipped})", cold.n);
    println!("{:<10} {:>9} {:>9}", "", "cold", "baseline");
    for (name, a, b) in [
        ("accuracy", cold.accuracy, relative.accuracy),
        ("UAR", cold.uar, relative.uar),
        ("macro-F1", cold.macro_f1, relative.macro_f1),
    ] {
        println!("{name:<10} {a:>9.4} {b:>9.4}");
    }
    println!();
    println!("recall by class");
    for (a, b) in cold.per_class.iter().zip(&relative.per_class) {
        println!("{:<10} {:>9.3} {:>9.3}", a.label, a.recall, b.recall);
    }
    for (title, m) in [("cold", cold), ("baseline", relative)] {
        println!();
        println!("confusion matrix, {title} (rows: true, columns: predicted)");
        print_confusion(m);
    }
}

/// Each speaker's baseline clips under `ser eval --baseline-from`: the first `n` of their
/// clips with the emotion, in path order.
fn baseline_rows(rows: &[ManifestRow], emotion: &str, n: usize) -> Result<BTreeMap<String, Vec<usize>>, String> {
    if rows.iter().any(|r| r.speaker.is_empty()) {
        return Err("--baseline-from needs the manifest's speaker column, and some rows have no speaker.".into());
    }
    let mut by_speaker: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_speaker.entry(r.speaker.clone()).or_default();
        if r.emotion == emotion {
            by_speaker.get_mut(&r.speaker).expect("just added").push(i);
        }
    }
    for (speaker, clips) in by_speaker.iter_mut() {
        if clips.len() < n {
            return Err(format!(
                "Speaker {speaker} has {} clip(s) labelled {emotion}; --baseline-from needs {n} per speaker.",
                clips.len()
            ));
        }
        clips.sort_by(|&a, &b| rows[a].path.cmp(&rows[b].path));
        clips.truncate(n);
    }
    Ok(by_speaker)
}

/// The model relative to each speaker's baseline, made from their baseline clips.
fn personal_models(
    model: &EmotionModel,
    rows: &[ManifestRow],
    root: &Path,
    plan: &BTreeMap<String, Vec<usize>>,
    options: &PipelineOptions,
) -> Result<HashMap<String, EmotionModel>, String> {
    let mut models = HashMap::new();
    for (speaker, clips) in plan {
        let analyses = clips
            .iter()
            .map(|&i| analyse(&Input::file(&rows[i].resolve(root)), options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("Speaker {speaker}'s baseline: {e}"))?;
        let personal = Baseline::from_analyses(&analyses, model)
            .and_then(|b| model.with_baseline(&b))
            .map_err(|e| format!("Speaker {speaker}'s baseline: {e}"))?;
        models.insert(speaker.clone(), personal);
    }
    Ok(models)
}

/// One clip's whole-clip emotion, cold and (with a personal model) relative to the speaker.
fn eval_clip(
    model: &EmotionModel,
    personal: Option<&EmotionModel>,
    input: &Input,
    options: &PipelineOptions,
    progress: &Progress,
) -> Result<(String, Option<String>), FileError> {
    if let (Some(personal), Loaded::Signal(signal, source)) = (personal, load(input, options)?) {
        // Analysed once, judged twice.
        let analysis = analyse_loaded(signal, source, options).map_err(in_file(&input.name))?;
        let cold = Report::with_parts(model, &analysis, Parts::PREDICTION).map_err(in_file(&input.name))?;
        let relative = Report::with_parts(personal, &analysis, Parts::PREDICTION).map_err(in_file(&input.name))?;
        return Ok((cold.whole.emotion().to_string(), Some(relative.whole.emotion().to_string())));
    }
    let cold = analyse_file(model, input, options, Parts::PREDICTION, progress)?.whole.emotion().to_string();
    let relative = match personal {
        Some(p) => Some(analyse_file(p, input, options, Parts::PREDICTION, progress)?.whole.emotion().to_string()),
        None => None,
    };
    Ok((cold, relative))
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
    let (plan, personal) = match &args.baseline_from {
        None => (BTreeMap::new(), HashMap::new()),
        Some(emotion) => {
            let made = baseline_rows(&rows, emotion, args.baseline_clips as usize)
                .and_then(|plan| personal_models(&model, &rows, &root, &plan, &options).map(|p| (plan, p)));
            match made {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let in_baseline: HashSet<usize> = plan.values().flatten().copied().collect();
    let scored: Vec<usize> = (0..rows.len()).filter(|i| !in_baseline.contains(i)).collect();
    // Each input with its manifest row.
    let inputs: Vec<(Input, usize)> = scored.iter().map(|&i| (Input::file(&rows[i].resolve(&root)), i)).collect();
    let progress = Progress::new(inputs.len());
    let mut pairs = Vec::with_capacity(scored.len());
    let mut relative_pairs = Vec::new();
    let mut skipped = 0;
    run_ordered(
        &inputs,
        args.jobs.get(),
        |(input, row)| eval_clip(&model, personal.get(&rows[*row].speaker), input, &options, &progress),
        |i, result| {
            progress.advance();
            match result.unwrap_or_else(|()| Err(FileError::other(internal_error(&inputs[i].0.name)))) {
                Ok((cold, relative)) => {
                    let truth = rows[inputs[i].1].emotion.clone();
                    if let Some(r) = relative {
                        relative_pairs.push((truth.clone(), r));
                    }
                    pairs.push((truth, cold));
                }
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
    let relative = (!relative_pairs.is_empty()).then(|| score(model.labels(), &relative_pairs));
    let name = format!("{} {}", model.info().name, model.info().version);
    if args.json {
        let mut value = serde_json::to_value(&metrics).unwrap_or_default();
        value["skipped"] = json!(skipped);
        value["model"] = json!(name);
        if let Some(r) = &relative {
            value["baseline"] = serde_json::to_value(r).unwrap_or_default();
            value["baseline"]["baseline_from"] = json!(args.baseline_from);
            value["baseline"]["baseline_clips_per_speaker"] = json!(args.baseline_clips);
            value["baseline"]["speakers"] = json!(plan.len());
        }
        println!("{value}");
    } else {
        match &relative {
            None => print_table(&metrics, skipped),
            Some(r) => {
                println!(
                    "each speaker's first {} {} clip(s) make their baseline and are not scored ({} speakers)",
                    args.baseline_clips,
                    args.baseline_from.as_deref().unwrap_or_default(),
                    plan.len()
                );
                println!();
                print_side_by_side(&metrics, r, skipped);
            }
        }
    }
    ExitCode::SUCCESS
}
