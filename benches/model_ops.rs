//! Where tract spends a model run, op by op (a profile, not a timed test): the shipped model
//! as the app plans it (`EmotionModel::from_bytes`), or the ONNX file in `$MODEL` with its
//! sidecar beside it (`$MODEL` with `.json` for `.onnx`), at T = 421 frames, 300 runs, each
//! node's `eval` timed and summed by op name. `cargo bench --bench model_ops`. With
//! `BY_NODE=1` the times are per node, and the plan's matrix products and patches are listed
//! first with what tract chose for them (their `m`, `k`, `n` and matrix kernel): session 19
//! read there that, on an AVX-512 machine, every convolution on the any-length time axis
//! gets the same 64 × 3 kernel.
//! Session 10
//! used it to see that matrix products are about half of tract's time and `Im2col` plus
//! `MaxPool` about a third, which onnxruntime spends much less on (README, "Speed").
// Native only; on wasm32 this target is empty.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::time::Instant;

use ser::EmotionModel;
use ser::model::{EMBEDDED_ONNX, EMBEDDED_SIDECAR};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::{SimpleState, eval};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (path, model) = match std::env::var("MODEL") {
        Ok(path) => {
            let sidecar = std::fs::read_to_string(std::path::Path::new(&path).with_extension("json"))?;
            let model = EmotionModel::from_bytes(&std::fs::read(&path)?, &sidecar)?;
            (path, model)
        }
        Err(_) => ("the shipped model".to_string(), EmotionModel::from_bytes(EMBEDDED_ONNX, EMBEDDED_SIDECAR)?),
    };
    let plan = model.plan();
    let by_node = std::env::var_os("BY_NODE").is_some();
    if by_node {
        for node in plan.model().nodes() {
            let op = node.op();
            if matches!(op.name().as_ref(), "OptMatMul" | "Im2col") {
                println!("{:28} {:10} {}", node.name, op.name(), op.info()?.join("; "));
            }
        }
    }
    let mut state = SimpleState::new(plan)?;
    let (t, rows) = (421, model.input_rows());
    let input: Tensor =
        tract_ndarray::Array3::<f32>::from_shape_fn((1, rows, t), |(_, r, i)| ((r * t + i) as f32 * 0.01).sin() * 10.0)
            .into();
    let runs = 300;
    let mut by_op: HashMap<String, (f64, usize)> = HashMap::new();
    let start = Instant::now();
    for _ in 0..runs {
        state.run_plan_with_eval(tvec!(input.clone().into()), |ctx, op_state, node, inputs| {
            let t0 = Instant::now();
            let out = eval(ctx, op_state, node, inputs);
            let key = if by_node { node.name.clone() } else { node.op().name().to_string() };
            let entry = by_op.entry(key).or_default();
            entry.0 += t0.elapsed().as_secs_f64();
            entry.1 += 1;
            out
        })?;
    }
    let per_run = start.elapsed().as_secs_f64() * 1e3 / runs as f64;
    let mut rows: Vec<_> = by_op.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
    println!("{path}, T = {t}: {per_run:.3} ms a run, {} nodes", plan.model().nodes().len());
    for (op, (seconds, calls)) in rows {
        let ms = seconds * 1e3 / runs as f64;
        println!("{op:28} {ms:7.3} ms  {:5.1} %  ({} nodes)", 100.0 * ms / per_run, calls / runs);
    }
    Ok(())
}
