//! tract inference on the shipped model, for comparison with onnxruntime
//! (scripts/bench_inference.sh runs both in the same run and prints the ratio). With
//! `BEST_OF=300` (or 421) it skips criterion and times that length with onnxruntime's
//! statistic, the fastest of 5 runs of 200 calls, so that both sides of the ratio are
//! measured alike; any other value times both lengths.
// Native only (criterion); on wasm32 this target is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use criterion::{Criterion, criterion_group};
use ser::model::EmotionModel;

/// The shipped model, and the same deterministic input as scripts/bench_inference.sh gives
/// onnxruntime, sin(0.01 * i) * 10, for T = 300 (one timeline window) and T = 421 (a whole
/// 4.2 s clip); both run the same any-length plan.
fn model_and_inputs() -> (EmotionModel, Vec<(usize, Vec<f32>)>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let onnx = std::fs::read(root.join("models/ser_cnn.onnx")).unwrap();
    let sidecar = std::fs::read_to_string(root.join("models/ser_cnn.json")).unwrap();
    let model = EmotionModel::from_bytes(&onnx, &sidecar).unwrap();
    let rows = model.input_rows();
    let inputs = [300usize, 421]
        .into_iter()
        .map(|frames| (frames, (0..frames * rows).map(|i| (i as f32 * 0.01).sin() * 10.0).collect()))
        .collect();
    (model, inputs)
}

fn inference(c: &mut Criterion) {
    let (model, inputs) = model_and_inputs();
    for (frames, input) in &inputs {
        c.bench_function(&format!("tract ser_cnn T={frames}"), |b| b.iter(|| model.run(input, *frames).unwrap()));
    }
}

/// onnxruntime's side takes the fastest of 5 runs of 200 calls (timeit); so does this.
fn best_of(only: Option<usize>) {
    let (model, inputs) = model_and_inputs();
    for (frames, input) in inputs.iter().filter(|(frames, _)| only.is_none_or(|t| t == *frames)) {
        model.run(input, *frames).unwrap();
        let best = (0..5)
            .map(|_| {
                let start = std::time::Instant::now();
                for _ in 0..200 {
                    std::hint::black_box(model.run(input, *frames).unwrap());
                }
                start.elapsed().as_secs_f64() / 200.0
            })
            .fold(f64::INFINITY, f64::min);
        println!("tract ser_cnn T={frames}: best of 5 x 200 calls {:.1} us/call", best * 1e6);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = inference
}
fn main() {
    if let Ok(frames) = std::env::var("BEST_OF") {
        best_of(frames.parse().ok());
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}
