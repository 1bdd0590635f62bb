"""Adds the fold models of CV experiments to the committed out-of-fold predictions of the
shipped recipe (`models/cv/oof_predictions.json`), clip by clip, and prints the 5-fold figures
of each combination: does a new member add anything to the 4-member ensemble?

    .venv/bin/python models/train/ensemble_exp.py EXP [EXP ...] [--features DIR]

EXP is an experiment name (`train.py --experiment EXP`, results in work/exp_EXP); each one's
fold{k}_test_probs.npy are its whole-clip onnxruntime probabilities of fold k's test clips in
export order. A combination is the average of the probabilities, the shipped ensemble's
counting as four members (it is the average of four), so "+ EXP" is a 5-member average.
"""

import argparse
import csv
import itertools
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import fold_test_actors, ravdess_speaker  # noqa: E402
from metrics import confusion, figures  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def test_paths(features_dir, k):
    test = {ravdess_speaker(a) for a in fold_test_actors(k)}
    with open(os.path.join(features_dir, "items.csv"), newline="") as f:
        return [r["path"] for r in csv.DictReader(f) if r["speaker"] in test and r["copy"] == "0"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("experiments", nargs="+")
    ap.add_argument("--features", default=os.path.join(HERE, "work", "features_logmel_c4_s0"))
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--save", help="also write each combination's fold{k}_test_probs.npy (export order) "
                                   "under SAVE/<names joined by '+'>, for voice_offset.py --probs")
    args = ap.parse_args()
    with open(os.path.join(REPO, "models", "cv", "oof_predictions.json")) as f:
        oof = {c["path"]: c for c in json.load(f)["clips"]}
    probs = {"shipped": {}}
    labels = {}
    for path, c in oof.items():
        probs["shipped"][path] = np.array(c["probabilities"])
        labels[path] = c["label"]
    # Each fold's test clips in export order, the order of every fold{k}_test_probs.npy.
    export_order = {k: test_paths(args.features, k) for k in range(1, 6)}
    for exp in args.experiments:
        probs[exp] = {}
        for k in range(1, 6):
            p = np.load(os.path.join(args.work, f"exp_{exp}", f"fold{k}_test_probs.npy"))
            paths = export_order[k]
            assert len(paths) == len(p), (exp, k, len(paths), len(p))
            probs[exp].update(zip(paths, p))
    paths = sorted(oof)
    weight = {"shipped": 4.0}

    def report(names):
        fold_figs = []
        for k in range(1, 6):
            fold_paths = [p for p in paths if oof[p]["fold"] == k]
            total = sum(weight.get(n, 1.0) for n in names)
            p = np.array([sum(weight.get(n, 1.0) * probs[n][q] for n in names) / total for q in fold_paths])
            y = np.array([labels[q] for q in fold_paths])
            fold_figs.append(figures(confusion(y, p.argmax(1))))
            if args.save:
                out = os.path.join(args.save, "+".join(names))
                os.makedirs(out, exist_ok=True)
                at = {q: i for i, q in enumerate(fold_paths)}
                np.save(os.path.join(out, f"fold{k}_test_probs.npy"),
                        p[[at[q] for q in export_order[k]]].astype(np.float32))
        acc = [f["accuracy"] for f in fold_figs]
        uar = [f["uar"] for f in fold_figs]
        f1 = [f["macro_f1"] for f in fold_figs]
        print(f"{' + '.join(names):60s} accuracy {np.mean(acc):.4f} UAR {np.mean(uar):.4f} "
              f"macro-F1 {np.mean(f1):.4f}  folds " + " ".join(f"{a:.3f}" for a in acc))

    for n in probs:
        report([n])
    for r in range(1, len(args.experiments) + 1):
        for combo in itertools.combinations(args.experiments, r):
            report(["shipped", *combo])


if __name__ == "__main__":
    main()
