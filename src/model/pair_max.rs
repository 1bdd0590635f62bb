//! The model's max-pools over pairs of frames, as an op tract runs fast.
//!
//! Every pool in the shipped graph halves the time axis: kernel 2, stride 2, no padding, over
//! the last axis of `[1, C, T]`. tract leaves a pool on a symbolic axis (any `T`) as its
//! generic `MaxPool`, which rebuilds its geometry on every run and walks a one-dimensional
//! pool output by output: 11 % of a run at `T = 421` (`cargo bench --bench model_ops`).
//! [`PairMax`] is the same pool written for exactly that case, one walk over each channel's
//! row (5.8 times less time natively), with tract's own comparison so it picks the same
//! values, bit for bit. It also takes the 2×2 pools of a 2-D member (the trainer's `c2d`,
//! not shipped yet), which tract's generic path runs 3.3 times slower. [`pair_max_pools`]
//! puts it in place of every pool of those shapes and leaves any other pool as it was.

use tract_nnef::internal::*;
use tract_nnef::tract_core::ops::cnn::{MaxPool, PaddingSpec};
use tract_nnef::tract_core::ops::nn::DataFormat;

/// A max-pool of kernel 2 and stride 2 over the last axis (or 2×2 over the last two),
/// without padding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PairMax {
    /// The pool it stands for: it says the output's shape, so both agree on every `T`.
    pool: MaxPool,
    /// 1: pairs of frames; 2: 2×2 squares of (band, frame), as a 2-D member pools.
    axes: usize,
}

impl PairMax {
    /// The op for `pool`, if `pool` is a pool of that shape.
    fn replacing(pool: &MaxPool) -> Option<Self> {
        let spec = &pool.pool_spec;
        let unpadded = match &spec.padding {
            PaddingSpec::Valid => true,
            PaddingSpec::Explicit(before, after) => before.iter().chain(after).all(|&p| p == 0),
            PaddingSpec::ExplicitOnnxPool(before, after, ceil) => !ceil && before.iter().chain(after).all(|&p| p == 0),
            PaddingSpec::SameUpper | PaddingSpec::SameLower => false,
        };
        let channels_first = matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW);
        let axes = spec.kernel_shape.len();
        (channels_first
            && unpadded
            && (axes == 1 || axes == 2)
            && spec.kernel_shape.iter().all(|&k| k == 2)
            && spec.strides().iter().all(|&s| s == 2)
            && spec.dilations().iter().all(|&d| d == 1))
        .then(|| Self { pool: MaxPool { with_index_outputs: None, ..pool.clone() }, axes })
    }
}

impl Op for PairMax {
    fn name(&self) -> StaticName {
        "PairMax".into()
    }

    op_as_typed_op!();
}

impl EvalOp for PairMax {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let mut shape: TVec<usize> = input.shape().into();
        ensure!(shape.len() > self.axes, "PairMax needs a channel axis before the pooled ones");
        let rank = shape.len();
        let (h, w) = if self.axes == 2 { (shape[rank - 2], shape[rank - 1]) } else { (1, shape[rank - 1]) };
        let (oh, ow) = if self.axes == 2 { (h / 2, w / 2) } else { (1, w / 2) };
        shape[rank - 1] = ow;
        if self.axes == 2 {
            shape[rank - 2] = oh;
        }
        let plain = input.try_as_plain_ram()?;
        let x = plain.as_slice::<f32>()?;
        let planes = x.len().checked_div(h * w).unwrap_or(0);
        let mut out = Vec::with_capacity(planes * oh * ow);
        for plane in x.chunks_exact((h * w).max(1)).take(planes) {
            if self.axes == 1 {
                out.extend(plane.chunks_exact(2).map(|pair| pair_max(pair[0], pair[1])));
                continue;
            }
            for y in 0..oh {
                let (top, bottom) = (&plane[2 * y * w..][..2 * ow], &plane[(2 * y + 1) * w..][..2 * ow]);
                out.extend(top.chunks_exact(2).zip(bottom.chunks_exact(2)).map(|(t, b)| square_max(t, b)));
            }
        }
        Ok(tvec!(tract_ndarray::ArrayD::from_shape_vec(&*shape, out)?.into_tvalue()))
    }
}

/// tract's 2×2 `MaxPool` over one square (its NCHW 2×2 path): `f32::max` from the lowest
/// value, row by row.
#[inline]
fn square_max(top: &[f32], bottom: &[f32]) -> f32 {
    f32::MIN.max(top[0]).max(top[1]).max(bottom[0]).max(bottom[1])
}

/// tract's `MaxPool` fold over one window: start from the lowest value and take a tap only
/// when the running maximum is below it (so a NaN never wins, and of equal values the first).
#[inline]
fn pair_max(a: f32, b: f32) -> f32 {
    let m = if f32::MIN < a { a } else { f32::MIN };
    if m < b { b } else { m }
}

impl TypedOp for PairMax {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs[0].datum_type == f32::datum_type(), "PairMax runs on f32");
        self.pool.output_facts(inputs)
    }

    as_op!();
}

/// `model` with [`PairMax`] in place of every max-pool it can stand for; how many it replaced.
/// A pool read from an NNEF archive also gives the index of each maximum (before tract's
/// declutter drops it); it is replaced where nothing reads that index.
pub(crate) fn pair_max_pools(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = &model.nodes()[id];
        let Some(op) = node.op_as::<MaxPool>().and_then(PairMax::replacing) else { continue };
        let index_unread = node.outputs.iter().skip(1).all(|o| o.successors.is_empty())
            && !model.output_outlets()?.iter().any(|o| o.node == id && o.slot > 0);
        if !index_unread || model.outlet_fact(node.inputs[0])?.datum_type != f32::datum_type() {
            continue;
        }
        let mut patch = TypedModelPatch::default();
        let input = patch.tap_model(model, node.inputs[0])?;
        let pooled = patch.wire_node(&node.name, op, &[input])?[0];
        patch.shunt_outside(model, OutletId::new(id, 0), pooled)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of each input's first output, planned by tract (`tracts`) and by `ours`.
    fn output_bits(tracts: &Arc<TypedRunnableModel>, ours: &Arc<TypedRunnableModel>, input: Tensor) -> [Vec<u32>; 2] {
        let bits = |plan: &Arc<TypedRunnableModel>, input: Tensor| -> Vec<u32> {
            let out = plan.run(tvec!(input.into())).unwrap();
            out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().iter().map(|v| v.to_bits()).collect()
        };
        [bits(tracts, input.clone()), bits(ours, input)]
    }

    /// The shipped graph, planned as tract plans it and with its pools as [`PairMax`], gives
    /// the same probabilities bit for bit, at even and odd lengths.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_shipped_model_gives_the_same_bits() {
        use crate::model::{EMBEDDED_ONNX, onnx_graph};
        let rows = 64;
        let typed = onnx_graph(EMBEDDED_ONNX, rows).unwrap();
        let pools = typed.nodes().iter().filter(|n| n.op_is::<MaxPool>()).count();
        let tracts = typed.clone().into_optimized().unwrap().into_runnable().unwrap();
        let mut ours = typed;
        assert_eq!(pair_max_pools(&mut ours).unwrap(), pools);
        assert!(pools >= 12, "the shipped graph has {pools} pools");
        let ours = ours.into_optimized().unwrap();
        assert!(ours.nodes().iter().all(|n| !n.op().name().contains("MaxPool")), "a MaxPool is left");
        let ours = ours.into_runnable().unwrap();
        for frames in [50usize, 51, 300, 421, 1001] {
            let input: Tensor = tract_ndarray::Array3::<f32>::from_shape_fn((1, rows, frames), |(_, r, t)| {
                ((r * 131 + t * 17) as f32 * 0.013).sin() * 30.0 - 40.0
            })
            .into();
            let [expected, got] = output_bits(&tracts, &ours, input);
            assert_eq!(expected, got, "T = {frames}");
        }
    }

    /// The page's form of the model, the NNEF archive, gets them too.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_page_model_gets_them_too() {
        use crate::model::{EMBEDDED_ONNX, EMBEDDED_SIDECAR, nnef, onnx_to_nnef};
        let archive = onnx_to_nnef(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap();
        let (mut typed, _) = nnef::read(&archive).unwrap();
        let typed_pools = typed.nodes().iter().filter(|n| n.op_is::<MaxPool>()).count();
        assert!(typed_pools >= 12, "the archive's graph has {typed_pools} pools");
        assert_eq!(pair_max_pools(&mut typed).unwrap(), typed_pools);
    }

    /// A 2-D member's 2×2 pools (none in the shipped graph): the same bits as tract's pool,
    /// odd and even sizes on both axes, with ties and negative values.
    #[test]
    fn squares_give_tracts_bits() {
        use tract_nnef::tract_core::ops::cnn::PoolSpec;
        let mut model = TypedModel::default();
        let frames = model.symbols.sym("T");
        let bands = 7;
        let fact = f32::fact(tract_nnef::tract_core::dims!(1, 3, bands, frames));
        let source = model.add_source("x", fact).unwrap();
        let spec = PoolSpec::new(DataFormat::NCHW, tvec![2, 2], PaddingSpec::Valid, None, Some(tvec![2, 2]), 3, 3);
        let pooled = model.wire_node("pool", MaxPool::new(spec, None), &[source]).unwrap();
        model.select_output_outlets(&pooled).unwrap();
        let tracts = model.clone().into_optimized().unwrap().into_runnable().unwrap();
        assert_eq!(pair_max_pools(&mut model).unwrap(), 1);
        let ours = model.into_optimized().unwrap().into_runnable().unwrap();
        for t in [8usize, 9, 21] {
            let input: Tensor = tract_ndarray::Array4::<f32>::from_shape_fn((1, 3, bands, t), |(_, c, b, i)| {
                ((c * 7 + b * 3 + i) % 5) as f32 - 2.5
            })
            .into();
            assert_eq!(ours.run(tvec!(input.clone().into())).unwrap()[0].shape(), &[1, 3, bands / 2, t / 2]);
            let [expected, got] = output_bits(&tracts, &ours, input);
            assert_eq!(expected, got, "T = {t}");
        }
    }

    #[test]
    fn picks_what_tracts_fold_picks() {
        // The fold from f32::MIN: a NaN tap is never taken, ties keep the first tap.
        assert_eq!(pair_max(1.0, 2.0), 2.0);
        assert_eq!(pair_max(2.0, 1.0), 2.0);
        assert_eq!(pair_max(f32::NAN, 1.0), 1.0);
        assert_eq!(pair_max(1.0, f32::NAN), 1.0);
        assert_eq!(pair_max(f32::NAN, f32::NAN), f32::MIN);
        assert!(pair_max(0.0, -0.0).is_sign_positive());
        assert!(pair_max(-0.0, 0.0).is_sign_negative());
        assert_eq!(pair_max(f32::NEG_INFINITY, f32::NEG_INFINITY), f32::MIN);
    }
}
