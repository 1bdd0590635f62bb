//! Inputs found or produced by the fuzzers in fuzz/ (see fuzz/README.md), kept as regression
//! tests: every `*.bin` file in tests/fixtures/fuzz/ goes through `analyse_bytes` with the
//! default options and must come back as `Ok` or as an error whose message is one sentence
//! (non-empty, ending in '.'), without panicking and within a minute.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ser::{PipelineOptions, analyse_bytes};

/// Generous: the slowest input takes well under a second in a release build.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn inputs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    files
}

/// Runs one input on a thread of its own, so a panic or a hang is reported, not fatal.
fn check(path: &PathBuf) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::Builder::new()
        .name(path.file_name().unwrap().to_string_lossy().into_owned())
        .spawn(move || {
            let result = analyse_bytes(&bytes, &PipelineOptions::default());
            let outcome = match result {
                Ok(a) => {
                    let finite = a.features.mfcc.iter().chain(&a.features.log_mel).all(|v| v.is_finite());
                    if finite {
                        Ok(format!("Ok: {} frames", a.features.n_frames))
                    } else {
                        Err("Ok with non-finite features".to_string())
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    if !text.trim().is_empty() && text.ends_with('.') {
                        Ok(format!("Err: {text}"))
                    } else {
                        Err(format!("error message is not a sentence: {text:?}"))
                    }
                }
            };
            let _ = tx.send(outcome);
        })
        .unwrap();
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(outcome) => outcome.map(|s| format!("{s} ({:.2?})", started.elapsed())),
        // The sender was dropped without sending: the thread panicked (its message is on stderr).
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".to_string()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("still running after {TIME_LIMIT:?}")),
    }
}

#[test]
fn fuzz_inputs_give_ok_or_a_sentence() {
    let files = inputs();
    assert!(!files.is_empty(), "no tests/fixtures/fuzz/*.bin inputs");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        match check(path) {
            Ok(outcome) => eprintln!("{name}: {outcome}"),
            Err(why) => {
                eprintln!("{name}: FAILED: {why}");
                failures.push(format!("{name}: {why}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} fuzz inputs failed:\n{}", failures.len(), files.len(), failures.join("\n"));
}
