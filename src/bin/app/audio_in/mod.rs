//! Where audio comes from besides the core's own decoder: the browser's decoder (for formats
//! the core does not read) and the microphone. Both hand mono f32 samples at their own rate to
//! the core, which resamples them.

mod browser_decode;
pub mod mic;
pub mod wav;

pub use browser_decode::browser_decode;
