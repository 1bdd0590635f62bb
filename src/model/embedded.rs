//! The shipped model, compiled into native builds so `ser` works from any folder. The web page
//! fetches the same two files instead: a missing or damaged model is then a message rather
//! than a page that does not start, and the wasm stays within its size budget.

use super::EmotionModel;
use crate::error::Result;

/// `models/ser_cnn.onnx`.
pub const EMBEDDED_ONNX: &[u8] = include_bytes!("../../models/ser_cnn.onnx");
/// `models/ser_cnn.json`, the sidecar that describes it.
pub const EMBEDDED_SIDECAR: &str = include_str!("../../models/ser_cnn.json");

impl EmotionModel {
    /// The shipped model (native builds only).
    pub fn embedded() -> Result<Self> {
        Self::from_bytes(EMBEDDED_ONNX, EMBEDDED_SIDECAR)
    }
}
