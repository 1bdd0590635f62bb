//! Getting audio in: decoding any supported container to mono, and resampling to 16 kHz.

pub mod decode;
pub mod resample;

pub use decode::{decode_bytes, decode_source, DecodeLimits, DecodedAudio, MonoDecoder};
pub use resample::{resample, MonoResampler};
/// Anything audio can be read from: a file, or bytes in memory (`std::io::Cursor`).
pub use symphonia::core::io::MediaSource;

#[cfg(not(target_arch = "wasm32"))]
pub mod augment;
