//! tract inference on the shipped model, for comparison with onnxruntime
//! (scripts/bench_inference.sh runs both in the same run and prints the ratio).
// Native only (criterion); on wasm32 this target is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use criterion::{Criterion, criterion_group, criterion_main};
use ser::model::EmotionModel;

fn inference(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let onnx = std::fs::read(root.join("models/ser_cnn.onnx")).unwrap();
    let sidecar = std::fs::read_to_string(root.join("models/ser_cnn.json")).unwrap();
    let model = EmotionModel::from_bytes(&onnx, &sidecar).unwrap();
    // The same deterministic input as scripts/bench_inference.sh gives onnxruntime:
    // sin(0.01 * i) * 10. T = 300 is one timeline window, T = 421 a whole 4.2 s clip; both
    // run the same any-length plan.
    let rows = model.input_rows();
    for frames in [300usize, 421] {
        let input: Vec<f32> = (0..frames * rows).map(|i| (i as f32 * 0.01).sin() * 10.0).collect();
        c.bench_function(&format!("tract ser_cnn T={frames}"), |b| b.iter(|| model.run(&input, frames).unwrap()));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(5));
    targets = inference
}
criterion_main!(benches);
