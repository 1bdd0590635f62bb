//! The features equal librosa's, checked against fixtures written by tests/librosa_reference.py.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use ser::audio::{DecodeLimits, decode_bytes};
use ser::dsp::{FeatureExtractor, FeatureParams, SilenceParams};
use ser::dsp::{split, trim};

const CLIPS: [&str; 6] =
    ["ravdess_01_angry", "ravdess_02_sad", "tess_yaf_happy", "tone_440", "white_noise", "silence_both_ends"];

struct Reference {
    samples: Vec<f32>,
    json: serde_json::Value,
}

fn load(clip: &str) -> Reference {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa");
    let bytes = std::fs::read(dir.join(format!("{clip}.flac"))).unwrap();
    let audio = decode_bytes(&bytes, &DecodeLimits::default()).unwrap();
    assert_eq!(audio.sample_rate, 16_000);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{clip}.json"))).unwrap()).unwrap();
    assert_eq!(audio.samples.len() as u64, json["n_samples"].as_u64().unwrap());
    Reference { samples: audio.samples, json }
}

fn matrix(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
}

fn max_abs_diff(ours: &[f32], width: usize, theirs: &[Vec<f64>]) -> f64 {
    assert_eq!(ours.len() / width, theirs.len(), "frame count differs");
    let mut worst = 0.0f64;
    for (t, row) in theirs.iter().enumerate() {
        assert_eq!(row.len(), width);
        for (k, &r) in row.iter().enumerate() {
            worst = worst.max((ours[t * width + k] as f64 - r).abs());
        }
    }
    worst
}

fn params_match(json: &serde_json::Value) {
    let p = FeatureParams::default();
    let r = &json["params"];
    assert_eq!(r["n_fft"], p.n_fft);
    assert_eq!(r["hop_length"], p.hop_length);
    assert_eq!(r["win_length"], p.win_length);
    assert_eq!(r["n_mels"], p.n_mels);
    assert_eq!(r["n_mfcc"], p.n_mfcc);
    assert_eq!(r["top_db"].as_f64().unwrap(), p.top_db);
    assert_eq!(r["trim_frame_length"], p.trim_frame_length);
}

#[test]
fn mfcc_and_log_mel_equal_librosa() {
    let mut extractor = FeatureExtractor::new(&FeatureParams::default());
    for clip in CLIPS {
        let r = load(clip);
        params_match(&r.json);
        let f = extractor.compute(&r.samples);
        assert_eq!(f.n_frames as u64, r.json["n_frames"].as_u64().unwrap(), "{clip}");
        let mfcc = max_abs_diff(&f.mfcc, f.n_mfcc, &matrix(&r.json["mfcc"]));
        let log_mel = max_abs_diff(&f.log_mel, f.n_mels, &matrix(&r.json["log_mel"]));
        eprintln!("{clip}: max |ΔMFCC| = {mfcc:.5}, max |Δlog-mel| = {log_mel:.5} dB");
        assert!(mfcc <= 0.01, "{clip}: MFCC differs by {mfcc}");
        // The fixtures are rounded to 1e-4, which this bound includes.
        assert!(log_mel <= 0.01, "{clip}: log-mel differs by {log_mel} dB");
    }
}

fn silence() -> SilenceParams {
    let p = FeatureParams::default();
    SilenceParams { top_db: p.top_db, frame_length: p.trim_frame_length, hop_length: p.trim_hop_length }
}

#[test]
fn trim_equals_librosa_to_the_sample() {
    for clip in CLIPS {
        let r = load(clip);
        let expected: Vec<usize> =
            r.json["trim"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect();
        let got = trim(&r.samples, &silence()).expect("clip is not silent");
        assert_eq!([got.start, got.end], [expected[0], expected[1]], "{clip}");
    }
}

#[test]
fn split_equals_librosa_to_the_sample() {
    for clip in CLIPS {
        let r = load(clip);
        let expected: Vec<[usize; 2]> = r.json["split"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| [pair[0].as_u64().unwrap() as usize, pair[1].as_u64().unwrap() as usize])
            .collect();
        let got: Vec<[usize; 2]> = split(&r.samples, &silence()).iter().map(|i| [i.start, i.end]).collect();
        assert_eq!(got, expected, "{clip}");
    }
}

#[test]
fn silence_fixture_really_has_silent_edges() {
    // Guards the fixture itself: trimming must remove something at both ends.
    let r = load("silence_both_ends");
    let t = trim(&r.samples, &silence()).unwrap();
    assert!(t.start > 8000 && t.end < r.samples.len() - 5000, "{t:?}");
}
