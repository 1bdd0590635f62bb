#!/usr/bin/env python3
"""Stores the shipped model's weights as float16 to halve what the page downloads.

The graph still computes in float32: every float initializer becomes a float16 initializer
followed by a Cast to float32 (tract and onnxruntime fold it into a constant at load time).
Then the sidecar's sha256 and the tract-vs-onnxruntime reference outputs are rewritten, and the
float16 model's whole-clip predictions are compared with the float32 one's on every original
clip of the export, so the card's figures are known to still hold.

    .venv/bin/python models/train/fp16.py [--features models/train/work/features_mfcc_c4_s0]
"""
import argparse
import hashlib
import json
import pathlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[2]


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    keep, casts = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or numpy_helper.to_array(init).size < 16:
            keep.append(init)
            continue
        w = numpy_helper.to_array(init)
        half = numpy_helper.from_array(w.astype(np.float16), init.name + "_f16")
        keep.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=init.name + "_cast"))
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return model


def session(path_or_bytes):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path_or_bytes, opts, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "models/ser_cnn.onnx"))
    ap.add_argument("--features", default=str(ROOT / "models/train/work/features_mfcc_c4_s0"))
    args = ap.parse_args()
    path = pathlib.Path(args.model)
    original = onnx.load(str(path))
    if any(n.op_type == "Cast" and n.name.endswith("_cast") for n in original.graph.node):
        raise SystemExit(f"{path} already stores float16 weights")
    f32_bytes = original.SerializeToString()
    f16_bytes = to_fp16(onnx.load_from_string(f32_bytes)).SerializeToString()

    # Agreement with the float32 model on every original clip of the export.
    feats = np.load(pathlib.Path(args.features) / "features.npy")
    offsets = np.load(pathlib.Path(args.features) / "offsets.npy")
    import csv
    items = list(csv.DictReader(open(pathlib.Path(args.features) / "items.csv")))
    s32, s16 = session(f32_bytes), session(f16_bytes)
    same, worst, n = 0, 0.0, 0
    for i, item in enumerate(items):
        if item["copy"] != "0":
            continue
        x = feats[offsets[i]:offsets[i + 1]].T[None].astype(np.float32)
        p32 = s32.run(None, {"mfcc": x})[0]
        p16 = s16.run(None, {"mfcc": x})[0]
        same += int(p32.argmax() == p16.argmax())
        worst = max(worst, float(np.abs(p32 - p16).max()))
        n += 1
    print(f"float16 weights: {len(f32_bytes)} -> {len(f16_bytes)} bytes; same top emotion on "
          f"{same}/{n} original clips; max |dp| = {worst:.2e}")

    path.write_bytes(f16_bytes)
    sha = hashlib.sha256(f16_bytes).hexdigest()
    sidecar_path = path.with_suffix(".json")
    sidecar = json.loads(sidecar_path.read_text())
    sidecar["onnx_sha256"] = sha
    sidecar["weights"] = "float16 (computed in float32)"
    sidecar["fp16_agreement"] = {"clips": n, "same_top_emotion": same, "max_abs_prob_diff": worst}
    sidecar_path.write_text(json.dumps(sidecar, indent=2) + "\n")

    ref_path = ROOT / "tests/fixtures/model/reference.json"
    if path.name == "ser_cnn.onnx" and ref_path.exists():
        ref = json.loads(ref_path.read_text())
        for case in ref["cases"]:
            x = np.asarray(case["mfcc"], dtype=np.float32).T[None]
            case["probabilities"] = [float(v) for v in s16.run(None, {"mfcc": x})[0][0]]
        ref["onnx_sha256"] = sha
        ref_path.write_text(json.dumps(ref))
    print(f"wrote {path} ({len(f16_bytes)} bytes, sha256 {sha[:12]}…), its sidecar and the reference")


if __name__ == "__main__":
    main()
