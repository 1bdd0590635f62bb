"""Your voice (session 16): a learned head in place of the shipped shift, on a CV run's
out-of-fold predictions, nested like voice_offset.py.

"head": a multinomial logistic regression of the emotion on the clip's 8 log-probabilities and
its speaker's lean b - r (16 inputs), fitted on the scored clips of the other four folds' actors
(C from 0.01, 0.1, 1 by leave-one-fold-out inside those four), applied to fold k's scored clips;
"head_cold" the same on the 8 log-probabilities alone; "shift" the shipped shift with s nested,
which equals voice_offset.py's figures.

    .venv/bin/python models/train/voice_head_exp.py models/train/work/exp_wide45_s0 ...
"""

import argparse
import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import voice_offset as vo  # noqa: E402
from metrics import confusion, figures  # noqa: E402

FOLDS = [1, 2, 3, 4, 5]


def features(oof, idx, r, with_lean):
    return np.hstack([oof.logp[idx], oof.offsets(idx, r)]) if with_lean else oof.logp[idx]


def fit(oof, train, r, with_lean):
    """The head, C chosen by leave-one-fold-out over the training folds."""
    def score(c):
        right = []
        for j in np.unique(oof.folds[train]):
            itr, ite = train[oof.folds[train] != j], train[oof.folds[train] == j]
            m = LogisticRegression(C=c, max_iter=2000).fit(features(oof, itr, r, with_lean), oof.labels[itr])
            right.append((m.predict(features(oof, ite, r, with_lean)) == oof.labels[ite]).mean())
        return np.mean(right)
    c = max((0.01, 0.1, 1.0), key=score)
    return LogisticRegression(C=c, max_iter=2000).fit(features(oof, train, r, with_lean), oof.labels[train])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="CV runs' folders of fold{k}_test_probs.npy")
    ap.add_argument("--features", default=os.path.join(HERE, "work", "features_logmel_c4_s0"))
    a = ap.parse_args()
    for run in a.runs:
        _, oof = vo.load(argparse.Namespace(oof=None, probs=[run], features=a.features))[0]
        every = np.arange(len(oof.paths))
        for mode in ("shift", "head", "head_cold"):
            per_fold = []
            for k in FOLDS:
                others = [f for f in FOLDS if f != k]
                r = oof.reference(others)
                test = every[(oof.folds == k) & oof.scored]
                if mode == "shift":
                    pred = oof.predict(test, r, vo.choose_strength(oof, others))
                else:
                    train = every[np.isin(oof.folds, others) & oof.scored]
                    with_lean = mode == "head"
                    pred = fit(oof, train, r, with_lean).predict(features(oof, test, r, with_lean))
                f = figures(confusion(oof.labels[test], pred))
                per_fold.append((f["accuracy"], f["uar"]))
            per_fold = np.array(per_fold)
            print(f"{os.path.basename(os.path.normpath(run))} {mode}: accuracy {per_fold[:, 0].mean():.3f} "
                  f"UAR {per_fold[:, 1].mean():.3f} (folds {', '.join(f'{x:.3f}' for x in per_fold[:, 0])})",
                  flush=True)


if __name__ == "__main__":
    main()
