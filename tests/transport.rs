//! The results the page's compute worker sends to the page survive the trip: a report, an
//! explanation and a live reading, encoded by their derived serde form in postcard's format
//! (as src/bin/app/compute/wire.rs does) and read back, equal what was sent, to the bit.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;

use ser::model::{Explanation, explain};
use ser::{EmotionModel, LiveReading, LiveStream, PipelineOptions, Report, analyse_bytes};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
    postcard::from_bytes(&postcard::to_allocvec(value).unwrap()).unwrap()
}

fn analysed(file: &str) -> (EmotionModel, ser::Analysis) {
    let model = EmotionModel::embedded().unwrap();
    let options = PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() };
    let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    (model, analyse_bytes(&bytes, &options).unwrap())
}

#[test]
fn a_report_with_a_timeline_pitch_track_and_quality_arrives_whole() {
    let (model, analysis) = analysed("tests/fixtures/e2e/speech_long.wav");
    let report = Report::new(&model, &analysis).unwrap();
    assert!(report.timeline.len() > 1 && report.prosody_track.is_some() && report.quality.is_some());
    let back = round_trip(&report);
    assert_eq!(back, report);
    assert_eq!(back.to_json("x"), report.to_json("x"));
}

#[test]
fn an_explanation_arrives_whole() {
    let (model, analysis) = analysed("tests/fixtures/librosa/ravdess_01_angry.flac");
    let map: Explanation = explain(&model, &analysis.features).unwrap();
    assert_eq!(round_trip(&map), map);
}

#[test]
fn a_live_reading_arrives_whole() {
    let (model, analysis) = analysed("tests/fixtures/librosa/ravdess_01_angry.flac");
    let mut live = LiveStream::new(&model, analysis.sample_rate).unwrap();
    live.push(&analysis.signal).unwrap();
    let reading: LiveReading = live.reading(&model).unwrap().expect("speech in the window");
    assert!(reading.prediction.is_some());
    assert_eq!(round_trip(&reading), reading);
}
