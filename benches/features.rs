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
//! - `features/ffts_only`: the FFTs alone, the floor under `compute`: the same clip's frames
//!   (as many as `compute` makes, from the same zero-padded signal), each multiplied by the
//!   window and through the same planned 512-point real FFT (realfft, as `PowerStft` does),
//!   and nothing else (no power, mel, log or DCT). scripts/bench_features.sh prints
//!   compute / ffts_only.
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
use realfft::RealFftPlanner;
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

/// The FFTs of `features/compute` alone: [`FftsOnly::run`] windows every frame of the clip and
/// transforms it with a planned real FFT, as `PowerStft::power_into` does before it takes the
/// power.
struct FftsOnly {
    /// The clip with `n_fft / 2` zeros each side, as centred framing sees it.
    padded: Vec<f32>,
    n_frames: usize,
    hop: usize,
    window: Vec<f32>,
    fft: std::sync::Arc<dyn realfft::RealToComplex<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex<f32>>,
    scratch: Vec<realfft::num_complex::Complex<f32>>,
}

impl FftsOnly {
    fn new(signal: &[f32], params: &FeatureParams) -> Self {
        let (n_fft, win) = (params.n_fft, params.win_length);
        let half = n_fft / 2;
        let mut padded = vec![0.0; half];
        padded.extend_from_slice(signal);
        padded.resize(padded.len() + half, 0.0);
        // The periodic Hann window of `win_length`, centred in `n_fft` (src/dsp/stft.rs).
        let mut window = vec![0.0f32; n_fft];
        for i in 0..win {
            let phase = 2.0 * std::f64::consts::PI * i as f64 / win as f64;
            window[(n_fft - win) / 2 + i] = (0.5 - 0.5 * phase.cos()) as f32;
        }
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        Self {
            padded,
            n_frames: params.n_frames(signal.len()),
            hop: params.hop_length,
            window,
            frame: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
        }
    }

    fn run(&mut self) -> f32 {
        let n_fft = self.window.len();
        for t in 0..self.n_frames {
            let samples = &self.padded[t * self.hop..t * self.hop + n_fft];
            for ((slot, s), w) in self.frame.iter_mut().zip(samples).zip(&self.window) {
                *slot = s * w;
            }
            self.fft.process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch).expect("FFT sizes");
        }
        self.spectrum[1].re
    }
}

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
    let mut ffts = FftsOnly::new(&signal, &params);
    best_of("features/ffts_only", || ffts.run());
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

    group.bench_function("ffts_only", |b| b.iter(|| ffts.run()));

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
