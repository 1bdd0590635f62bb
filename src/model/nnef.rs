//! The page's form of the model: the shipped ONNX graph as a tract NNEF archive.
//!
//! The page's wasm then carries tract's NNEF reader and not its ONNX one (about 0.43 MB
//! gzipped less), and loading skips the ONNX graph's analysis, done once when the archive is
//! made (`cargo run --release --example web_model`, run by the web build). The archive
//! records the sha256 of the ONNX file it was made from, so the sidecar written for that file
//! vouches for it too. Natively both forms load; `ser` ships and reads the ONNX file.
//!
//! ```
//! # #[cfg(not(target_arch = "wasm32"))] {
//! use ser::EmotionModel;
//! use ser::model::{EMBEDDED_ONNX, EMBEDDED_SIDECAR, onnx_to_nnef};
//!
//! let archive = onnx_to_nnef(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap();
//! let from_archive = EmotionModel::from_bytes(&archive, EMBEDDED_SIDECAR).unwrap();
//! let from_onnx = EmotionModel::from_bytes(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap();
//! let frames = vec![0.25; from_onnx.input_rows() * 300];
//! assert_eq!(
//!     from_archive.run(&frames, 300).unwrap().probabilities,
//!     from_onnx.run(&frames, 300).unwrap().probabilities,
//! );
//! # }
//! ```

use tract_nnef::prelude::*;

/// The model property that holds the sha256 (hex) of the ONNX file an archive was made from.
const ONNX_SHA256: &str = "ser.onnx_sha256";

/// Whether `bytes` look like an NNEF archive (a tar file) rather than an ONNX file.
pub(crate) fn is_archive(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}

/// The archive's graph, and the sha256 of the ONNX file it was made from (None when it does
/// not say).
pub(crate) fn read(bytes: &[u8]) -> TractResult<(TypedModel, Option<String>)> {
    let model = tract_nnef::nnef().model_for_read(&mut std::io::Cursor::new(bytes))?;
    let sha =
        model.properties.get(ONNX_SHA256).and_then(|t| t.try_as_plain_ram().ok()?.to_scalar::<String>().ok().cloned());
    Ok((model, sha))
}

#[cfg(not(target_arch = "wasm32"))]
pub use writing::onnx_to_nnef;

#[cfg(not(target_arch = "wasm32"))]
mod writing {
    use tract_nnef::ast::Identifier;
    use tract_nnef::prelude::*;
    use tract_onnx::prelude::{Framework, InferenceModel};
    use tract_onnx::tract_core::ops::konst::Const;

    use super::ONNX_SHA256;
    use crate::error::{Result, SerError};
    use crate::model::{ModelInfo, ModelInput, sha256_hex, typed_for_rows};

    /// An ONNX model (with its sidecar) as an NNEF archive whose graph gives the same
    /// probabilities, bit for bit, with the ONNX file's int8 weights kept as int8.
    pub fn onnx_to_nnef(onnx: &[u8], sidecar_json: &str) -> Result<Vec<u8>> {
        let fail = |e: TractError| SerError::ModelLoad(format!("{e:#}"));
        let info: ModelInfo = serde_json::from_str(sidecar_json)
            .map_err(|e| SerError::ModelLoad(format!("its description file is not valid ({e})")))?;
        let input = ModelInput::from_feature(&info.feature).ok_or_else(|| {
            SerError::ModelMismatch(format!("it reads \"{}\", a feature we do not compute", info.feature))
        })?;
        let parsed = tract_onnx::onnx().model_for_read(&mut std::io::Cursor::new(onnx)).map_err(fail)?;
        let quantised = int8_weights(&parsed);
        let mut graph = typed_for_rows(parsed, input.rows(&info.feature_params)).map_err(fail)?;
        graph.properties.insert(ONNX_SHA256.into(), rctensor0(sha256_hex(onnx)));
        archive(&graph, &quantised).map_err(fail)
    }

    /// The ONNX graph's int8 weights: each an int8 tensor, cast to float and multiplied by one
    /// scale per output channel (`models/train/quantize.py`).
    fn int8_weights(model: &InferenceModel) -> Vec<(Arc<Tensor>, Arc<Tensor>)> {
        let konst = |id: usize| model.nodes[id].op_as::<Const>().map(|k| k.val().clone());
        let mut pairs = vec![];
        for node in &model.nodes {
            let Some(q) = konst(node.id).filter(|q| q.datum_type() == i8::datum_type()) else { continue };
            for cast in model.outlet_successors(OutletId::new(node.id, 0)) {
                for mul in model.outlet_successors(OutletId::new(cast.node, 0)) {
                    let scales = model.nodes[mul.node].inputs.iter().filter_map(|i| konst(i.node));
                    for s in scales.filter(|s| s.datum_type() == f32::datum_type() && s.len() == q.shape()[0]) {
                        pairs.push((q.clone(), s));
                    }
                }
            }
        }
        pairs
    }

    /// The int8 form of `w` (the tensor and its scales, shaped to broadcast over it) where
    /// `w` is bit for bit one of the ONNX file's int8 weights, as stored, transposed, or a
    /// slice of its columns.
    fn as_int8(w: &Tensor, quantised: &[(Arc<Tensor>, Arc<Tensor>)]) -> Option<(Tensor, Tensor)> {
        quantised.iter().find_map(|(q, scales)| {
            // Every form below has all of q's values or an equal share of them.
            if w.len() == 0 || q.len() % w.len() != 0 {
                return None;
            }
            let mut shape = vec![1; q.rank()];
            shape[0] = scales.len();
            let scales = scales.clone().into_tensor().into_shape(&shape).ok()?;
            let mut forms = vec![(q.clone().into_tensor(), scales.clone())];
            if q.rank() == 2 {
                forms.push((
                    q.clone().into_tensor().permute_axes(&[1, 0]).ok()?,
                    scales.clone().permute_axes(&[1, 0]).ok()?,
                ));
                // A slice of its columns, with leading unit axes: tract splits a linear layer
                // over concatenated inputs (the pooled mean and spread) into one per input.
                let (rows, columns) = (q.shape()[0], q.shape()[1]);
                let (lead, tail) = w.shape().split_at(w.rank().saturating_sub(2));
                if tail.len() == 2 && tail[0] == rows && lead.iter().all(|&d| d == 1) && columns % tail[1] == 0 {
                    let mut scale_shape = vec![1; w.rank()];
                    scale_shape[w.rank() - 2] = rows;
                    let scales = scales.clone().into_shape(&scale_shape).ok()?;
                    for start in (0..columns).step_by(tail[1]) {
                        let slice = q.slice(1, start, start + tail[1]).ok()?.into_shape(w.shape()).ok()?;
                        forms.push((slice, scales.clone()));
                    }
                }
            }
            forms.into_iter().find(|(q, scales)| {
                q.shape() == w.shape() && dequantised(q, scales).is_ok_and(|d| d.as_bytes() == w.as_bytes())
            })
        })
    }

    /// `q` times its scales, in float32 as the ONNX graph computes it.
    fn dequantised(q: &Tensor, scales: &Tensor) -> TractResult<Tensor> {
        let q = q.cast_to::<f32>()?;
        Ok((&q.to_plain_array_view::<f32>()? * &scales.to_plain_array_view::<f32>()?).into_tensor())
    }

    /// tract's NNEF archive of `graph`, except that every float32 weight equal bit for bit to
    /// an int8 weight of the ONNX file is stored as that int8 tensor and its scales, rebuilt
    /// by the graph on load (tract's own writer stores the folded float32: four times the
    /// bytes). The tar entries are dated 1980, but tract may number some intermediate values
    /// differently from one run to the next, so two archives of one model need not be equal.
    fn archive(graph: &TypedModel, quantised: &[(Arc<Tensor>, Arc<Tensor>)]) -> TractResult<Vec<u8>> {
        let nnef = tract_nnef::nnef();
        let mut proto = tract_nnef::ser::to_proto_model(&nnef, graph)?;
        let mut text = vec![];
        tract_nnef::ast::dump::Dumper::new(&nnef, &mut text).document(&proto.doc)?;
        let mut text = String::from_utf8(text)?;
        let mut labels: Vec<Identifier> = proto.tensors.keys().cloned().collect();
        labels.sort();
        for label in &labels {
            let w = proto.tensors[label].clone();
            let Some((q, scales)) = as_int8(&w, quantised) else { continue };
            let declared = format!(" = variable<scalar>(label = \"{}\", shape = {:?});", label.0, w.shape());
            let Some(line) = text.lines().find(|l| l.ends_with(&declared)).map(str::to_string) else { continue };
            let name = line.trim_start().split(' ').next().unwrap_or_default().to_string();
            let scale_label = format!("{}.scale", label.0);
            let rebuilt = format!(
                "  {name}_q = variable<integer>(label = \"{}\", shape = {:?});\n  \
                 {name}_s = variable<scalar>(label = \"{scale_label}\", shape = {:?});\n  \
                 {name} = mul(tract_core_cast({name}_q, to = \"f32\"), {name}_s);",
                label.0,
                q.shape(),
                scales.shape()
            );
            text = text.replacen(&line, &rebuilt, 1);
            proto.tensors.insert(label.clone(), q.into_arc_tensor());
            proto.tensors.insert(Identifier(scale_label), scales.into_arc_tensor());
        }
        let mut tar = tar::Builder::new(vec![]);
        let mut add = |path: &str, data: &[u8]| -> TractResult<()> {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(315_532_800); // 1980, as tract's own reproducible archives
            header.set_cksum();
            Ok(tar.append_data(&mut header, path, data)?)
        };
        add("graph.nnef", text.as_bytes())?;
        let mut labels: Vec<Identifier> = proto.tensors.keys().cloned().collect();
        labels.sort();
        for label in labels {
            let mut data = vec![];
            tract_nnef::tensors::write_tensor(&mut data, &proto.tensors[&label])?;
            add(&format!("{}.dat", label.0), &data)?;
        }
        Ok(tar.into_inner()?)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::SerError;
    use crate::model::{EMBEDDED_ONNX, EMBEDDED_SIDECAR, EmotionModel, MIN_FRAMES, ModelInfo};

    fn archive() -> Vec<u8> {
        onnx_to_nnef(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap()
    }

    #[test]
    fn the_archive_gives_the_onnx_graphs_probabilities_bit_for_bit() {
        let from_onnx = EmotionModel::from_bytes(EMBEDDED_ONNX, EMBEDDED_SIDECAR).unwrap();
        let from_archive = EmotionModel::from_bytes(&archive(), EMBEDDED_SIDECAR).unwrap();
        let rows = from_onnx.input_rows();
        for t in [MIN_FRAMES, 51, 300, 421, 1001] {
            let frames: Vec<f32> = (0..t * rows).map(|i| (i as f32 * 0.037).sin() * 9.0 - 2.0).collect();
            let a = from_onnx.run_uncalibrated(&frames, t).unwrap().probabilities;
            let b = from_archive.run_uncalibrated(&frames, t).unwrap().probabilities;
            assert_eq!(a, b, "T = {t}");
        }
    }

    /// tract's own writer would store the int8 weights as float32: about four times the bytes.
    #[test]
    fn the_archive_keeps_the_int8_weights() {
        let archive = archive();
        assert!(is_archive(&archive) && !is_archive(EMBEDDED_ONNX));
        assert!(
            archive.len() < EMBEDDED_ONNX.len() * 5 / 4,
            "{} bytes against the ONNX file's {}",
            archive.len(),
            EMBEDDED_ONNX.len()
        );
    }

    #[test]
    fn an_archive_is_refused_by_the_description_of_another_model() {
        let mut info: ModelInfo = serde_json::from_str(EMBEDDED_SIDECAR).unwrap();
        info.onnx_sha256 = "0".repeat(64);
        let other = serde_json::to_string(&info).unwrap();
        let err = EmotionModel::from_bytes(&archive(), &other).err().unwrap();
        assert!(matches!(err, SerError::ModelMismatch(_)), "{err}");
        assert!(err.to_string().contains("not the one its description was written for"), "{err}");
    }

    #[test]
    fn an_archive_for_other_features_is_refused() {
        let mut info: ModelInfo = serde_json::from_str(EMBEDDED_SIDECAR).unwrap();
        info.feature = if info.feature == "mfcc" { "logmel".into() } else { "mfcc".into() };
        let err = EmotionModel::from_bytes(&archive(), &serde_json::to_string(&info).unwrap()).err().unwrap();
        assert!(err.to_string().contains("rows it was trained on"), "{err}");
    }
}
