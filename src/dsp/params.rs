//! The feature parameters. They are written into every feature export and into the model's
//! sidecar, so anyone can recompute the same features with librosa.

use serde::{Deserialize, Serialize};

/// Everything that decides what the features are. Mirrors librosa's argument names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureParams {
    pub sample_rate: u32,
    pub n_fft: usize,
    pub hop_length: usize,
    pub win_length: usize,
    pub n_mels: usize,
    pub n_mfcc: usize,
    pub fmin: f64,
    pub fmax: f64,
    /// `power_to_db(top_db=…)` applied to the log-mel spectrogram.
    pub db_top_db: f64,
    /// `librosa.effects.trim(top_db=…)`: frames quieter than this below the loudest are silence.
    pub top_db: f64,
    pub trim_frame_length: usize,
    pub trim_hop_length: usize,
}

impl Default for FeatureParams {
    fn default() -> Self {
        Self {
            sample_rate: 16_000,
            n_fft: 512,
            hop_length: 160,
            win_length: 400,
            n_mels: 64,
            n_mfcc: 40,
            fmin: 0.0,
            fmax: 8_000.0,
            db_top_db: 80.0,
            top_db: 30.0,
            trim_frame_length: 2048,
            trim_hop_length: 512,
        }
    }
}

impl FeatureParams {
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Frames produced by a centred STFT of `n_samples` samples (librosa's count).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length
    }
}
