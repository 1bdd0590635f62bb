//! Hard inputs through the real `ser predict` binary: broken, hostile, degenerate and unusual
//! files. A bad file must give exactly one line `PATH: <sentence>` on stderr (the sentence is
//! the `SerError` the pipeline should return, built here from the enum so the mapping is
//! checked, not a copy of its text) and a non-zero exit; a good one a valid JSON result.
//!
//! Every file is generated here, into a folder under `std::env::temp_dir()`. The speech is
//! `tests/fixtures/librosa/ravdess_01_angry.flac` (angry with models 1.2.0 to 1.4.0), decoded with the
//! library and brought to other rates by exact FFT resampling written here, not by
//! `ser::audio::resample`: the latter shifts the signal by up to half a sample going up from
//! 16 kHz (see `the_resampler_keeps_speech_in_place_and_whole`), which moved probabilities by
//! up to 0.07 and would blame the pipeline for the generator.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;
use ser::audio::{DecodeLimits, decode_bytes, resample};
use ser::dsp::kept_intervals;
use ser::{PipelineOptions, SerError};
use serde_json::Value;

mod common;
use common::noise_bytes;

// ---------------------------------------------------------------------------------------------
// Running `ser predict`

const SPEECH: &str = "ravdess_01_angry.flac";
const SR: u32 = 16_000;

/// What one `ser predict` call printed.
struct Run {
    code: Option<i32>,
    json: Vec<Value>,
    errors: Vec<String>,
}

fn predict<P: AsRef<Path>>(paths: &[P]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ser"))
        .arg("predict")
        .args(paths.iter().map(AsRef::as_ref))
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the ser binary runs");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "a panic shows on stderr:\n{stderr}");
    let json = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l:.300}")))
        .collect();
    Run { code: out.status.code(), json, errors: stderr.lines().map(str::to_owned).collect() }
}

/// The line `ser predict` must print for a file that fails with `error`.
fn error_line(path: &Path, error: &SerError) -> String {
    format!("{}: {}", path.display(), error)
}

/// One bad file: exactly the expected line on stderr, nothing on stdout, a non-zero exit.
fn assert_fails(path: &Path, expected: &SerError) {
    let run = predict(&[path]);
    let want = error_line(path, expected);
    assert_eq!(run.errors, vec![want.clone()], "{}: stderr differs", path.display());
    assert!(run.json.is_empty(), "{}: a result was printed for a bad file: {:?}", path.display(), run.json);
    assert_ne!(run.code, Some(0), "{}: exit status 0 for a bad file", path.display());
    assert!(run.code.is_some(), "{}: killed by a signal", path.display());
}

/// Runs good files in one call and returns their results, in order.
fn predict_ok<P: AsRef<Path>>(paths: &[P]) -> Vec<Value> {
    let run = predict(paths);
    assert!(run.errors.is_empty(), "stderr for good files:\n{}", run.errors.join("\n"));
    assert_eq!(run.code, Some(0));
    assert_eq!(run.json.len(), paths.len(), "one JSON line per file");
    for (v, p) in run.json.iter().zip(paths) {
        assert_eq!(
            v["file"].as_str(),
            Some(p.as_ref().display().to_string().as_str()),
            "results are in the order given"
        );
    }
    run.json
}

fn labels() -> &'static Vec<String> {
    static LABELS: OnceLock<Vec<String>> = OnceLock::new();
    LABELS.get_or_init(|| {
        let sidecar: Value = serde_json::from_str(ser::model::EMBEDDED_SIDECAR).unwrap();
        sidecar["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect()
    })
}

/// The probabilities of a result, in label order.
fn probabilities(v: &Value) -> Vec<f64> {
    labels()
        .iter()
        .map(|l| v["probabilities"][l].as_f64().unwrap_or_else(|| panic!("no probability for {l}: {v}")))
        .collect()
}

/// A valid result: 8 finite probabilities summing to 1, the emotion their argmax, the duration
/// right within 1 %, and every kept interval inside the recording.
fn check_result(v: &Value, duration_s: f64, what: &str) {
    let p = probabilities(v);
    assert_eq!(p.len(), 8, "{what}");
    assert_eq!(v["probabilities"].as_object().unwrap().len(), 8, "{what}: {v}");
    assert!(p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)), "{what}: probabilities {p:?}");
    let sum: f64 = p.iter().sum();
    assert!((sum - 1.0).abs() <= 1e-4, "{what}: probabilities sum to {sum}");
    let best = (0..8).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    assert_eq!(v["emotion"].as_str(), Some(labels()[best].as_str()), "{what}: emotion is not the argmax of {p:?}");
    let confidence = v["confidence"].as_f64().unwrap();
    assert!((confidence - p[best]).abs() <= 1e-6, "{what}: confidence {confidence} vs {}", p[best]);
    let d = v["duration_s"].as_f64().unwrap();
    assert!((d - duration_s).abs() <= 0.01 * duration_s, "{what}: duration {d} s, expected {duration_s} s");
    let kept = v["kept"].as_array().unwrap();
    assert!(!kept.is_empty(), "{what}: nothing kept");
    for k in kept {
        let (a, b) = (k[0].as_f64().unwrap(), k[1].as_f64().unwrap());
        assert!(0.0 <= a && a < b && b <= d + 1e-6, "{what}: kept {a}..{b} of {d} s");
    }
}

/// Largest difference between two results' probabilities.
fn max_prob_diff(a: &Value, b: &Value) -> f64 {
    probabilities(a).iter().zip(probabilities(b)).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// Same emotion as `reference` and every probability within `tolerance` of it.
fn assert_close(v: &Value, reference: &Value, tolerance: f64, what: &str) -> f64 {
    let diff = max_prob_diff(v, reference);
    eprintln!("{what}: {} (confidence {:.4}), max probability difference {diff:.4}", v["emotion"], v["confidence"]);
    assert_eq!(v["emotion"], reference["emotion"], "{what}: {v}\nreference: {reference}");
    assert!(
        diff <= tolerance,
        "{what}: a probability differs by {diff:.4} (tolerance {tolerance})\n{v}\nreference: {reference}"
    );
    diff
}

// ---------------------------------------------------------------------------------------------
// Signals and files

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn speech_path() -> PathBuf {
    fixture("librosa").join(SPEECH)
}

/// The speech fixture at 16 kHz, mono.
fn speech() -> &'static Vec<f32> {
    static SPEECH_16K: OnceLock<Vec<f32>> = OnceLock::new();
    SPEECH_16K.get_or_init(|| {
        let audio = decode_bytes(&std::fs::read(speech_path()).unwrap(), &DecodeLimits::default()).unwrap();
        assert_eq!((audio.sample_rate, audio.channels), (SR, 1));
        audio.samples
    })
}

/// `ser predict` of the untouched 16 kHz FLAC fixture.
fn reference() -> &'static Value {
    static REFERENCE: OnceLock<Value> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let path = speech_path();
        let v = predict_ok(&[&path]).remove(0);
        check_result(&v, speech().len() as f64 / SR as f64, "the original");
        v
    })
}

/// Exact band-limited resampling of a clip treated as periodic: its spectrum, cut or padded
/// with zeros, transformed back (after zero-padding the clip to a whole number of 640-sample
/// blocks, so both lengths are whole). Independent of the library's resampler, so the tests
/// below check the pipeline's conversion to 16 kHz against ideal inputs.
fn ideal_resample(x: &[f32], from: u32, to: u32) -> Vec<f32> {
    let block = (from / gcd(from, to)) as usize;
    let n = x.len().div_ceil(block) * block;
    let m = n / block * (to / gcd(from, to)) as usize;
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(m);
    let mut input: Vec<f64> = x.iter().map(|&v| v as f64).chain(std::iter::repeat(0.0)).take(n).collect();
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut input, &mut spectrum).unwrap();
    let mut out_spectrum = inverse.make_input_vec();
    let k = out_spectrum.len().min(spectrum.len());
    out_spectrum[..k].copy_from_slice(&spectrum[..k]);
    // The DC and Nyquist bins of a real signal are real.
    out_spectrum[0].im = 0.0;
    if m.is_multiple_of(2) {
        out_spectrum.last_mut().unwrap().im = 0.0;
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut out_spectrum, &mut out).unwrap();
    out.iter().map(|v| (v / n as f64) as f32).collect()
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The speech at another rate, resampled exactly (see [`ideal_resample`]).
fn speech_at(rate: u32) -> Vec<f32> {
    ideal_resample(speech(), SR, rate)
}

/// The 16 kHz speech with everything above `cutoff_hz` removed (an ideal low-pass): what a
/// file at a rate below 32 kHz can hold of it.
fn speech_below(cutoff_hz: f64) -> Vec<f32> {
    let x = speech();
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    let mut input: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut input, &mut spectrum).unwrap();
    for (k, c) in spectrum.iter_mut().enumerate() {
        if k as f64 * SR as f64 / n as f64 >= cutoff_hz {
            *c = Complex::new(0.0, 0.0);
        }
    }
    let mut out = inverse.make_output_vec();
    inverse.process(&mut spectrum, &mut out).unwrap();
    out.iter().map(|v| (v / n as f64) as f32).collect()
}

/// A folder of its own for each test, removed when the test passes (kept for a look when
/// it fails).
struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn tmp_dir(test: &str) -> TmpDir {
    let dir = std::env::temp_dir().join(format!("ser_hard_inputs_{}", std::process::id())).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TmpDir(dir)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A WAV written by hound. `channels[c][i]` is sample `i` of channel `c`, nominally in [-1, 1];
/// integer formats are clamped to their range.
fn wav(sample_rate: u32, bits: u16, float: bool, channels: &[Vec<f32>]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate,
        bits_per_sample: bits,
        sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let frames = channels[0].len();
    assert!(channels.iter().all(|c| c.len() == frames));
    let mut bytes = Vec::new();
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
        for i in 0..frames {
            for ch in channels {
                let v = ch[i];
                match (float, bits) {
                    (true, 32) => w.write_sample(v).unwrap(),
                    (false, 16) => w.write_sample(to_i16(v)).unwrap(),
                    (false, 24) => w
                        .write_sample(((v as f64 * 8_388_608.0).round().clamp(-8_388_608.0, 8_388_607.0)) as i32)
                        .unwrap(),
                    other => panic!("unsupported WAV format {other:?}"),
                }
            }
        }
        w.finalize().unwrap();
    }
    bytes
}

fn to_i16(v: f32) -> i16 {
    (v as f64 * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

fn wav16(sample_rate: u32, mono: &[f32]) -> Vec<u8> {
    wav(sample_rate, 16, false, &[mono.to_vec()])
}

/// Uniform noise in [-amp, amp], fixed seed.
fn noise(seed: u64, len: usize, amp: f32) -> Vec<f32> {
    noise_bytes(seed, len).iter().map(|&b| (b as f32 / 127.5 - 1.0) * amp).collect()
}

/// The loudest `len` samples of the speech (highest energy window, 10 ms steps).
fn loud_speech(len: usize) -> Vec<f32> {
    let x = speech();
    let energy = |s: usize| x[s..s + len].iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
    let start = (0..=x.len() - len).step_by(160).max_by(|&a, &b| energy(a).total_cmp(&energy(b))).unwrap();
    x[start..start + len].to_vec()
}

// ---------------------------------------------------------------------------------------------
// G.711 (ITU-T G.711; the algorithm of Sun's public-domain g711.c), written here so the test
// checks the decoder against an independent codec.

const MULAW_BIAS: i32 = 0x84;
const MULAW_CLIP: i32 = 32635;

fn linear_to_mulaw(pcm: i16) -> u8 {
    let mut x = pcm as i32;
    let sign = if x < 0 {
        x = -x;
        0x80
    } else {
        0
    };
    x = x.min(MULAW_CLIP) + MULAW_BIAS;
    let exponent = (7 - (x.leading_zeros() as i32 - 17)).clamp(0, 7); // position of the top bit above bit 7
    let mantissa = (x >> (exponent + 3)) & 0x0f;
    !((sign | (exponent << 4) | mantissa) as u8)
}

fn mulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0f) as i32;
    let magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
    (if u & 0x80 != 0 { -magnitude } else { magnitude }) as i16
}

fn linear_to_alaw(pcm: i16) -> u8 {
    // A-law works on 13 bits: drop the 3 low bits of the 16-bit sample.
    let mut x = (pcm as i32) >> 3;
    let sign = if x >= 0 {
        0x80
    } else {
        x = -x - 1;
        0x00
    };
    let x = x.min(0x0fff);
    let (exponent, mantissa) = if x < 32 {
        (0, x >> 1)
    } else {
        let e = 31 - x.leading_zeros() as i32 - 4; // 1..=7
        (e, (x >> e) & 0x0f)
    };
    ((sign | (exponent << 4) | mantissa) as u8) ^ 0x55
}

fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0f) as i32;
    let magnitude = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    (if a & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

/// A WAV of 8-bit G.711 samples: WAVE_FORMAT_ALAW (6) or WAVE_FORMAT_MULAW (7), with the
/// 18-byte fmt chunk and the fact chunk that non-PCM formats carry.
fn g711_wav(format_tag: u16, sample_rate: u32, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(58 + data.len());
    let riff_len = 4 + (8 + 18) + (8 + 4) + (8 + data.len() + data.len() % 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(riff_len as u32).to_le_bytes());
    b.extend_from_slice(b"WAVE");
    b.extend_from_slice(b"fmt ");
    b.extend_from_slice(&18u32.to_le_bytes());
    b.extend_from_slice(&format_tag.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // channels
    b.extend_from_slice(&sample_rate.to_le_bytes());
    b.extend_from_slice(&sample_rate.to_le_bytes()); // bytes per second
    b.extend_from_slice(&1u16.to_le_bytes()); // block align
    b.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    b.extend_from_slice(b"fact");
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes()); // sample frames
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(data);
    if data.len() % 2 == 1 {
        b.push(0);
    }
    b
}

#[test]
fn the_g711_codec_written_here_is_right() {
    // The expansions are the standard tables' end points and steps...
    assert_eq!(mulaw_to_linear(0xff), 0);
    assert_eq!(mulaw_to_linear(0x7f), 0);
    assert_eq!(mulaw_to_linear(0x80), 32124);
    assert_eq!(mulaw_to_linear(0x00), -32124);
    assert_eq!(alaw_to_linear(0xd5), 8);
    assert_eq!(alaw_to_linear(0x55), -8);
    assert_eq!(alaw_to_linear(0xaa), 32256);
    assert_eq!(alaw_to_linear(0x2a), -32256);
    // ...and encoding then expanding every 16-bit value lands on the nearest level's segment:
    // within half a quantisation step (1/16 of the segment's magnitude, plus rounding).
    for pcm in i16::MIN..=i16::MAX {
        let x = pcm as i32;
        let mu = mulaw_to_linear(linear_to_mulaw(pcm)) as i32;
        let a = alaw_to_linear(linear_to_alaw(pcm)) as i32;
        let clipped = x.clamp(-32124, 32124);
        assert!((mu - clipped).abs() <= clipped.abs() / 16 + 8, "mu-law {pcm} -> {mu}");
        let clipped = x.clamp(-32256, 32256);
        assert!((a - clipped).abs() <= clipped.abs() / 16 + 16, "A-law {pcm} -> {a}");
    }
    // Every byte survives expanding and encoding again (both codes are bijections onto their
    // levels, except mu-law's two zeros).
    for byte in 0..=255u8 {
        assert_eq!(linear_to_alaw(alaw_to_linear(byte)), byte, "A-law byte {byte:#04x}");
        let again = linear_to_mulaw(mulaw_to_linear(byte));
        assert!(again == byte || (byte == 0x7f && again == 0xff), "mu-law byte {byte:#04x} -> {again:#04x}");
    }
}

// ---------------------------------------------------------------------------------------------
// Files that are not audio, or hold none

#[test]
fn an_empty_file_is_empty() {
    let dir = tmp_dir("empty");
    assert_fails(&write(&dir, "empty.wav", b""), &SerError::Empty);
}

#[test]
fn a_wav_header_with_no_data_has_no_audio() {
    let dir = tmp_dir("header_only");
    let bytes = wav16(SR, &[]);
    assert_eq!(bytes.len(), 44);
    assert_eq!(&bytes[40..44], &0u32.to_le_bytes(), "data size 0");
    assert_fails(&write(&dir, "header_only.wav", &bytes), &SerError::NoAudio);
}

#[test]
fn random_bytes_are_not_audio() {
    let dir = tmp_dir("random");
    let path = write(&dir, "random.wav", &noise_bytes(2024, 8192));
    assert_fails(&path, &SerError::NotAudio);
}

#[test]
fn a_text_file_named_mp3_is_not_audio() {
    let dir = tmp_dir("text_mp3");
    let text = "Meeting notes.\nThis is plain text that happens to be named like an MP3 file.\n".repeat(30);
    assert_fails(&write(&dir, "notes.mp3", text.as_bytes()), &SerError::NotAudio);
}

#[test]
fn an_mp3_named_wav_is_decoded_by_its_content() {
    // A 1 s 660 Hz tone, 44.1 kHz stereo: audible, so not silent, and long enough: the model
    // must give a (meaningless but valid) result, never "not audio".
    let dir = tmp_dir("mp3_as_wav");
    let bytes = std::fs::read(fixture("formats/tone_660hz_44100_stereo.mp3")).unwrap();
    let path = write(&dir, "tone.wav", &bytes);
    let decoded = decode_bytes(&bytes, &DecodeLimits::default()).unwrap();
    let seconds = decoded.samples.len() as f64 / decoded.sample_rate as f64;
    assert!((1.0..1.0 + 3.0 * 1152.0 / 44_100.0).contains(&seconds), "decoded {seconds} s");
    let v = predict_ok(&[&path]).remove(0);
    eprintln!("MP3 named .wav: {v}");
    check_result(&v, seconds, "MP3 named .wav");
}

// ---------------------------------------------------------------------------------------------
// Damaged WAV files

#[test]
fn a_truncated_wav_gives_the_result_for_the_audio_present() {
    let dir = tmp_dir("truncated");
    let x = speech();
    let full = wav16(SR, x);
    let full_path = write(&dir, "full.wav", &full);
    // The header still claims every sample; the file stops after 90 % of them, in the middle
    // of a sample (the half sample is dropped).
    let present = x.len() * 9 / 10;
    let cut = write(&dir, "cut_90.wav", &full[..44 + 2 * present + 1]);
    // Cut at 60 %, inside the speech (kept 0.99-3.07 s of 4.10 s): 1.5 s of it is left, a
    // result for that part, with the same emotion (the probabilities may move).
    let present_60 = x.len() * 6 / 10;
    let cut_60 = write(&dir, "cut_60.wav", &full[..44 + 2 * present_60]);
    // Cut after 0.2 s: what is there is too short, and the message says how long it is.
    let short = 3_200;
    let cut_short = write(&dir, "cut_short.wav", &full[..44 + 2 * short]);

    let results = predict_ok(&[&full_path, &cut, &cut_60]);
    check_result(&results[0], x.len() as f64 / SR as f64, "untruncated");
    check_result(&results[1], present as f64 / SR as f64, "truncated to 90 %");
    // The original's prediction and the untruncated WAV's agree (16-bit quantisation only).
    assert_close(&results[0], reference(), 0.01, "16-bit WAV of the original");
    assert_close(&results[1], &results[0], 0.05, "truncated to 90 %");
    check_result(&results[2], present_60 as f64 / SR as f64, "truncated to 60 %");
    let diff = max_prob_diff(&results[2], &results[0]);
    eprintln!(
        "truncated to 60 %: {} (confidence {}), max probability difference {diff:.4}",
        results[2]["emotion"], results[2]["confidence"]
    );
    assert_eq!(results[2]["emotion"], results[0]["emotion"], "truncated to 60 %: {}", results[2]);

    assert_fails(
        &cut_short,
        &SerError::TooShort { got: short as f64 / SR as f64, need: PipelineOptions::default().min_duration_s },
    );
}

#[test]
fn float_wav_with_nan_samples_is_invalid() {
    let dir = tmp_dir("nan");
    let mut x = speech().clone();
    for s in &mut x[10_000..10_010] {
        *s = f32::NAN;
    }
    assert_fails(&write(&dir, "nan.wav", &wav(SR, 32, true, &[x])), &SerError::InvalidSamples);
}

#[test]
fn float_wav_with_infinite_samples_is_invalid() {
    let dir = tmp_dir("inf");
    let mut x = speech().clone();
    x[20_000] = f32::INFINITY;
    assert_fails(&write(&dir, "inf.wav", &wav(SR, 32, true, &[x])), &SerError::InvalidSamples);
}

/// Found by the `features` fuzzer: finite samples near `f32::MAX` overflowed the resampler's
/// FFT, which panicked inside rubato (tests/fixtures/fuzz/features-float-wav-huge-samples.bin).
#[test]
fn float_wav_with_absurdly_large_samples_is_refused() {
    let dir = tmp_dir("huge");
    for rate in [8_000u32, SR] {
        let mut x = speech_at(rate);
        x[1_000] = 1.7e38;
        x[1_001] = -1.7e38;
        let path = write(&dir, &format!("huge_{rate}.wav"), &wav(rate, 32, true, &[x]));
        assert_fails(&path, &SerError::SamplesOutOfRange(1.7e38));
    }
    // Overs a little past full scale are sound, and analysed.
    let loud: Vec<f32> = speech().iter().map(|v| v * 1.5).collect();
    let v = &predict_ok(&[write(&dir, "overs.wav", &wav(SR, 32, true, std::slice::from_ref(&loud)))])[0];
    check_result(v, loud.len() as f64 / SR as f64, "overs");
}

// ---------------------------------------------------------------------------------------------
// Silence, DC, clipping

#[test]
fn all_zero_audio_is_silent() {
    let dir = tmp_dir("zeros");
    assert_fails(&write(&dir, "zeros.wav", &wav16(SR, &vec![0.0; 2 * SR as usize])), &SerError::Silent);
    // The same as 44.1 kHz float.
    let zeros = vec![0.0; 2 * 44_100];
    assert_fails(&write(&dir, "zeros_44k_float.wav", &wav(44_100, 32, true, &[zeros])), &SerError::Silent);
}

#[test]
fn a_dc_offset_alone_is_silent() {
    let dir = tmp_dir("dc");
    assert_fails(&write(&dir, "dc.wav", &wav16(SR, &vec![0.3; 2 * SR as usize])), &SerError::Silent);
    // At 44.1 kHz the DC has to go through the resampler first: still silence.
    assert_fails(&write(&dir, "dc_44k.wav", &wav16(44_100, &vec![0.3; 2 * 44_100])), &SerError::Silent);
}

#[test]
fn clipping_square_waves_give_a_valid_result() {
    let dir = tmp_dir("square");
    // 200 Hz square at full scale: +1.0 and -1.0 become 32767 and -32768 in 16 bits.
    let square = |rate: u32| -> Vec<f32> {
        (0..2 * rate as usize)
            .map(|n| if (n as f64 * 200.0 / rate as f64).fract() < 0.5 { 1.0 } else { -1.0 })
            .collect()
    };
    let at_16k = write(&dir, "square_16k.wav", &wav16(SR, &square(SR)));
    let at_44k = write(&dir, "square_44k.wav", &wav16(44_100, &square(44_100)));
    let results = predict_ok(&[&at_16k, &at_44k]);
    check_result(&results[0], 2.0, "200 Hz square at 16 kHz");
    check_result(&results[1], 2.0, "200 Hz square at 44.1 kHz");
}

#[test]
fn hard_clipped_loud_speech_gives_a_valid_result() {
    let dir = tmp_dir("clipped_speech");
    let x: Vec<f32> = speech().iter().map(|&s| (s * 20.0).clamp(-1.0, 1.0)).collect();
    let clipped = x.iter().filter(|s| s.abs() >= 1.0).count();
    assert!(clipped > x.len() / 20, "only {clipped} samples clipped");
    let path = write(&dir, "speech_x20_clipped.wav", &wav16(SR, &x));
    let v = predict_ok(&[&path]).remove(0);
    check_result(&v, x.len() as f64 / SR as f64, "speech x20, clipped");
}

// ---------------------------------------------------------------------------------------------
// Too short, too little speech

#[test]
fn fifty_milliseconds_of_speech_is_too_short() {
    let dir = tmp_dir("50ms");
    let x = loud_speech(800);
    // At 16 kHz there is no resampling: `got` is the sample count over 16 000.
    let expected = SerError::TooShort { got: 800.0 / SR as f64, need: PipelineOptions::default().min_duration_s };
    assert_eq!(expected.to_string(), "The recording is too short: 0.05 s, need at least 0.5 s.");
    assert_fails(&write(&dir, "speech_50ms.wav", &wav16(SR, &x)), &expected);
    // At 44.1 kHz, `got` is the length after resampling to 16 kHz.
    let x44 = ideal_resample(&x, SR, 44_100);
    let got = resample(&x44, 44_100, SR).unwrap().len() as f64 / SR as f64;
    let expected = SerError::TooShort { got, need: 0.5 };
    assert_fails(&write(&dir, "speech_50ms_44k.wav", &wav16(44_100, &x44)), &expected);
}

#[test]
fn three_tenths_of_a_second_of_speech_is_too_short() {
    let dir = tmp_dir("300ms");
    let x = loud_speech(4_800);
    let expected = SerError::TooShort { got: 4_800.0 / SR as f64, need: PipelineOptions::default().min_duration_s };
    assert_eq!(expected.to_string(), "The recording is too short: 0.30 s, need at least 0.5 s.");
    assert_fails(&write(&dir, "speech_300ms.wav", &wav16(SR, &x)), &expected);
}

/// 0.2 s of the loudest speech in the middle of 3 s of faint noise (about 60 dB below it).
fn little_speech() -> Vec<f32> {
    let mut x = noise(7, 3 * SR as usize, 0.0005);
    let burst = loud_speech(3_200);
    let at = 22_400;
    for (d, s) in x[at..at + burst.len()].iter_mut().zip(&burst) {
        *d += s;
    }
    x
}

#[test]
fn a_little_speech_in_a_long_near_silence_is_too_little_speech() {
    let dir = tmp_dir("little_speech");
    let bytes = wav16(SR, &little_speech());
    // What the pipeline keeps: the trim of the decoded 16 kHz signal.
    let signal = decode_bytes(&bytes, &DecodeLimits::default()).unwrap().samples;
    let options = PipelineOptions::default();
    let kept: usize = kept_intervals(&signal, &options.silence(), None).iter().map(|i| i.len()).sum();
    let got = kept as f64 / SR as f64;
    assert!((0.2..0.5).contains(&got), "the trim keeps {got} s");
    assert_fails(
        &write(&dir, "little_speech.wav", &bytes),
        &SerError::TooLittleSpeech { got, need: options.min_duration_s },
    );
}

// ---------------------------------------------------------------------------------------------
// Telephone codecs: 8 kHz mu-law and A-law

#[test]
fn mulaw_and_alaw_at_8_khz_predict_like_8_khz_pcm() {
    let dir = tmp_dir("g711");
    let x8 = speech_at(8_000);
    let pcm: Vec<i16> = x8.iter().map(|&v| to_i16(v)).collect();
    let mu: Vec<u8> = pcm.iter().map(|&s| linear_to_mulaw(s)).collect();
    let a: Vec<u8> = pcm.iter().map(|&s| linear_to_alaw(s)).collect();
    let mu_bytes = g711_wav(7, 8_000, &mu);
    let a_bytes = g711_wav(6, 8_000, &a);

    // The decoder's samples are the G.711 expansion of the bytes, exactly (16-bit scale).
    for (what, bytes, codes, expand) in [
        ("mu-law", &mu_bytes, &mu, mulaw_to_linear as fn(u8) -> i16),
        ("A-law", &a_bytes, &a, alaw_to_linear as fn(u8) -> i16),
    ] {
        let audio = decode_bytes(bytes, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!((audio.sample_rate, audio.channels), (8_000, 1), "{what}");
        assert_eq!(audio.samples.len(), codes.len(), "{what}");
        let worst = audio
            .samples
            .iter()
            .zip(codes.iter())
            .map(|(&got, &c)| (got as f64 - expand(c) as f64 / 32768.0).abs())
            .fold(0.0, f64::max);
        assert!(worst <= 1e-6, "{what}: a decoded sample differs from the G.711 expansion by {worst}");
    }

    let pcm_path = write(&dir, "speech_8k_pcm16.wav", &wav16(8_000, &x8));
    let mu_path = write(&dir, "speech_8k_mulaw.wav", &mu_bytes);
    let a_path = write(&dir, "speech_8k_alaw.wav", &a_bytes);
    let results = predict_ok(&[&pcm_path, &mu_path, &a_path]);
    let seconds = x8.len() as f64 / 8_000.0;
    for (v, what) in results.iter().zip(["8 kHz PCM", "8 kHz mu-law", "8 kHz A-law"]) {
        check_result(v, seconds, what);
    }
    // 8 kHz keeps nothing above 4 kHz, and the model leans on 4-8 kHz (the original low-passed
    // at 4 kHz moves a probability by 0.26), so 8 kHz PCM is compared with that low-passed
    // original: measured 0.061, the resampler's transition band below 4 kHz against an ideal
    // brick wall.
    let below_4k = write(&dir, "speech_16k_below_4khz.wav", &wav16(SR, &speech_below(4_000.0)));
    let band_limited = predict_ok(&[&below_4k]).remove(0);
    assert_close(&results[0], &band_limited, 0.10, "8 kHz 16-bit PCM vs the original low-passed at 4 kHz");
    assert_close(&results[1], &results[0], 0.05, "8 kHz mu-law vs 8 kHz PCM");
    assert_close(&results[2], &results[0], 0.05, "8 kHz A-law vs 8 kHz PCM");
}

// ---------------------------------------------------------------------------------------------
// High rates, many channels, common rates

#[test]
fn six_channels_at_192_khz_in_24_bit_and_float_predict_like_the_original() {
    let dir = tmp_dir("192k");
    let x = speech_at(192_000);
    let silent = vec![0.0f32; x.len()];
    // 24-bit: the speech on all six channels (the mean is the speech).
    let all: Vec<Vec<f32>> = vec![x.clone(); 6];
    // Float: the speech on the front pair at three times the level (float WAV may exceed 1.0),
    // the other four silent: the mean is again the speech. (The model is level-sensitive: the
    // speech at 1/6 of its level, as one channel of six gives, moves a probability by 0.22.)
    let louder: Vec<f32> = x.iter().map(|v| v * 3.0).collect();
    let front: Vec<Vec<f32>> = (0..6).map(|c| if c < 2 { louder.clone() } else { silent.clone() }).collect();
    let int24 = write(&dir, "speech_192k_6ch_24bit.wav", &wav(192_000, 24, false, &all));
    let float = write(&dir, "speech_192k_6ch_float.wav", &wav(192_000, 32, true, &front));
    let results = predict_ok(&[&int24, &float]);
    let seconds = x.len() as f64 / 192_000.0;
    check_result(&results[0], seconds, "192 kHz 6 ch 24-bit");
    check_result(&results[1], seconds, "192 kHz 6 ch float");
    assert_close(&results[0], reference(), 0.05, "192 kHz 6 ch 24-bit");
    assert_close(&results[1], reference(), 0.05, "192 kHz 6 ch float, front pair only");
}

#[test]
fn common_rates_mono_and_stereo_predict_like_the_original() {
    let dir = tmp_dir("rates");
    // Below 16 kHz a file cannot hold the top of the speech band: 11 025 Hz is compared with
    // the original low-passed at 5 512.5 Hz (that low-pass alone moves a probability by 0.22).
    let below = write(&dir, "speech_16k_below_5512hz.wav", &wav16(SR, &speech_below(11_025.0 / 2.0)));
    let band_limited = predict_ok(&[&below]).remove(0);
    let mut paths = Vec::new();
    let mut seconds = Vec::new();
    for rate in [11_025u32, 22_050, 44_100, 48_000] {
        let x = speech_at(rate);
        seconds.push(x.len() as f64 / rate as f64);
        seconds.push(x.len() as f64 / rate as f64);
        paths.push(write(&dir, &format!("speech_{rate}_mono.wav"), &wav16(rate, &x)));
        // Stereo with unequal channels whose mean is the speech.
        let left: Vec<f32> = x.iter().map(|v| v * 1.2).collect();
        let right: Vec<f32> = x.iter().map(|v| v * 0.8).collect();
        paths.push(write(&dir, &format!("speech_{rate}_stereo.wav"), &wav(rate, 16, false, &[left, right])));
    }
    let results = predict_ok(&paths);
    for ((v, path), s) in results.iter().zip(&paths).zip(&seconds) {
        let what = path.file_name().unwrap().to_str().unwrap();
        check_result(v, *s, what);
        let reference = if what.starts_with("speech_11025") { &band_limited } else { reference() };
        assert_close(v, reference, 0.05, what);
    }
}

// ---------------------------------------------------------------------------------------------
// The resampler itself, against exact band-limited resampling. The tests above feed the
// pipeline ideal inputs; this one checks the library's conversions directly, both ways.

fn max_error(a: &[f32], b: &[f32], skip: usize) -> f64 {
    let n = a.len().min(b.len());
    (skip..n - skip).map(|i| (a[i] as f64 - b[i] as f64).abs()).fold(0.0, f64::max)
}

#[test]
fn the_resampler_keeps_speech_in_place_and_whole() {
    let x = speech();
    let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs())) as f64;
    let mut failures = Vec::new();
    for rate in [8_000u32, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000, 192_000] {
        // To 16 kHz, as the pipeline does: an exactly band-limited input must come back as the
        // speech (low-passed where the rate is below 16 kHz), in place, 0.1 s from the edges.
        let at_rate = speech_at(rate);
        let back = resample(&at_rate, rate, SR).unwrap();
        let want = ideal_resample(&at_rate, rate, SR);
        // A rate below 16 kHz: the resampler's transition band below the old Nyquist is no
        // error; compare below 90 % of it only.
        let err = if rate < SR {
            let lp =
                |v: &[f32]| -> Vec<f32> { ideal_resample(&ideal_resample(v, SR, rate * 9 / 10), rate * 9 / 10, SR) };
            max_error(&lp(&back), &lp(&want), 1_600)
        } else {
            max_error(&back, &want, 1_600)
        };
        eprintln!("{rate} Hz -> 16 kHz: max error {err:.5} (speech peak {peak:.3})");
        if err > 0.01 {
            failures.push(format!("{rate} Hz -> 16 kHz: speech differs by up to {err:.4}"));
        }
        // From 16 kHz up (what a caller of `resample` gets): the same check.
        if rate > SR {
            let up = resample(x, SR, rate).unwrap();
            let err = max_error(&up, &at_rate, rate as usize / 10);
            eprintln!("16 kHz -> {rate} Hz: max error {err:.5}");
            if err > 0.01 {
                failures.push(format!("16 kHz -> {rate} Hz: speech differs by up to {err:.4}"));
            }
        }
        // To the very last sample: a 200 Hz sine that lasts to the end of the file comes out
        // as the same sine at 16 kHz, end included (a slow sine has no edge ringing to speak of).
        let sine = |sr: u32, len: usize| -> Vec<f32> {
            (0..len).map(|n| (0.5 * (2.0 * std::f64::consts::PI * 200.0 * n as f64 / sr as f64).sin()) as f32).collect()
        };
        let out = resample(&sine(rate, rate as usize), rate, SR).unwrap();
        let err = max_error(&out, &sine(SR, out.len()), 0);
        let tail = out.len() - out.iter().rposition(|v| v.abs() > 1e-3).map_or(0, |i| i + 1);
        eprintln!("200 Hz sine {rate} Hz -> 16 kHz: {} samples, max error {err:.4}, {tail} trailing zeros", out.len());
        if err > 0.02 {
            failures.push(format!(
                "1 s 200 Hz sine at {rate} Hz -> 16 kHz: differs by up to {err:.4} (the last {tail} of {} samples are zero)",
                out.len()
            ));
        }
    }
    assert!(failures.is_empty(), "the resampler is not transparent:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// All of it at once

#[test]
fn bad_files_and_a_good_one_in_one_call() {
    let dir = tmp_dir("together");
    let mut nan = speech().clone();
    nan[5_000] = f32::NAN;
    let mut inf = speech().clone();
    inf[5_000] = f32::INFINITY;
    let little = wav16(SR, &little_speech());
    let little_signal = decode_bytes(&little, &DecodeLimits::default()).unwrap().samples;
    let options = PipelineOptions::default();
    let kept: usize = kept_intervals(&little_signal, &options.silence(), None).iter().map(|i| i.len()).sum();
    let need = options.min_duration_s;
    let text = "Plain text, not audio.\n".repeat(50);

    let bad: Vec<(PathBuf, SerError)> = vec![
        (write(&dir, "empty.wav", b""), SerError::Empty),
        (write(&dir, "header_only.wav", &wav16(SR, &[])), SerError::NoAudio),
        (write(&dir, "random.wav", &noise_bytes(2024, 8192)), SerError::NotAudio),
        (write(&dir, "notes.mp3", text.as_bytes()), SerError::NotAudio),
        (write(&dir, "nan.wav", &wav(SR, 32, true, &[nan])), SerError::InvalidSamples),
        (write(&dir, "inf.wav", &wav(SR, 32, true, &[inf])), SerError::InvalidSamples),
        (write(&dir, "zeros.wav", &wav16(SR, &vec![0.0; 32_000])), SerError::Silent),
        (write(&dir, "dc.wav", &wav16(SR, &vec![0.3; 32_000])), SerError::Silent),
        (write(&dir, "speech_50ms.wav", &wav16(SR, &loud_speech(800))), SerError::TooShort { got: 0.05, need }),
        (write(&dir, "speech_300ms.wav", &wav16(SR, &loud_speech(4_800))), SerError::TooShort { got: 0.3, need }),
        (write(&dir, "little_speech.wav", &little), SerError::TooLittleSpeech { got: kept as f64 / SR as f64, need }),
    ];
    let good = speech_path();
    let mut args: Vec<&Path> = bad.iter().map(|(p, _)| p.as_path()).collect();
    args.insert(5, good.as_path());

    let run = predict(&args);
    assert_ne!(run.code, Some(0), "bad files must make the exit status non-zero");
    assert!(run.code.is_some(), "killed by a signal");
    let expected: Vec<String> = bad.iter().map(|(p, e)| error_line(p, e)).collect();
    assert_eq!(run.errors, expected, "one line per bad file, in order");
    assert_eq!(run.json.len(), 1, "one JSON line, for the good file");
    assert_eq!(run.json[0]["file"].as_str(), Some(good.display().to_string().as_str()));
    check_result(&run.json[0], speech().len() as f64 / SR as f64, "the good file among bad ones");
    assert_close(&run.json[0], reference(), 1e-6, "the good file among bad ones");
}
