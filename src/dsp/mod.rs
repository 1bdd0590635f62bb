//! Signal processing at the 16 kHz analysis rate: silence trimming and librosa-equal features.

pub mod frames;
pub mod mel;
pub mod mfcc;
pub mod params;
pub mod stft;
pub mod trim;

pub use mfcc::{FeatureExtractor, Features, LogMelStream, LogMelToMfcc};
pub use params::FeatureParams;
pub use trim::{Interval, SilenceParams};
