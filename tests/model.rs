//! The shipped model under tract: equal to onnxruntime, refuses mismatched descriptions,
//! and the report's timeline covers long clips.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use ser::model::{EmotionModel, ModelInfo, Parts, Report, sha256_hex};
use ser::{PipelineOptions, SerError};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> (Vec<u8>, String) {
    (
        std::fs::read(root().join("models/ser_cnn.onnx")).unwrap(),
        std::fs::read_to_string(root().join("models/ser_cnn.json")).unwrap(),
    )
}

#[test]
fn tract_equals_onnxruntime_on_reference_inputs() {
    let (onnx, sidecar) = shipped();
    let model = EmotionModel::from_bytes(&onnx, &sidecar).unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/fixtures/model/reference.json")).unwrap())
            .unwrap();
    assert_eq!(reference["onnx_sha256"].as_str().unwrap(), sha256_hex(&onnx), "reference is for another model");
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    for case in cases {
        let rows = case["frames"].as_array().unwrap();
        assert_eq!(rows[0].as_array().unwrap().len(), model.input_rows(), "a frame has the model's input width");
        let frames: Vec<f32> =
            rows.iter().flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32)).collect();
        let got = model.run_uncalibrated(&frames, rows.len()).unwrap();
        let want: Vec<f64> = case["probabilities"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(got.probabilities.len(), want.len());
        let worst = got.probabilities.iter().zip(&want).map(|(a, b)| (*a as f64 - b).abs()).fold(0.0, f64::max);
        eprintln!("{}: T = {}, max |tract - onnxruntime| = {worst:.2e}", case["name"], rows.len());
        assert!(worst <= 1e-4, "{}: differs by {worst}", case["name"]);
    }
}

#[test]
fn refuses_a_model_trained_on_other_features() {
    let (onnx, sidecar) = shipped();
    let mut info: ModelInfo = serde_json::from_str(&sidecar).unwrap();
    info.feature_params.n_mfcc = 13;
    let err = EmotionModel::from_bytes(&onnx, &serde_json::to_string(&info).unwrap()).err().unwrap();
    assert!(matches!(err, SerError::ModelMismatch(_)), "{err:?}");
    assert!(err.to_string().contains("n_mfcc = 13"), "{err}");
}

#[test]
fn refuses_a_model_whose_output_does_not_fit_its_labels() {
    let (onnx, sidecar) = shipped();
    let mut info: ModelInfo = serde_json::from_str(&sidecar).unwrap();
    info.labels.pop();
    info.voice_baseline = None; // its reference has one value per label too
    let err = EmotionModel::from_bytes(&onnx, &serde_json::to_string(&info).unwrap()).err().unwrap();
    assert!(matches!(err, SerError::ModelMismatch(_)), "{err:?}");
    assert!(err.to_string().contains("it outputs 8 values for 7 labels"), "{err}");
}

#[test]
fn refuses_a_model_that_wants_a_feature_this_program_does_not_compute() {
    let (onnx, sidecar) = shipped();
    let mut info: ModelInfo = serde_json::from_str(&sidecar).unwrap();
    info.feature = "chroma".into();
    let err = EmotionModel::from_bytes(&onnx, &serde_json::to_string(&info).unwrap()).err().unwrap();
    assert!(matches!(err, SerError::ModelMismatch(_)), "{err:?}");
    assert!(err.to_string().contains("'chroma'"), "{err}");
}

#[test]
fn refuses_a_model_file_that_does_not_match_its_sidecar() {
    let (mut onnx, sidecar) = shipped();
    let last = onnx.len() - 1;
    onnx[last] ^= 0xff;
    let err = EmotionModel::from_bytes(&onnx, &sidecar).err().unwrap();
    assert!(err.to_string().contains("sha256"), "{err}");
    let err = EmotionModel::from_bytes(b"garbage", "{not json").err().unwrap();
    assert!(matches!(err, SerError::ModelLoad(_)), "{err:?}");
}

#[test]
fn probabilities_sum_to_one_and_long_clips_get_a_timeline() {
    let (onnx, sidecar) = shipped();
    let model = EmotionModel::from_bytes(&onnx, &sidecar).unwrap();
    let clip = std::fs::read(root().join("tests/fixtures/librosa/ravdess_01_angry.flac")).unwrap();
    let short = ser::analyse_bytes(&clip, &PipelineOptions::default()).unwrap();
    let report = Report::new(&model, &short).unwrap();
    let sum: f32 = report.whole.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    assert!(report.timeline.is_empty(), "a 2 s clip is shorter than the window");

    // Three copies of the clip with pauses: longer than the window, so windows cover it.
    let decoded = ser::audio::decode_bytes(&clip, &Default::default()).unwrap();
    let mut long = Vec::new();
    for _ in 0..3 {
        long.extend_from_slice(&decoded.samples);
    }
    let options = PipelineOptions { trim: false, ..Default::default() };
    let analysis = ser::analyse_samples(&long, decoded.sample_rate, &options).unwrap();
    let report = Report::new(&model, &analysis).unwrap();
    assert!(report.timeline.len() >= 3, "{}", report.timeline.len());
    let first = &report.timeline[0];
    let last = report.timeline.last().unwrap();
    assert!(first.start_s.abs() < 1e-9);
    assert!((last.end_s - analysis.duration_s()).abs() < 0.02, "{} vs {}", last.end_s, analysis.duration_s());
    for w in report.timeline.windows(2) {
        assert!(w[1].start_s > w[0].start_s);
        assert!((w[0].end_s - w[0].start_s - model.info().window_s).abs() < 0.02);
    }
    let json = report.to_json("long.wav");
    assert_eq!(json["timeline"].as_array().unwrap().len(), report.timeline.len());
    let csv = report.to_csv("long.wav");
    assert_eq!(csv.lines().count(), 2 + report.timeline.len());

    // Without the pitch track and the quality report: the same report in every other field,
    // its CSV byte for byte.
    let bare = Report::with_parts(&model, &analysis, Parts { timeline: true, ..Parts::PREDICTION }).unwrap();
    assert!(report.prosody.is_some() && report.prosody_track.is_some() && report.quality.is_some());
    assert!(bare.prosody.is_none() && bare.prosody_track.is_none() && bare.quality.is_none());
    assert_eq!(bare.to_csv("long.wav"), csv);
    let dropped = Report { prosody: None, prosody_track: None, quality: None, ..report.clone() };
    assert_eq!(bare, dropped);
    assert!(bare.to_json("long.wav").get("prosody").is_none());
    // The prediction alone: no windows either, the same whole-clip answer.
    let whole = Report::with_parts(&model, &analysis, Parts::PREDICTION).unwrap();
    assert_eq!(whole, Report { timeline: Vec::new(), ..dropped });
    // Each part alone is the full report's.
    let pitch_only = Report::with_parts(&model, &analysis, Parts { prosody: true, ..Parts::PREDICTION }).unwrap();
    assert_eq!(pitch_only.prosody_track, report.prosody_track);
    let quality_only = Report::with_parts(&model, &analysis, Parts { quality: true, ..Parts::PREDICTION }).unwrap();
    assert_eq!(quality_only.quality, report.quality);
}

#[test]
fn silence_and_dc_offset_are_no_speech_not_a_prediction() {
    let options = PipelineOptions::default();
    for (what, signal) in [("all zeros", vec![0.0f32; 32_000]), ("DC offset only", vec![0.25f32; 32_000])] {
        let err =
            ser::analyse_samples(&signal, 16_000, &options).err().unwrap_or_else(|| panic!("{what} was analysed"));
        assert_eq!(err, SerError::Silent, "{what}");
        assert_eq!(err.to_string(), "The recording is silent: no speech found.");
    }
}
