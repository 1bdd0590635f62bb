//! `ser explain` as a user runs it (the JSON's keys and shapes, equal to the library called
//! in-process; `--png`; its error sentences) and the prosody summary in `ser predict`'s JSON
//! and in `Report`, equal to `ser::dsp::prosody` called directly.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ser::dsp::{PitchParams, prosody};
use ser::model::explain;
use ser::{EmotionModel, PipelineOptions, Report, Reporting, Stepwise, analyse_bytes};
use serde_json::Value;

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ser"));
    c.env("RUST_BACKTRACE", "1");
    for a in args {
        c.arg(a);
    }
    c.output().expect("the ser binary runs")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa").join(name)
}

fn tmp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("explain_cli_{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn one_json(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object per file: {text}");
    serde_json::from_str(lines[0]).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// One sentence on stderr (one line, ending with a full stop) and a non-zero exit.
fn assert_one_sentence(out: &Output, needle: &str) {
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.trim_end().ends_with('.') && err.contains(needle), "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

fn analysis_of(path: &Path, model: &EmotionModel) -> ser::Analysis {
    let options = PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() };
    analyse_bytes(&std::fs::read(path).unwrap(), &options).unwrap()
}

#[test]
fn explain_prints_the_map_and_the_prosody_equal_to_the_library() {
    let path = fixture("ravdess_01_angry.flac");
    let json = one_json(&run(&[&"explain", &path]));
    for key in [
        "file",
        "emotion",
        "probabilities",
        "frames",
        "bands",
        "patch",
        "saliency",
        "time_s",
        "band_hz",
        "f0_hz",
        "voiced",
        "rms_db",
        "f0_params",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    let (frames, bands) = (json["frames"].as_u64().unwrap() as usize, json["bands"].as_u64().unwrap() as usize);
    let (pf, pb) =
        (json["patch"]["frames"].as_u64().unwrap() as usize, json["patch"]["bands"].as_u64().unwrap() as usize);
    assert_eq!(bands, 64);
    let saliency = json["saliency"].as_array().unwrap();
    assert_eq!(saliency.len(), frames.div_ceil(pf), "one row per time patch");
    assert!(saliency.iter().all(|row| row.as_array().unwrap().len() == bands.div_ceil(pb)), "band groups");
    let time_s = numbers(&json["time_s"]);
    assert_eq!(time_s.len(), saliency.len());
    assert_eq!(time_s[0], 0.0);
    assert!(time_s.windows(2).all(|w| w[0] < w[1]), "{time_s:?}");
    let band_hz = numbers(&json["band_hz"]);
    assert_eq!(band_hz.len(), bands.div_ceil(pb) + 1);
    assert_eq!((band_hz[0], *band_hz.last().unwrap()), (0.0, 8000.0));
    assert!(band_hz.windows(2).all(|w| w[0] < w[1]), "{band_hz:?}");

    // The same numbers as the library, in-process.
    let model = EmotionModel::embedded().unwrap();
    let analysis = analysis_of(&path, &model);
    let map = explain(&model, &analysis.features).unwrap();
    assert_eq!(json["emotion"], map.prediction.emotion());
    assert_eq!(frames, map.frames);
    for (row, expected) in saliency.iter().zip(&map.saliency) {
        for (got, want) in numbers(row).iter().zip(expected) {
            assert!((got - *want as f64).abs() <= 1e-6, "{got} vs {want}");
        }
    }
    // Pitch and loudness on the model's frames, from the kept signal.
    let track = prosody(&analysis.kept_signal(), &PitchParams::default()).unwrap();
    let f0 = numbers(&json["f0_hz"]);
    assert_eq!(f0.len(), frames);
    assert_eq!(json["voiced"].as_array().unwrap().len(), frames);
    assert_eq!(json["rms_db"].as_array().unwrap().len(), frames);
    for (got, want) in f0.iter().zip(&track.f0_hz) {
        assert!((got - *want as f64).abs() <= 1e-3, "{got} vs {want}");
    }
    assert_eq!(json["voiced"], serde_json::json!(track.voiced));
    assert_eq!(json["f0_params"]["fmin"], 65.0);
    assert_eq!(json["f0_params"]["hop_length"], 160);
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 33, "{} bytes", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[8..16], b"\0\0\0\x0dIHDR", "IHDR first");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn png_draws_the_map_and_errors_are_sentences() {
    let dir = tmp_dir("png");
    let out_png = dir.join("map.png");
    let json = one_json(&run(&[&"explain", &fixture("ravdess_02_sad.flac"), &"--png", &out_png]));
    let bytes = std::fs::read(&out_png).unwrap();
    let (w, h) = png_size(&bytes);
    // 64 bands at 4 px plus margins; a few seconds at 2 px a frame (at least 480) plus margins.
    let frames = json["frames"].as_u64().unwrap() as u32;
    assert_eq!(h, 64 * 4 + 34 + 52);
    assert_eq!(w, (frames * 2).clamp(480, 1600) + 64 + 110);
    assert!(bytes.len() > 10_000 && bytes.len() < 3_000_000, "{} bytes", bytes.len());

    // One picture, one recording.
    let two =
        run(&[&"explain", &fixture("ravdess_02_sad.flac"), &fixture("ravdess_01_angry.flac"), &"--png", &out_png]);
    assert_one_sentence(&two, "--png draws one recording");
    assert_eq!(two.status.code(), Some(2));
    // A folder that does not exist, a file that is not there, one that is not audio.
    let nowhere = dir.join("no/such/folder/map.png");
    assert_one_sentence(&run(&[&"explain", &fixture("ravdess_02_sad.flac"), &"--png", &nowhere]), "cannot write");
    assert_one_sentence(&run(&[&"explain", &dir.join("missing.wav")]), "missing.wav");
    let text = dir.join("notes.wav");
    std::fs::write(&text, "not audio at all, just words").unwrap();
    assert_one_sentence(&run(&[&"explain", &text]), "notes.wav");
}

#[test]
fn predict_carries_the_prosody_summary_of_the_kept_audio() {
    let model = EmotionModel::embedded().unwrap();
    for name in ["ravdess_01_angry.flac", "ravdess_02_sad.flac"] {
        let path = fixture(name);
        let json = one_json(&run(&[&"predict", &path]));
        let analysis = analysis_of(&path, &model);
        let direct = prosody(&analysis.kept_signal(), &PitchParams::default()).unwrap().summary();
        let median = direct.f0_median_hz.expect("speech has voiced frames");
        assert!((70.0..400.0).contains(&median), "{name}: {median} Hz");
        for (key, want) in [
            ("f0_median_hz", direct.f0_median_hz),
            ("f0_range_semitones", direct.f0_range_semitones),
            ("loudness_range_db", direct.loudness_range_db),
        ] {
            let got = json["prosody"][key].as_f64().unwrap();
            assert!((got - want.unwrap()).abs() <= 1e-6, "{name} {key}: {got} vs {want:?}");
        }
        // The page's path (Reporting in small steps) gives the same report as the one call.
        let report = Report::new(&model, &analysis).unwrap();
        assert_eq!(report.prosody, Some(direct));
        let mut machine = Reporting::new(&model, &analysis);
        while !machine.step(1).unwrap() {
            assert!(machine.progress() < 1.0);
        }
        assert_eq!(machine.finish().unwrap(), report);
    }
}

#[test]
fn white_noise_has_a_prosody_object_and_no_crash() {
    let json = one_json(&run(&[&"predict", &fixture("white_noise.flac")]));
    let p = json["prosody"].as_object().expect("a prosody object");
    assert_eq!(p.len(), 3);
    // Noise has no voiced frame, so no pitch to summarise: every figure is null, not 0.
    for (key, v) in p {
        assert!(v.is_null(), "{key}: {v}");
    }
    let explained = one_json(&run(&[&"explain", &fixture("white_noise.flac")]));
    assert_eq!(explained["f0_hz"].as_array().unwrap().len() as u64, explained["frames"].as_u64().unwrap());
}
