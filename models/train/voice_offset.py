"""Your voice (issue 12): judge a clip relative to the speaker's own neutral voice by removing
the model's bias on that voice.

A model that is "wrong on my voice" is usually wrong in one direction: every clip of that voice
leans towards sad, say. Two neutral clips of the speaker show the lean. The baseline keeps the
model's mean log-probabilities over them, b; the sidecar keeps what an unseen speaker's neutral
clips look like to the model on average, r (the mean out-of-fold log-probabilities of every
neutral clip of the CV). With a baseline, a clip's log-probabilities become

    log p'(c) = log p(c) - s * (b(c) - r(c))     (then renormalised, then calibrated)

so a voice the model hears as sadder than a typical speaker's neutral is moved back by a share
s of that lean. s = 0 is the cold model. Nothing is retrained and the baseline holds 8 numbers
of the model's output besides its log-mel summary.

Protocol (speaker-independent, the 5 RAVDESS actor folds): each clip is predicted by the fold
model that never heard its actor (the CV's out-of-fold probabilities). For each test actor the
baseline is the first two of their neutral clips (path order); those two are not scored; cold
and baseline figures are on the same scored clips. For fold k, r comes from the neutral clips of
the other folds' actors and s is chosen on the other four folds (grid 0..1.5, best mean UAR),
so no figure of fold k was used to choose anything applied to it. The shipped s and r are
fitted on all five folds.

    .venv/bin/python models/train/voice_offset.py --oof models/cv/oof_predictions.json \
        [--probs DIR ...] [--json-out FILE] [--sidecar models/ser_cnn.json]
    .venv/bin/python models/train/voice_offset.py --oof models/cv/oof_predictions.json \
        --fit-folds 2,3,4,5 --sidecar models/cv/fold1.json
    .venv/bin/python models/train/voice_offset.py --fold-model models/cv/fold1.onnx 1
"""

import argparse
import copy
import json
import os
import sys
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import LABEL_INDEX, LABELS  # noqa: E402
from metrics import confusion, figures, mean_std  # noqa: E402

NEUTRAL = LABEL_INDEX["neutral"]
BASELINE_CLIPS = 2
GRID = np.round(np.arange(0.0, 1.51, 0.05), 2)


def actor_of(path):
    return path.split("/")[1]


class Oof:
    """Out-of-fold log-probabilities, with each actor's baseline clips set apart."""

    def __init__(self, paths, folds, labels, probs):
        self.paths = list(paths)
        self.folds = np.asarray(folds)
        self.labels = np.asarray(labels)
        self.logp = np.log(np.maximum(np.asarray(probs, np.float64), 1e-30))
        by_actor = defaultdict(list)
        for i, p in enumerate(self.paths):
            by_actor[actor_of(p)].append(i)
        self.baseline_of = {}  # actor -> indices of its baseline clips
        self.scored = np.ones(len(self.paths), bool)
        for actor, idx in by_actor.items():
            neutral = sorted((i for i in idx if self.labels[i] == NEUTRAL), key=lambda i: self.paths[i])
            chosen = neutral[:BASELINE_CLIPS]
            self.baseline_of[actor] = chosen
            self.scored[chosen] = False
        self.actor = np.array([actor_of(p) for p in self.paths])
        self.reference_labels = [NEUTRAL]

    def with_baseline(self, baseline_of, scored, reference_labels=(NEUTRAL,)):
        """The same predictions with other baseline clips per actor, other scored clips, and r
        from clips of `reference_labels` (what b's clips are) instead of the neutral ones."""
        other = copy.copy(self)
        other.baseline_of, other.scored, other.reference_labels = baseline_of, scored, list(reference_labels)
        return other

    def reference(self, folds):
        """Mean log-probabilities of every neutral clip (or of `reference_labels`) of these folds' actors."""
        m = np.isin(self.folds, list(folds)) & np.isin(self.labels, self.reference_labels)
        return self.logp[m].mean(axis=0)

    def offsets(self, idx, r):
        """Each clip's speaker lean b - r, from its actor's baseline clips."""
        out = np.zeros((len(idx), len(LABELS)))
        for j, i in enumerate(idx):
            b = self.logp[self.baseline_of[self.actor[i]]].mean(axis=0)
            out[j] = b - r
        return out

    def predict(self, idx, r, s):
        return (self.logp[idx] - s * self.offsets(idx, r)).argmax(axis=1)

    def adjusted_probs(self, idx, r, s):
        z = self.logp[idx] - s * self.offsets(idx, r)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def scored_in(self, folds):
        return np.nonzero(np.isin(self.folds, list(folds)) & self.scored)[0]


def choose_strength(oof, folds):
    """The s with the best mean UAR over `folds`, each fold with r from the others in `folds`."""
    best = (-1.0, 0.0)
    for s in GRID:
        uars = []
        for k in folds:
            r = oof.reference([f for f in folds if f != k])
            idx = oof.scored_in([k])
            uars.append(figures(confusion(oof.labels[idx], oof.predict(idx, r, s)))["uar"])
        best = max(best, (float(np.mean(uars)), -float(s)))  # ties: the smaller s
    return -best[1]


def evaluate(oof, temperature=None):
    folds = sorted(set(int(k) for k in oof.folds))
    per_fold = {"cold": [], "baseline": []}
    cm_total = {"cold": 0, "baseline": 0}
    cold_probs, base_probs, all_labels = [], [], []
    for k in folds:
        others = [f for f in folds if f != k]
        s = choose_strength(oof, others)
        r = oof.reference(others)
        idx = oof.scored_in([k])
        y = oof.labels[idx]
        for mode, pred in (("cold", oof.logp[idx].argmax(axis=1)), ("baseline", oof.predict(idx, r, s))):
            cm = confusion(y, pred)
            cm_total[mode] = cm_total[mode] + cm
            f = figures(cm)
            f.update(fold=k, strength=s if mode == "baseline" else 0.0, confusion=cm.tolist())
            per_fold[mode].append(f)
        cold_probs.append(np.exp(oof.logp[idx]))
        base_probs.append(oof.adjusted_probs(idx, r, s))
        all_labels.append(y)
    summary = {}
    for mode in ("cold", "baseline"):
        summary[mode] = {key: mean_std([f[key] for f in per_fold[mode]]) for key in ("accuracy", "uar", "macro_f1")}
        summary[mode]["per_class_recall"] = {
            c: float(np.mean([f["per_class"][c]["recall"] for f in per_fold[mode]])) for c in LABELS}
        summary[mode]["confusion"] = np.asarray(cm_total[mode]).tolist()
    result = {"per_fold": per_fold, "summary": summary,
              "scored_clips": int(sum(f["n"] for f in per_fold["cold"]))}
    if temperature is not None:
        from calibrate import ece, scale
        y = np.concatenate(all_labels)
        cold = scale(np.concatenate(cold_probs), temperature)
        base = scale(np.concatenate(base_probs), temperature)
        result["ece_with_cold_temperature"] = {"cold": round(ece(cold, y), 4), "baseline": round(ece(base, y), 4)}
    return result


def fold_model_check(onnx_path, sidecar_path, fold, features):
    """A fold model's cold and baseline figures on its own test actors, with the s and r its
    sidecar holds: what `ser eval --baseline-from neutral` must reproduce (tests/eval_fold.rs).
    Written into the sidecar as `voice_baseline_eval`."""
    import onnxruntime as ort
    from data import Export, fold_test_actors, ravdess_speaker
    export = Export(features, mmap=True)
    with open(sidecar_path) as f:
        side = json.load(f)
    fit = side["voice_baseline"]
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    te = export.select([ravdess_speaker(a) for a in fold_test_actors(fold)], originals_only=True)
    probs = [session.run(None, {name: export.frames(i).T[None].astype(np.float32)})[0][0] for i in te]
    oof = Oof(export.path[te], np.full(len(te), fold), export.label[te], probs)
    idx = oof.scored_in([fold])
    y = oof.labels[idx]
    r = np.asarray(fit["neutral_log_probs"])
    out = {"scored_clips": int(len(idx))}
    for mode, pred in (("cold", oof.logp[idx].argmax(axis=1)), ("baseline", oof.predict(idx, r, fit["strength"]))):
        f = figures(confusion(y, pred))
        out[mode] = {k: round(f[k], 6) for k in ("accuracy", "uar", "macro_f1")}
    print(f"{onnx_path} on fold {fold}:", out)
    side["voice_baseline_eval"] = out
    with open(sidecar_path, "w") as f:
        json.dump(side, f, indent=2)
        f.write("\n")


def load(args):
    runs = []
    if args.oof:
        with open(args.oof) as f:
            d = json.load(f)
        c = d["clips"]
        runs.append(("oof", Oof([x["path"] for x in c], [x["fold"] for x in c], [x["label"] for x in c],
                                [x["probabilities"] for x in c])))
    for prob_dir in args.probs or []:
        from calibrate import load_oof
        from data import Export
        export = Export(args.features, mmap=True)
        probs, labels, folds, paths = load_oof(prob_dir, export)
        runs.append((os.path.basename(os.path.normpath(prob_dir)), Oof(paths, folds, labels, probs)))
    return runs


def line(name, r):
    s = r["summary"]
    fmt = lambda m, k: f"{s[m][k]['mean']:.3f}"  # noqa: E731
    strengths = ", ".join(f"{f['strength']:.2f}" for f in r["per_fold"]["baseline"])
    return (f"{name}: {r['scored_clips']} scored clips | cold acc {fmt('cold', 'accuracy')} UAR {fmt('cold', 'uar')} "
            f"F1 {fmt('cold', 'macro_f1')} | baseline acc {fmt('baseline', 'accuracy')} UAR {fmt('baseline', 'uar')} "
            f"F1 {fmt('baseline', 'macro_f1')} | s per fold {strengths}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--oof", help="out-of-fold predictions JSON (calibrate.py --oof-out)")
    ap.add_argument("--probs", action="append", help="a CV run's folder of fold{k}_test_probs.npy (repeatable)")
    ap.add_argument("--features", default=os.path.join(HERE, "work", "features_logmel_c4_s0"))
    ap.add_argument("--temperature", type=float, help="the cold calibration temperature, for the ECE check")
    ap.add_argument("--json-out")
    ap.add_argument("--sidecar", help="write the fitted s and r (from the first run) into this sidecar")
    ap.add_argument("--fit-folds", default="1,2,3,4,5",
                    help="folds s and r are fitted on (a fold model's sidecar: the other four)")
    ap.add_argument("--fold-model", nargs=2, metavar=("ONNX", "FOLD"),
                    help="only check a fold model against its sidecar's fit (see fold_model_check)")
    a = ap.parse_args()
    if a.fold_model:
        onnx_path, fold = a.fold_model
        fold_model_check(onnx_path, os.path.splitext(onnx_path)[0] + ".json", int(fold), a.features)
        return
    runs = load(a)
    results = {}
    for name, oof in runs:
        results[name] = evaluate(oof, a.temperature)
        print(line(name, results[name]))
        if "ece_with_cold_temperature" in results[name]:
            print("  ECE with the cold temperature:", results[name]["ece_with_cold_temperature"])
    name, oof = runs[0]
    folds = [int(k) for k in a.fit_folds.split(",")]
    fitted = {"strength": choose_strength(oof, folds),
              "neutral_log_probs": [round(float(v), 5) for v in oof.reference(folds)],
              "fitted_on": f"{name}: out-of-fold predictions of folds {a.fit_folds}"}
    print("fitted on all folds:", fitted)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"runs": results, "fitted": fitted}, f, indent=1)
            f.write("\n")
    if a.sidecar:
        with open(a.sidecar) as f:
            side = json.load(f)
        side["voice_baseline"] = {"strength": fitted["strength"], "neutral_log_probs": fitted["neutral_log_probs"]}
        with open(a.sidecar, "w") as f:
            json.dump(side, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
