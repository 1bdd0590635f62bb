//! The library contract every fuzz target asserts. A failed assertion is a finding, exactly
//! like a panic inside the library.

#![allow(dead_code)]

use ser::SerError;
use ser::audio::DecodeLimits;
use ser::pipeline::{Analysis, PipelineOptions};

/// The decode limit used while fuzzing: long enough for any input under `-max_len`, short
/// enough that a header claiming hours of audio is refused quickly.
pub const MAX_SECONDS: f64 = 120.0;

pub fn limits() -> DecodeLimits {
    DecodeLimits { max_seconds: MAX_SECONDS }
}

/// Errors are fine, but each must read as one sentence: non-empty and ending in '.'.
pub fn check_error(err: &SerError) {
    let text = err.to_string();
    assert!(!text.trim().is_empty(), "empty error message for {err:?}");
    assert!(text.ends_with('.'), "error message does not end in '.': {text:?} ({err:?})");
}

/// Pipeline options picked from the input's last byte, so the fuzzer explores trimming and
/// pause cutting too. The whole input is still decoded, so seed files stay valid files.
pub fn options_from(data: &[u8]) -> PipelineOptions {
    let selector = data.last().copied().unwrap_or(0);
    let trim = selector & 1 == 0;
    let max_pause_s = match (selector >> 1) & 7 {
        0..=3 => None,
        4 => Some(0.0),
        5 => Some(0.05),
        6 => Some(0.25),
        _ => Some(1.0),
    };
    PipelineOptions { trim, max_pause_s, limits: limits(), ..Default::default() }
}

pub fn check_analysis(a: &Analysis, options: &PipelineOptions) {
    assert_eq!(a.sample_rate, options.params.sample_rate);
    assert!(a.signal.iter().all(|s| s.is_finite()), "non-finite sample in the 16 kHz signal");
    assert!(a.duration_s() <= options.limits.max_seconds + 1.0, "duration {} over the limit", a.duration_s());
    assert!(!a.kept.is_empty(), "Ok with no kept interval");
    let mut previous_end = 0;
    for interval in &a.kept {
        assert!(interval.start < interval.end, "empty or reversed kept interval {interval:?}");
        assert!(interval.start >= previous_end, "kept intervals overlap or are unsorted: {:?}", a.kept);
        assert!(interval.end <= a.signal.len(), "kept interval {interval:?} past the signal ({})", a.signal.len());
        previous_end = interval.end;
    }
    for [start, end] in a.kept_seconds() {
        assert!(start.is_finite() && end.is_finite() && start <= end);
    }
    let f = &a.features;
    assert!(f.n_frames > 0, "Ok with no feature frames");
    assert_eq!(f.mfcc.len(), f.n_frames * f.n_mfcc, "mfcc shape");
    assert_eq!(f.log_mel.len(), f.n_frames * f.n_mels, "log-mel shape");
    assert!(f.mfcc.iter().all(|v| v.is_finite()), "non-finite MFCC");
    assert!(f.log_mel.iter().all(|v| v.is_finite()), "non-finite log-mel");
}

pub fn check_probabilities(probabilities: &[f32], labels: usize) {
    assert_eq!(probabilities.len(), labels, "one probability per label");
    assert!(
        probabilities.iter().all(|p| p.is_finite() && (0.0..=1.0 + 1e-6).contains(p)),
        "probability out of [0, 1]: {probabilities:?}"
    );
    let sum: f32 = probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}: {probabilities:?}");
}
