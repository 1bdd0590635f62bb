#![no_main]
//! The whole `ser predict` path: analyse_bytes, the shipped CNN (tract) on the whole clip and
//! on each timeline window, and the JSON report.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ser::model::{EmotionModel, Report};

mod common;

static MODEL: OnceLock<EmotionModel> = OnceLock::new();

fn model() -> &'static EmotionModel {
    MODEL.get_or_init(|| {
        EmotionModel::from_bytes(ser::model::EMBEDDED_ONNX, ser::model::EMBEDDED_SIDECAR)
            .expect("the shipped model loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let model = model();
    let options = common::options_from(data);
    let analysis = match ser::pipeline::analyse_bytes(data, &options) {
        Ok(analysis) => analysis,
        Err(err) => return common::check_error(&err),
    };
    common::check_analysis(&analysis, &options);
    let report = match Report::new(model, &analysis) {
        Ok(report) => report,
        Err(err) => return common::check_error(&err),
    };
    let labels = model.labels().len();
    common::check_probabilities(&report.whole.probabilities, labels);
    for segment in &report.timeline {
        common::check_probabilities(&segment.prediction.probabilities, labels);
        assert!(segment.start_s.is_finite() && segment.end_s.is_finite(), "non-finite segment bounds");
        assert!(segment.start_s < segment.end_s, "empty segment {}..{}", segment.start_s, segment.end_s);
        assert!(segment.end_s <= report.duration_s + 1e-6, "segment past the end");
    }
    let json = report.to_json("x");
    let emotion = json["emotion"].as_str().expect("emotion is a string");
    assert!(model.labels().iter().any(|l| l == emotion), "unknown emotion {emotion}");
    let text = serde_json::to_string(&json).expect("the report serialises");
    assert!(!text.contains("null"), "null (NaN?) in the report: {text}");
});
