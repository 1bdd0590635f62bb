//! The `ser` command line. Each input error becomes one line on stderr and a non-zero exit;
//! with several files, a bad one is reported and the rest still run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use ser::{Analysis, Loader, PipelineOptions, SerError, Stepwise, analyse_16k};

use crate::{baseline, export, predict};

#[derive(Parser)]
#[command(
    name = "ser",
    version,
    about = "Speech emotion recognition: the same Rust pipeline as the web page, on the command line.",
    long_about = "Speech emotion recognition: the same Rust pipeline as the web page, on the command line.\n\n\
                  Audio is decoded (WAV, FLAC, MP3, OGG/Vorbis; the format is read from the content), \
                  mixed to mono, resampled to 16 kHz, trimmed of silence and turned into MFCCs equal to librosa's."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print the MFCCs and the parameters used to compute them, one JSON object per file.
    Features(FeaturesArgs),
    /// Predict the emotion of each file: one JSON line per file.
    Predict(predict::PredictArgs),
    /// Score the model on a manifest of labelled clips: accuracy, UAR, macro-F1, confusion matrix.
    Eval(predict::EvalArgs),
    /// Summarise one speaker's everyday voice from recordings of it (at least 2 s of speech in
    /// all) into a baseline file: two numbers per frequency band, no audio.
    Baseline(baseline::BaselineArgs),
    /// Export features of every clip in a manifest (with optional augmented copies) for training.
    Export(export::ExportArgs),
}

/// How silence is handled. Shared by every subcommand that reads audio.
#[derive(Args, Clone, Default)]
pub struct SilenceArgs {
    /// Use the whole file: do not trim silence at the start and end.
    #[arg(long)]
    pub no_trim: bool,
    /// Also remove pauses inside the recording that are longer than this many seconds.
    #[arg(long, value_name = "SECONDS", conflicts_with = "no_trim")]
    pub max_pause: Option<f64>,
}

impl SilenceArgs {
    pub fn options(&self) -> Result<PipelineOptions, String> {
        if let Some(p) = self.max_pause
            && !(p.is_finite() && p > 0.0)
        {
            return Err(format!("--max-pause must be a positive number of seconds, not {p}"));
        }
        Ok(PipelineOptions { trim: !self.no_trim, max_pause_s: self.max_pause, ..PipelineOptions::default() })
    }
}

#[derive(Args)]
pub struct FeaturesArgs {
    /// Audio files to analyse.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub silence: SilenceArgs,
}

fn cannot_read(path: &Path, e: std::io::Error) -> String {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    format!("{}: cannot read the file ({why}).", path.display())
}

/// Reads a file into memory, with a sentence for the usual failures.
pub fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    if path.is_dir() {
        return Err(format!("{}: this is a folder, not an audio file.", path.display()));
    }
    std::fs::read(path).map_err(|e| cannot_read(path, e))
}

/// Opens an audio file for streaming, with a sentence for the usual failures.
pub fn open_input(path: &Path) -> Result<std::fs::File, String> {
    if path.is_dir() {
        return Err(format!("{}: this is a folder, not an audio file.", path.display()));
    }
    let file = std::fs::File::open(path).map_err(|e| cannot_read(path, e))?;
    match file.metadata() {
        Ok(m) if m.len() == 0 => Err(format!("{}: {}", path.display(), SerError::Empty)),
        _ => Ok(file),
    }
}

/// The sentence for a pipeline error in `path`.
pub fn in_file(path: &Path) -> impl Fn(SerError) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// A file decoded for the in-memory pipeline, or the length that keeps it out.
pub enum Loaded {
    Signal(Vec<f32>),
    /// Longer than `options.limits` allows in memory (see [`ser::pipeline::analyse_long`]).
    TooLong {
        seconds: f64,
    },
}

/// Decodes a file to the analysis rate, streaming it from disk.
pub fn load_file(path: &Path, options: &PipelineOptions) -> Result<Loaded, String> {
    let loader = Loader::new(Box::new(open_input(path)?), options).map_err(in_file(path))?;
    if let Some(seconds) = loader.expected_seconds().filter(|&s| s > options.limits.max_seconds) {
        return Ok(Loaded::TooLong { seconds });
    }
    match loader.finish() {
        Ok(signal) => Ok(Loaded::Signal(signal)),
        Err(SerError::TooLong { got, .. }) => Ok(Loaded::TooLong { seconds: got }),
        Err(e) => Err(in_file(path)(e)),
    }
}

/// Analyses a file that fits in memory.
pub fn analyse_path(path: &Path, options: &PipelineOptions) -> Result<Analysis, String> {
    match load_file(path, options)? {
        Loaded::Signal(signal) => analyse_16k(signal, options).map_err(in_file(path)),
        Loaded::TooLong { seconds } => {
            Err(in_file(path)(SerError::TooLong { got: seconds, limit: options.limits.max_seconds }))
        }
    }
}

fn features_json(path: &Path, options: &PipelineOptions) -> Result<serde_json::Value, String> {
    let analysis = analyse_path(path, options)?;
    let p = &options.params;
    Ok(json!({
        "file": path.display().to_string(),
        "sample_rate": p.sample_rate,
        "n_fft": p.n_fft,
        "hop_length": p.hop_length,
        "win_length": p.win_length,
        "window": "hann",
        "center": true,
        "pad_mode": "constant",
        "n_mels": p.n_mels,
        "n_mfcc": p.n_mfcc,
        "fmin": p.fmin,
        "fmax": p.fmax,
        "htk": false,
        "norm": "slaney",
        "db_top_db": p.db_top_db,
        "trim": options.trim,
        "top_db": p.top_db,
        "trim_frame_length": p.trim_frame_length,
        "trim_hop_length": p.trim_hop_length,
        "max_pause_s": options.max_pause_s,
        "kept": analysis.kept_seconds(),
        "duration_s": analysis.duration_s(),
        "mfcc": analysis.features.mfcc_rows(),
    }))
}

/// Runs `job` for every file, printing results on stdout and errors on stderr.
pub fn for_each_file<F>(files: &[PathBuf], mut job: F) -> ExitCode
where
    F: FnMut(&Path) -> Result<serde_json::Value, String>,
{
    let mut failed = 0;
    let stdout = std::io::stdout();
    for path in files {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(path)))
            .unwrap_or_else(|_| Err(format!("{}: internal error while analysing this file.", path.display())));
        match result {
            Ok(value) => {
                let mut out = stdout.lock();
                if writeln!(out, "{value}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(message) => {
                failed += 1;
                eprintln!("{message}");
            }
        }
    }
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

pub fn main() -> ExitCode {
    // Panics are bugs, but a user should still see one line, not a backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = Cli::parse();
    match cli.command {
        Command::Features(args) => {
            let options = match args.silence.options() {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            for_each_file(&args.files, |path| features_json(path, &options))
        }
        Command::Baseline(args) => baseline::run(args),
        Command::Export(args) => export::run(args),
        Command::Predict(args) => predict::run_predict(args),
        Command::Eval(args) => predict::run_eval(args),
    }
}
