//! The `ser` binary as a user runs it: help text, the JSON of `ser features`, and how bad
//! files are reported alongside good ones.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ser() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ser"));
    // Any panic would print its message and a backtrace hint; make sure neither shows.
    c.env("RUST_BACKTRACE", "1");
    c
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = ser();
    for a in args {
        c.arg(a);
    }
    c.output().expect("the ser binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

fn librosa_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa").join(name)
}

fn tmp_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli_{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l:.200}")))
        .collect()
}

fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "stderr shows a panic: {stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "stderr shows a backtrace hint: {stderr}");
    assert!(!stderr.contains("stack backtrace"), "stderr shows a backtrace: {stderr}");
}

fn features(path: &Path, extra: &[&str]) -> Value {
    let mut c = ser();
    c.arg("features").arg(path).args(extra);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}: {}", path.display(), text(&out.stderr));
    let mut lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "one JSON object per file");
    lines.remove(0)
}

fn kept(v: &Value) -> Vec<[f64; 2]> {
    v["kept"]
        .as_array()
        .expect("kept is an array")
        .iter()
        .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
        .collect()
}

fn mfcc_rows(v: &Value) -> Vec<Vec<f64>> {
    v["mfcc"]
        .as_array()
        .expect("mfcc is an array")
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn help_succeeds_and_lists_the_commands_and_options() {
    let out = run(&[&"--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["features", "export", "--help", "--version"] {
        assert!(help.contains(word), "`ser --help` does not mention {word}:\n{help}");
    }
    let out = run(&[&"--version"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn features_help_lists_every_option() {
    let out = run(&[&"features", &"--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["FILE", "--no-trim", "--max-pause", "SECONDS", "--help"] {
        assert!(help.contains(word), "`ser features --help` does not mention {word}:\n{help}");
    }
}

#[test]
fn features_prints_one_json_object_with_the_parameters_and_mfccs() {
    let v = features(&librosa_fixture("ravdess_01_angry.flac"), &[]);
    for key in [
        "file",
        "sample_rate",
        "n_fft",
        "hop_length",
        "win_length",
        "n_mels",
        "n_mfcc",
        "fmin",
        "fmax",
        "top_db",
        "kept",
        "duration_s",
        "mfcc",
    ] {
        assert!(v.get(key).is_some(), "no {key:?} in {:.300}", v.to_string());
    }
    let p = ser::dsp::FeatureParams::default();
    assert_eq!(v["sample_rate"], p.sample_rate);
    assert_eq!(v["n_fft"], p.n_fft);
    assert_eq!(v["hop_length"], p.hop_length);
    assert_eq!(v["win_length"], p.win_length);
    assert_eq!(v["n_mels"], p.n_mels);
    assert_eq!(v["n_mfcc"], p.n_mfcc);
    assert_eq!(v["fmin"].as_f64(), Some(p.fmin));
    assert_eq!(v["fmax"].as_f64(), Some(p.fmax));
    assert_eq!(v["top_db"].as_f64(), Some(p.top_db));
    assert!(v["file"].as_str().unwrap().ends_with("ravdess_01_angry.flac"));

    let duration = v["duration_s"].as_f64().unwrap();
    assert!((4.0..4.3).contains(&duration), "duration {duration}");
    let rows = mfcc_rows(&v);
    assert!(rows.iter().all(|r| r.len() == p.n_mfcc), "every MFCC row has n_mfcc values");
    assert!(rows.iter().flatten().all(|x| x.is_finite()));

    // The frames are those of the kept audio: 1 + samples / hop.
    let kept = kept(&v);
    assert!(!kept.is_empty());
    let sr = p.sample_rate as f64;
    let kept_samples: usize = kept.iter().map(|[a, b]| ((b - a) * sr).round() as usize).sum();
    assert_eq!(rows.len(), 1 + kept_samples / p.hop_length);
    for [a, b] in &kept {
        assert!(0.0 <= *a && a < b && *b <= duration + 1e-9, "kept {a}..{b} of {duration}");
    }
}

#[test]
fn no_trim_keeps_the_whole_file_and_gives_more_frames() {
    let path = librosa_fixture("silence_both_ends.flac");
    let trimmed = features(&path, &[]);
    let whole = features(&path, &["--no-trim"]);
    let duration = whole["duration_s"].as_f64().unwrap();
    assert_eq!(kept(&whole), vec![[0.0, duration]]);
    assert_eq!(whole["trim"], false);
    assert_eq!(trimmed["trim"], true);
    let [a, b] = kept(&trimmed)[0];
    assert!(a > 0.3 && b < duration - 0.2, "silence at both ends is trimmed: {a}..{b} of {duration}");
    let (n_whole, n_trimmed) = (mfcc_rows(&whole).len(), mfcc_rows(&trimmed).len());
    assert!(n_whole > n_trimmed, "--no-trim: {n_whole} frames, trimmed: {n_trimmed}");
    assert_eq!(n_whole, 1 + (duration * 16_000.0).round() as usize / 160);
}

#[test]
fn max_pause_is_echoed_and_keeps_ordered_intervals() {
    // "bath" … "happy": the pause between the words is cut at 0.05 s.
    let path = librosa_fixture("tess_yaf_happy.flac");
    let v = features(&path, &["--max-pause", "0.05"]);
    assert_eq!(v["max_pause_s"].as_f64(), Some(0.05));
    let kept = kept(&v);
    assert!(kept.len() >= 2, "the pause is kept: {kept:?}");
    let rows = mfcc_rows(&v).len();
    let kept_samples: usize = kept.iter().map(|[a, b]| ((b - a) * 16_000.0).round() as usize).sum();
    assert_eq!(rows, 1 + kept_samples / 160, "features are computed on the joined kept parts");
    for w in kept.windows(2) {
        assert!(w[1][0] - w[0][1] > 0.05, "a pause of at most 0.05 s was cut: {kept:?}");
    }
    let plain = features(&path, &[]);
    assert!(plain["max_pause_s"].is_null());
    let span = self::kept(&plain)[0];
    assert!(kept[0][0] == span[0] && kept[kept.len() - 1][1] == span[1], "{kept:?} vs trim {span:?}");
}

#[test]
fn several_good_files_give_one_line_each_in_order() {
    let names = ["ravdess_02_sad.flac", "tess_yaf_happy.flac"];
    let paths: Vec<PathBuf> = names.iter().map(|n| librosa_fixture(n)).collect();
    let out = ser().arg("features").args(&paths).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    for (v, name) in lines.iter().zip(names) {
        assert!(v["file"].as_str().unwrap().ends_with(name));
    }
}

#[test]
fn bad_files_get_one_line_each_and_the_good_one_still_runs() {
    let dir = tmp_dir("bad_files");
    let text_file = dir.join("notes_not_audio.txt");
    std::fs::write(&text_file, "These are notes, not audio.\n".repeat(20)).unwrap();
    let empty = dir.join("empty_recording.wav");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("no_such_recording.wav");
    let folder = dir.join("a_folder.wav");
    std::fs::create_dir_all(&folder).unwrap();
    let good = librosa_fixture("tess_yaf_happy.flac");

    let bad = [&text_file, &empty, &missing, &folder];
    let out = ser().arg("features").arg(&text_file).arg(&good).arg(&empty).arg(&missing).arg(&folder).output().unwrap();
    assert!(!out.status.success(), "a bad file must make the exit status non-zero");
    assert_ne!(out.status.code(), Some(0));

    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "exactly one JSON line, for the good file");
    assert!(lines[0]["file"].as_str().unwrap().ends_with("tess_yaf_happy.flac"));

    let stderr = text(&out.stderr);
    assert_no_panic(&stderr);
    let err_lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(err_lines.len(), bad.len(), "one line per bad file:\n{stderr}");
    for (line, path) in err_lines.iter().zip(bad) {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(line.contains(name), "{line:?} does not name {name}");
        assert!(line.trim_end().ends_with('.'), "not a sentence: {line:?}");
    }
    assert!(err_lines[0].contains("not an audio file"), "{}", err_lines[0]);
    assert!(err_lines[1].contains("empty"), "{}", err_lines[1]);
    assert!(err_lines[2].contains("no such file"), "{}", err_lines[2]);
    assert!(err_lines[3].contains("folder"), "{}", err_lines[3]);
}

#[test]
fn a_silent_or_too_short_file_is_explained() {
    let dir = tmp_dir("silent_short");
    let write = |name: &str, samples: &[i16]| {
        let path = dir.join(name);
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        samples.iter().for_each(|&s| w.write_sample(s).unwrap());
        w.finalize().unwrap();
        path
    };
    let silent = write("silent.wav", &vec![0; 32_000]);
    let short: Vec<i16> = (0..3_200).map(|n| ((n as f32 * 0.2).sin() * 8000.0) as i16).collect();
    let short = write("short.wav", &short);
    for (path, words) in [(&silent, "silent"), (&short, "too short")] {
        let out = ser().arg("features").arg(path).output().unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let stderr = text(&out.stderr);
        assert_no_panic(&stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(words), "{stderr}");
    }
}

#[test]
fn invalid_options_are_refused_with_exit_status_2() {
    let good = librosa_fixture("tess_yaf_happy.flac");
    for bad in ["-1", "0", "nan", "inf"] {
        let out = ser().arg("features").arg(format!("--max-pause={bad}")).arg(&good).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--max-pause={bad}");
        assert!(out.stdout.is_empty());
        let stderr = text(&out.stderr);
        assert_no_panic(&stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--max-pause must be a positive number"), "{stderr}");
    }
    // Not a number: clap's own message.
    let out = ser().args(["features", "--max-pause", "soon"]).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--max-pause"));
    // --no-trim and --max-pause contradict each other.
    let out = ser().args(["features", "--no-trim", "--max-pause", "1"]).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    // No file at all.
    let out = ser().arg("features").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn baseline_fixture(n: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/baseline/ravdess_01_neutral_{n}.flac"))
}

#[test]
fn baseline_summarises_a_voice_and_refuses_too_little_speech() {
    let dir = tmp_dir("baseline");
    let out_path = dir.join("me.json");
    let out = run(&[&"baseline", &baseline_fixture(1), &baseline_fixture(2), &"--out", &out_path]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "--out writes the file, not stdout");
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(b["format"], "ser-baseline/2");
    assert_eq!(b["model_log_probs"].as_array().unwrap().len(), 8);
    assert_eq!(b["model"], "ser_cnn");
    assert_eq!(b["clips"], 2);
    let speech = b["speech_s"].as_f64().unwrap();
    assert!((2.0..4.0).contains(&speech), "{speech} s of speech in two 3.3 s clips");
    let mean = b["log_mel_mean"].as_array().unwrap();
    assert_eq!(mean.len(), 64);
    assert_eq!(b["log_mel_std"].as_array().unwrap().len(), 64);
    // Without --out, the same summary on stdout.
    let out = run(&[&"baseline", &baseline_fixture(1), &baseline_fixture(2)]);
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again, b);

    // The same clips at 48 kHz stereo: resampled like any input, the same summary within 0.5 dB.
    let mut resampled = Vec::new();
    for n in [1, 2] {
        let audio = ser::decode_bytes(&std::fs::read(baseline_fixture(n)).unwrap(), &Default::default()).unwrap();
        let up = ser::audio::resample(&audio.samples, 16_000, 48_000).unwrap();
        let path = dir.join(format!("neutral_{n}_48k.wav"));
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for s in up {
            w.write_sample(s).unwrap();
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        resampled.push(path);
    }
    let out = run(&[&"baseline", &resampled[0], &resampled[1]]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let b48: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (x, y) in mean.iter().zip(b48["log_mel_mean"].as_array().unwrap()) {
        let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
        assert!((x - y).abs() < 0.5, "{x} vs {y} dB");
    }

    // One clip holds about 1.4 s of speech: refused with one sentence, nothing written.
    let lonely = dir.join("lonely.json");
    let out = run(&[&"baseline", &baseline_fixture(1), &"--out", &lonely]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "The baseline needs at least 2 s of speech; these recordings have 1.4 s. Record a little more in your everyday voice.\n"
    );
    assert!(!lonely.exists());

    // A voice and white noise do not sound alike; a text file is not audio.
    let out = run(&[&"baseline", &baseline_fixture(1), &librosa_fixture("white_noise.flac")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("The baseline recordings do not sound alike: "), "{}", text(&out.stderr));
    let note = dir.join("note.txt");
    std::fs::write(&note, "my voice, honestly").unwrap();
    let out = run(&[&"baseline", &baseline_fixture(1), &baseline_fixture(2), &note]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.starts_with(&format!("{}: This is not an audio file", note.display())), "{err}");
    assert_no_panic(&err);
}

/// `ser predict --baseline`: every result relative to the speaker's voice, and said so; a
/// baseline that cannot be used is one sentence and exit 1, and nothing is printed.
#[test]
fn predict_with_a_baseline_is_relative_to_that_voice() {
    let dir = tmp_dir("predict_baseline");
    let me = dir.join("me.json");
    let out = run(&[&"baseline", &baseline_fixture(1), &baseline_fixture(2), &"--out", &me]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let clip = librosa_fixture("ravdess_02_sad.flac");
    let cold = run(&[&"predict", &clip]);
    let relative = run(&[&"predict", &clip, &"--baseline", &me]);
    assert!(relative.status.success(), "{}", text(&relative.stderr));
    let (cold, relative): (Value, Value) =
        (serde_json::from_slice(&cold.stdout).unwrap(), serde_json::from_slice(&relative.stdout).unwrap());
    assert_eq!(cold["voice_baseline"], false);
    assert_eq!(relative["voice_baseline"], true);
    assert_ne!(cold["probabilities"], relative["probabilities"]);
    // The library's numbers, through the same file.
    let model = ser::EmotionModel::embedded().unwrap();
    let baseline = ser::Baseline::from_json(&std::fs::read_to_string(&me).unwrap()).unwrap();
    let personal = model.with_baseline(&baseline).unwrap();
    let analysis = ser::analyse_bytes(&std::fs::read(&clip).unwrap(), &ser::PipelineOptions::default()).unwrap();
    let want = personal.predict(&analysis.features).unwrap();
    for (label, p) in want.iter() {
        let got = relative["probabilities"][label].as_f64().unwrap();
        assert!((got - p as f64).abs() < 2e-6, "{label}: {got} vs {p}");
    }

    // The recordings themselves as --baseline: the same baseline, the same result.
    let direct = run(&[&"predict", &clip, &"--baseline", &baseline_fixture(1), &"--baseline", &baseline_fixture(2)]);
    assert!(direct.status.success(), "{}", text(&direct.stderr));
    let direct: Value = serde_json::from_slice(&direct.stdout).unwrap();
    assert_eq!(direct["probabilities"], relative["probabilities"]);
    // Too little speech in them, or a summary mixed with recordings: refused, nothing printed.
    let out = run(&[&"predict", &clip, &"--baseline", &baseline_fixture(1)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).starts_with("The baseline needs at least 2 s of speech"), "{}", text(&out.stderr));
    let out = run(&[&"predict", &clip, &"--baseline", &me, &"--baseline", &baseline_fixture(1)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("a saved baseline cannot be mixed with recordings"), "{}", text(&out.stderr));

    // Not there, not a baseline, an old format, another model: one sentence each.
    let missing = dir.join("nobody.json");
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let old = dir.join("old.json");
    let mut v1: Value = serde_json::from_str(&std::fs::read_to_string(&me).unwrap()).unwrap();
    v1["format"] = "ser-baseline/1".into();
    std::fs::write(&old, v1.to_string()).unwrap();
    let other = dir.join("other.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&me).unwrap()).unwrap();
    v["model_version"] = "0.1.0".into();
    std::fs::write(&other, v.to_string()).unwrap();
    for (path, starts) in [
        (&missing, "cannot read the voice baseline"),
        (&junk, "This is not a voice baseline saved by ser: a field is missing"),
        (&old, "This is not a voice baseline saved by ser: its format is \"ser-baseline/1\""),
        (&other, "This voice baseline was made for the model ser_cnn 0.1.0, not for ser_cnn"),
    ] {
        let out = run(&[&"predict", &clip, &"--baseline", path]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("{}: ", path.display())) && err.contains(starts), "{err}");
        assert_no_panic(&err);
    }
}

/// A calibrated model below its threshold: every output says "not sure" and names the two
/// likeliest emotions (the JSON's unsure and verdict, the CSV's unsure column, the cue text).
#[test]
fn a_result_below_the_calibrated_threshold_is_not_sure_in_every_format() {
    let dir = tmp_dir("unsure");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("models/ser_cnn.onnx"), dir.join("m.onnx")).unwrap();
    let mut sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("models/ser_cnn.json")).unwrap()).unwrap();
    sidecar["calibration"] = serde_json::json!({"temperature": 1.0, "unsure_below": 0.999});
    std::fs::write(dir.join("m.json"), sidecar.to_string()).unwrap();
    let clip = librosa_fixture("ravdess_01_angry.flac");
    let model = dir.join("m.onnx");
    let out = run(&[&"predict", &"--model", &model, &clip]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["unsure"], true);
    let mut ranked: Vec<(&String, f64)> =
        v["probabilities"].as_object().unwrap().iter().map(|(k, p)| (k, p.as_f64().unwrap())).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let verdict = format!("not sure: {} or {}", ranked[0].0, ranked[1].0);
    assert_eq!(v["verdict"], verdict.as_str());
    let csv = text(&run(&[&"predict", &"--model", &model, &"--format", &"csv", &clip]).stdout);
    assert_eq!(csv.lines().nth(1).unwrap().split(',').nth(3), Some("true"), "{csv}");
    let vtt = text(&run(&[&"predict", &"--model", &model, &"--format", &"vtt", &clip]).stdout);
    assert!(vtt.contains(&format!("{verdict} ")), "{vtt}");
    // The shipped model's result on the same clip is clear, and says so.
    let v = &json_lines(&run(&[&"predict", &clip]).stdout)[0];
    assert_eq!(v["verdict"], v["emotion"]);
}

#[test]
fn export_writes_the_log_mel_and_the_prosody_rows_of_every_clip_and_copy() {
    let dir = tmp_dir("export_prosody");
    let manifest = dir.join("manifest.csv");
    std::fs::write(
        &manifest,
        "path,corpus,speaker,gender,emotion,intensity,duration_s\n\
         ravdess_01_angry.flac,ravdess,ravdess_01,male,angry,normal,4.1\n",
    )
    .unwrap();
    let root = librosa_fixture("");
    let export = |feature: &str| -> ndarray::Array2<f32> {
        let out = dir.join(feature);
        let o = run(&[
            &"export",
            &"--manifest",
            &manifest,
            &"--root",
            &root,
            &"--out",
            &out,
            &"--feature",
            &feature,
            &"--copies",
            &"1",
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let items = std::fs::read_to_string(out.join("items.csv")).unwrap();
        assert_eq!(items.lines().count(), 3, "a header, the clip and its copy:\n{items}");
        ndarray_npy::read_npy(out.join("features.npy")).unwrap()
    };
    let log_mel = export("logmel");
    let both = export("logmel_prosody");
    let prosody = export("prosody");
    let n_mels = ser::dsp::FeatureParams::default().n_mels;
    assert_eq!(log_mel.ncols(), n_mels);
    assert_eq!(prosody.ncols(), ser::dsp::PROSODY_ROWS);
    assert_eq!(both.ncols(), n_mels + ser::dsp::PROSODY_ROWS);
    assert_eq!((both.nrows(), prosody.nrows()), (log_mel.nrows(), log_mel.nrows()));
    // Each frame: its log-mel bands, then its prosody rows, as the two exports give them.
    for ((joined, mel), pros) in both.rows().into_iter().zip(log_mel.rows()).zip(prosody.rows()) {
        let joined = joined.to_vec();
        assert_eq!(joined[..n_mels], mel.to_vec()[..]);
        assert_eq!(joined[n_mels..], pros.to_vec()[..]);
    }
    // An angry male voice is voiced in a good share of its frames, at a plausible pitch.
    let voiced: Vec<f32> = prosody.rows().into_iter().filter(|r| r[0] == 1.0).map(|r| r[1]).collect();
    assert!(voiced.len() * 4 > prosody.nrows(), "{} of {} frames voiced", voiced.len(), prosody.nrows());
    assert!(voiced.iter().all(|st| (-8.0..32.0).contains(st)), "semitones above 100 Hz out of range");
}
