//! Speech emotion recognition: one pipeline for the web page (wasm32) and the `ser` CLI.
//!
//! decode ([`audio`]) → resample to 16 kHz ([`MonoResampler`]) → trim silence → log-mel and
//! MFCC, equal to librosa ([`dsp`]) → CNN ([`model`]) → [`Report`]. The [`pipeline`] module
//! joins the stages; nothing here touches browser types or command-line arguments, which live
//! in the two front doors (`src/bin/app`, `src/bin/ser`).
//!
//! ```
//! use ser::{analyse_bytes, EmotionModel, PipelineOptions};
//!
//! let bytes = std::fs::read("tests/fixtures/librosa/ravdess_01_angry.flac")?;
//! let model = EmotionModel::embedded()?;
//! let analysis = analyse_bytes(&bytes, &PipelineOptions::default())?;
//! let prediction = model.predict(&analysis.features)?;
//! assert!(model.labels().iter().any(|l| l == prediction.emotion()));
//! assert!((prediction.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4);
//! println!("{} ({:.0} %)", prediction.emotion(), 100.0 * prediction.confidence());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Work that must not block (the page) runs the same stages in steps through one trait,
//! [`Stepwise`]: [`Loader`], [`Resampling`], [`Analyser`] and [`Reporting`].

pub mod audio;
pub mod dsp;
mod error;
pub mod model;
pub mod pipeline;
mod stepwise;

pub use audio::{DecodeLimits, MonoResampler, decode_bytes};
pub use dsp::{FeatureParams, Features, Interval};
pub use error::{Result, SerError};
pub use model::{Baseline, EmotionModel, ModelInfo, ModelInput, Parts, Prediction, Report, Reporting, Segment};
pub use pipeline::{
    Analyser, Analysis, LiveReading, LiveStream, Loader, PipelineOptions, Quality, Resampling, analyse_16k,
    analyse_bytes, analyse_loaded, analyse_samples, to_analysis_rate,
};
pub use stepwise::Stepwise;
