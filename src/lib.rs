//! Speech emotion recognition core: one pipeline for the browser (wasm32) and the `ser` CLI.
//!
//! decode ([`audio`]) → resample to 16 kHz → trim silence ([`dsp::trim`]) → MFCC
//! ([`dsp::mfcc`]) → CNN ([`model`]). Nothing here touches browser types.

pub mod audio;
pub mod dsp;
pub mod error;
pub mod model;
pub mod pipeline;

pub use error::{Result, SerError};
pub use pipeline::{analyse_bytes, analyse_samples, Analysis, PipelineOptions};

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod app;
