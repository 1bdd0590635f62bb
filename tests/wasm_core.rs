//! The core in wasm32, in headless Chromium: decode a FLAC fixture, resample, trim and compute
//! features, and check them against the librosa reference, exactly as the native tests do.
//! Run: `cargo test --target wasm32-unknown-unknown --test wasm_core` (needs chromedriver).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const CLIP: &[u8] = include_bytes!("fixtures/librosa/ravdess_01_angry.flac");
const REFERENCE: &str = include_str!("fixtures/librosa/ravdess_01_angry.json");

#[wasm_bindgen_test]
fn features_equal_librosa_in_the_browser() {
    let analysis = ser::analyse_bytes(CLIP, &ser::PipelineOptions { trim: false, ..Default::default() }).unwrap();
    let reference: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let f = &analysis.features;
    assert_eq!(f.n_frames as u64, reference["n_frames"].as_u64().unwrap());
    let mut worst = 0.0f64;
    for (t, row) in reference["mfcc"].as_array().unwrap().iter().enumerate() {
        for (k, v) in row.as_array().unwrap().iter().enumerate() {
            worst = worst.max((f.mfcc[t * f.n_mfcc + k] as f64 - v.as_f64().unwrap()).abs());
        }
    }
    assert!(worst <= 0.01, "MFCC differs from librosa by {worst}");
}

#[wasm_bindgen_test]
fn trim_and_errors_in_the_browser() {
    let analysis = ser::analyse_bytes(CLIP, &ser::PipelineOptions::default()).unwrap();
    let reference: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let trim = reference["trim"].as_array().unwrap();
    assert_eq!(analysis.kept[0].start as u64, trim[0].as_u64().unwrap());
    assert_eq!(analysis.kept[0].end as u64, trim[1].as_u64().unwrap());
    let err = ser::analyse_bytes(b"definitely not audio", &ser::PipelineOptions::default()).unwrap_err();
    assert_eq!(err, ser::SerError::NotAudio);
    // 48 kHz input goes through the resampler in wasm too.
    let tone: Vec<f32> =
        (0..48_000).map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0).sin() * 0.5).collect();
    let a = ser::analyse_samples(&tone, 48_000, &ser::PipelineOptions::default()).unwrap();
    assert!((a.signal.len() as i64 - 16_000).abs() <= 2, "{}", a.signal.len());
}
