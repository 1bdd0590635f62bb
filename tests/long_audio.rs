//! Recordings longer than the in-memory limit are streamed from disk in blocks: the timeline
//! equals the in-memory pipeline's, and an hour of 48 kHz stereo stays under 300 MB of memory.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use ser::audio::MediaSource;
use ser::audio::{DecodeLimits, decode_bytes, resample};
use ser::model::{EMBEDDED_ONNX, EMBEDDED_SIDECAR};
use ser::model::{EmotionModel, Report};
use ser::pipeline::{Loader, analyse_long};
use ser::{PipelineOptions, SerError, Stepwise};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The speech fixture at `rate`.
fn speech_at(rate: u32) -> Vec<f32> {
    let bytes = std::fs::read(root().join("tests/fixtures/librosa/ravdess_01_angry.flac")).unwrap();
    let clip = decode_bytes(&bytes, &DecodeLimits::default()).unwrap();
    resample(&clip.samples, clip.sample_rate, rate).unwrap()
}

/// A small xorshift generator, so the noise is the same on every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

/// Writes `seconds` of 16-bit stereo at `rate`: the speech clip looped with a second of pause
/// between repeats and a little noise, louder on one channel, streamed straight to `out`.
fn write_looped_speech(out: &mut impl Write, rate: u32, seconds: f64) {
    let speech = speech_at(rate);
    let frames = (seconds * rate as f64) as u64;
    let data_bytes = frames * 4;
    let mut header = Vec::with_capacity(44);
    header.extend_from_slice(b"RIFF");
    header.extend_from_slice(&(36 + data_bytes as u32).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    header.extend_from_slice(&16u32.to_le_bytes());
    header.extend_from_slice(&1u16.to_le_bytes()); // PCM
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&rate.to_le_bytes());
    header.extend_from_slice(&(rate * 4).to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&16u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&(data_bytes as u32).to_le_bytes());
    out.write_all(&header).unwrap();

    let period = speech.len() + rate as usize;
    let mut noise = Noise(0x5eed);
    let mut buffer = Vec::with_capacity(1 << 20);
    for n in 0..frames as usize {
        let i = n % period;
        let s = if i < speech.len() { speech[i] } else { 0.0 };
        let left = 0.9 * s + 0.002 * noise.next();
        let right = 0.6 * s + 0.002 * noise.next();
        for v in [left, right] {
            buffer.extend_from_slice(&((v.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
        }
        if buffer.len() >= 1 << 20 {
            out.write_all(&buffer).unwrap();
            buffer.clear();
        }
    }
    out.write_all(&buffer).unwrap();
}

fn model() -> EmotionModel {
    EmotionModel::from_bytes(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap()
}

fn assert_close(a: &[f32], b: &[f32], what: &str) {
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6, "{what}: {x} vs {y}");
    }
}

/// The streamed report equals the in-memory one: kept intervals, timeline and whole-clip
/// prediction (one model run up to a minute of kept audio, the mean of the windows beyond).
#[test]
fn streaming_a_recording_gives_the_in_memory_report() {
    let model = model();
    let options = PipelineOptions { params: model.info().feature_params.clone(), ..PipelineOptions::default() };
    for (seconds, from_windows) in [(40.0, false), (90.0, true)] {
        let mut wav = Vec::new();
        write_looped_speech(&mut wav, 48_000, seconds);
        let in_memory = ser::analyse_bytes(&wav, &options).unwrap();
        let expected = Report::new(&model, &in_memory).unwrap();

        let mut opened = 0;
        let mut open = || -> ser::Result<Box<dyn MediaSource>> {
            opened += 1;
            Ok(Box::new(Cursor::new(wav.clone())))
        };
        let mut fractions = Vec::new();
        let streamed = analyse_long(&mut open, &model, &options, &mut |f| fractions.push(f)).unwrap();
        assert_eq!(opened, 3, "three passes over the file");
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "progress goes forward: {fractions:?}");
        assert_eq!(fractions.last(), Some(&1.0));

        assert_eq!(streamed.kept, expected.kept);
        assert_eq!(streamed.duration_s, expected.duration_s);
        assert!(expected.timeline.len() as f64 > seconds / 2.0, "{} windows", expected.timeline.len());
        assert_eq!(streamed.timeline.len(), expected.timeline.len());
        for (s, e) in streamed.timeline.iter().zip(&expected.timeline) {
            assert_eq!((s.start_s, s.end_s), (e.start_s, e.end_s));
            assert_close(
                &s.prediction.probabilities,
                &e.prediction.probabilities,
                &format!("window at {} s", s.start_s),
            );
        }
        assert_close(&streamed.whole.probabilities, &expected.whole.probabilities, "whole clip");
        assert_eq!(
            (streamed.whole_from_windows, expected.whole_from_windows),
            (from_windows, from_windows),
            "{seconds} s"
        );

        // Beyond a minute the whole-clip figure is the mean of the windows, and the JSON says so.
        let json = streamed.to_json("long.wav");
        if from_windows {
            let n = streamed.timeline.len() as f32;
            for (k, p) in streamed.whole.probabilities.iter().enumerate() {
                let mean = streamed.timeline.iter().map(|s| s.prediction.probabilities[k]).sum::<f32>() / n;
                assert!((p - mean).abs() < 1e-6);
            }
            assert_eq!(json["whole_clip"], "mean of the timeline windows");
        } else {
            assert!(json.get("whole_clip").is_none());
        }
    }
}

#[test]
fn streaming_refuses_what_the_in_memory_pipeline_refuses() {
    let model = model();
    let options = PipelineOptions::default();
    // Zeros, and a constant offset at 44.1 kHz (which resampling turns into edge ringing).
    for (rate, level) in [(8_000u32, 0i16), (44_100, 9_830)] {
        let mut wav = Vec::new();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::new(Cursor::new(&mut wav), spec).unwrap();
        for _ in 0..rate * 10 {
            w.write_sample(level).unwrap();
        }
        w.finalize().unwrap();
        assert_eq!(ser::analyse_bytes(&wav, &options).unwrap_err(), SerError::Silent);
        let mut open = || -> ser::Result<Box<dyn MediaSource>> { Ok(Box::new(Cursor::new(wav.clone()))) };
        let err = analyse_long(&mut open, &model, &options, &mut |_| {}).unwrap_err();
        assert_eq!(err, SerError::Silent, "{rate} Hz at level {level}");
    }
    let mut open = || -> ser::Result<Box<dyn MediaSource>> { Ok(Box::new(Cursor::new(b"not audio at all".to_vec()))) };
    assert_eq!(analyse_long(&mut open, &model, &options, &mut |_| {}).unwrap_err(), SerError::NotAudio);
}

#[test]
fn the_in_memory_loader_stops_at_its_limit_and_reports_the_announced_length() {
    let mut wav = Vec::new();
    write_looped_speech(&mut wav, 16_000, 30.0);
    let options = PipelineOptions { limits: DecodeLimits { max_seconds: 10.0 }, ..PipelineOptions::default() };
    let mut loader = Loader::from_bytes(&wav, &options).unwrap();
    assert_eq!(loader.expected_seconds(), Some(30.0));
    let mut progress = vec![loader.progress()];
    let err = loop {
        match loader.step(4) {
            Ok(false) => progress.push(loader.progress()),
            Ok(true) => panic!("decoded past the limit"),
            Err(e) => break e,
        }
    };
    assert_eq!(err, SerError::TooLong { got: 30.0, limit: 10.0 });
    assert_eq!(err.to_string(), "The recording is too long: 30 s, the limit is 10 s.");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]) && progress.len() > 2, "{progress:?}");
    // The announced length makes progress known while decoding: a third of the file is read.
    assert!(progress[progress.len() - 1] > 0.3, "{progress:?}");
}

fn max_rss_kb(time_v_stderr: &str) -> u64 {
    time_v_stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes): "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no maximum resident set size in:\n{time_v_stderr}"))
}

fn time_v(file: &Path) -> std::process::Output {
    Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_ser"))
        .arg("predict")
        .arg(file)
        .output()
        .expect("/usr/bin/time runs (scripts/setup.sh installs Debian's `time`)")
}

/// An hour of 48 kHz stereo (660 MB of WAV) is analysed by streaming: a timeline over the whole
/// hour, and at most 300 MB resident, measured by `/usr/bin/time -v`.
#[test]
fn an_hour_of_48k_stereo_is_streamed_in_bounded_memory() {
    let dir = tmp_dir("long_audio_hour");
    let path = dir.join("lecture.wav");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        write_looped_speech(&mut file, 48_000, 3600.0);
        file.flush().unwrap();
    }
    let out = time_v(&path);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{stderr}");
    let rss_mb = max_rss_kb(&stderr) as f64 / 1024.0;
    let wall = stderr.lines().find(|l| l.contains("Elapsed (wall clock)")).unwrap_or("").trim().to_string();
    eprintln!("1 hour of 48 kHz stereo: peak RSS {rss_mb:.1} MB, {wall}");
    assert!(rss_mb <= 300.0, "peak resident memory {rss_mb:.1} MB > 300 MB");

    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["duration_s"].as_f64().unwrap() - 3600.0).abs() < 0.01, "{}", v["duration_s"]);
    assert_eq!(v["whole_clip"], "mean of the timeline windows");
    let timeline = v["timeline"].as_array().unwrap();
    // Windows of 3 s every 1.5 s over the kept audio: about 2400 of them.
    assert!(timeline.len() > 2300, "{} windows", timeline.len());
    let last_end = timeline.last().unwrap()["end_s"].as_f64().unwrap();
    assert!(last_end > 3590.0, "the timeline reaches the end of the hour: {last_end}");
    let sum: f64 = v["probabilities"].as_object().unwrap().values().map(|p| p.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-3);
}
