//! The input-quality report on generated inputs: each fault, made from a real speech fixture,
//! gets its warning, and the clean fixtures get none.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::Command;

use ser::audio::resample;
use ser::{DecodeLimits, PipelineOptions, Quality, analyse_bytes, decode_bytes};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// A fixture's mono samples and rate.
fn speech(name: &str) -> (Vec<f32>, u32) {
    let audio = decode_bytes(&std::fs::read(fixture(name)).unwrap(), &DecodeLimits::default()).unwrap();
    (audio.samples, audio.sample_rate)
}

/// A 16-bit WAV in memory: what a recorder writes, so clipping is clipping at full scale.
fn wav(samples: &[f32], sample_rate: u32, channels: u16) -> Vec<u8> {
    let spec = hound::WavSpec { channels, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
    for &s in samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
    cursor.into_inner()
}

fn quality_of(bytes: &[u8]) -> (Quality, Vec<String>) {
    let q = analyse_bytes(bytes, &PipelineOptions::default()).unwrap().quality();
    let w = q.warnings();
    (q, w)
}

/// The one warning that starts with `start`, and nothing else.
fn only_warning<'w>(warnings: &'w [String], start: &str) -> &'w str {
    assert_eq!(warnings.len(), 1, "expected only a '{start}' warning, got {warnings:?}");
    assert!(warnings[0].starts_with(start), "expected '{start}…', got {warnings:?}");
    &warnings[0]
}

const CLEAN: [&str; 5] = [
    "librosa/ravdess_01_angry.flac",
    "librosa/ravdess_02_sad.flac",
    "librosa/tess_yaf_happy.flac",
    "baseline/ravdess_01_neutral_1.flac",
    "baseline/ravdess_01_neutral_2.flac",
];

#[test]
fn clean_studio_clips_get_no_warning() {
    for name in CLEAN {
        let (q, warnings) = quality_of(&std::fs::read(fixture(name)).unwrap());
        assert!(warnings.is_empty(), "{name}: {warnings:?} ({q:?})");
        assert_eq!((q.source_sample_rate, q.channels), (16_000, 1), "{name}");
        assert!(q.bandwidth_hz.unwrap() > 7_000.0, "{name}: {q:?}");
        assert!(q.truncation.is_none() && q.clipped_fraction == 0.0, "{name}: {q:?}");
        // Saved as 16-bit WAV, the same clip is just as clean.
        let (samples, rate) = speech(name);
        assert!(quality_of(&wav(&samples, rate, 1)).1.is_empty(), "{name} as WAV");
    }
}

#[test]
fn plus_24_db_is_clipped() {
    let (samples, rate) = speech("librosa/ravdess_01_angry.flac");
    let loud: Vec<f32> = samples.iter().map(|s| s * 10f32.powf(24.0 / 20.0)).collect();
    let (q, warnings) = quality_of(&wav(&loud, rate, 1));
    let w = only_warning(&warnings, "Clipped: ");
    assert!(w.contains("of samples are at full scale. Speaking too close or too loud distorts"), "{w}");
    assert!(q.clipped_fraction > 0.01 && q.peak_dbfs > -0.1, "{q:?}");
}

#[test]
fn one_clipped_channel_of_a_stereo_file_counts() {
    let (samples, rate) = speech("librosa/ravdess_01_angry.flac");
    let gain = 10f32.powf(24.0 / 20.0);
    // The right channel clipped, the left one clean: the mono mix would hide half of it.
    let stereo: Vec<f32> = samples.iter().flat_map(|&s| [s, (s * gain).clamp(-1.0, 1.0)]).collect();
    let (q, warnings) = quality_of(&wav(&stereo, rate, 2));
    assert_eq!(q.channels, 2);
    only_warning(&warnings, "Clipped: ");
}

#[test]
fn an_8_khz_recording_is_telephone_quality() {
    let (samples, rate) = speech("librosa/ravdess_01_angry.flac");
    let phone = resample(&samples, rate, 8_000).unwrap();
    let (q, warnings) = quality_of(&wav(&phone, 8_000, 1));
    let w = only_warning(&warnings, "Telephone quality: the sound stops at ");
    assert_eq!(q.source_sample_rate, 8_000);
    let bw = q.bandwidth_hz.unwrap();
    assert!((3_500.0..=4_050.0).contains(&bw), "{bw} Hz: {w}");
}

#[test]
fn minus_40_db_is_very_quiet() {
    let (samples, rate) = speech("librosa/tess_yaf_happy.flac");
    let quiet: Vec<f32> = samples.iter().map(|s| s * 0.01).collect();
    let (q, warnings) = quality_of(&wav(&quiet, rate, 1));
    let w = only_warning(&warnings, "Very quiet: the speech peaks at \u{2212}");
    assert!(w.contains(" dBFS"), "{w}");
    assert!(q.peak_dbfs < -40.0, "{q:?}");
}

/// A fixed-seed generator of white noise, uniform, with unit variance.
fn white_noise(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (state >> 40) as f32 / (1u64 << 24) as f32;
            (u - 0.5) * 12f32.sqrt()
        })
        .collect()
}

#[test]
fn white_noise_at_0_db_snr_is_noisy() {
    let name = "librosa/ravdess_02_sad.flac";
    let (samples, rate) = speech(name);
    // 0 dB: the noise as strong as the speech the trimmer keeps.
    let clean = analyse_bytes(&std::fs::read(fixture(name)).unwrap(), &PipelineOptions::default()).unwrap();
    let speech_rms = 10f64.powf(clean.quality().rms_dbfs / 20.0) as f32;
    let noisy: Vec<f32> = samples.iter().zip(white_noise(samples.len(), 7)).map(|(s, n)| s + speech_rms * n).collect();
    let (q, warnings) = quality_of(&wav(&noisy, rate, 1));
    let w = only_warning(&warnings, "Noisy: the speech is only ");
    assert!(q.snr_db.unwrap() < 6.0, "{q:?}: {w}");
}

#[test]
fn little_speech_says_how_much_is_left() {
    let (samples, rate) = speech("librosa/ravdess_01_angry.flac");
    let clean =
        analyse_bytes(&std::fs::read(fixture("librosa/ravdess_01_angry.flac")).unwrap(), &PipelineOptions::default())
            .unwrap();
    // 0.7 s of the speech, between a second of silence on either side.
    let start = clean.kept[0].start * rate as usize / clean.sample_rate as usize;
    let mut short = vec![0.0f32; rate as usize];
    short.extend_from_slice(&samples[start..start + (0.7 * rate as f64) as usize]);
    short.extend(vec![0.0f32; rate as usize]);
    let (q, warnings) = quality_of(&wav(&short, rate, 1));
    let w = only_warning(&warnings, "Only 0.");
    assert!(w.contains(" s of speech after removing silence; the model learnt from recordings with "), "{w}");
    assert!((0.6..0.9).contains(&q.speech_s), "{q:?}");
}

#[test]
fn a_file_cut_off_says_so_and_is_analysed() {
    let (take, rate) = speech("librosa/ravdess_02_sad.flac");
    // The take twice; the header (44 bytes) announces both, but only the first follows.
    let samples = [take.clone(), take].concat();
    let whole = wav(&samples, rate, 1);
    let data = whole.len() - 44;
    let cut = &whole[..44 + data / 2];
    let (q, warnings) = quality_of(cut);
    let w = only_warning(&warnings, "The file ends early: its header announces ");
    let t = q.truncation.unwrap();
    let full = samples.len() as f64 / rate as f64;
    assert!((t.announced_s - full).abs() < 0.01 && (t.present_s - full / 2.0).abs() < 0.05, "{t:?}");
    assert!(w.ends_with("s are present; the part present was analysed."), "{w}");
    // The whole file, same samples: nothing to say.
    assert!(quality_of(&whole).1.is_empty());
}

#[test]
fn several_faults_are_all_named() {
    let (samples, rate) = speech("librosa/ravdess_01_angry.flac");
    let phone_quiet: Vec<f32> = resample(&samples, rate, 8_000).unwrap().iter().map(|s| s * 0.01).collect();
    let (_, warnings) = quality_of(&wav(&phone_quiet, 8_000, 1));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("Telephone quality") && warnings[1].starts_with("Very quiet"), "{warnings:?}");
}

#[test]
fn ser_predict_json_carries_quality_and_warnings() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("quality_cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (samples, rate) = speech("librosa/tess_yaf_happy.flac");
    let quiet = dir.join("quiet.wav");
    std::fs::write(&quiet, wav(&samples.iter().map(|s| s * 0.01).collect::<Vec<_>>(), rate, 1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ser"))
        .arg("predict")
        .arg(fixture("librosa/tess_yaf_happy.flac"))
        .arg(&quiet)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let q = &line["quality"];
        for key in [
            "peak_dbfs",
            "rms_dbfs",
            "clipped_fraction",
            "snr_db",
            "speech_s",
            "source_sample_rate",
            "bandwidth_hz",
            "channels",
        ] {
            assert!(q[key].is_number(), "{key} in {line}");
        }
        assert!(q["truncation"].is_null(), "{line}");
        assert!(line["warnings"].is_array(), "{line}");
    }
    assert_eq!(lines[0]["warnings"], serde_json::json!([]));
    let warnings = lines[1]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().starts_with("Very quiet"), "{warnings:?}");
}
