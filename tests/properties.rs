//! Property tests of silence trimming, splitting, pause merging and feature framing, on
//! random signals made of loud bursts and silent (zero or faint-noise) stretches.
//!
//! Trimming is checked against an independent, naive frame-power computation written here
//! from librosa's definition (centred frames, zero padding, mean square over frame_length,
//! dB relative to the loudest frame with amin = 1e-10).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use ser::dsp::PowerStft;
use ser::dsp::{FeatureExtractor, FeatureParams, Interval, SilenceParams};
use ser::dsp::{kept_intervals, split, trim};

fn silence() -> SilenceParams {
    let p = FeatureParams::default();
    SilenceParams { top_db: p.top_db, frame_length: p.trim_frame_length, hop_length: p.trim_hop_length }
}

const HOP: usize = 512;

#[derive(Debug, Clone)]
enum Segment {
    /// Exact zeros.
    Zeros(usize),
    /// Faint noise of this amplitude.
    Faint(usize, f32, u64),
    /// A harmonic burst of this amplitude and fundamental.
    Loud(usize, f32, f32),
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        (1usize..5000).prop_map(Segment::Zeros),
        (1usize..5000, 1e-4f32..1e-3, any::<u64>()).prop_map(|(n, a, s)| Segment::Faint(n, a, s)),
        (256usize..5000, 0.05f32..1.0, 80f32..1000.0).prop_map(|(n, a, f)| Segment::Loud(n, a, f)),
    ]
}

fn render(segments: &[Segment]) -> Vec<f32> {
    let mut out = Vec::new();
    for s in segments {
        match *s {
            Segment::Zeros(n) => out.extend(std::iter::repeat_n(0.0, n)),
            Segment::Faint(n, amp, seed) => {
                let mut state = seed | 1;
                out.extend((0..n).map(|_| {
                    // xorshift64: deterministic noise in [-amp, amp].
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    amp * ((state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0)
                }))
            }
            Segment::Loud(n, amp, f0) => out.extend((0..n).map(|i| {
                let t = i as f32 / 16_000.0;
                let env = (std::f32::consts::PI * i as f32 / n as f32).sin();
                amp * env
                    * (0..4)
                        .map(|k| (2.0 * std::f32::consts::PI * f0 * (k + 1) as f32 * t).sin() / (k + 1) as f32)
                        .sum::<f32>()
            })),
        }
    }
    out
}

fn signal() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(segment(), 1..7).prop_map(|s| render(&s))
}

/// Signals with at least one burst, so they are never entirely silent.
fn loud_signal() -> impl Strategy<Value = Vec<f32>> {
    (
        prop::collection::vec(segment(), 0..4),
        (256usize..5000, 0.05f32..1.0, 80f32..1000.0),
        prop::collection::vec(segment(), 0..4),
    )
        .prop_map(|(a, (n, amp, f), b)| {
            let mut all = a;
            all.push(Segment::Loud(n, amp, f));
            all.extend(b);
            render(&all)
        })
}

/// Frame powers in dB relative to the loudest frame, computed naively.
fn reference_frame_db(x: &[f32], p: &SilenceParams) -> Vec<f64> {
    let n_frames = 1 + x.len() / p.hop_length;
    let half = (p.frame_length / 2) as i64;
    let power: Vec<f64> = (0..n_frames)
        .map(|t| {
            let centre = (t * p.hop_length) as i64;
            let mut sum = 0.0;
            for i in centre - half..centre + half {
                if i >= 0 && (i as usize) < x.len() {
                    sum += (x[i as usize] as f64).powi(2);
                }
            }
            sum / p.frame_length as f64
        })
        .collect();
    let peak = power.iter().cloned().fold(0.0, f64::max);
    let ref_db = 10.0 * peak.max(1e-10).log10();
    power.iter().map(|&pw| 10.0 * pw.max(1e-10).log10() - ref_db).collect()
}

fn on_grid(pos: usize, len: usize) -> bool {
    pos.is_multiple_of(HOP) || pos == len
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn trim_is_a_hop_aligned_span_with_only_silence_outside(x in signal()) {
        let p = silence();
        let db = reference_frame_db(&x, &p);
        const EPS: f64 = 1e-6;
        match trim(&x, &p) {
            None => {
                // Everything is silent.
                prop_assert!(db.iter().all(|&d| d <= -p.top_db + EPS), "trim found nothing but some frame is loud");
            }
            Some(iv) => {
                prop_assert!(iv.start <= iv.end && iv.end <= x.len(), "{iv:?} for {} samples", x.len());
                prop_assert!(on_grid(iv.start, x.len()) && on_grid(iv.end, x.len()), "{iv:?} not on the hop grid");
                // Every frame centred outside the span is silent... (a span that runs to the end
                // of the signal holds every later frame too: when the length is a multiple of the
                // hop, the last frame is centred exactly at the end, as in librosa.)
                for (t, &d) in db.iter().enumerate() {
                    let centre = t * HOP;
                    if centre < iv.start || (centre >= iv.end && iv.end < x.len()) {
                        prop_assert!(d <= -p.top_db + EPS, "frame {t} at {centre} is {d:.2} dB but outside {iv:?}");
                    }
                }
                // ...and the span starts and ends at loud frames.
                if iv.start < x.len() {
                    prop_assert!(db[iv.start / HOP] > -p.top_db - EPS, "first frame of {iv:?} is silent");
                }
                let last = iv.end.div_ceil(HOP) - 1;
                prop_assert!(db[last] > -p.top_db - EPS, "last frame {last} of {iv:?} is silent");
            }
        }
    }

    #[test]
    fn trim_does_not_depend_on_the_level(x in loud_signal(), k in -3i32..=3) {
        // Powers of two scale exactly in floating point, so the frame powers scale exactly.
        let scale = 2f32.powi(k);
        let y: Vec<f32> = x.iter().map(|v| v * scale).collect();
        prop_assert_eq!(trim(&x, &silence()), trim(&y, &silence()));
        prop_assert_eq!(split(&x, &silence()), split(&y, &silence()));
    }

    #[test]
    fn leading_zeros_shift_the_trim_by_their_count(x in loud_signal(), k in 1usize..8) {
        let p = silence();
        let mut y = vec![0.0f32; k * HOP];
        y.extend_from_slice(&x);
        let a = trim(&x, &p).unwrap();
        let b = trim(&y, &p).unwrap();
        prop_assert_eq!(b.end, a.end + k * HOP);
        // Centred frames reach frame_length / 2 = 1024 samples back: the new frame just before
        // the old frame 0 sees the first 512 old samples, so a signal loud right from its
        // start may begin one hop earlier (as in librosa). Otherwise the shift is exact.
        let loud_start = a.start == 0 && reference_frame_db(&y, &p)[k - 1] > -p.top_db;
        if loud_start {
            prop_assert_eq!(b.start, (k - 1) * HOP);
        } else {
            prop_assert_eq!(b.start, a.start + k * HOP);
        }
    }

    #[test]
    fn leading_zeros_shift_a_quiet_start_exactly(x in loud_signal(), k in 1usize..8) {
        // With 512 quiet samples first, the exception above cannot happen.
        let mut x0 = vec![0.0f32; 512];
        x0.extend_from_slice(&x);
        let mut y = vec![0.0f32; k * HOP];
        y.extend_from_slice(&x0);
        let a = trim(&x0, &silence()).unwrap();
        let b = trim(&y, &silence()).unwrap();
        prop_assert_eq!((b.start, b.end), (a.start + k * HOP, a.end + k * HOP));
    }

    #[test]
    fn split_is_sorted_disjoint_and_spans_the_trim(x in signal()) {
        let p = silence();
        let parts = split(&x, &p);
        match trim(&x, &p) {
            None => prop_assert!(parts.is_empty(), "{parts:?}"),
            Some(t) => {
                prop_assert!(!parts.is_empty());
                prop_assert_eq!(parts[0].start, t.start);
                prop_assert_eq!(parts[parts.len() - 1].end, t.end);
                for iv in &parts {
                    prop_assert!(iv.start < iv.end && iv.end <= x.len(), "{iv:?}");
                    prop_assert!(on_grid(iv.start, x.len()) && on_grid(iv.end, x.len()), "{iv:?}");
                }
                // Separated by at least one silent frame.
                for w in parts.windows(2) {
                    prop_assert!(w[1].start >= w[0].end + HOP, "{:?} then {:?}", w[0], w[1]);
                }
            }
        }
    }

    #[test]
    fn max_pause_merges_short_gaps_and_keeps_long_ones(x in signal(), pick in 0usize..6000, mode in 0u8..3) {
        let p = silence();
        let parts = split(&x, &p);
        // Gaps are whole hops, so also try max_pause exactly at a gap and one sample below it.
        let gaps: Vec<usize> = parts.windows(2).map(|w| w[1].start - w[0].end).collect();
        let max_pause = match (mode, gaps.is_empty()) {
            (1, false) => gaps[pick % gaps.len()],
            (2, false) => gaps[pick % gaps.len()] - 1,
            _ => pick,
        };
        let kept = kept_intervals(&x, &p, Some(max_pause));
        if parts.is_empty() {
            prop_assert!(kept.is_empty());
            return Ok(());
        }
        // Kept intervals start and end where split intervals do, and cover all of them.
        prop_assert_eq!(kept[0].start, parts[0].start);
        prop_assert_eq!(kept[kept.len() - 1].end, parts[parts.len() - 1].end);
        for iv in &kept {
            prop_assert!(parts.iter().any(|s| s.start == iv.start), "{iv:?} starts inside a part");
            prop_assert!(parts.iter().any(|s| s.end == iv.end), "{iv:?} ends inside a part");
        }
        for s in &parts {
            prop_assert!(kept.iter().any(|k| k.start <= s.start && s.end <= k.end), "{s:?} dropped");
        }
        // Gaps left between kept intervals are all longer than max_pause...
        for w in kept.windows(2) {
            prop_assert!(w[1].start - w[0].end > max_pause, "gap {:?}..{:?} ≤ {max_pause}", w[0], w[1]);
        }
        // ...and gaps inside a kept interval are all at most max_pause.
        for w in parts.windows(2) {
            let gap = w[1].start - w[0].end;
            let merged = kept.iter().any(|k| k.start <= w[0].start && w[1].end <= k.end);
            prop_assert_eq!(merged, gap <= max_pause, "gap of {} between {:?} and {:?}", gap, w[0], w[1]);
        }
    }

    #[test]
    fn without_max_pause_the_trimmed_span_is_kept(x in signal()) {
        let p = silence();
        let kept = kept_intervals(&x, &p, None);
        let expected: Vec<Interval> = trim(&x, &p).into_iter().filter(|i| !i.is_empty()).collect();
        prop_assert_eq!(kept, expected);
    }

    #[test]
    fn features_have_one_frame_per_hop_and_are_finite(x in prop::collection::vec(-1.0f32..1.0, 1..12_000)) {
        let params = FeatureParams::default();
        let f = FeatureExtractor::new(&params).compute(&x);
        let expected_frames = 1 + x.len() / params.hop_length;
        prop_assert_eq!(f.n_frames, expected_frames);
        prop_assert_eq!(params.n_frames(x.len()), expected_frames);
        prop_assert_eq!(PowerStft::new(params.n_fft, params.hop_length, params.win_length).n_frames(x.len()), expected_frames);
        prop_assert_eq!((f.n_mels, f.n_mfcc), (params.n_mels, params.n_mfcc));
        prop_assert_eq!(f.mfcc.len(), f.n_frames * params.n_mfcc);
        prop_assert_eq!(f.log_mel.len(), f.n_frames * params.n_mels);
        prop_assert_eq!(f.mfcc_rows().len(), f.n_frames);
        prop_assert!(f.mfcc.iter().chain(&f.log_mel).all(|v| v.is_finite()));
        let max = f.log_mel.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let min = f.log_mel.iter().cloned().fold(f32::INFINITY, f32::min);
        prop_assert!(min >= max - params.db_top_db as f32 - 1e-3, "log-mel spans {min}..{max} dB");
        prop_assert!(min >= -100.0 - 1e-3, "below the amin floor: {min}");
    }

    #[test]
    fn doubling_the_signal_adds_6_db_to_every_log_mel_value(
        x in prop::collection::vec(-1.0f32..1.0, 400..6_000),
        amp in 0.05f32..0.5,
    ) {
        // Loud noise everywhere, so no value sits at the amin floor; the top_db floor moves with
        // the peak. With the orthonormal DCT, c0 grows by 6.02 dB × √n_mels, the rest stays.
        let params = FeatureParams::default();
        let a: Vec<f32> = x.iter().map(|v| v * amp).collect();
        let b: Vec<f32> = a.iter().map(|v| v * 2.0).collect();
        let mut ex = FeatureExtractor::new(&params);
        let (fa, fb) = (ex.compute(&a), ex.compute(&b));
        let gain = 20.0 * 2f32.log10();
        for (va, vb) in fa.log_mel.iter().zip(&fb.log_mel) {
            prop_assert!((vb - va - gain).abs() < 2e-3, "{va} → {vb}");
        }
        let c0_gain = gain * (params.n_mels as f32).sqrt();
        for t in 0..fa.n_frames {
            let (ra, rb) = (fa.mfcc_frame(t), fb.mfcc_frame(t));
            prop_assert!((rb[0] - ra[0] - c0_gain).abs() < 2e-2, "frame {t}: c0 {} → {}", ra[0], rb[0]);
            for k in 1..params.n_mfcc {
                prop_assert!((rb[k] - ra[k]).abs() < 2e-2, "frame {t}: c{k} {} → {}", ra[k], rb[k]);
            }
        }
    }
}

/// With `ref=np.max`, an all-zero signal has every frame at 0 dB relative to its (zero) peak, so
/// librosa keeps all of it; the pipeline refuses such input earlier by its peak level.
#[test]
fn an_all_zero_signal_is_kept_whole_as_in_librosa() {
    let x = vec![0.0f32; 20_000];
    let whole = Interval { start: 0, end: x.len() };
    assert_eq!(trim(&x, &silence()), Some(whole));
    assert_eq!(split(&x, &silence()), vec![whole]);
    assert_eq!(kept_intervals(&x, &silence(), Some(1000)), vec![whole]);
    let err = ser::pipeline::analyse_16k(x, &ser::PipelineOptions::default()).unwrap_err();
    assert_eq!(err, ser::SerError::Silent);
}
