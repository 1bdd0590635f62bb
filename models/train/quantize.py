#!/usr/bin/env python3
"""Stores the shipped model's weight matrices as int8 to shrink what the page downloads.

Every convolution and linear weight becomes an int8 initializer with one float32 scale per
output channel (symmetric, scale = max |w| / 127), followed by Cast and Mul nodes that rebuild
the float32 weight; tract and onnxruntime fold them into a constant at load time, so the graph
still computes in float32. Small tensors (biases, normalisation, the fixed DCT) stay float32.
Then the sidecar's sha256 and the tract-vs-onnxruntime reference outputs are rewritten, and
the int8 model's whole-clip predictions are compared with the float32 one's on every original
clip of the export, so the card's figures are known to still hold.

    .venv/bin/python models/train/quantize.py --features models/train/work/features_logmel_c4_s0
    .venv/bin/python models/train/quantize.py --bits 5 --model models/cv/fold1.onnx --fold 1 \
        --features models/train/work/features_logmel_c4_s0

`--bits B` keeps the values to 2^(B-1) - 1 levels a side (1.5.0 ships 5 bits: 15 levels); with
`--fold K` (a CV fold's model) the sidecar's fold figures are recomputed for the quantised model
on fold K's test actors, so the fold-1 check (tests/eval_fold.rs) is of the weights as shipped.
"""
import argparse
import csv
import hashlib
import json
import pathlib

import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIN_SIZE = 1024  # smaller tensors are not worth a scale vector and two nodes


def to_int8(model: onnx.ModelProto, bits: int = 8) -> onnx.ModelProto:
    """With `bits` < 8 the values keep to 2^(bits-1) - 1 levels a side (still int8 tensors),
    which gzip stores in fewer bytes."""
    levels = 2 ** (bits - 1) - 1
    graph = model.graph
    keep, nodes = [], []
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        if init.data_type != TensorProto.FLOAT or w.ndim < 2 or w.size < MIN_SIZE or "dct" in init.name:
            keep.append(init)
            continue
        flat = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        scale = np.where(flat > 0, flat / levels, 1.0).astype(np.float32)
        shape = (w.shape[0],) + (1,) * (w.ndim - 1)
        q = np.clip(np.round(w / scale.reshape(shape)), -levels, levels).astype(np.int8)
        keep.append(numpy_helper.from_array(q, init.name + "_q"))
        keep.append(numpy_helper.from_array(scale.reshape(shape), init.name + "_scale"))
        nodes.append(helper.make_node("Cast", [init.name + "_q"], [init.name + "_f"], to=TensorProto.FLOAT,
                                      name=init.name + "_cast"))
        nodes.append(helper.make_node("Mul", [init.name + "_f", init.name + "_scale"], [init.name],
                                      name=init.name + "_dequantize"))
    del graph.initializer[:]
    graph.initializer.extend(keep)
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + rest)
    onnx.checker.check_model(model)
    return model


def session(path_or_bytes):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path_or_bytes, opts, providers=["CPUExecutionProvider"])


def compact_names(model):
    """Renames every weight and intermediate tensor to a short id and drops node names and
    value_info: the same graph, the same outputs, about 15 KB of names fewer. The int8 weights
    are stored first and the float32 tensors (scales, biases, DCT) together after them, which
    gzip compresses 2.9 KB better than the exporter's order. The page's size budget counts the
    gzipped file: 3 KB less in all. The graph's input and output keep their names."""
    g = model.graph
    keep = {i.name for i in g.input} | {o.name for o in g.output}
    short = {}

    def rename(name):
        if name == "" or name in keep:
            return name
        return short.setdefault(name, format(len(short), "x"))

    for t in g.initializer:
        t.name = rename(t.name)
    for n in g.node:
        n.name = ""
        n.input[:] = [rename(x) for x in n.input]
        n.output[:] = [rename(x) for x in n.output]
    del g.value_info[:]
    # Stable: within a type the exporter's order stays.
    ordered = sorted(g.initializer, key=lambda t: t.data_type == onnx.TensorProto.FLOAT)
    del g.initializer[:]
    g.initializer.extend(ordered)
    return model


def write_compacted(path):
    """Compacts the names of an already int8 model in place (`--compact-only`): checks that the
    reference cases give bit-identical probabilities, then updates the sidecar's and the
    reference's sha256."""
    before = path.read_bytes()
    after = compact_names(onnx.load_from_string(before)).SerializeToString()
    s0, s1 = session(before), session(after)
    name = s0.get_inputs()[0].name
    ref_path = ROOT / "tests/fixtures/model/reference.json"
    ref = json.loads(ref_path.read_text())
    for case in ref["cases"]:
        x = np.asarray(case["frames"], dtype=np.float32).T[None]
        if not np.array_equal(s0.run(None, {name: x})[0], s1.run(None, {name: x})[0]):
            raise SystemExit(f"compacting changed the output on {case['name']}")
    path.write_bytes(after)
    sha = hashlib.sha256(after).hexdigest()
    sidecar_path = path.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text())
    sidecar["onnx_sha256"] = sha
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n")
    if path.resolve() == (ROOT / "models/ser_cnn.onnx").resolve():
        ref["onnx_sha256"] = sha
        ref_path.write_text(json.dumps(ref))
    print(f"names compacted: {len(before)} -> {len(after)} bytes, identical outputs on "
          f"{len(ref['cases'])} reference cases; sha256 {sha[:12]}…")


def fold_figures(sess, features, k):
    """Whole-clip figures of a fold model on its own test actors' original clips."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from data import Export, fold_test_actors, ravdess_speaker
    from metrics import confusion, figures

    export = Export(str(features), mmap=True)
    name = sess.get_inputs()[0].name
    te = export.select([ravdess_speaker(a) for a in fold_test_actors(k)], originals_only=True)
    pred = [sess.run(None, {name: export.frames(i).T[None].astype(np.float32)})[0][0].argmax() for i in te]
    f = figures(confusion(export.label[te], np.asarray(pred)))
    return {"accuracy": round(f["accuracy"], 6), "uar": round(f["uar"], 6), "macro_f1": round(f["macro_f1"], 6),
            "n_test_clips": len(te)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models/ser_cnn.onnx"))
    ap.add_argument("--features", help="the export of the model's input feature (required unless --compact-only)")
    ap.add_argument("--bits", type=int, default=8, choices=range(2, 9),
                    help="levels of the weights: 2^(bits-1) - 1 a side (default 8: 127)")
    ap.add_argument("--fold", type=int, help="the model is this CV fold's: recompute its figures (see above)")
    ap.add_argument("--compact-only", action="store_true",
                    help="only shorten the names of an already int8 model (see compact_names)")
    args = ap.parse_args()
    path = pathlib.Path(args.model)
    if args.compact_only:
        return write_compacted(path)
    if not args.features:
        raise SystemExit("--features is required")
    original = onnx.load(str(path))
    if any(t.data_type == onnx.TensorProto.INT8 for t in original.graph.initializer):
        raise SystemExit(f"{path} already stores int8 weights")
    f32_bytes = original.SerializeToString()
    q_bytes = compact_names(to_int8(onnx.load_from_string(f32_bytes), args.bits)).SerializeToString()

    # Agreement with the float32 model on every original clip of the export.
    folder = pathlib.Path(args.features)
    feats = np.load(folder / "features.npy", mmap_mode="r")
    offsets = np.load(folder / "offsets.npy")
    with open(folder / "items.csv", newline="") as f:
        items = list(csv.DictReader(f))
    s32, s8 = session(f32_bytes), session(q_bytes)
    name = s32.get_inputs()[0].name
    same, worst, n = 0, 0.0, 0
    for i, item in enumerate(items):
        if item["copy"] != "0":
            continue
        x = np.ascontiguousarray(feats[offsets[i]:offsets[i + 1]].T[None], dtype=np.float32)
        p32 = s32.run(None, {name: x})[0]
        p8 = s8.run(None, {name: x})[0]
        same += int(p32.argmax() == p8.argmax())
        worst = max(worst, float(np.abs(p32 - p8).max()))
        n += 1
    print(f"int8 weights ({args.bits} bits): {len(f32_bytes)} -> {len(q_bytes)} bytes; same top emotion on "
          f"{same}/{n} original clips; max |dp| = {worst:.2e}")

    path.write_bytes(q_bytes)
    sha = hashlib.sha256(q_bytes).hexdigest()
    sidecar_path = path.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text())
    sidecar["onnx_sha256"] = sha
    sidecar["weights"] = "int8 with a float32 scale per output channel (computed in float32)" + (
        f", {2 ** (args.bits - 1) - 1} levels a side ({args.bits} bits)" if args.bits < 8 else "")
    sidecar["int8_agreement"] = {"clips": n, "same_top_emotion": same, "max_abs_prob_diff": worst}
    if args.fold:
        sidecar.update(fold_figures(s8, folder, args.fold))
        print(f"fold {args.fold} with these weights: " + ", ".join(f"{k} {sidecar[k]}" for k in ("accuracy", "uar", "macro_f1")))
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n")

    ref_path = ROOT / "tests/fixtures/model/reference.json"
    # Only for the shipped model itself, not a copy of it elsewhere (a fold model, an experiment).
    if path.resolve() == (ROOT / "models/ser_cnn.onnx").resolve() and ref_path.exists():
        ref = json.loads(ref_path.read_text())
        for case in ref["cases"]:
            x = np.asarray(case["frames"], dtype=np.float32).T[None]
            case["probabilities"] = [float(v) for v in s8.run(None, {name: x})[0][0]]
        ref["onnx_sha256"] = sha
        ref_path.write_text(json.dumps(ref))
    print(f"wrote {path} ({len(q_bytes)} bytes, sha256 {sha[:12]}…), its sidecar and the reference")


if __name__ == "__main__":
    main()
