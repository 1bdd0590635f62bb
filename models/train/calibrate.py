"""Confidence that means what it says: temperature scaling fitted on out-of-fold predictions of
the speaker-independent CV, a "not sure" threshold, expected calibration error and a
reliability diagram.

    .venv/bin/python models/train/calibrate.py --probs DIR [--sidecar models/ser_cnn.json]
        [--oof-out models/cv/oof_predictions.json] [--figure models/reliability.png]

DIR holds fold{k}_test_probs.npy for k = 1..5 (what train.py writes for every CV run): each
fold model's whole-clip probabilities on its own unseen actors, in the order
`Export.select(test actors, originals_only=True)`. Together they are one out-of-fold
prediction per RAVDESS clip.

- Temperature: p_i ∝ p_i^(1/T) on the ensemble's averaged probabilities, T minimising the
  negative log-likelihood of the true emotion over all out-of-fold clips. The order of the
  emotions never changes, so accuracy, UAR and F1 do not either.
- ECE: 10 equal-width bins of the top probability, |accuracy - mean confidence| weighted by the
  bin's share of clips. Reported before and after, and also "cross-fitted" (T fitted on four
  folds, applied to the fifth), which is the honest figure for unseen speakers.
- Not sure: the calibrated top probability below which a result is more likely wrong than
  right (a logistic regression of "right" on it, over every out-of-fold clip, at 50 %).
"""

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import LABELS, N_FOLDS, Export, fold_test_actors, ravdess_speaker  # noqa: E402

N_BINS = 10


def scale(probs, temperature):
    """Temperature scaling of probabilities (in logs, stable for tiny values)."""
    logs = np.log(np.maximum(probs, 1e-30)) / temperature
    logs -= logs.max(axis=1, keepdims=True)
    e = np.exp(logs)
    return e / e.sum(axis=1, keepdims=True)


def nll(probs, labels):
    return float(-np.log(np.maximum(probs[np.arange(len(labels)), labels], 1e-30)).mean())


def fit_temperature(probs, labels, lo=0.05, hi=20.0, iters=100):
    """Golden-section search on log T (the NLL is unimodal in T for temperature scaling)."""
    a, b = np.log(lo), np.log(hi)
    g = (np.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    f = lambda x: nll(scale(probs, np.exp(x)), labels)  # noqa: E731
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return float(np.exp((a + b) / 2))


def ece(probs, labels, n_bins=N_BINS):
    """Expected calibration error of the top probability, equal-width bins, (0, 1] upper-closed."""
    conf = probs.max(axis=1)
    right = (probs.argmax(axis=1) == labels).astype(np.float64)
    # bin b holds confidences in (b/n, (b+1)/n]; a confidence of exactly 0 goes to bin 0
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            total += m.mean() * abs(right[m].mean() - conf[m].mean())
    return float(total)


def reliability(probs, labels, n_bins=N_BINS):
    conf = probs.max(axis=1)
    right = (probs.argmax(axis=1) == labels).astype(np.float64)
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        m = bins == b
        rows.append({"bin": [b / n_bins, (b + 1) / n_bins], "n": int(m.sum()),
                     "accuracy": float(right[m].mean()) if m.any() else None,
                     "confidence": float(conf[m].mean()) if m.any() else None})
    return rows


def unsure_threshold(probs, labels, iters=50):
    """The top probability at which a result becomes more likely right than wrong: a logistic
    regression of "right" on the calibrated top probability over every out-of-fold clip,
    solved for P(right) = 0.5, rounded to 0.01."""
    x = probs.max(axis=1)
    y = (probs.argmax(axis=1) == labels).astype(np.float64)
    X = np.stack([np.ones_like(x), x], axis=1)
    w = np.zeros(2)
    for _ in range(iters):  # Newton's method on the log-likelihood
        p = 1.0 / (1.0 + np.exp(-X @ w))
        grad = X.T @ (y - p)
        hess = X.T @ (X * (p * (1 - p))[:, None])
        w += np.linalg.solve(hess + 1e-9 * np.eye(2), grad)
    if w[1] <= 0:
        return 0.0
    return float(np.clip(round(-w[0] / w[1], 2), 0.0, 1.0))


def load_oof(prob_dir, export):
    probs, labels, folds, paths = [], [], [], []
    for k in range(1, N_FOLDS + 1):
        p = np.load(os.path.join(prob_dir, f"fold{k}_test_probs.npy"))
        te = export.select([ravdess_speaker(a) for a in fold_test_actors(k)], originals_only=True)
        assert len(te) == len(p), (k, len(te), len(p))
        probs.append(p)
        labels.append(export.label[te])
        folds.append(np.full(len(te), k))
        paths += list(export.path[te])
    return np.concatenate(probs).astype(np.float64), np.concatenate(labels), np.concatenate(folds), paths


def calibrate(probs, labels, folds):
    t = fit_temperature(probs, labels)
    cal = scale(probs, t)
    # Cross-fitted: each fold scaled with the temperature fitted on the other four.
    cross = np.zeros_like(probs)
    cross_t = {}
    for k in np.unique(folds):
        m = folds == k
        tk = fit_temperature(probs[~m], labels[~m])
        cross_t[int(k)] = round(tk, 4)
        cross[m] = scale(probs[m], tk)
    threshold = unsure_threshold(cal, labels)
    conf = cal.max(axis=1)
    right = cal.argmax(axis=1) == labels
    unsure = conf < threshold
    fold_accuracy = {int(k): round(float((probs[folds == k].argmax(1) == labels[folds == k]).mean()), 6)
                     for k in np.unique(folds)}
    return {
        "temperature": round(t, 4),
        "fold_accuracy": fold_accuracy,
        "unsure_below": threshold,
        "n_clips": int(len(labels)),
        "nll_before": round(nll(probs, labels), 4),
        "nll_after": round(nll(cal, labels), 4),
        "ece_before": round(ece(probs, labels), 4),
        "ece_after": round(ece(cal, labels), 4),
        "ece_cross_fitted": round(ece(cross, labels), 4),
        "cross_fitted_temperatures": cross_t,
        "unsure_share": round(float(unsure.mean()), 4),
        "accuracy_when_unsure": round(float(right[unsure].mean()), 4) if unsure.any() else None,
        "accuracy_when_sure": round(float(right[~unsure].mean()), 4),
        "reliability_before": reliability(probs, labels),
        "reliability_after": reliability(cal, labels),
    }


def draw(result, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for ax, key, title in ((axes[0], "reliability_before", f"before (ECE {result['ece_before']:.3f})"),
                           (axes[1], "reliability_after",
                            f"after, T = {result['temperature']:.2f} (ECE {result['ece_after']:.3f})")):
        rows = result[key]
        centres = [(r["bin"][0] + r["bin"][1]) / 2 for r in rows]
        acc = [r["accuracy"] if r["accuracy"] is not None else 0 for r in rows]
        ax.bar(centres, acc, width=0.095, color="#4b3c9e", alpha=0.85, label="accuracy in bin")
        ax.plot([0, 1], [0, 1], "--", color="#888", label="perfect calibration")
        for c, r in zip(centres, rows):
            if r["n"]:
                ax.text(c, 0.02, str(r["n"]), ha="center", fontsize=7, color="white")
        ax.set_title(title)
        ax.set_xlabel("top probability (confidence)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("share of clips right")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Reliability on out-of-fold CV predictions (numbers: clips per bin)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probs", required=True, help="folder with fold{k}_test_probs.npy")
    ap.add_argument("--features", default=os.path.join(HERE, "work", "features_logmel_c4_s0"))
    ap.add_argument("--sidecar", help="write the calibration into this model sidecar")
    ap.add_argument("--oof-out", help="write the out-of-fold predictions (JSON) for the Rust ECE test")
    ap.add_argument("--figure", help="reliability diagram PNG")
    ap.add_argument("--json-out", help="write the full result here")
    a = ap.parse_args()
    export = Export(a.features, mmap=True)
    probs, labels, folds, paths = load_oof(a.probs, export)
    result = calibrate(probs, labels, folds)
    short = {k: v for k, v in result.items() if not k.startswith("reliability")}
    print(json.dumps(short, indent=1))
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if a.figure:
        draw(result, a.figure)
    if a.sidecar:
        with open(a.sidecar) as f:
            side = json.load(f)
        side["calibration"] = {"temperature": result["temperature"], "unsure_below": result["unsure_below"]}
        side["calibration_fit"] = {k: short[k] for k in ("n_clips", "ece_before", "ece_after", "ece_cross_fitted",
                                                          "unsure_share", "accuracy_when_unsure",
                                                          "accuracy_when_sure")}
        with open(a.sidecar, "w") as f:
            json.dump(side, f, indent=2)
            f.write("\n")
    if a.oof_out:
        with open(a.oof_out, "w") as f:
            json.dump({
                "description": ("out-of-fold whole-clip probabilities of the speaker-independent 5-fold CV "
                                "(each clip predicted by the fold model that never saw its actor), before "
                                "calibration; label is the index into labels"),
                "labels": LABELS,
                "clips": [{"path": p, "fold": int(k), "label": int(y), "probabilities": [round(float(v), 6) for v in q]}
                          for p, k, y, q in zip(paths, folds, labels, probs)],
            }, f)
            f.write("\n")


if __name__ == "__main__":
    main()
