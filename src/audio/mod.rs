//! Getting audio in: decoding any supported container to mono, and resampling to 16 kHz.

pub(crate) mod decode;
#[cfg(not(target_arch = "wasm32"))]
mod opus;
pub(crate) mod resample;

#[cfg(not(target_arch = "wasm32"))]
mod augment;

#[cfg(not(target_arch = "wasm32"))]
pub use augment::Augmentation;
pub use decode::{
    CLIP_LEVEL, DecodeLimits, DecodedAudio, MAX_CHANNELS, MAX_SAMPLE_MAGNITUDE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE,
    MonoDecoder, SourceStats, check_samples, decode_bytes, decode_source,
};
pub use resample::{MonoResampler, resample};
/// Anything audio can be read from: a file, or bytes in memory (`std::io::Cursor`).
pub use symphonia::core::io::MediaSource;
