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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import quantize  # noqa: E402
from data import Export, fold_test_actors, ravdess_speaker  # noqa: E402
from metrics import confusion, figures  # noqa: E402

FOLDS = [1, 2, 3, 4, 5]
BITS = (32, 8, 7, 6, 5)


def quantised(model, bits):
    """quantize.to_int8 at `bits` (from the float weights: one rounding, as shipped)."""
    if bits == 32:
        return model
    m = onnx.ModelProto()
    m.CopyFrom(model)
    return quantize.to_int8(m, bits)


def main():
    export = Export(os.path.join(HERE, "work", "features_logmel_c4_s0"), mmap=True)
    for run in sys.argv[1:]:
        print(f"== {run}")
        for bits in BITS:
            cm, size = np.zeros((8, 8), np.int64), None
            for k in FOLDS:
                model = quantised(onnx.load(os.path.join(run, f"fold{k}.onnx")), bits)
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
