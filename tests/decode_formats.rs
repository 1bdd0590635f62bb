//! Decoding every container and sample format we claim to read, from memory, with the format
//! taken from the content; and the error each kind of bad input gets.
//!
//! WAV inputs are written here with hound (or by hand for 64-bit float); FLAC, MP3 and
//! OGG/Vorbis come from tests/fixtures/formats/ (see its README and make_format_fixtures.py).
#![cfg(not(target_arch = "wasm32"))]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use realfft::RealFftPlanner;
use ser::audio::{DecodeLimits, DecodedAudio, decode_bytes};
use ser::{PipelineOptions, SerError, analyse_bytes};

mod common;
use common::noise_bytes;

// ---------------------------------------------------------------------------------------------
// Helpers

fn decode(bytes: &[u8]) -> ser::Result<DecodedAudio> {
    decode_bytes(bytes, &DecodeLimits::default())
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats").join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `amp * sin(2π f n / sr)` for `n` in `0..len`.
fn sine(freq: f64, sr: u32, len: usize, amp: f64) -> Vec<f64> {
    (0..len).map(|n| amp * (2.0 * std::f64::consts::PI * freq * n as f64 / sr as f64).sin()).collect()
}

/// The frequency of the strongest bin of a Hann-windowed spectrum (DC and the first bins
/// excluded), and the bin width.
fn dominant_frequency(x: &[f32], sr: u32) -> (f64, f64) {
    let n = x.len();
    assert!(n >= 64, "too few samples for a spectrum: {n}");
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut input: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &s)| s as f64 * (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()))
        .collect();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let (peak, _) = spectrum
        .iter()
        .enumerate()
        .skip(3)
        .map(|(k, c)| (k, c.norm()))
        .fold((0, 0.0), |best, (k, m)| if m > best.1 { (k, m) } else { best });
    let bin = sr as f64 / n as f64;
    (peak as f64 * bin, bin)
}

fn assert_tone(x: &[f32], sr: u32, freq: f64, what: &str) {
    let (got, bin) = dominant_frequency(x, sr);
    assert!((got - freq).abs() <= bin, "{what}: dominant frequency {got:.1} Hz, expected {freq} Hz (bin {bin:.2} Hz)");
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Writes interleaved frames with hound. `frames[i][c]` is channel `c` of frame `i`, in [-1, 1].
fn hound_wav(spec: hound::WavSpec, frames: &[Vec<f64>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut w = hound::WavWriter::new(Cursor::new(&mut bytes), spec).unwrap();
        for frame in frames {
            assert_eq!(frame.len(), spec.channels as usize);
            for &v in frame {
                match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, 32) => w.write_sample(v as f32).unwrap(),
                    (hound::SampleFormat::Int, 8) => w.write_sample((v * 127.0).round() as i8).unwrap(),
                    (hound::SampleFormat::Int, 16) => w.write_sample((v * 32767.0).round() as i16).unwrap(),
                    (hound::SampleFormat::Int, 24) => w.write_sample((v * 8_388_607.0).round() as i32).unwrap(),
                    (hound::SampleFormat::Int, 32) => w.write_sample((v * 2_147_483_647.0).round() as i32).unwrap(),
                    other => panic!("unsupported spec {other:?}"),
                }
            }
        }
        w.finalize().unwrap();
    }
    bytes
}

fn int_spec(channels: u16, sample_rate: u32, bits: u16) -> hound::WavSpec {
    hound::WavSpec { channels, sample_rate, bits_per_sample: bits, sample_format: hound::SampleFormat::Int }
}

fn float_spec(channels: u16, sample_rate: u32) -> hound::WavSpec {
    hound::WavSpec { channels, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float }
}

fn mono_frames(x: &[f64]) -> Vec<Vec<f64>> {
    x.iter().map(|&v| vec![v]).collect()
}

/// A hand-written WAVE_FORMAT_IEEE_FLOAT (0x0003) 64-bit file: hound cannot write one.
fn f64_wav(sample_rate: u32, channels: u16, interleaved: &[f64]) -> Vec<u8> {
    let data_len = (interleaved.len() * 8) as u32;
    let mut b = Vec::with_capacity(44 + data_len as usize);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVE");
    b.extend_from_slice(b"fmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&sample_rate.to_le_bytes());
    b.extend_from_slice(&(sample_rate * 8 * channels as u32).to_le_bytes()); // byte rate
    b.extend_from_slice(&(8 * channels).to_le_bytes()); // block align
    b.extend_from_slice(&64u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for v in interleaved {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

/// Decodes `bytes` and checks rate, channels, exact length and sample values; then runs the
/// whole pipeline and checks the 16 kHz signal still carries the tone.
fn check_mono_wav(bytes: &[u8], sr: u32, expected: &[f64], tolerance: f64, freq: f64, what: &str) {
    let audio = decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(audio.sample_rate, sr, "{what}");
    assert_eq!(audio.channels, 1, "{what}");
    assert_eq!(audio.samples.len(), expected.len(), "{what}");
    assert!((audio.duration_s() - expected.len() as f64 / sr as f64).abs() < 1e-9, "{what}");
    let worst = audio.samples.iter().zip(expected).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
    assert!(worst <= tolerance, "{what}: a sample differs by {worst} (tolerance {tolerance})");
    assert_tone(&audio.samples, sr, freq, what);

    let analysis = analyse_bytes(bytes, &PipelineOptions::default()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(analysis.sample_rate, 16_000, "{what}");
    let want = expected.len() as f64 * 16_000.0 / sr as f64;
    assert!(
        (analysis.signal.len() as f64 - want).abs() <= 2.0,
        "{what}: {} samples at 16 kHz, expected about {want}",
        analysis.signal.len()
    );
    assert_tone(&analysis.signal, 16_000, freq, &format!("{what} at 16 kHz"));
    assert!(analysis.features.n_frames > 0 && analysis.features.mfcc.iter().all(|v| v.is_finite()), "{what}");
}

// ---------------------------------------------------------------------------------------------
// WAV sample formats

#[test]
fn wav_8_bit_unsigned() {
    let x = sine(1000.0, 8000, 8000, 0.8);
    let bytes = hound_wav(int_spec(1, 8000, 8), &mono_frames(&x));
    // 8-bit WAV is unsigned with 128 as zero; one step is 1/128.
    check_mono_wav(&bytes, 8000, &x, 1.5 / 128.0, 1000.0, "8-bit WAV");
}

#[test]
fn wav_16_bit() {
    let x = sine(1000.0, 16_000, 12_000, 0.8);
    let bytes = hound_wav(int_spec(1, 16_000, 16), &mono_frames(&x));
    check_mono_wav(&bytes, 16_000, &x, 1.5 / 32768.0, 1000.0, "16-bit WAV");
}

#[test]
fn wav_24_bit() {
    let x = sine(1234.0, 44_100, 30_000, 0.8);
    let bytes = hound_wav(int_spec(1, 44_100, 24), &mono_frames(&x));
    check_mono_wav(&bytes, 44_100, &x, 1e-6, 1234.0, "24-bit WAV");
}

#[test]
fn wav_32_bit_int() {
    let x = sine(2500.0, 48_000, 30_000, 0.8);
    let bytes = hound_wav(int_spec(1, 48_000, 32), &mono_frames(&x));
    check_mono_wav(&bytes, 48_000, &x, 1e-6, 2500.0, "32-bit int WAV");
}

#[test]
fn wav_32_bit_float() {
    let x = sine(700.0, 22_050, 15_000, 0.8);
    let bytes = hound_wav(float_spec(1, 22_050), &mono_frames(&x));
    check_mono_wav(&bytes, 22_050, &x, 1e-6, 700.0, "32-bit float WAV");
}

#[test]
fn wav_64_bit_float() {
    let x = sine(440.0, 11_025, 8_000, 0.8);
    let bytes = f64_wav(11_025, 1, &x);
    assert_eq!(bytes.len(), 44 + 8 * 8_000);
    check_mono_wav(&bytes, 11_025, &x, 1e-6, 440.0, "64-bit float WAV");
}

// ---------------------------------------------------------------------------------------------
// Multi-channel: mono is the mean of the channels.

fn check_downmix(bytes: &[u8], frames: &[Vec<f64>], sr: u32, tolerance: f64, what: &str) {
    let audio = decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(audio.channels, frames[0].len(), "{what}");
    assert_eq!(audio.sample_rate, sr, "{what}");
    assert_eq!(audio.samples.len(), frames.len(), "{what}");
    for (i, (got, frame)) in audio.samples.iter().zip(frames).enumerate() {
        let mean = frame.iter().sum::<f64>() / frame.len() as f64;
        assert!((*got as f64 - mean).abs() <= tolerance, "{what}: frame {i}: mono {got}, channel mean {mean}");
    }
}

#[test]
fn stereo_is_mixed_to_the_channel_mean() {
    // Left and right differ, so taking one channel (or summing) would be caught.
    let sr = 16_000;
    let left = sine(500.0, sr, 10_000, 0.6);
    let right = sine(1500.0, sr, 10_000, 0.3);
    let frames: Vec<Vec<f64>> = left.iter().zip(&right).map(|(&l, &r)| vec![l, r + 0.1]).collect();
    check_downmix(&hound_wav(int_spec(2, sr, 16), &frames), &frames, sr, 2.0 / 32768.0, "stereo 16-bit");
    check_downmix(&hound_wav(float_spec(2, sr), &frames), &frames, sr, 1e-6, "stereo float");
}

#[test]
fn six_channels_are_mixed_to_the_channel_mean() {
    let sr = 48_000;
    let len = 9_600;
    let channels: Vec<Vec<f64>> = (0..6)
        .map(|c| {
            // A different tone and offset per channel.
            sine(300.0 * (c + 1) as f64, sr, len, 0.1 + 0.05 * c as f64)
                .into_iter()
                .map(|v| v + 0.05 * c as f64 - 0.1)
                .collect()
        })
        .collect();
    let frames: Vec<Vec<f64>> = (0..len).map(|i| channels.iter().map(|ch| ch[i]).collect()).collect();
    check_downmix(&hound_wav(float_spec(6, sr), &frames), &frames, sr, 1e-6, "5.1 float");
    check_downmix(&hound_wav(int_spec(6, sr, 24), &frames), &frames, sr, 1e-6, "5.1 24-bit");
    // One loud channel among six silent ones comes out at a sixth of its level.
    let only_first: Vec<Vec<f64>> =
        (0..len).map(|i| (0..6).map(|c| if c == 0 { channels[5][i] } else { 0.0 }).collect()).collect();
    check_downmix(&hound_wav(float_spec(6, sr), &only_first), &only_first, sr, 1e-6, "5.1, one channel");
}

#[test]
fn sixty_four_bit_float_stereo_is_mixed_to_the_mean() {
    let sr = 8_000;
    let left = sine(250.0, sr, 4_000, 0.5);
    let right = sine(750.0, sr, 4_000, 0.5);
    let interleaved: Vec<f64> = left.iter().zip(&right).flat_map(|(&l, &r)| [l, r]).collect();
    let frames: Vec<Vec<f64>> = left.iter().zip(&right).map(|(&l, &r)| vec![l, r]).collect();
    check_downmix(&f64_wav(sr, 2, &interleaved), &frames, sr, 1e-6, "stereo 64-bit float");
}

// ---------------------------------------------------------------------------------------------
// Compressed formats from committed fixtures.

struct Fixture {
    name: &'static str,
    sample_rate: u32,
    channels: usize,
    frames: usize,
    tone_hz: f64,
}

const FIXTURES: [Fixture; 3] = [
    Fixture { name: "tone_440hz_22050_mono.flac", sample_rate: 22_050, channels: 1, frames: 17_640, tone_hz: 440.0 },
    Fixture { name: "tone_660hz_44100_stereo.mp3", sample_rate: 44_100, channels: 2, frames: 44_100, tone_hz: 660.0 },
    Fixture { name: "tone_880hz_48000_mono.ogg", sample_rate: 48_000, channels: 1, frames: 48_000, tone_hz: 880.0 },
];

/// How many decoded frames a codec may add or drop. FLAC and Vorbis are sample-exact; MP3
/// adds the encoder delay and padding (up to a few frames of 1152 samples) unless gapless
/// info is honoured.
fn frame_slack(name: &str) -> (usize, usize) {
    if name.ends_with(".mp3") { (0, 3 * 1152) } else { (0, 0) }
}

#[test]
fn compressed_fixtures_decode_with_the_right_rate_channels_length_and_tone() {
    for f in &FIXTURES {
        let bytes = fixture_bytes(f.name);
        assert!(bytes.len() < 30_000, "{}: fixture too big", f.name);
        let audio = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(audio.sample_rate, f.sample_rate, "{}", f.name);
        assert_eq!(audio.channels, f.channels, "{}", f.name);
        let (less, more) = frame_slack(f.name);
        assert!(
            audio.samples.len() + less >= f.frames && audio.samples.len() <= f.frames + more,
            "{}: {} frames decoded, expected {} (-{less}/+{more})",
            f.name,
            audio.samples.len(),
            f.frames
        );
        assert_tone(&audio.samples, f.sample_rate, f.tone_hz, f.name);
        // A 0.5-amplitude sine has an RMS of 0.354; the fades take off a little.
        let level = rms(&audio.samples);
        let want = 0.5 / 2f64.sqrt() * f.frames as f64 / audio.samples.len() as f64;
        assert!((level / want - 1.0).abs() < 0.1, "{}: RMS {level:.3}, expected about {want:.3}", f.name);
    }
}

#[test]
fn compressed_fixtures_run_through_the_pipeline() {
    for f in &FIXTURES {
        let analysis = analyse_bytes(&fixture_bytes(f.name), &PipelineOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(analysis.sample_rate, 16_000);
        let want_s = f.frames as f64 / f.sample_rate as f64;
        let (_, more) = frame_slack(f.name);
        let slack_s = more as f64 / f.sample_rate as f64 + 0.001;
        assert!(
            analysis.duration_s() >= want_s - 0.001 && analysis.duration_s() <= want_s + slack_s,
            "{}: {} s",
            f.name,
            analysis.duration_s()
        );
        assert_tone(&analysis.signal, 16_000, f.tone_hz, &format!("{} at 16 kHz", f.name));
        assert_eq!(analysis.features.mfcc.len(), analysis.features.n_frames * analysis.features.n_mfcc);
    }
}

// ---------------------------------------------------------------------------------------------
// The format comes from the content, not the name.

fn tmp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("decode_formats_{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cli_features(path: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ser")).arg("features").arg(path).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cli_duration(path: &Path) -> f64 {
    let (ok, stdout, stderr) = cli_features(path);
    assert!(ok, "{}: {stderr}", path.display());
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    v["duration_s"].as_f64().unwrap()
}

#[test]
fn a_wav_stream_is_decoded_whatever_its_name() {
    let x = sine(1000.0, 16_000, 16_000, 0.5);
    let bytes = hound_wav(int_spec(1, 16_000, 16), &mono_frames(&x));
    let dir = tmp_dir("wav_names");
    for name in ["speech.wav", "speech.mp3", "speech.flac", "speech.ogg", "speech.txt", "speech"] {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let d = cli_duration(&path);
        assert!((d - 1.0).abs() < 1e-6, "{name}: duration {d}");
    }
}

#[test]
fn compressed_files_decode_under_a_wrong_name() {
    let dir = tmp_dir("renamed");
    for (f, wrong) in FIXTURES.iter().zip(["tone.mp3", "tone.wav", "tone.flac"]) {
        let path = dir.join(wrong);
        std::fs::copy(fixture(f.name), &path).unwrap();
        let d = cli_duration(&path);
        let want = f.frames as f64 / f.sample_rate as f64;
        assert!(d >= want - 0.001 && d <= want + 0.1, "{} renamed {wrong}: duration {d}", f.name);
    }
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: the right variant and a sentence, never a panic.

fn assert_sentence(e: &SerError) {
    let s = e.to_string();
    assert!(s.len() > 10 && s.ends_with('.') && s.chars().next().unwrap().is_uppercase(), "not a sentence: {s:?}");
    assert!(!s.contains('\n'), "more than one line: {s:?}");
}

fn both_errors(bytes: &[u8]) -> (SerError, SerError) {
    let a = decode(bytes).expect_err("decode_bytes accepted it");
    let b = analyse_bytes(bytes, &PipelineOptions::default()).expect_err("analyse_bytes accepted it");
    assert_sentence(&a);
    assert_sentence(&b);
    (a, b)
}

#[test]
fn empty_input_is_empty() {
    let (a, b) = both_errors(&[]);
    assert_eq!(a, SerError::Empty);
    assert_eq!(b, SerError::Empty);
    assert_eq!(a.to_string(), "The file is empty.");
}

#[test]
fn random_bytes_are_not_audio() {
    for (seed, len) in [(1u64, 1usize), (2, 16), (3, 1000), (4, 4096), (5, 50_000)] {
        let bytes = noise_bytes(seed, len);
        let (a, b) = both_errors(&bytes);
        assert_eq!(a, SerError::NotAudio, "seed {seed}, {len} bytes");
        assert_eq!(b, SerError::NotAudio, "seed {seed}, {len} bytes");
    }
    assert!(SerError::NotAudio.to_string().starts_with("This is not an audio file"));
}

#[test]
fn a_text_file_is_not_audio() {
    let text = "Speech emotion recognition notes.\nThis file is plain text, not audio.\n".repeat(40);
    let (a, b) = both_errors(text.as_bytes());
    assert_eq!(a, SerError::NotAudio);
    assert_eq!(b, SerError::NotAudio);
    // A text file that starts like a RIFF header but is not one.
    let (a, _) = both_errors(b"RIFF is an acronym; this is a sentence about it, not a WAV file.");
    assert_eq!(a, SerError::NotAudio, "{a}");
}

#[test]
fn a_header_without_data_is_no_audio() {
    let bytes = hound_wav(int_spec(1, 16_000, 16), &[]);
    assert_eq!(bytes.len(), 44, "hound writes a 44-byte header for an empty 16-bit mono file");
    let (a, b) = both_errors(&bytes);
    // Current behaviour: the header parses, no packet follows.
    assert_eq!(a, SerError::NoAudio);
    assert_eq!(b, SerError::NoAudio);
    assert_eq!(a.to_string(), "The file contains no audio samples.");
}

#[test]
fn a_header_that_promises_data_that_is_not_there_is_no_audio() {
    // A 1-second file cut right after the header.
    let x = sine(440.0, 16_000, 16_000, 0.5);
    let bytes = hound_wav(int_spec(1, 16_000, 16), &mono_frames(&x));
    let (a, _) = both_errors(&bytes[..44]);
    assert_eq!(a, SerError::NoAudio, "{a}");
}

/// A WAV whose header claims more data than the file holds: decoding keeps what is there.
#[test]
fn a_truncated_wav_decodes_what_is_present() {
    let sr = 16_000;
    let x = sine(440.0, sr, 32_000, 0.5);
    let bytes = hound_wav(int_spec(1, sr, 16), &mono_frames(&x));
    // Cut at whole samples and in the middle of a sample.
    for keep in [16_000usize, 12_345, 20_001] {
        let cut = &bytes[..44 + keep * 2 + (keep % 2)];
        let audio = decode(cut).unwrap_or_else(|e| panic!("cut after {keep} samples: {e}"));
        assert_eq!(audio.sample_rate, sr);
        // Current behaviour: every whole sample present is decoded (a half sample is dropped),
        // and it is the start of the signal, sample for sample.
        assert_eq!(audio.samples.len(), keep, "cut after {keep} samples");
        for (i, (&got, &want)) in audio.samples.iter().zip(&x).enumerate() {
            assert!((got as f64 - want).abs() <= 1.5 / 32768.0, "cut after {keep}: sample {i} differs");
        }
        let analysis = analyse_bytes(cut, &PipelineOptions::default()).unwrap();
        assert!((analysis.signal.len() as f64 - audio.samples.len() as f64).abs() <= 2.0);
    }
}

#[test]
fn a_truncated_compressed_file_does_not_panic() {
    for f in &FIXTURES {
        let bytes = fixture_bytes(f.name);
        for keep in [bytes.len() / 2, bytes.len() / 5, 100, 10] {
            match decode(&bytes[..keep]) {
                Ok(audio) => {
                    assert_eq!(audio.sample_rate, f.sample_rate, "{} cut at {keep}", f.name);
                    assert!(audio.samples.len() <= f.frames + 3 * 1152, "{} cut at {keep}", f.name);
                }
                Err(e) => assert_sentence(&e),
            }
        }
    }
}

/// A FLAC or OGG file cut off before its first complete audio packet is a real audio file that
/// is damaged: symphonia's probe recognises it, then runs out of data (an unexpected end of
/// file), which must read as `Corrupt`, not as `NotAudio` ("This is not an audio file").
#[test]
fn a_compressed_file_cut_inside_its_headers_is_damaged_not_foreign() {
    let flac = fixture_bytes("tone_440hz_22050_mono.flac");
    let ogg = fixture_bytes("tone_880hz_48000_mono.ogg");
    for (what, bytes) in [("FLAC cut to 10 bytes", &flac[..10]), ("OGG cut in half", &ogg[..ogg.len() / 2])] {
        let e = decode(bytes).expect_err(what);
        assert!(matches!(e, SerError::Corrupt(_)), "{what}: {e:?} ({e})");
    }
}

// ---------------------------------------------------------------------------------------------
// Opus (CLI only: libopus through src/audio/opus.rs), in Ogg (a messenger's voice note) and WebM
// (a browser's MediaRecorder). Both are encoded from librosa/ravdess_01_angry.flac (16 kHz,
// 65 666 samples); see tests/fixtures/README.md.

const OPUS_SOURCE: &str = "librosa/ravdess_01_angry.flac";
const OPUS_OGG: &str = "ravdess_01_angry_opus.ogg";
const OPUS_WEBM: &str = "ravdess_01_angry_opus.webm";
/// The largest Opus packet the encoder wrote (20 ms at 48 kHz): what WebM may keep at its end,
/// since symphonia's Matroska reader does not expose `DiscardPadding`.
const OPUS_PACKET: usize = 960;

fn source_16k() -> Vec<f32> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(OPUS_SOURCE);
    let audio = decode(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(audio.sample_rate, 16_000);
    audio.samples
}

/// The lag (in samples, within ±`max_lag`) at which `x` best matches `reference`, and the
/// normalised correlation there.
fn best_lag(x: &[f32], reference: &[f32], max_lag: isize) -> (isize, f64) {
    let n = x.len().min(reference.len()) as isize;
    let mut best = (0, f64::MIN);
    for lag in -max_lag..=max_lag {
        let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
        for i in max_lag..n - max_lag {
            let (a, b) = (x[(i + lag) as usize] as f64, reference[i as usize] as f64);
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        let r = xy / (xx * yy).sqrt();
        if r > best.1 {
            best = (lag, r);
        }
    }
    best
}

#[test]
fn opus_decodes_at_48_khz_mono_with_pre_skip_and_end_trim() {
    let source = source_16k();
    let want_48k = source.len() * 3;
    for name in [OPUS_OGG, OPUS_WEBM] {
        let audio = decode(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Opus always decodes at 48 kHz (the Ogg file's OpusHead says its input was 16 kHz).
        assert_eq!((audio.sample_rate, audio.channels), (48_000, 1), "{name}");
        // Ogg: the last granule position ends the stream exactly, and the 312-sample pre-skip is
        // dropped, so the length is the source's to the sample. WebM: the pre-skip is dropped
        // (its CodecPrivate is an OpusHead), the last packet's padding is kept.
        let more = if name == OPUS_OGG { 0 } else { OPUS_PACKET };
        assert!(
            audio.samples.len() >= want_48k && audio.samples.len() <= want_48k + more,
            "{name}: {} samples at 48 kHz, expected {want_48k} (+{more})",
            audio.samples.len()
        );
        // Lined up with the source: without the pre-skip dropped, the best lag would be
        // 312 / 3 = 104 samples at 16 kHz. Measured: lag 0, correlation 0.944 (Ogg, 16 kbit/s)
        // and 0.954 (WebM, 24 kbit/s); a lossy speech coder at these rates keeps the waveform
        // only roughly, so 0.8 is the bar.
        let at_16k = ser::audio::resample(&audio.samples, 48_000, 16_000).unwrap();
        let (lag, r) = best_lag(&at_16k, &source, 200);
        assert_eq!(lag, 0, "{name}: the decoded audio is shifted by {lag} samples at 16 kHz (r = {r:.3})");
        assert!(r > 0.8, "{name}: correlation with the source {r:.3}");
        // The level survives: RMS within 10% of the source's (measured: 0.978 and 0.986).
        let ratio = rms(&at_16k) / rms(&source);
        assert!((ratio - 1.0).abs() < 0.1, "{name}: RMS ratio {ratio:.3}");
    }
}

/// The Ogg page CRC (polynomial 0x04C11DB7, no reflection, zero initial value), over the page
/// with its CRC field zeroed.
fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in page {
        crc ^= (b as u32) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

/// `speech_1s_opus.ogg` with its OpusHead edited (the first page holds only the OpusHead,
/// 19 bytes from offset 28) and that page's CRC redone.
fn edited_opus_head(edit: impl Fn(&mut [u8])) -> Vec<u8> {
    let mut bytes = fixture_bytes("speech_1s_opus.ogg");
    assert_eq!(&bytes[28..36], b"OpusHead");
    // One segment (table at 27..28) of 19 bytes: the page is 28 + 19 bytes long.
    assert_eq!((bytes[26], bytes[27]), (1, 19));
    edit(&mut bytes[28..47]);
    bytes[22..26].fill(0);
    let crc = ogg_crc(&bytes[..47]);
    bytes[22..26].copy_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn opus_pre_skip_spanning_several_packets_and_output_gain_are_honoured() {
    let original = decode(&fixture_bytes("speech_1s_opus.ogg")).unwrap();
    assert_eq!(original.samples.len(), 48_000, "1 s, to the sample");
    // Unchanged but re-checksummed: the same samples (the CRC helper is right).
    assert_eq!(decode(&edited_opus_head(|_| {})).unwrap(), original);

    // A pre-skip of 2000 samples spans three 960-sample packets. The final granule position
    // is unchanged, so 2000 - 312 more samples go from the start, and the rest is identical.
    let skipped = decode(&edited_opus_head(|h| h[10..12].copy_from_slice(&2000u16.to_le_bytes()))).unwrap();
    let extra = 2000 - 312;
    assert_eq!(skipped.samples.len(), 48_000 - extra);
    assert_eq!(skipped.samples[..], original.samples[extra..], "pre-skip across packets");

    // An output gain of +6.02 dB (Q7.8: 1541) doubles every sample.
    let louder = decode(&edited_opus_head(|h| h[16..18].copy_from_slice(&1541i16.to_le_bytes()))).unwrap();
    assert_eq!(louder.samples.len(), original.samples.len());
    for (i, (&a, &b)) in louder.samples.iter().zip(&original.samples).enumerate() {
        assert!((a - 2.0 * b).abs() <= 1e-3 * b.abs() + 1e-7, "sample {i}: {a} vs 2 × {b}");
    }
}

#[test]
fn opus_in_webm_from_a_short_recording_decodes() {
    // 1 s from a 48 kHz MediaRecorder-like stream: 48 000 samples plus at most one packet.
    let audio = decode(&fixture_bytes("speech_1s_opus.webm")).unwrap();
    assert_eq!((audio.sample_rate, audio.channels), (48_000, 1));
    assert!((48_000..=48_000 + OPUS_PACKET).contains(&audio.samples.len()), "{}", audio.samples.len());
}

#[test]
fn a_truncated_opus_file_does_not_panic() {
    for name in [OPUS_OGG, OPUS_WEBM, "speech_1s_opus.ogg", "speech_1s_opus.webm"] {
        let bytes = fixture_bytes(name);
        for keep in [bytes.len() - 1, bytes.len() / 2, bytes.len() / 5, 100, 10] {
            match decode(&bytes[..keep]) {
                Ok(audio) => assert_eq!(audio.sample_rate, 48_000, "{name} cut at {keep}"),
                Err(e) => assert_sentence(&e),
            }
        }
    }
}

#[test]
fn speex_in_ogg_is_still_named() {
    let e = decode(&fixture_bytes("speech_1s_speex.ogg")).unwrap_err();
    assert_eq!(e.to_string(), "This file uses the Speex codec, which ser cannot decode; convert it to WAV or FLAC.");
}
