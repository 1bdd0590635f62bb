//! The `ser` command line. Each input error becomes one line on stderr and a non-zero exit;
//! with several files, a bad one is reported and the rest still run.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use ser::PipelineOptions;

use crate::batch::{Progress, default_jobs, internal_error, run_ordered};
use crate::inputs::{self, FileError, Input, expand};
use crate::output::{Destination, Format, WriteError};
use crate::{baseline, explain, export, predict};

#[derive(Parser)]
#[command(
    name = "ser",
    version,
    about = "Speech emotion recognition: the same Rust pipeline as the web page, on the command line.",
    long_about = "Speech emotion recognition: the same Rust pipeline as the web page, on the command line.\n\n\
                  Audio is decoded (WAV, FLAC, MP3, Ogg/Vorbis, Ogg/Opus, M4A with AAC or ALAC, \
                  Matroska/WebM with Opus, Vorbis, AAC, FLAC, MP3 or PCM; the format is read from the content), \
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
    /// Predict the emotion of each file: one JSON line per file, or CSV, or subtitles.
    Predict(predict::PredictArgs),
    /// Show what the model listened to: an occlusion map of its input (which time-frequency
    /// patches, hidden, lowered the answer most) with the voice's pitch and loudness, one JSON
    /// object per file; --png draws it over the spectrogram.
    Explain(explain::ExplainArgs),
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
    /// Audio files, folders (searched recursively, in name order) or - for standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub silence: SilenceArgs,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// How many files are analysed at once.
#[derive(Args, Clone)]
pub struct JobsArgs {
    /// Analyse N files at once (default: all cores). Results come in input order either way,
    /// byte for byte the same as with --jobs 1.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
}

impl JobsArgs {
    pub fn get(&self) -> usize {
        self.jobs.map_or_else(default_jobs, |n| n as usize)
    }
}

/// Options of the commands that read many inputs.
#[derive(Args, Clone)]
pub struct BatchArgs {
    #[command(flatten)]
    pub jobs: JobsArgs,
    /// Skip files found in folders that are not audio without a word (they never count as
    /// failures; without --quiet each gets one line on stderr).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs `job` on every input (in parallel, see [`run_ordered`]) and writes its output, in input
/// order, to `destination`; `header` goes before the first output. Failures get one line each
/// on stderr. The exit status is non-zero if any input failed or nothing was analysed; a
/// non-audio file found in a folder is skipped, not failed.
pub fn for_each_input<F>(
    inputs: &[Input],
    batch: &BatchArgs,
    destination: &mut Destination,
    format: Format,
    header: Vec<u8>,
    job: F,
) -> ExitCode
where
    F: Fn(&Input, &Progress) -> Result<Vec<u8>, FileError> + Sync,
{
    let progress = Progress::new(inputs.len());
    let (mut done, mut failed, mut stopped) = (0usize, 0usize, false);
    let mut header = Some(header).filter(|h| !h.is_empty());
    run_ordered(
        inputs,
        batch.jobs.get(),
        |input| job(input, &progress),
        |i, result| {
            let input = &inputs[i];
            progress.advance();
            match result.unwrap_or_else(|()| Err(FileError::other(internal_error(&input.name)))) {
                Ok(bytes) => {
                    let bytes = match header.take() {
                        Some(mut h) => {
                            h.extend_from_slice(&bytes);
                            h
                        }
                        None => bytes,
                    };
                    match progress.suspend(|| destination.write(&bytes, &input.out_stem, format)) {
                        Ok(()) => done += 1,
                        Err(WriteError::Closed) => {
                            stopped = true;
                            return ControlFlow::Break(());
                        }
                        Err(WriteError::Failed(message)) => {
                            progress.note(&message);
                            stopped = true;
                            return ControlFlow::Break(());
                        }
                    }
                }
                Err(e) if e.not_audio && input.walked => {
                    if !batch.quiet {
                        progress.note(&e.message);
                    }
                }
                Err(e) => {
                    failed += 1;
                    progress.note(&e.message);
                }
            }
            ControlFlow::Continue(())
        },
    );
    progress.finish();
    if stopped || failed > 0 {
        return ExitCode::FAILURE;
    }
    if done == 0 {
        eprintln!("No audio file was found among the inputs.");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The inputs of a command, or the sentence (exit status 2) for an impossible list.
pub fn expand_or_exit(paths: &[PathBuf]) -> Result<Vec<Input>, ExitCode> {
    expand(paths).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn features_json(input: &Input, options: &PipelineOptions) -> Result<serde_json::Value, FileError> {
    let analysis = inputs::analyse(input, options)?;
    let p = &options.params;
    Ok(json!({
        "file": input.name,
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
            let inputs = match expand_or_exit(&args.files) {
                Ok(i) => i,
                Err(code) => return code,
            };
            for_each_input(&inputs, &args.batch, &mut Destination::Stdout, Format::Jsonl, Vec::new(), |input, _| {
                features_json(input, &options).map(|v| format!("{v}\n").into_bytes())
            })
        }
        Command::Baseline(args) => baseline::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Export(args) => export::run(args),
        Command::Predict(args) => predict::run_predict(args),
        Command::Eval(args) => predict::run_eval(args),
    }
}
