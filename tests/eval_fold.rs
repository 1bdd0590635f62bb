//! `ser eval` on one cross-validation fold's test actors reproduces the figure the trainer
//! recorded for that fold's model (models/cv/fold1.json), within one percentage point.
//! Needs ../shared/data beside the repo; without it the test says so and skips.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// `ser eval --json [extra…]` with fold 1's model on fold 1's held-out actors, and that
/// model's sidecar; `None` (the test skips, saying so) without ../shared/data.
fn eval_fold1(extra: &[&str]) -> Option<(Value, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("../shared/data");
    if !data.join("manifest.csv").exists() {
        eprintln!("SKIPPED: ../shared/data is absent, so the fold cannot be re-evaluated");
        return None;
    }
    let card: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("models/cv/fold1.json")).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ser"))
        .args(["eval", "--json"])
        .args(extra)
        .arg("--manifest")
        .arg(root.join("models/cv/fold1_test.csv"))
        .arg("--root")
        .arg(&data)
        .arg("--model")
        .arg(root.join("models/cv/fold1.onnx"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some((card, serde_json::from_slice(&out.stdout).unwrap()))
}

#[test]
fn eval_reproduces_the_fold_figure() {
    let Some((card, got)) = eval_fold1(&[]) else { return };
    assert_eq!(got["skipped"], 0, "every test clip must be analysed");
    let test_speakers = card["test_speakers"].as_array().unwrap();
    assert_eq!(test_speakers.len(), 4);
    assert_eq!(got["n"].as_u64().unwrap(), 60 * test_speakers.len() as u64);
    for key in ["accuracy", "uar", "macro_f1"] {
        let (ours, recorded) = (got[key].as_f64().unwrap(), card[key].as_f64().unwrap());
        eprintln!("fold 1 {key}: ser eval {ours:.4}, trainer {recorded:.4}");
        assert!((ours - recorded).abs() <= 0.01, "{key}: ser eval {ours} vs model card {recorded}");
    }
}

/// `ser eval --baseline-from neutral`, the protocol on fold 1: each test actor's first
/// two neutral clips make their baseline and are not scored; the other clips are scored cold
/// and relative to the actor's baseline. Both sets of figures equal the trainer's reference
/// (models/train/voice_offset.py --fold-model, onnxruntime on the exported features) within
/// one clip, so the Rust baseline path computes what was measured.
#[test]
fn eval_with_baselines_reproduces_the_trainers_figures() {
    let Some((card, got)) = eval_fold1(&["--baseline-from", "neutral"]) else { return };
    let reference = &card["voice_baseline_eval"];
    let baseline = &got["baseline"];
    assert_eq!(baseline["speakers"], 4);
    // 240 clips less 2 baseline clips for each of 4 actors, the same clips in both.
    assert_eq!(got["n"], 232);
    assert_eq!(baseline["n"], 232);
    assert_eq!(got["n"], reference["scored_clips"]);
    let one_clip = 1.0 / 232.0 + 1e-9;
    for key in ["accuracy", "uar", "macro_f1"] {
        for (mode, ours) in [("cold", &got), ("baseline", baseline)] {
            let (ours, want) = (ours[key].as_f64().unwrap(), reference[mode][key].as_f64().unwrap());
            eprintln!("fold 1 {mode} {key}: ser eval {ours:.4}, trainer {want:.4}");
            assert!((ours - want).abs() <= one_clip * 1.5, "{mode} {key}: ser eval {ours} vs trainer {want}");
        }
    }
    // The baseline moved answers: the confusion matrices differ.
    assert_ne!(got["confusion"], baseline["confusion"], "the baseline changed no answer");
}
