"""Fewer weight bits (session 16): each fold model of a CV run quantised as quantize.py does
(symmetric, one scale per output channel), with 2^(b-1) - 1 levels a side instead of 127, run
by onnxruntime on its fold's test clips (speaker-independent, originals only), against the
float model; and the gzipped size of fold 1's quantised model after quantize.py's compaction.
The values still sit in int8 tensors: fewer levels only make them compress better.

    .venv/bin/python models/train/bits_exp.py models/train/work/exp_wide45_s0 ...
"""

import gzip
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import quantize  # noqa: E402
from data import Export, fold_test_actors, ravdess_speaker  # noqa: E402
from metrics import confusion, figures  # noqa: E402

FOLDS = [1, 2, 3, 4, 5]
BITS = (32, 8, 7, 6, 5)


def requantise_from_float(model, bits):
    """quantize.to_int8 with 2^(bits-1) - 1 levels a side in place of 127."""
    if bits == 32:
        return model
    levels = 2 ** (bits - 1) - 1
    m = onnx.ModelProto()
    m.CopyFrom(model)
    graph = m.graph
    keep, nodes = [], []
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        if init.data_type != TensorProto.FLOAT or w.ndim < 2 or w.size < quantize.MIN_SIZE or "dct" in init.name:
            keep.append(init)
            continue
        flat = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        scale = np.where(flat > 0, flat / levels, 1.0).astype(np.float32)
        shape = (w.shape[0],) + (1,) * (w.ndim - 1)
        q = np.clip(np.round(w / scale.reshape(shape)), -levels, levels).astype(np.int8)
        keep.append(numpy_helper.from_array(q, init.name + "_q"))
        keep.append(numpy_helper.from_array(scale.reshape(shape), init.name + "_scale"))
        nodes.append(helper.make_node("Cast", [init.name + "_q"], [init.name + "_f"], to=TensorProto.FLOAT))
        nodes.append(helper.make_node("Mul", [init.name + "_f", init.name + "_scale"], [init.name]))
    del graph.initializer[:]
    graph.initializer.extend(keep)
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + rest)
    return m


def main():
    export = Export(os.path.join(HERE, "work", "features_logmel_c4_s0"), mmap=True)
    for run in sys.argv[1:]:
        print(f"== {run}")
        for bits in BITS:
            cm, size = np.zeros((8, 8), np.int64), None
            for k in FOLDS:
                model = requantise_from_float(onnx.load(os.path.join(run, f"fold{k}.onnx")), bits)
                if k == 1:
                    compact = quantize.compact_names(model) if bits != 32 else model
                    size = len(gzip.compress(compact.SerializeToString(), 9))
                session = quantize.session(model.SerializeToString())
                name = session.get_inputs()[0].name
                te = export.select([ravdess_speaker(a) for a in fold_test_actors(k)], originals_only=True)
                pred = [session.run(None, {name: export.frames(i).T[None].astype(np.float32)})[0][0].argmax() for i in te]
                cm += confusion(export.label[te], np.asarray(pred))
            f = figures(cm)
            print(f"{bits:>2} bits: accuracy {f['accuracy']:.4f} UAR {f['uar']:.4f} macro-F1 {f['macro_f1']:.4f} "
                  f"(pooled, {f['n']} clips); fold 1 model {size:,} bytes gzipped", flush=True)


if __name__ == "__main__":
    main()
