//! `ser export`: features for every clip of a manifest, as arrays the PyTorch trainer reads.
//! Waveform augmentations run here, before the features, through the same core.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use ndarray::{Array1, Array2};
use serde_json::json;

use crate::batch::{Progress, default_jobs, internal_error, run_ordered};
use crate::inputs::read_input;
use crate::manifest::{ManifestRow, default_root, read_manifest};
use ser::audio::Augmentation;
use ser::audio::{DecodeLimits, decode_bytes};
use ser::pipeline::{PipelineOptions, analyse_16k};

#[derive(Args)]
pub struct ExportArgs {
    /// Manifest CSV with the columns of ../shared/data/manifest.csv.
    #[arg(long)]
    pub manifest: PathBuf,
    /// Folder the manifest's paths are relative to (default: the manifest's folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Output folder: features.npy, offsets.npy, items.csv and params.json are written there.
    #[arg(long)]
    pub out: PathBuf,
    /// Which feature to export: the model's MFCCs or the log-mel spectrogram.
    /// `prosody`: voicing, F0, aperiodicity and loudness rows (experimental); `logmel_prosody`:
    /// both, the log-mel bands first.
    #[arg(long, default_value = "mfcc", value_parser = ["mfcc", "logmel", "prosody", "logmel_prosody"])]
    pub feature: String,
    /// Augmented copies per clip, besides the original.
    #[arg(long, default_value_t = 0)]
    pub copies: usize,
    /// Seed for the augmentations; the same seed gives the same arrays.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Clips analysed at once (default: all cores); the arrays are the same whatever the number.
    #[arg(long, visible_alias = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Trim silence from the clean clip before augmenting it, so added noise does not make
    /// the trimmer keep the clip's silent edges (augmented copies then match the originals).
    #[arg(long)]
    pub trim_before_augment: bool,
}

struct Item {
    row: usize,
    copy: usize,
    augmentation: String,
    frames: Vec<f32>,
    n_frames: usize,
}

fn export_row(
    row_index: usize,
    row: &ManifestRow,
    root: &Path,
    args: &ExportArgs,
    options: &PipelineOptions,
) -> Result<Vec<Item>, String> {
    let path = row.resolve(root);
    let bytes = read_input(&path)?;
    let audio = decode_bytes(&bytes, &DecodeLimits::default()).map_err(|e| format!("{}: {e}", path.display()))?;
    let signal = ser::audio::resample(&audio.samples, audio.sample_rate, options.params.sample_rate)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut items = Vec::with_capacity(args.copies + 1);
    // With --trim-before-augment, copies start from the clean clip's kept audio and are not
    // trimmed again.
    let (source, copy_options) = if args.trim_before_augment && args.copies > 0 {
        let clean = analyse_16k(signal.clone(), options).map_err(|e| format!("{}: {e}", path.display()))?;
        (clean.kept_signal(), PipelineOptions { trim: false, ..options.clone() })
    } else {
        (signal.clone(), options.clone())
    };
    for copy in 0..=args.copies {
        let (augmented, description) = if copy == 0 {
            (signal.clone(), "none".to_string())
        } else {
            let seed = args.seed.wrapping_mul(1_000_003).wrapping_add((row_index * 64 + copy) as u64);
            let aug = Augmentation::draw(seed);
            let out = aug.apply(&source, options.params.sample_rate).map_err(|e| format!("{}: {e}", path.display()))?;
            (out, aug.describe())
        };
        let options = if copy == 0 { options } else { &copy_options };
        let analysis = analyse_16k(augmented, options).map_err(|e| format!("{}: {e}", path.display()))?;
        let f = &analysis.features;
        let prosody_rows = || {
            ser::dsp::prosody(&analysis.kept_signal(), &ser::dsp::PitchParams::default())
                .map(|p| p.model_rows())
                .map_err(|e| format!("{}: {e}", path.display()))
        };
        let frames = match args.feature.as_str() {
            "mfcc" => f.mfcc.clone(),
            "logmel" => f.log_mel.clone(),
            "prosody" => prosody_rows()?.concat(),
            // logmel_prosody: each frame's log-mel bands, then its prosody rows
            _ => {
                let rows = prosody_rows()?;
                f.log_mel.chunks(f.n_mels.max(1)).zip(&rows).flat_map(|(mel, p)| mel.iter().chain(p).copied()).collect()
            }
        };
        items.push(Item { row: row_index, copy, augmentation: description, frames, n_frames: f.n_frames });
    }
    Ok(items)
}

pub fn run(args: ExportArgs) -> ExitCode {
    let rows = match read_manifest(&args.manifest) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let root = default_root(&args.manifest, args.root.as_deref());
    let options = PipelineOptions::default();
    let width = match args.feature.as_str() {
        "mfcc" => options.params.n_mfcc,
        "logmel" => options.params.n_mels,
        "prosody" => ser::dsp::PROSODY_ROWS,
        _ => options.params.n_mels + ser::dsp::PROSODY_ROWS,
    };
    let mut features: Vec<f32> = Vec::new();
    let mut offsets: Vec<i64> = vec![0];
    let mut items_csv = csv::Writer::from_writer(Vec::new());
    let _ = items_csv.write_record([
        "index",
        "path",
        "corpus",
        "speaker",
        "gender",
        "emotion",
        "intensity",
        "copy",
        "augmentation",
        "frames",
    ]);
    let (mut failed, mut written) = (0usize, 0usize);
    let indices: Vec<usize> = (0..rows.len()).collect();
    let jobs = args.threads.map_or_else(default_jobs, |n| n as usize);
    let progress = Progress::new(rows.len());
    run_ordered(
        &indices,
        jobs,
        |&i| export_row(i, &rows[i], &root, &args, &options),
        |i, result| {
            progress.advance();
            match result.unwrap_or_else(|()| Err(internal_error(&rows[i].path))) {
                Ok(items) => {
                    for item in items {
                        let row = &rows[item.row];
                        features.extend_from_slice(&item.frames);
                        offsets.push(offsets.last().copied().unwrap_or(0) + item.n_frames as i64);
                        let _ = items_csv.write_record([
                            written.to_string(),
                            row.path.clone(),
                            row.corpus.clone(),
                            row.speaker.clone(),
                            row.gender.clone(),
                            row.emotion.clone(),
                            row.intensity.clone(),
                            item.copy.to_string(),
                            item.augmentation,
                            item.n_frames.to_string(),
                        ]);
                        written += 1;
                    }
                }
                Err(e) => {
                    failed += 1;
                    progress.note(&format!("skipped {e}"));
                }
            }
            ControlFlow::Continue(())
        },
    );
    progress.finish();
    if let Err(e) = write_outputs(&args, &options, width, features, offsets, items_csv) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "exported {written} items from {} clips to {} ({failed} skipped)",
        rows.len() - failed,
        args.out.display()
    );
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn write_outputs(
    args: &ExportArgs,
    options: &PipelineOptions,
    width: usize,
    features: Vec<f32>,
    offsets: Vec<i64>,
    items_csv: csv::Writer<Vec<u8>>,
) -> Result<(), String> {
    let out = &args.out;
    let fail = |what: &str, e: String| format!("{}: cannot write {what} ({e}).", out.display());
    std::fs::create_dir_all(out).map_err(|e| fail("the folder", e.to_string()))?;
    let rows = features.len() / width;
    let features = Array2::from_shape_vec((rows, width), features).map_err(|e| fail("features", e.to_string()))?;
    ndarray_npy::write_npy(out.join("features.npy"), &features).map_err(|e| fail("features.npy", e.to_string()))?;
    ndarray_npy::write_npy(out.join("offsets.npy"), &Array1::from(offsets))
        .map_err(|e| fail("offsets.npy", e.to_string()))?;
    let csv_bytes = items_csv.into_inner().map_err(|e| fail("items.csv", e.to_string()))?;
    std::fs::write(out.join("items.csv"), csv_bytes).map_err(|e| fail("items.csv", e.to_string()))?;
    let params = json!({
        "feature": args.feature,
        "feature_params": options.params,
        "trim": options.trim,
        "max_pause_s": options.max_pause_s,
        "copies": args.copies,
        "seed": args.seed,
        "manifest": args.manifest.display().to_string(),
    });
    std::fs::write(out.join("params.json"), serde_json::to_string_pretty(&params).unwrap_or_default())
        .map_err(|e| fail("params.json", e.to_string()))
}
