//! Getting audio in: decoding any supported container to mono, and resampling to 16 kHz.

pub mod decode;
pub mod resample;

pub use decode::{decode_bytes, decode_source, DecodeLimits, DecodedAudio, MonoDecoder};
pub use resample::{resample, MonoResampler};

#[cfg(not(target_arch = "wasm32"))]
pub mod augment;
