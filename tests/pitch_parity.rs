//! The pitch tracker equals `librosa.yin`, checked against fixtures written by
//! tests/yin_reference.py: on every clip whole (untrimmed, as the file holds it) and trimmed
//! as ser's pipeline trims it (the signal the model reads), plus the loudness contour and a
//! look at the voicing decision next to `librosa.pyin`'s.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use ser::audio::{DecodeLimits, decode_bytes};
use ser::dsp::{PitchParams, prosody, yin};
use ser::{PipelineOptions, analyse_bytes};

const CLIPS: [&str; 6] =
    ["ravdess_01_angry", "ravdess_02_sad", "tess_yaf_happy", "tone_440", "white_noise", "silence_both_ends"];
const SPEECH: [&str; 3] = ["ravdess_01_angry", "ravdess_02_sad", "tess_yaf_happy"];

struct Reference {
    bytes: Vec<u8>,
    samples: Vec<f32>,
    json: serde_json::Value,
}

fn load(clip: &str) -> Reference {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa");
    let bytes = std::fs::read(dir.join(format!("{clip}.flac"))).unwrap();
    let audio = decode_bytes(&bytes, &DecodeLimits::default()).unwrap();
    assert_eq!(audio.sample_rate, 16_000);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{clip}.yin.json"))).unwrap()).unwrap();
    assert_eq!(audio.samples.len() as u64, json["n_samples"].as_u64().unwrap());
    Reference { bytes, samples: audio.samples, json }
}

fn values(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn params_match(json: &serde_json::Value) {
    let p = PitchParams::default();
    let r = &json["params"];
    assert_eq!(r["sr"], p.sample_rate);
    assert_eq!(r["fmin"].as_f64().unwrap(), p.fmin);
    assert_eq!(r["fmax"].as_f64().unwrap(), p.fmax);
    assert_eq!(r["frame_length"], p.frame_length);
    assert_eq!(r["hop_length"], p.hop_length);
    assert_eq!(r["trough_threshold"].as_f64().unwrap(), p.trough_threshold);
    assert_eq!(r["center"], true);
    assert_eq!(r["pad_mode"], "constant");
}

/// The worst relative error and the share of frames within 1 %.
fn compare(ours: &[f32], theirs: &[f64]) -> (f64, f64) {
    assert_eq!(ours.len(), theirs.len(), "frame count differs");
    let errors: Vec<f64> = ours.iter().zip(theirs).map(|(&a, &b)| (a as f64 - b).abs() / b).collect();
    let worst = errors.iter().copied().fold(0.0, f64::max);
    let within = errors.iter().filter(|&&e| e <= 0.01).count() as f64 / errors.len() as f64;
    (worst, within)
}

#[test]
fn f0_equals_librosa_yin_on_whole_and_trimmed_clips() {
    let params = PitchParams::default();
    let (mut worst_all, mut least_share) = (0.0f64, 1.0f64);
    for clip in CLIPS {
        let r = load(clip);
        params_match(&r.json);

        let whole = yin(&r.samples, &params).unwrap();
        assert_eq!(whole.len() as u64, r.json["n_frames"].as_u64().unwrap(), "{clip}");
        let (worst, within) = compare(&whole, &values(&r.json["f0"]));

        // The signal the model reads: ser's trim equals librosa's, so this is the same cut.
        let analysis = analyse_bytes(&r.bytes, &PipelineOptions::default()).unwrap();
        assert_eq!(analysis.signal, r.samples, "{clip}: 16 kHz in, the same samples out");
        let trim = &r.json["trimmed"]["trim"];
        assert_eq!(analysis.kept.len(), 1, "{clip}");
        assert_eq!(analysis.kept[0].start as u64, trim[0].as_u64().unwrap(), "{clip}");
        assert_eq!(analysis.kept[0].end as u64, trim[1].as_u64().unwrap(), "{clip}");
        let trimmed = yin(&analysis.kept_signal(), &params).unwrap();
        // One pitch frame per frame of the model's input.
        assert_eq!(trimmed.len(), analysis.features.n_frames, "{clip}");
        let (worst_t, within_t) = compare(&trimmed, &values(&r.json["trimmed"]["f0"]));

        eprintln!(
            "{clip}: whole {} frames, worst {:.2e}, within 1 % {:.4}; trimmed {} frames, worst {:.2e}, within 1 % {:.4}",
            whole.len(),
            worst,
            within,
            trimmed.len(),
            worst_t,
            within_t
        );
        for (what, share) in [("whole", within), ("trimmed", within_t)] {
            assert!(share >= 0.99, "{clip} ({what}): only {:.2} % of frames within 1 % of librosa", 100.0 * share);
        }
        worst_all = worst_all.max(worst).max(worst_t);
        least_share = least_share.min(within).min(within_t);
    }
    eprintln!("all clips: worst relative error {worst_all:.2e}, least share within 1 % {least_share:.4}");
}

#[test]
fn loudness_equals_librosa_rms_in_db() {
    for clip in CLIPS {
        let r = load(clip);
        let track = prosody(&r.samples, &PitchParams::default()).unwrap();
        let theirs = values(&r.json["rms_db"]);
        assert_eq!(track.rms_db.len(), theirs.len(), "{clip}");
        let worst = track.rms_db.iter().zip(&theirs).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
        eprintln!("{clip}: max |Δrms_db| = {worst:.4} dB");
        // The fixtures are rounded to 1e-3 dB.
        assert!(worst <= 0.01, "{clip}: RMS differs by {worst} dB");
    }
}

#[test]
fn a_pure_tone_gives_its_frequency() {
    // Not a fixture: any frequency in the range, at any level, in whole frames of tone.
    for (hz, amplitude) in [(98.0, 0.05), (196.5, 0.8), (261.63, 0.3), (523.25, 0.01)] {
        let tone: Vec<f32> = (0..24_000)
            .map(|i| (amplitude * (i as f64 * 2.0 * std::f64::consts::PI * hz / 16_000.0).sin()) as f32)
            .collect();
        let track = prosody(&tone, &PitchParams::default()).unwrap();
        let inner = 4..track.n_frames() - 4;
        let worst = track.f0_hz[inner.clone()].iter().map(|&f| (f as f64 - hz).abs() / hz).fold(0.0, f64::max);
        eprintln!("{hz} Hz tone: worst relative error {worst:.2e}");
        // librosa's own definition reads tones up to 0.9 % high (its difference function is
        // not compensated for the shrinking overlap); ours equals it.
        assert!(worst < 0.01, "{hz} Hz: {worst}");
        assert!(track.voiced[inner].iter().all(|&v| v), "{hz} Hz: every inner frame voiced");
        let median = track.summary().f0_median_hz.unwrap();
        assert!((median - hz).abs() / hz < 0.01, "{hz} Hz: median {median}");
    }
}

/// Not parity: the voicing is ser's own (see src/dsp/pitch.rs). pYIN's voiced flag is a
/// yardstick it should mostly agree with on speech, and the synthetic clips have a right answer.
#[test]
fn the_voicing_agrees_with_pyin_on_speech_and_is_right_on_synthetic_clips() {
    for clip in CLIPS {
        let r = load(clip);
        let track = prosody(&r.samples, &PitchParams::default()).unwrap();
        let pyin: Vec<bool> = r.json["pyin_voiced"].as_array().unwrap().iter().map(|v| v.as_bool().unwrap()).collect();
        assert_eq!(pyin.len(), track.n_frames());
        let agree = track.voiced.iter().zip(&pyin).filter(|(a, b)| a == b).count() as f64 / pyin.len() as f64;
        let share = track.voiced.iter().filter(|&&v| v).count() as f64 / pyin.len() as f64;
        eprintln!("{clip}: voiced {share:.3} of frames, agreement with pYIN {agree:.3}");
        if SPEECH.contains(&clip) {
            assert!(agree >= 0.9, "{clip}: agreement with pYIN {agree}");
        }
    }
    let voiced = |clip: &str| prosody(&load(clip).samples, &PitchParams::default()).unwrap().voiced;
    assert!(voiced("tone_440").iter().all(|&v| v));
    assert!(voiced("white_noise").iter().all(|&v| !v));
    // Silence (0.6 s), a 150 Hz harmonic burst (1.2 s), silence: voiced only inside the burst.
    let burst = voiced("silence_both_ends");
    let t = |s: f64| (s * 100.0) as usize;
    assert!(burst[..t(0.6)].iter().chain(&burst[t(1.8) + 1..]).all(|&v| !v));
    let inner = &burst[t(0.75)..t(1.65)];
    assert!(inner.iter().all(|&v| v), "the burst's middle is voiced");
}
