"""Your voice (issue 12), session 21: does the shipped baseline shift leave anything on the table?

Three questions, each on the committed out-of-fold predictions (or a CV run's, `--probs DIR`)
with the protocol of voice_offset.py (first two neutral clips of each test actor make the
baseline and are not scored; `s` and everything fitted chosen on the other four folds):

  --mode clips     Is the lean b too noisy from two clips? b from the first two neutral clips
                   against b from all four; all four neutral clips are left out of scoring in
                   both, so the scored clips are the same (RAVDESS's seven other emotions, 32
                   clips each per fold, so accuracy equals UAR). Also from the four neutral and
                   the eight calm clips.
  --mode prosody   Does the clip's prosody relative to the speaker's baseline add anything to
                   the shift? Per clip: loudness (mean and 95th percentile of the frames' dB
                   energy from the log-mel), its spread, spectral tilt, F0 mean and spread over
                   voiced frames, voiced share, aperiodicity and log duration, each minus the
                   mean of the speaker's two baseline clips, standardised; a per-class linear
                   term on them is added to the shifted log-probabilities, fitted by
                   class-balanced, L2-penalised logistic regression on the four training folds'
                   scored clips (penalty chosen by leave-one-fold-out inside those four).
                   `--prosody DIR` is `ser export --feature prosody` of the RAVDESS rows.
  --mode lean      A full 8 x 8 map of the lean b - r instead of the single share s: the same
                   fit, with the lean as the features (the shift with its nested s stays in
                   the offset, so the map learns only a correction to it).
  --mode input     (one fold model) The lean taken out of the input instead: each clip's
                   log-mel moved by a share of (speaker's baseline band means - training
                   speakers' neutral band means), which only the plain members see (the
                   mean-normalised ones remove any per-band constant), then the shift as
                   shipped, with the fold model's sidecar `s` and `r`.

    .venv/bin/python models/train/voice_extra_exp.py --mode clips
    target/release/ser export --manifest RAVDESS.csv --root ../shared/data --out /tmp/prosody \\
        --feature prosody
    .venv/bin/python models/train/voice_extra_exp.py --mode prosody --prosody /tmp/prosody \\
        [--features-set L,f0]
    .venv/bin/python models/train/voice_extra_exp.py --mode lean
    .venv/bin/python models/train/voice_extra_exp.py --mode input --fold-model models/cv/fold1.onnx 1
"""

import argparse
import json
import os
import sys

import numpy as np
from scipy.optimize import minimize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import voice_offset as vo  # noqa: E402
from data import LABELS, Export, fold_test_actors, ravdess_speaker  # noqa: E402
from metrics import confusion, figures  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FOLDS = [1, 2, 3, 4, 5]
PENALTIES = [1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
PROSODY_FEATURES = ["L", "Lmax", "dyn", "tilt", "f0", "f0sd", "voiced", "aper", "dur"]


def load_oof(args):
    if args.probs:
        from calibrate import load_oof as load_probs
        probs, labels, folds, paths = load_probs(args.probs, Export(args.features, mmap=True))
        return vo.Oof(paths, folds, labels, probs)
    with open(args.oof) as f:
        c = json.load(f)["clips"]
    return vo.Oof([x["path"] for x in c], [x["fold"] for x in c], [x["label"] for x in c],
                  [x["probabilities"] for x in c])


def acc_uar(y, pred):
    f = figures(confusion(y, pred))
    return f["accuracy"], f["uar"]


def mean_pair(rows):
    return tuple(float(np.mean([r[i] for r in rows])) for i in range(2))


# --mode clips ---------------------------------------------------------------------------

def clips_mode(oof):
    n = len(oof.paths)
    neutral = {a: sorted((i for i in range(n) if oof.actor[i] == a and oof.labels[i] == vo.NEUTRAL),
                         key=lambda i: oof.paths[i]) for a in set(oof.actor)}
    calm = {a: [i for i in range(n) if oof.actor[i] == a and oof.labels[i] == LABELS.index("calm")]
            for a in neutral}  # calm clips are scored too, so this row is a diagnostic only
    scored = oof.labels != vo.NEUTRAL

    def run(baseline_of, kinds):
        variant = oof.with_baseline(baseline_of, scored, kinds)
        rows = []
        for k in FOLDS:
            train = [f for f in FOLDS if f != k]
            s = vo.choose_strength(variant, train)
            idx = variant.scored_in([k])
            rows.append(acc_uar(variant.labels[idx], variant.predict(idx, variant.reference(train), s)) + (float(s),))
        return rows

    cold = [acc_uar(oof.labels[(oof.folds == k) & scored], oof.logp[(oof.folds == k) & scored].argmax(1))
            for k in FOLDS]
    print("scored: every clip but the four neutral ones of each actor (%d)" % scored.sum())
    print("cold                               accuracy %.3f UAR %.3f" % mean_pair(cold))
    calm_label = LABELS.index("calm")
    for name, chosen, kinds in (
            ("first two neutral clips (shipped)", {a: v[:2] for a, v in neutral.items()}, [vo.NEUTRAL]),
            ("all four neutral clips", neutral, [vo.NEUTRAL]),
            ("four neutral and eight calm clips", {a: neutral[a] + calm[a] for a in neutral}, [vo.NEUTRAL, calm_label])):
        rows = run(chosen, kinds)
        print("%-34s accuracy %.3f UAR %.3f  s %s" % (name, *mean_pair(rows), [r[2] for r in rows]))


# --mode prosody / lean: a linear term on top of the shift --------------------------------

def fit_term(offset, x, y, penalty):
    """W [features, classes] maximising the class-balanced log-likelihood of offset + x W,
    less penalty * |W|^2."""
    n, k = x.shape
    counts = np.bincount(y, minlength=len(LABELS)).astype(float)
    w_item = (n / (len(LABELS) * np.maximum(counts, 1)))[y]

    def objective(flat):
        w = flat.reshape(k, len(LABELS))
        z = offset + x @ w
        z = z - z.max(1, keepdims=True)
        lse = np.log(np.exp(z).sum(1))
        ll = (w_item * (z[np.arange(n), y] - lse)).sum()
        g = np.exp(z - lse[:, None])
        g[np.arange(n), y] -= 1
        grad = x.T @ (g * w_item[:, None])
        return -ll / n + penalty * (w ** 2).sum(), (grad / n + 2 * penalty * w).ravel()

    return minimize(objective, np.zeros(k * len(LABELS)), jac=True, method="L-BFGS-B").x.reshape(k, len(LABELS))


def term_mode(oof, features_of):
    """features_of(idx, r) -> [len(idx), F]; evaluated nested (s, the scale of the features
    and the penalty all from the training folds)."""

    def fold_run(train, k, penalty=None):
        s = vo.choose_strength(oof, train)
        r = oof.reference(train)
        tr, te = oof.scored_in(train), oof.scored_in([k])
        scale = features_of(tr, r).std(0) + 1e-9
        if penalty is None:
            penalty = max(PENALTIES, key=lambda p: np.mean(
                [fold_run([f for f in train if f != kk], kk, p)["uar"] for kk in train]))
        w = fit_term(oof.logp[tr] - s * oof.offsets(tr, r), features_of(tr, r) / scale, oof.labels[tr], penalty)
        shifted = oof.logp[te] - s * oof.offsets(te, r)
        y = oof.labels[te]
        f = figures(confusion(y, (shifted + (features_of(te, r) / scale) @ w).argmax(1)))
        f.update(penalty=penalty, s=s, cold=acc_uar(y, oof.logp[te].argmax(1)), shift=acc_uar(y, shifted.argmax(1)))
        return f

    rows = [fold_run([f for f in FOLDS if f != k], k) for k in FOLDS]
    for k, f in zip(FOLDS, rows):
        print("fold %d: cold %.3f, shift %.3f, shift + term %.3f (accuracy; penalty %g, s %.2f)"
              % (k, f["cold"][0], f["shift"][0], f["accuracy"], f["penalty"], f["s"]))
    print("%d scored clips: cold accuracy %.3f UAR %.3f | shift %.3f / %.3f | shift + term %.3f / %.3f" % (
        sum(f["n"] for f in rows), *mean_pair([f["cold"] for f in rows]), *mean_pair([f["shift"] for f in rows]),
        np.mean([f["accuracy"] for f in rows]), np.mean([f["uar"] for f in rows])))


def prosody_table(oof, logmel_dir, prosody_dir, names):
    lm, pr = Export(logmel_dir, mmap=True), Export(prosody_dir, mmap=True)
    lm_at = {p: i for i, p in enumerate(lm.path) if lm.copy[i] == 0}
    pr_at = {p: i for i, p in enumerate(pr.path) if pr.copy[i] == 0}
    rows = []
    for path in oof.paths:
        x = lm.frames(lm_at[path]).astype(np.float64)  # [T, 64] floored dB
        energy = 10 * np.log10(np.sum(10 ** (x / 10), axis=1))
        q = pr.frames(pr_at[path]).astype(np.float64)  # voiced, F0 (semitones), aperiodicity, loudness
        voiced = q[:, 0] > 0.5
        f0 = q[voiced, 1] if voiced.sum() > 2 else np.zeros(1)
        d = {"L": energy.mean(), "Lmax": np.percentile(energy, 95), "dyn": energy.std(),
             "tilt": (x[:, 40:].mean(1) - x[:, :20].mean(1)).mean(), "f0": f0.mean(), "f0sd": f0.std(),
             "voiced": voiced.mean(), "aper": q[voiced, 2].mean() if voiced.any() else 0.0, "dur": np.log(len(x))}
        rows.append([d[n] for n in names])
    table = np.array(rows)
    relative = np.zeros_like(table)
    for i in range(len(table)):
        relative[i] = table[i] - table[oof.baseline_of[oof.actor[i]]].mean(0)
    return relative


# --mode input ------------------------------------------------------------------------------

def input_mode(onnx_path, fold, features_dir):
    import onnxruntime as ort
    ex = Export(features_dir, mmap=True)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    te = ex.select([ravdess_speaker(a) for a in fold_test_actors(fold)], originals_only=True)
    train = [ravdess_speaker(a) for a in range(1, 21) if a not in fold_test_actors(fold)]
    ref = np.concatenate([ex.frames(i) for i in ex.select(train, originals_only=True)
                          if ex.label[i] == vo.NEUTRAL]).astype(np.float64).mean(0)
    groups = vo.Oof(ex.path[te], np.full(len(te), fold), ex.label[te], np.full((len(te), len(LABELS)), 1.0))
    with open(os.path.splitext(onnx_path)[0] + ".json") as f:
        fit = json.load(f)["voice_baseline"]
    r, s = np.asarray(fit["neutral_log_probs"]), fit["strength"]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        probs = []
        for j, i in enumerate(te):
            own = np.concatenate([ex.frames(te[q]) for q in groups.baseline_of[groups.actor[j]]]).mean(0)
            x = ex.frames(i).astype(np.float64) - share * (own - ref)
            probs.append(session.run(None, {name: x.T[None].astype(np.float32)})[0][0])
        oof = vo.Oof(ex.path[te], np.full(len(te), fold), ex.label[te], probs)
        idx = oof.scored_in([fold])
        y = oof.labels[idx]
        print("input share %.2f: cold accuracy %.3f UAR %.3f | with the shift (s %.2f) %.3f / %.3f"
              % (share, *acc_uar(y, oof.logp[idx].argmax(1)), s, *acc_uar(y, oof.predict(idx, r, s))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["clips", "prosody", "lean", "input"], required=True)
    ap.add_argument("--oof", default=os.path.join(REPO, "models", "cv", "oof_predictions.json"))
    ap.add_argument("--probs", help="a CV run's folder of fold{k}_test_probs.npy instead of --oof")
    ap.add_argument("--features", default=os.path.join(HERE, "work", "features_logmel_c4_s0"))
    ap.add_argument("--prosody", help="ser export --feature prosody of the RAVDESS clips (--mode prosody)")
    ap.add_argument("--features-set", default=",".join(PROSODY_FEATURES),
                    help="which relative prosody features (--mode prosody): " + ",".join(PROSODY_FEATURES))
    ap.add_argument("--fold-model", nargs=2, metavar=("ONNX", "FOLD"), help="--mode input")
    a = ap.parse_args()
    if a.mode == "input":
        input_mode(a.fold_model[0], int(a.fold_model[1]), a.features)
        return
    oof = load_oof(a)
    if a.mode == "clips":
        clips_mode(oof)
    elif a.mode == "prosody":
        relative = prosody_table(oof, a.features, a.prosody, a.features_set.split(","))
        print("relative prosody:", a.features_set)
        term_mode(oof, lambda idx, r: relative[idx])
    else:
        print("a map of the lean b - r")
        term_mode(oof, lambda idx, r: oof.offsets(idx, r))


if __name__ == "__main__":
    main()
