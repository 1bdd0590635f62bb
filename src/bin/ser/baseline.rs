//! `ser baseline`: a summary of one speaker's everyday voice, from recordings of it, for the
//! model to judge that speaker's clips against (see `ser::Baseline`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ser::Baseline;

use crate::cli::SilenceArgs;
use crate::inputs::{Input, analyse};
use crate::predict::{ModelArgs, options_for};

#[derive(Args)]
pub struct BaselineArgs {
    /// Recordings of one speaker's everyday, neutral voice: together at least 2 s of speech.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the summary (JSON) to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: BaselineArgs) -> ExitCode {
    match make(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn make(args: &BaselineArgs) -> Result<(), String> {
    let model = args.model.load()?;
    let options = options_for(&model, &SilenceArgs::default())?;
    let analyses =
        args.files.iter().map(|path| analyse(&Input::file(path), &options)).collect::<Result<Vec<_>, _>>()?;
    let baseline = Baseline::from_analyses(&analyses, &model).map_err(|e| e.to_string())?;
    let json = baseline.to_json() + "\n";
    match &args.out {
        None => print!("{json}"),
        Some(path) => {
            std::fs::write(path, json).map_err(|e| format!("{}: cannot write the baseline ({e}).", path.display()))?
        }
    }
    Ok(())
}
