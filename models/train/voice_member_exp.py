"""Your voice: two refinements of the shipped baseline shift (session 15; the model card's "What
was tried for the baseline"), on a CV run's fold models, nested like voice_offset.py.

- "member": each member's log-probabilities are shifted by its own lean, s * (b_m - r_m), and
  the members averaged afterwards (the shipped shift moves the ensemble's average instead);
- "weighted": as "member", each member weighted by exp(beta * its mean log p(neutral) over the
  speaker's baseline clips), so members that hear this speaker's neutral as neutral count more.

The members' probabilities come from onnxruntime on the run's fold{k}.onnx with each member's
Softmax added as an output (cached beside them as member_test_probs.npz). The "ensemble" line
is the shipped shift, which must equal voice_offset.py's figures for the same run.

    .venv/bin/python models/train/voice_member_exp.py models/train/work/exp_ep45_s0 ...
"""

import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import LABEL_INDEX, Export, fold_test_actors, ravdess_speaker  # noqa: E402
from metrics import confusion, figures  # noqa: E402
from voice_offset import GRID, Oof  # noqa: E402

FOLDS = [1, 2, 3, 4, 5]
BETAS = (0.0, 0.5, 1.0, 2.0)


def member_probs(run, export):
    """clips x members x labels, with the clips' labels, folds and paths."""
    cache = os.path.join(run, "member_test_probs.npz")
    if os.path.exists(cache):
        d = np.load(cache)
        return d["probs"], d["labels"], d["folds"], list(d["paths"])
    probs, labels, folds, paths = [], [], [], []
    for k in FOLDS:
        model = onnx.load(os.path.join(run, f"fold{k}.onnx"))
        for node in model.graph.node:
            if node.op_type == "Softmax":
                model.graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, None))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        te = export.select([ravdess_speaker(a) for a in fold_test_actors(k)], originals_only=True)
        for i in te:
            out = session.run(None, {name: export.frames(i).T[None].astype(np.float32)})
            probs.append(np.stack([m[0] for m in out[1:]]))
        labels += list(export.label[te])
        folds += [k] * len(te)
        paths += list(export.path[te])
    probs, labels, folds = np.asarray(probs), np.asarray(labels), np.asarray(folds)
    np.savez(cache, probs=probs, labels=labels, folds=folds, paths=np.asarray(paths))
    return probs, labels, folds, paths


class Members:
    def __init__(self, probs, labels, folds, paths):
        self.members = [Oof(paths, folds, labels, probs[:, j]) for j in range(probs.shape[1])]
        self.ensemble = Oof(paths, folds, labels, probs.mean(axis=1))
        self.labels = self.ensemble.labels

    def predict(self, mode, idx, ref_folds, s, beta=0.0):
        if mode == "ensemble":
            return self.ensemble.predict(idx, self.ensemble.reference(ref_folds), s)
        total, weights = 0.0, 0.0
        for m in self.members:
            w = 1.0
            if mode == "weighted":
                heard = np.array([m.logp[m.baseline_of[m.actor[i]]].mean(axis=0)[LABEL_INDEX["neutral"]] for i in idx])
                w = np.exp(beta * heard)[:, None]
            total = total + w * m.adjusted_probs(idx, m.reference(ref_folds), s)
            weights = weights + w
        return (total / weights).argmax(axis=1)


def uar(ms, mode, fold, ref_folds, s, beta):
    idx = ms.ensemble.scored_in([fold])
    return figures(confusion(ms.labels[idx], ms.predict(mode, idx, ref_folds, s, beta)))["uar"]


def nested(ms, mode):
    betas = BETAS if mode == "weighted" else (0.0,)
    rows = []
    for k in FOLDS:
        others = [f for f in FOLDS if f != k]
        # s (and beta) with the best mean UAR over the other four folds, each with r from the other three
        _, s, beta = max((np.mean([uar(ms, mode, j, [f for f in others if f != j], s, b) for j in others]), -s, -b)
                         for s in GRID for b in betas)
        s, beta = -s, -beta
        idx = ms.ensemble.scored_in([k])
        cold = figures(confusion(ms.labels[idx], ms.ensemble.logp[idx].argmax(axis=1)))
        base = figures(confusion(ms.labels[idx], ms.predict(mode, idx, others, s, beta)))
        rows.append((cold["accuracy"], cold["uar"], base["accuracy"], base["uar"], s, beta))
    a = np.array(rows)
    print(f"  {mode:8s} cold acc {a[:, 0].mean():.3f} UAR {a[:, 1].mean():.3f} | with the baseline acc "
          f"{a[:, 2].mean():.3f} UAR {a[:, 3].mean():.3f} | s per fold {a[:, 4].tolist()} beta {a[:, 5].tolist()}")


def main():
    export = Export(os.path.join(HERE, "work", "features_logmel_c4_s0"), mmap=True)
    for run in sys.argv[1:]:
        ms = Members(*member_probs(run, export))
        print(run)
        for mode in ("ensemble", "member", "weighted"):
            nested(ms, mode)


if __name__ == "__main__":
    main()
