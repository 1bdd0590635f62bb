//! Per-clip cost of the feature pipeline on a 4 s speech clip at 16 kHz
//! (tests/fixtures/librosa/ravdess_01_angry.flac, 4.1 s).
//!
//! `cargo bench --bench features`; scripts/bench_features.sh runs it next to the same work in
//! librosa (scripts/bench_librosa.py) and prints the ratio. Each iteration is one clip, so
//! criterion's "time" is the per-clip time. Before criterion runs, the best of 300 single calls
//! of each benchmark is printed (`best-of-300 <id> <ms> ms`), the figure least disturbed by
//! other load and the one comparable to timeit's best on the Python side.
//!
//! - `features/compute`: `FeatureExtractor::compute` with a planned extractor (the steady state
//!   of the CLI and the page, which keep one extractor).
//! - `features/new_and_compute`: planning the extractor (FFT plan, mel filterbank, DCT) included,
//!   as a single `librosa.feature.mfcc` call does.
//! - `features/trim_compute`: silence trimming (`kept_intervals`) and then `compute` on the kept
//!   span, as `analyse_16k` does.
//! - `pipeline/analyse_bytes`: the whole pipeline from the FLAC bytes (decode, 16 kHz, trim,
//!   features), for context.
// Native only (criterion); on wasm32 this target is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ser::audio::{DecodeLimits, decode_bytes, resample};
use ser::dsp::kept_intervals;
use ser::dsp::{FeatureExtractor, FeatureParams, Features, SilenceParams};
use ser::{PipelineOptions, analyse_bytes};

const CLIP: &str = "tests/fixtures/librosa/ravdess_01_angry.flac";

fn clip_bytes() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CLIP);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The clip as the feature stage sees it: mono at 16 kHz.
fn signal_16k(bytes: &[u8]) -> Vec<f32> {
    let audio = decode_bytes(bytes, &DecodeLimits::default()).expect("the clip decodes");
    resample(&audio.samples, audio.sample_rate, 16_000).expect("the clip resamples")
}

const BEST_OF: usize = 300;

/// Times `BEST_OF` single calls and prints the fastest, as `best-of-300 <id> <ms> ms`.
fn best_of(id: &str, mut f: impl FnMut() -> f32) {
    let mut best = f64::INFINITY;
    for _ in 0..BEST_OF {
        let start = Instant::now();
        black_box(f());
        best = best.min(start.elapsed().as_secs_f64());
    }
    eprintln!("best-of-{BEST_OF} {id} {:.4} ms", best * 1e3);
}

fn features(c: &mut Criterion) {
    let bytes = clip_bytes();
    let signal = signal_16k(&bytes);
    let params = FeatureParams::default();
    let silence = SilenceParams {
        top_db: params.top_db,
        frame_length: params.trim_frame_length,
        hop_length: params.trim_hop_length,
    };
    eprintln!(
        "clip: {CLIP}, {} samples at 16 kHz ({:.2} s), {} frames",
        signal.len(),
        signal.len() as f64 / 16_000.0,
        params.n_frames(signal.len())
    );

    // Criterion reports means and medians of batches, which load on a shared machine inflates.
    // The best single call is the least disturbed figure, and what timeit's best-of gives on
    // the Python side: print it for scripts/bench_features.sh.
    let mut extractor = FeatureExtractor::new(&params);
    best_of("features/compute", || extractor.compute(&signal).mfcc[0]);
    best_of("features/new_and_compute", || FeatureExtractor::new(&params).compute(&signal).mfcc[0]);
    best_of("features/trim_compute", || {
        let span = kept_intervals(&signal, &silence, None)[0];
        extractor.compute(&signal[span.start..span.end]).mfcc[0]
    });
    best_of("pipeline/analyse_bytes", || analyse_bytes(&bytes, &PipelineOptions::default()).unwrap().features.mfcc[0]);

    let mut group = c.benchmark_group("features");
    // One element = one clip, so the throughput line reads in clips per second.
    group.throughput(Throughput::Elements(1));

    group.bench_function("compute", |b| b.iter(|| extractor.compute(black_box(&signal))));

    let mut out = Features::default();
    group.bench_function("compute_into", |b| {
        b.iter(|| {
            extractor.compute_into(black_box(&signal), &mut out);
            out.mfcc[0]
        })
    });

    group.bench_function("new_and_compute", |b| {
        b.iter(|| FeatureExtractor::new(black_box(&params)).compute(black_box(&signal)))
    });

    group.bench_function("trim_compute", |b| {
        b.iter(|| {
            let kept = kept_intervals(black_box(&signal), &silence, None);
            let span = kept[0];
            extractor.compute(&signal[span.start..span.end])
        })
    });
    group.finish();

    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    let options = PipelineOptions::default();
    group.bench_function("analyse_bytes", |b| {
        b.iter(|| analyse_bytes(black_box(&bytes), &options).expect("the clip analyses"))
    });
    group.finish();
}

criterion_group!(benches, features);
criterion_main!(benches);
