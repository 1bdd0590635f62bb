"""Experiment (issue 12): speaker-level normalisation from a personal baseline.

A *baseline* is the per-row mean (and spread) of one speaker's neutral speech frames (the
trimmed clips the Rust core exports, so silence does not count). With a baseline, a member
standardises its input with the speaker's neutral statistics instead of the training set's;
without one ("cold") it uses the training set's, exactly as today. During training each item
gets a baseline drawn from two other neutral clips of its own speaker, and with probability
`--p-cold` the training set's statistics instead, so the cold path stays trained.

Mode `embed` (session 17) compares in the network's own embedding space instead: the input is
standardised as today, and with a baseline the logits gain a learnt term `D (e - e_ref)`, where
`e` is the clip's pooled features and `e_ref` the mean pooled features of the two baseline clips
under the same network (stop-gradient in training, refreshed a few times per epoch from a cache
of each training speaker's neutral clips). `D` starts at zero; cold items (`--p-cold`) leave it
out, so the head alone is the cold model. Unlike the shift of `voice_offset.py`, fitted after
training, the body here learns features whose difference from the speaker's neutral voice
carries the emotion.

Every run also reports the cold predictions with `voice_offset.py`'s shift (s and r nested on
the other four folds), the shipped design, so a trained design is compared with it on the same
clips.

Protocol (speaker-independent, the 5 RAVDESS actor folds of data.py): for each test actor the
baseline comes from the first two of their neutral clips (path order); those two are not
scored. Cold and baseline figures are computed on the same scored clips.

CV only: nothing in models/ is touched. Results: work/exp_NAME/ (baseline_results.json, a log,
and each fold's cold and baseline test probabilities).

    .venv/bin/python models/train/baseline_exp.py --name bl_mean --mode mean
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from data import (  # noqa: E402
    LABEL_INDEX,
    LABELS,
    Export,
    fold_test_actors,
    fold_val_actors,
    make_batches,
    ravdess_speaker,
    sampling_weights,
    spec_augment,
)
from metrics import confusion, figures, mean_std  # noqa: E402
from model import SerCnn  # noqa: E402

NEUTRAL = LABEL_INDEX["neutral"]


def log(msg, fh=None):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if fh is not None:
        fh.write(line + "\n")
        fh.flush()


class Baselines:
    """Per-clip frame sums of the original clips, so the statistics of any set of clips (a
    baseline) are cheap to form."""

    def __init__(self, export):
        self.export = export
        n, f = len(export.items), export.n_features
        self.count = np.zeros(n, np.float64)
        self.sum = np.zeros((n, f), np.float64)
        self.sumsq = np.zeros((n, f), np.float64)
        originals = np.nonzero(export.copy == 0)[0]
        for i in originals:
            x = export.frames(i).astype(np.float64)
            self.count[i] = len(x)
            self.sum[i] = x.sum(0)
            self.sumsq[i] = (x * x).sum(0)
        self.original_of = {}  # path -> index of its original (copy 0)
        for i in originals:
            self.original_of[export.path[i]] = i
        self.neutral = {}  # speaker -> original neutral clips, path order
        for i in sorted(originals, key=lambda i: export.path[i]):
            if export.label[i] == NEUTRAL:
                self.neutral.setdefault(export.speaker[i], []).append(i)

    def stats(self, clips):
        c = self.count[clips].sum()
        mean = self.sum[clips].sum(0) / c
        var = np.maximum(self.sumsq[clips].sum(0) / c - mean * mean, 1e-12)
        return mean.astype(np.float32), np.sqrt(var).astype(np.float32)

    def protocol_split(self, speaker):
        """The test protocol: the first two neutral clips make the baseline, the rest is scored."""
        return self.neutral[speaker][:2]


def norm_for(mode, b_mean, b_std, g_mean, g_std):
    """The (mean, std) a member standardises with, given a baseline ("concat": the baseline's
    mean itself, shown to the network beside the clip, which is standardised globally)."""
    if mode == "concat":
        return b_mean, g_std
    if mode == "none":
        return g_mean, g_std
    if mode == "mean":
        return b_mean, g_std
    if mode == "pitch":
        # The clip's F0 relative to the speaker: every voiced frame's semitones moved by how far
        # this speaker's neutral F0 lies from the training speakers' average neutral F0.
        voiced, semitones = PITCH["row"] - 1, PITCH["row"]
        offset = b_mean[semitones] / b_mean[voiced] - PITCH["ref"] if b_mean[voiced] > 0.01 else 0.0
        return (g_mean, float(offset)), g_std
    if mode == "meanstd":
        # a spread from a few seconds can be small in quiet bands: never below half the global one
        return b_mean, np.maximum(b_std, 0.5 * g_std)
    raise ValueError(mode)


CONCAT = {"g_mean": None, "g_std": None}  # set per member in concat mode
# pitch mode (a logmel_prosody export): the semitones row, and the training speakers' mean
# neutral F0 in semitones; a "mean" is then (the global mean, the item's F0 offset).
PITCH = {"row": None, "ref": 0.0}


def cold_norm(g_mean, g_std):
    return ((g_mean, 0.0) if PITCH["row"] is not None else g_mean), g_std


def standardise(frames, mean, std):
    """[F, T] network input. concat: the clip standardised globally, then F rows holding the
    baseline's mean standardised the same way (zeros when cold), constant over time."""
    if PITCH["row"] is not None:
        mean, offset = mean
        frames = np.array(frames, np.float32)
        frames[:, PITCH["row"]] -= offset * frames[:, PITCH["row"] - 1]
    if CONCAT["g_mean"] is None:
        return ((frames - mean) / std).T
    g_mean, g_std = CONCAT["g_mean"], CONCAT["g_std"]
    clip = ((frames - g_mean) / g_std).T
    base = np.repeat(((mean - g_mean) / g_std)[:, None], len(frames), axis=1)
    return np.concatenate([clip, base], axis=0)


def build_batch(export, idx, window, rng, means, stds):
    lens = np.minimum(export.lengths[idx], window)
    L = int(lens.max())
    rows = export.n_features * (2 if CONCAT["g_mean"] is not None else 1)
    x = np.zeros((len(idx), rows, L), np.float32)
    for j, i in enumerate(idx):
        T = export.lengths[i]
        n = lens[j]
        start = rng.integers(0, T - n + 1)
        crop = export.frames(i)[start:start + n]
        x[j, :, :n] = standardise(crop, means[j], stds[j])
    return x, lens


@torch.no_grad()
def predict(model, export, idx, means, stds):
    model.eval()
    out = np.zeros((len(idx), len(LABELS)), np.float32)
    for j, i in enumerate(idx):
        z = standardise(np.asarray(export.frames(i)), means[j], stds[j])
        out[j] = torch.softmax(model.logits_normalized(torch.from_numpy(np.ascontiguousarray(z))[None]), 1)[0].numpy()
    return out


def eval_sets(export, bl, speakers, g_mean, g_std, mode):
    """Scored clips of `speakers` and their cold and baseline normalisations."""
    scored, cold_m, cold_s, base_m, base_s = [], [], [], [], []
    for s in speakers:
        held = bl.protocol_split(s)
        b_mean, b_std = bl.stats(held)
        m, sd = norm_for(mode, b_mean, b_std, g_mean, g_std)
        for i in export.select([s], originals_only=True):
            if i in held:
                continue
            scored.append(i)
            cm_, cs_ = cold_norm(g_mean, g_std)
            cold_m.append(cm_)
            cold_s.append(cs_)
            base_m.append(m)
            base_s.append(sd)
    return np.array(scored), (cold_m, cold_s), (base_m, base_s)


def schedule(a, export, tr, model):
    """Sampling weights, originals per epoch, steps per epoch, AdamW and its one-cycle schedule."""
    share = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in a.corpus_share.split(",")}
    weights = sampling_weights(export.corpus[tr], export.label[tr], share)
    n_originals = int((export.copy[tr] == 0).sum())
    steps = (n_originals + a.batch - 1) // a.batch
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * steps + 16, pct_start=0.2)
    return weights, n_originals, steps, opt, sched


def augment_and_mix(x, lens, rng, alpha):
    """SpecAugment, then mixup within the batch: the mixed batch, its lengths, the share and
    the partner of each item."""
    x = spec_augment(x, lens, rng)
    lam = float(rng.beta(alpha, alpha))
    perm = rng.permutation(len(x))
    x = lam * x + (1.0 - lam) * x[perm]
    return x, np.maximum(lens, lens[perm]), lam, perm


def update(loss, opt, sched, model, ema, decay):
    """One optimiser step, then the exported weights' moving average."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    with torch.no_grad():
        for e, v in zip(ema.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(decay).add_(v, alpha=1.0 - decay)
            else:
                e.copy_(v)


class EmbedDelta(nn.Module):
    """A member and the learnt baseline term: logits = head(e) + on * D (e - e_ref)."""

    def __init__(self, net, dim):
        super().__init__()
        self.net = net
        self.delta = nn.Linear(dim, len(LABELS))
        nn.init.zeros_(self.delta.weight)
        nn.init.zeros_(self.delta.bias)

    def logits(self, z, lengths=None, ref=None, on=None):
        e = self.net.embed(z, lengths)
        out = self.net.head(self.net.dropout(e))
        if ref is None:
            return out
        return out + on[:, None] * self.delta(e - ref)


def center_crop(frames, window):
    T = len(frames)
    if T <= window:
        return frames
    start = (T - window) // 2
    return frames[start:start + window]


@torch.no_grad()
def embeddings(net, export, idx, g_mean, g_std, window=None):
    """Pooled features of whole clips (a centre crop of `window` frames in training), eval mode."""
    was = net.training
    net.eval()
    out = []
    for i in idx:
        frames = np.asarray(export.frames(i))
        if window:
            frames = center_crop(frames, window)
        z = standardise(frames, g_mean, g_std)
        out.append(net.embed(torch.from_numpy(np.ascontiguousarray(z))[None])[0])
    net.train(was)
    return torch.stack(out) if out else torch.zeros(0)


@torch.no_grad()
def predict_embed(model, export, idx, g_mean, g_std, refs):
    """Probabilities of `idx`; refs: one reference embedding per clip, or None (cold)."""
    model.eval()
    out = np.zeros((len(idx), len(LABELS)), np.float32)
    for j, i in enumerate(idx):
        z = torch.from_numpy(np.ascontiguousarray(standardise(np.asarray(export.frames(i)), g_mean, g_std)))[None]
        if refs is None:
            logits = model.logits(z)
        else:
            logits = model.logits(z, ref=refs[j][None], on=torch.ones(1))
        out[j] = torch.softmax(logits, 1)[0].numpy()
    return out


def embed_eval(model, export, bl, speakers, g_mean, g_std):
    """Scored clips of `speakers`, and their cold and baseline probabilities."""
    scored, refs = [], []
    for s in speakers:
        held = bl.protocol_split(s)
        ref = embeddings(model.net, export, held, g_mean, g_std).mean(0)
        for i in export.select([s], originals_only=True):
            if i not in held:
                scored.append(i)
                refs.append(ref)
    scored = np.array(scored)
    return scored, predict_embed(model, export, scored, g_mean, g_std, None), \
        predict_embed(model, export, scored, g_mean, g_std, refs)


def train_embed(job, a, export, bl, tr, g_mean, g_std, rng, logfh):
    widths = tuple(int(w) for w in a.widths.split(","))

    def make():
        net = SerCnn(widths=widths, dropout=a.dropout, cmn=job["variant"] == "cmn", stride1=a.stride1,
                     stats_pool=True, n_in=export.n_features)
        return EmbedDelta(net, 2 * widths[-1])

    model, ema = make(), make()
    ema.load_state_dict(model.state_dict())
    ema.eval()
    weights, n_originals, steps, opt, sched = schedule(a, export, tr, model)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    # each training speaker's neutral clips whose embeddings are cached (at most --ref-cap)
    train_speakers = sorted(set(export.speaker[tr]))
    cache_clips = {}
    for s in train_speakers:
        clips = bl.neutral.get(s, [])
        if len(clips) > a.ref_cap:
            clips = sorted(rng.choice(clips, size=a.ref_cap, replace=False).tolist())
        cache_clips[s] = list(clips)
    flat = [c for s in train_speakers for c in cache_clips[s]]
    refresh_every = max(1, steps // a.refresh)
    best = (-1.0, -1, None)
    t0 = time.time()
    for epoch in range(1, a.epochs + 1):
        model.train()
        batches = make_batches(export.lengths[tr], n_originals, a.batch, rng, weights, a.window)
        for step, b in enumerate(batches):
            if step % refresh_every == 0:
                cache = dict(zip(flat, embeddings(model.net, export, flat, g_mean, g_std, a.window)))
            idx = tr[b]
            refs = torch.zeros(len(idx), 2 * widths[-1])
            on = torch.zeros(len(idx))
            for j, i in enumerate(idx):
                own = bl.original_of[export.path[i]]
                pool = [c for c in cache_clips.get(export.speaker[i], []) if c != own]
                if len(pool) >= 2 and rng.random() >= a.p_cold:
                    pick = rng.choice(pool, size=2, replace=False)
                    refs[j] = 0.5 * (cache[pick[0]] + cache[pick[1]])
                    on[j] = 1.0
            x, lens = build_batch(export, idx, a.window, rng, [g_mean] * len(idx), [g_std] * len(idx))
            x, lens, lam, perm = augment_and_mix(x, lens, rng, a.mixup)
            y = torch.from_numpy(export.label[idx])
            tperm = torch.from_numpy(perm)
            ref_mix = lam * refs + (1.0 - lam) * refs[tperm]
            on_mix = on * on[tperm]
            logits = model.logits(torch.from_numpy(x), torch.from_numpy(lens), ref_mix, on_mix)
            loss = lam * loss_fn(logits, y) + (1.0 - lam) * loss_fn(logits, y[tperm])
            update(loss, opt, sched, model, ema, a.ema)
        va, p_cold, p_base = embed_eval(ema, export, bl, job["val"], g_mean, g_std)
        uar_c = figures(confusion(export.label[va], p_cold.argmax(1)))["uar"]
        uar_b = figures(confusion(export.label[va], p_base.argmax(1)))["uar"]
        score = 0.5 * (uar_c + uar_b)
        if epoch >= min(8, a.epochs) and score > best[0]:
            best = (score, epoch, {k: v.clone() for k, v in ema.state_dict().items()})
        log(f"{job['tag']} epoch {epoch:2d}: val UAR cold {uar_c:.3f} baseline {uar_b:.3f} ({time.time() - t0:.0f}s)",
            logfh)
    model.load_state_dict(best[2])
    te, p_cold, p_base = embed_eval(model, export, bl, job["test"], g_mean, g_std)
    every = export.select(job["test"], originals_only=True)
    out = {"cold": p_cold, "baseline": p_base, "test_idx": te, "best_epoch": best[1], "val_score": best[0],
           "every_idx": every, "every_cold": predict_embed(model, export, every, g_mean, g_std, None)}
    np.savez(job["out_path"], **out)
    log(f"{job['tag']}: selected epoch {best[1]} (val {best[0]:.3f}), {time.time() - t0:.0f}s", logfh)


def train_member(job):
    torch.set_num_threads(1)
    a = argparse.Namespace(**job["args"])
    export = Export(job["feat_dir"], mmap=True)
    bl = Baselines(export)
    seed = job["seed"]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tr = export.select(job["train"])
    g_mean, g_std = export.norm_stats(tr)
    if a.mode == "embed":
        with open(job["log_path"], "w") as logfh:
            train_embed(job, a, export, bl, tr, g_mean, g_std, rng, logfh)
        return
    n_in = export.n_features
    if a.mode == "concat":
        CONCAT.update(g_mean=g_mean, g_std=g_std)
        n_in *= 2
    if a.mode == "pitch":
        assert job["feature"] == "logmel_prosody", "pitch mode reads the prosody rows"
        PITCH["row"] = export.n_features - 3  # rows: 64 log-mel, voiced, semitones, aperiodicity, loudness
        refs = []
        for s in sorted(set(export.speaker[tr])):
            clips = bl.neutral.get(s, [])
            if clips:
                m, _ = bl.stats(clips)
                refs.append(m[PITCH["row"]] / max(m[PITCH["row"] - 1], 1e-6))
        PITCH["ref"] = float(np.mean(refs))
    model = SerCnn(widths=tuple(int(w) for w in a.widths.split(",")), dropout=a.dropout, cmn=job["variant"] == "cmn",
                   stride1=a.stride1, stats_pool=True, n_in=n_in)
    ema = SerCnn(widths=tuple(int(w) for w in a.widths.split(",")), dropout=a.dropout, cmn=job["variant"] == "cmn",
                 stride1=a.stride1, stats_pool=True, n_in=n_in)
    ema.load_state_dict(model.state_dict())
    ema.eval()
    weights, n_originals, steps, opt, sched = schedule(a, export, tr, model)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    va, va_cold, va_base = eval_sets(export, bl, job["val"], g_mean, g_std, a.mode)
    best = (-1.0, -1, None)
    t0 = time.time()
    logfh = open(job["log_path"], "w")
    for epoch in range(1, a.epochs + 1):
        model.train()
        batches = make_batches(export.lengths[tr], n_originals, a.batch, rng, weights, a.window)
        for b in batches:
            idx = tr[b]
            means, stds = [], []
            for i in idx:
                s = export.speaker[i]
                own = bl.original_of[export.path[i]]
                pool = [c for c in bl.neutral.get(s, []) if c != own]
                if a.mode == "none" or rng.random() < a.p_cold or len(pool) < 2:
                    m, sd = cold_norm(g_mean, g_std)
                    means.append(m)
                    stds.append(sd)
                else:
                    pick = rng.choice(pool, size=2, replace=False)
                    m, sd = norm_for(a.mode, *bl.stats(pick), g_mean, g_std)
                    means.append(m)
                    stds.append(sd)
            x, lens = build_batch(export, idx, a.window, rng, means, stds)
            x, lens, lam, perm = augment_and_mix(x, lens, rng, a.mixup)
            y = torch.from_numpy(export.label[idx])
            logits = model.logits_normalized(torch.from_numpy(x), torch.from_numpy(lens))
            loss = lam * loss_fn(logits, y) + (1.0 - lam) * loss_fn(logits, y[torch.from_numpy(perm)])
            update(loss, opt, sched, model, ema, a.ema)
        uar_c = figures(confusion(export.label[va], predict(ema, export, va, *va_cold).argmax(1)))["uar"]
        uar_b = figures(confusion(export.label[va], predict(ema, export, va, *va_base).argmax(1)))["uar"]
        score = uar_c if a.mode == "none" else 0.5 * (uar_c + uar_b)
        if epoch >= min(8, a.epochs) and score > best[0]:
            best = (score, epoch, {k: v.clone() for k, v in ema.state_dict().items()})
        log(f"{job['tag']} epoch {epoch:2d}: val UAR cold {uar_c:.3f} baseline {uar_b:.3f} ({time.time() - t0:.0f}s)",
            logfh)
    model.load_state_dict(best[2])
    te, te_cold, te_base = eval_sets(export, bl, job["test"], g_mean, g_std, a.mode)
    every = export.select(job["test"], originals_only=True)
    cold_m, cold_s = cold_norm(g_mean, g_std)
    out = {"cold": predict(model, export, te, *te_cold), "baseline": predict(model, export, te, *te_base),
           "test_idx": te, "best_epoch": best[1], "val_score": best[0], "every_idx": every,
           "every_cold": predict(model, export, every, [cold_m] * len(every), [cold_s] * len(every))}
    np.savez(job["out_path"], **out)
    log(f"{job['tag']}: selected epoch {best[1]} (val {best[0]:.3f}), {time.time() - t0:.0f}s", logfh)


def run_jobs(jobs, workers):
    pending = list(jobs)
    running = []
    while pending or running:
        while pending and len(running) < workers:
            job = pending.pop(0)
            with open(job["spec"], "w") as f:
                json.dump(job, f)
            running.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), "--job", job["spec"]]))
        time.sleep(1.0)
        for p in list(running):
            if p.poll() is not None:
                running.remove(p)
                if p.returncode != 0:
                    raise SystemExit(f"a training job failed ({p.returncode})")


def summarise(res):
    return {k: mean_std([r[k] for r in res]) for k in ("accuracy", "uar", "macro_f1")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--mode", choices=["none", "mean", "meanstd", "concat", "pitch", "embed"], default="mean")
    ap.add_argument("--p-cold", type=float, default=0.3, help="share of training items normalised cold")
    ap.add_argument("--ref-cap", type=int, default=40, help="embed: cached neutral clips per training speaker")
    ap.add_argument("--refresh", type=int, default=4, help="embed: cache refreshes per epoch")
    ap.add_argument("--members", default="mfcc:plain,logmel:plain")
    ap.add_argument("--folds", default="1,2,3,4,5")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--window", type=int, default=300)
    ap.add_argument("--widths", default="64,128,128,192")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--stride1", type=int, default=2)
    ap.add_argument("--ema", type=float, default=0.997)
    ap.add_argument("--mixup", type=float, default=0.2)
    ap.add_argument("--corpus-share", default="ravdess=0.5,tess=0.25,savee=0.25")
    a = ap.parse_args()
    out_dir = os.path.join(a.work, "exp_" + a.name)
    os.makedirs(out_dir, exist_ok=True)
    members = [m.split(":") for m in a.members.split(",")]
    feat_dirs = {f: os.path.join(a.work, f"features_{f}_c4_s0") for f, _ in members}
    ref = Export(feat_dirs[members[0][0]], mmap=True)
    speakers = sorted(set(ref.speaker))
    folds = [int(k) for k in a.folds.split(",")]
    jobs = []
    for k in folds:
        test = [ravdess_speaker(x) for x in fold_test_actors(k)]
        val = [ravdess_speaker(x) for x in fold_val_actors(k)]
        train = [s for s in speakers if s not in test and s not in val]
        for n, (feature, variant) in enumerate(members):
            n_in_feature = sum(1 for f, _ in members[:n] if f == feature)
            stem = os.path.join(out_dir, f"fold{k}_m{n}")
            jobs.append({"tag": f"fold {k} m{n} {feature}:{variant}", "fold": k, "test": test, "val": val,
                         "train": train, "feature": feature, "variant": variant, "feat_dir": feat_dirs[feature],
                         "seed": a.seed * 1000 + k * 10 + n_in_feature, "args": vars(a), "spec": stem + ".json",
                         "log_path": stem + ".log", "out_path": stem + ".npz"})
    t0 = time.time()
    logfh = open(os.path.join(out_dir, "log.txt"), "w")
    log(f"baseline experiment {a.name}: {vars(a)}", logfh)
    run_jobs(jobs, a.workers)
    results = {"cold": [], "baseline": []}
    members_alone = []
    for k in folds:
        parts = [np.load(j["out_path"]) for j in jobs if j["fold"] == k]
        te = parts[0]["test_idx"]
        y = ref.label[te]
        for mode in ("cold", "baseline"):
            p = np.mean([q[mode] for q in parts], axis=0)
            np.save(os.path.join(out_dir, f"fold{k}_{mode}_probs.npy"), p)
            cm = confusion(y, p.argmax(1))
            fig = figures(cm)
            results[mode].append({"fold": k, **fig, "confusion": cm.tolist()})
            log(f"fold {k} {mode:8s} ({len(te)} scored clips): accuracy {fig['accuracy']:.4f} UAR {fig['uar']:.4f} "
                f"macro-F1 {fig['macro_f1']:.4f}", logfh)
            for n, q in enumerate(parts):
                f1 = figures(confusion(y, q[mode].argmax(1)))
                members_alone.append({"fold": k, "member": n, "mode": mode, "accuracy": f1["accuracy"]})
                log(f"  member {n} alone: accuracy {f1['accuracy']:.4f}", logfh)
        np.save(os.path.join(out_dir, f"fold{k}_labels.npy"), y)
    # the shipped design on the same run: voice_offset.py's shift of the cold predictions,
    # s and r nested on the other four folds
    from voice_offset import Oof, evaluate
    paths, fold_of, labels, probs = [], [], [], []
    for k in folds:
        parts = [np.load(j["out_path"]) for j in jobs if j["fold"] == k]
        every = parts[0]["every_idx"]
        p = np.mean([q["every_cold"] for q in parts], axis=0)
        paths += [ref.path[i] for i in every]
        fold_of += [k] * len(every)
        labels += [int(ref.label[i]) for i in every]
        probs.append(p)
    shifted = evaluate(Oof(paths, fold_of, labels, np.concatenate(probs)))
    results["cold_shift"] = [{"fold": f["fold"], **{k: f[k] for k in ("accuracy", "uar", "macro_f1")},
                              "per_class": f["per_class"], "confusion": f["confusion"], "strength": f["strength"]}
                             for f in shifted["per_fold"]["baseline"]]
    summary = {mode: summarise(results[mode]) for mode in results}
    for mode in results:
        summed = np.sum([r["confusion"] for r in results[mode]], axis=0)
        pooled = figures(summed)
        log(f"{mode:8s} mean over folds: " + ", ".join(f"{k} {v['mean']:.4f} ± {v['std']:.4f}"
                                                      for k, v in summary[mode].items()), logfh)
        log("  per-class recall (pooled): " + " ".join(f"{lab} {pooled['per_class'][lab]['recall']:.2f}"
                                                        for lab in LABELS), logfh)
        for row in summed:
            log("    " + " ".join(f"{v:4d}" for v in row), logfh)
    with open(os.path.join(out_dir, "baseline_results.json"), "w") as f:
        json.dump({"args": vars(a), "summary": summary, "folds": results, "members_alone": members_alone}, f,
                  indent=1)
    log(f"wall time {time.time() - t0:.0f}s", logfh)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        with open(sys.argv[2]) as f:
            train_member(json.load(f))
    else:
        main()
