//! Signal processing at the 16 kHz analysis rate: silence trimming and librosa-equal features.
//!
//! One file per stage: centred framing of a stream (`frames`), the power STFT (`stft`), the
//! mel filterbank (`mel`), log-mel and MFCC (`mfcc`), silence detection (`trim`) and the
//! parameters they share (`params`). Everything a caller needs is re-exported here.

pub(crate) mod frames;
pub(crate) mod mel;
pub(crate) mod mfcc;
pub(crate) mod params;
pub(crate) mod pitch;
pub(crate) mod stft;
pub(crate) mod trim;

pub use frames::CentredFrames;
pub use mel::{MelFilterbank, hz_to_mel, mel_frequencies, mel_to_hz};
pub use mfcc::{FeatureExtractor, Features, LogMelStream, LogMelToMfcc};
pub use params::FeatureParams;
pub use pitch::{InvalidPitchParams, PROSODY_ROWS, PitchParams, Prosody, ProsodySummary, Yin, YinFrame, prosody, yin};
pub use stft::PowerStft;
pub use trim::{
    Interval, SilenceParams, concat_intervals, frame_power, kept_intervals, kept_intervals_from_power, mean_square,
    original_sample, split, trim,
};
