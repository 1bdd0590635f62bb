"""ser_cnn trainer: feature export through the Rust core, speaker-independent 5-fold CV on
RAVDESS, final model, ONNX + sidecar, reference fixture, figures and results.

One command (from the repository root) does everything; see models/train/README.md:

    .venv/bin/python models/train/train.py

Training features are exported by `target/release/ser export` (never computed in Python), so
the model sees exactly the log-mel and MFCC frames the Rust core computes at inference time.
"""

import argparse
import datetime
import hashlib
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
    FINAL_VAL_ACTORS,
    LABELS,
    N_FOLDS,
    Export,
    FreqWarp,
    PitchShift,
    ThenMfcc,
    build_batch,
    fold_test_actors,
    fold_val_actors,
    make_batches,
    ravdess_speaker,
    sampling_weights,
    spec_augment,
)
from metrics import confusion, figures, mean_std  # noqa: E402
from model import FirstRows, FromLogMel, SerCnn, SerCnn2d, SerEnsemble, count_parameters  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODELS = os.path.join(REPO, "models")
DATA_ROOT = "/work/shared/data"
VERSION = "1.5.0"
LICENCE = (
    "Trained on RAVDESS (CC BY-NC-SA 4.0), TESS (CC BY-NC-ND 4.0) and SAVEE (research use only): "
    "non-commercial use only."
)


def log(msg, fh=None):
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if fh is not None:
        fh.write(line + "\n")
        fh.flush()


# ----------------------------------------------------------------------------- export


def run_export(args, feature):
    out = os.path.join(args.work, f"features_{feature}_c{args.copies}_s{args.export_seed}" + ("_tf" if args.trim_first else ""))
    done = os.path.join(out, "params.json")
    if os.path.exists(done) and not args.reexport:
        log(f"features: reusing {out}")
        return out
    ser = args.ser
    if not os.path.exists(ser):
        log("building the ser binary (cargo build --release)")
        subprocess.run(["cargo", "build", "--release", "--bin", "ser"], cwd=REPO, check=True)
    os.makedirs(out, exist_ok=True)
    cmd = [ser, "export", "--manifest", args.manifest, "--root", args.data_root, "--out", out,
           "--feature", feature, "--copies", str(args.copies), "--seed", str(args.export_seed)]
    if args.trim_first:
        cmd.append("--trim-before-augment")
    log("features: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    return out


# ----------------------------------------------------------------------------- training


@torch.no_grad()
def predict_clips(model, export, idx):
    """Whole-clip protocol: one forward pass per clip over all its frames. Returns [n, 8]."""
    model.eval()
    out = np.zeros((len(idx), len(LABELS)), np.float32)
    for j, i in enumerate(idx):
        x = torch.from_numpy(np.ascontiguousarray(export.frames(i).T))[None]
        out[j] = model(x)[0].numpy()
    return out


def train_model(export, train_speakers, val_speakers, args, seed, logfh, tag, variant="plain", source=None):
    """`source`: the log-mel export of the same items, for an MFCC member whose crops are pitch
    shifted as log-mel frames before their DCT (`--pitch-shift`)."""
    t0 = time.time()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tr = export.select(train_speakers)
    va = export.select(val_speakers, originals_only=True)
    mean, std = export.norm_stats(tr)
    model = make_model(args, variant, export.n_features)
    model.set_norm(mean, std)
    share = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in args.corpus_share.split(",")}
    weights = sampling_weights(export.corpus[tr], export.label[tr], share)
    n_originals = int((export.copy[tr] == 0).sum())
    draws = args.draws if args.draws else n_originals
    steps_per_epoch = (draws + args.batch - 1) // args.batch
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch + 16, pct_start=0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    lengths = export.lengths[tr]
    labels = export.label[tr]
    adversary = SpeakerAdversary.for_model(model, export.speaker[tr], getattr(args, "adv_speaker", 0.0))
    if adversary is not None:
        # its own optimiser: the network's schedule and weight decay stay as without it
        adv_opt = torch.optim.AdamW(adversary.parameters(), lr=args.lr, weight_decay=args.wd)
        total_steps = args.epochs * steps_per_epoch
        step = 0
    best = (-1.0, 0.0, -1, None)
    history = []
    # Optional exponential moving average of the weights (and BatchNorm statistics): the
    # averaged model is what gets validated, selected and exported.
    ema = None
    if args.ema > 0:
        ema = make_model(args, variant, export.n_features)
        ema.load_state_dict(model.state_dict())
        ema.eval()
    # Frequency warping needs the mel axis: VTLP applies to log-mel members only, the pitch
    # shift also to MFCC members, on the log-mel crop (`source`) before its DCT.
    warp = None
    pitch_shift = getattr(args, "pitch_shift", 0.0)
    if (args.vtlp > 0 or pitch_shift > 0) and export.params["feature"] == "logmel":
        assert not (args.vtlp > 0 and pitch_shift > 0), "--vtlp and --pitch-shift are not combined"
        fp = export.params["feature_params"]
        warp = (FreqWarp(args.vtlp, fp["n_mels"], fp["fmax"]) if args.vtlp > 0
                else PitchShift(pitch_shift, fp["n_mels"], fp["fmax"]))
    elif pitch_shift > 0 and export.params["feature"] == "mfcc":
        assert source is not None and source.params["feature"] == "logmel", "an MFCC member's pitch shift reads log-mel"
        fp = source.params["feature_params"]
        warp = ThenMfcc(PitchShift(pitch_shift, fp["n_mels"], fp["fmax"]), export.n_features, fp["n_mels"])
    log(f"{tag}: train items {len(tr)} ({n_originals} originals), val clips {len(va)}, "
        f"{draws} draws/epoch, {args.epochs} epochs", logfh)
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = make_batches(lengths, draws, args.batch, rng, weights, args.window)
        total, correct, loss_sum = 0, 0, 0.0
        for b in batches:
            x, lens = build_batch(export, tr[b], args.window, rng, mean, std, warp, source)
            if args.specaug:
                x = spec_augment(x, lens, rng)
            y = torch.from_numpy(labels[b])
            if args.mixup > 0:
                lam = float(rng.beta(args.mixup, args.mixup))
                perm = rng.permutation(len(b))
                x = lam * x + (1.0 - lam) * x[perm]
                lens = np.maximum(lens, lens[perm])
            else:
                lam, perm = 1.0, np.arange(len(b))
            emb = model.embed(torch.from_numpy(x), torch.from_numpy(lens))
            logits = model.head(model.dropout(emb))
            loss = lam * loss_fn(logits, y) + (1.0 - lam) * loss_fn(logits, y[torch.from_numpy(perm)])
            emotion_loss = float(loss.detach())
            if adversary is not None:
                step += 1
                loss = loss + adversary.loss(emb, b, perm, lam, step / total_steps)
                adv_opt.zero_grad()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if adversary is not None:
                adv_opt.step()
            sched.step()
            if ema is not None:
                with torch.no_grad():
                    for e, v in zip(ema.state_dict().values(), model.state_dict().values()):
                        if e.dtype.is_floating_point:
                            e.mul_(args.ema).add_(v, alpha=1.0 - args.ema)
                        else:
                            e.copy_(v)
            loss_sum += emotion_loss * len(b)
            correct += int((logits.argmax(1) == y).sum())
            total += len(b)
        judged = ema if ema is not None else model
        if len(va) == 0:
            # No validation speakers (--no-val): the last epoch's weights are kept (below).
            history.append({"epoch": epoch, "train_loss": loss_sum / total, "train_acc": correct / total})
            log(f"{tag} epoch {epoch:2d}: train loss {loss_sum / total:.3f} acc {correct / total:.3f} "
                f"({time.time() - t0:.0f}s)", logfh)
            continue
        p = predict_clips(judged, export, va)
        vf = figures(confusion(export.label[va], p.argmax(1)))
        vloss = float(-np.log(np.maximum(p[np.arange(len(va)), export.label[va]], 1e-9)).mean())
        history.append({"epoch": epoch, "train_loss": loss_sum / total, "train_acc": correct / total,
                        "val_uar": vf["uar"], "val_acc": vf["accuracy"], "val_loss": vloss})
        if epoch >= args.min_epoch and (vf["uar"], -vloss) > (best[0], best[1]):
            best = (vf["uar"], -vloss, epoch, {k: v.clone() for k, v in judged.state_dict().items()})
        log(f"{tag} epoch {epoch:2d}: train loss {loss_sum / total:.3f} acc {correct / total:.3f} | "
            f"val loss {vloss:.3f} acc {vf['accuracy']:.3f} UAR {vf['uar']:.3f} "
            f"({time.time() - t0:.0f}s)", logfh)
    if len(va) == 0:
        # No validation figure: None, JSON's null (NaN is not JSON).
        best = (None, 0.0, args.epochs, judged.state_dict())
    model.load_state_dict(best[3])
    model.eval()
    secs = time.time() - t0
    said = "no validation" if best[0] is None else f"val UAR {best[0]:.3f}"
    log(f"{tag}: selected epoch {best[2]} ({said}), {secs:.0f}s", logfh)
    return model, {"best_epoch": best[2], "val_uar": best[0], "train_seconds": secs, "history": history}


class GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


class SpeakerAdversary(nn.Module):
    """Speaker-adversarial training (--adv-speaker): a small classifier guesses the training
    speaker from the clip's pooled features, and the network is pushed, through a reversed
    gradient, to make that guess fail, so its features carry less of who is speaking. Only
    the network is exported; the adversary is dropped after training. The reversal's weight
    rises from 0 to LAMBDA over training (Ganin & Lempitsky's schedule), so the features form
    before they are pushed."""

    def __init__(self, dim, speakers, weight):
        super().__init__()
        names = sorted(set(speakers))
        self.speaker_ids = torch.as_tensor(np.searchsorted(names, speakers))
        self.weight = weight
        self.net = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Linear(128, len(names)))

    @classmethod
    def for_model(cls, model, speakers, weight):
        if not weight:
            return None
        return cls(model.head.in_features, speakers, weight)

    def loss(self, emb, items, perm, lam, progress):
        """The speaker loss for a batch; `items` are positions in the training set, mixup as the emotion's."""
        scale = self.weight * (2.0 / (1.0 + np.exp(-10.0 * progress)) - 1.0)
        logits = self.net(GradientReversal.apply(emb, scale))
        ce = nn.functional.cross_entropy
        spk = self.speaker_ids[torch.as_tensor(items)]
        return lam * ce(logits, spk) + (1.0 - lam) * ce(logits, spk[torch.from_numpy(perm)])


def rounded(val_uar):
    """A validation figure to 4 places; None where there were no validation speakers (and
    members trained before that was so carry NaN)."""
    return None if val_uar is None or val_uar != val_uar else round(val_uar, 4)


def train_job(job):
    """One training run (1 torch thread by default; runs in its own process, see run_jobs)."""
    torch.set_num_threads(job["threads"])
    args = argparse.Namespace(**job["args"])
    export = Export(job["feat_dir"], mmap=True)
    source = Export(job["source_dir"], mmap=True) if job.get("source_dir") else None
    with open(job["log_path"], "w") as logfh:
        model, info = train_model(export, job["train"], job["val"], args, job["seed"], logfh, job["tag"],
                                  job["variant"], source)
    torch.save({"state": model.state_dict(), "info": info, "variant": job["variant"],
                "feature": job["feature"]}, job["out_path"])


# What a training depends on: a job that agrees with an earlier one on all of it trains the same
# model (one torch thread per process makes a run deterministic), so it can be reused.
NOT_TRAINING_ARGS = {"experiment", "members", "workers", "folds", "final", "int8", "bits", "reuse", "threads", "work",
                     "ser"}


# The 2-D members' variants (model.SerCnn2d); every other variant is a 1-D SerCnn.
VARIANTS_2D = ("c2d", "c2dcmn")


def training_key(job):
    args = {k: v for k, v in job["args"].items() if k not in NOT_TRAINING_ARGS}
    if job["variant"] not in VARIANTS_2D:
        args.pop("widths_2d", None)  # added with the 2-D members; the 1-D ones never read it
    if not args.get("adv_speaker"):
        args.pop("adv_speaker", None)  # added in session 21; off, the training is as before
    if not args.get("pitch_shift"):
        args.pop("pitch_shift", None)  # added in session 22; off, the training is as before
    if args.get("val", True):
        args.pop("val", None)  # the default, so members trained before --no-val existed still match
    return json.dumps([job["fold"], job["test"], job["val"], job["train"], job["variant"], job["feature"],
                       job["seed"], args], sort_keys=True)


def trained_members(jobs_dirs):
    """The members earlier experiments trained, by training key: {key: path stem}."""
    found = {}
    for jobs_dir in jobs_dirs:
        for name in sorted(os.listdir(jobs_dir)) if os.path.isdir(jobs_dir) else []:
            stem = os.path.join(jobs_dir, name[:-5])
            if name.endswith(".json") and os.path.exists(stem + ".pt"):
                with open(stem + ".json") as f:
                    found.setdefault(training_key(json.load(f)), stem)
    return found


def run_jobs(jobs, workers, work, reuse=()):
    """Runs the training jobs as separate processes, `workers` at a time (each with its own
    single torch thread: on this shared 2-core machine that is far faster than one process with
    2 threads, which stalls badly whenever anything else is running). A job already trained in
    one of the `reuse` folders (other experiments' jobs) is copied from there instead."""
    import shutil

    os.makedirs(work, exist_ok=True)
    # Indexed before this run writes its own job files, so a folder in `reuse` that is also
    # `work` offers only what it held before.
    trained = trained_members(reuse)
    pending = []
    for n, job in enumerate(jobs):
        stem = os.path.join(work, job["tag"].replace(" ", ""))
        job.update(log_path=stem + ".log", out_path=stem + ".pt")
        old = trained.get(training_key(job))
        with open(stem + ".json", "w") as f:
            json.dump(job, f)
        if old:
            log(f"{job['tag']}: reusing {old} (the same training)")
            if os.path.abspath(old) != os.path.abspath(stem):
                shutil.copyfile(old + ".pt", stem + ".pt")
                shutil.copyfile(old + ".log", stem + ".log")
            continue
        pending.append(stem + ".json")
    running = []
    # numpy's OpenBLAS threads (the pitch shift's matrix product) otherwise spin between calls,
    # taking a third of the core torch's one thread needs; results are bit for bit the same
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    while pending or running:
        while pending and len(running) < max(1, workers):
            spec = pending.pop(0)
            running.append((spec, subprocess.Popen([sys.executable, os.path.abspath(__file__), "--job", spec],
                                                   env=env)))
        time.sleep(1.0)
        for spec, proc in list(running):
            rc = proc.poll()
            if rc is not None:
                running.remove((spec, proc))
                if rc != 0:
                    for _, p in running:
                        p.kill()
                    raise RuntimeError(f"training job {spec} failed with exit status {rc}")
    results = []
    for job in jobs:
        saved = torch.load(job["out_path"], weights_only=False)
        with open(job["log_path"]) as f:
            saved["log"] = f.read()
        results.append(saved)
    return results


def make_model(args, variant, n_in):
    """variant 'plain': global normalisation only; 'cmn': also cepstral mean normalisation;
    'cmvn': also the clip's own variance divided out; 'c2d', 'c2dcmn': the 2-D member, plain or
    after the clip's mean per band."""
    if variant in VARIANTS_2D:
        return SerCnn2d(widths=tuple(int(w) for w in args.widths_2d.split(",")), dropout=args.dropout, n_in=n_in,
                        cmn=variant == "c2dcmn")
    assert variant in ("plain", "cmn", "cmvn"), variant
    return SerCnn(widths=tuple(int(w) for w in args.widths.split(",")), dropout=args.dropout,
                  cmn=variant == "cmn", cvn=variant == "cmvn", stride1=args.stride1,
                  stats_pool=args.pool == "stats", n_in=n_in,
                  attentive=args.pool == "attentive")


def parse_members(spec):
    """'mfcc:plain,logmel:cmn,...' -> [(feature, variant)]; a bare variant means mfcc."""
    out = []
    for item in (v.strip() for v in spec.split(",")):
        if item:
            feature, _, variant = item.rpartition(":")
            feature = feature or "mfcc"
            if feature not in ("mfcc", "logmel", "prosody", "logmel_prosody"):
                raise SystemExit(f"--members: unknown feature '{feature}' (mfcc, logmel, or the experimental "
                                 "prosody and logmel_prosody)")
            out.append((feature, variant))
    return out


def load_ensemble(results, args, input_feature, params):
    """The members, each fed the model input: MFCC members get the log-mel input through the
    DCT (FromLogMel) when the model's input is log-mel, and log-mel members the first rows of a
    logmel_prosody input (FirstRows)."""
    members = []
    # The input's rows: those of the members that read it as it is.
    n_input = next(r["state"]["mean"].shape[1] for r in results if r.get("feature", "mfcc") == input_feature)
    for res in results:
        feature = res.get("feature", "mfcc")
        m = make_model(args, res["variant"], res["state"]["mean"].shape[1])  # the rows it was trained on
        m.load_state_dict(res["state"])
        m.eval()
        if feature == "mfcc" and input_feature != "mfcc":
            m = FromLogMel(m, params["n_mels"], params["n_mfcc"])
            feature = "logmel"
        if feature != input_feature:
            assert (feature, input_feature) == ("logmel", "logmel_prosody"), (feature, input_feature)
            m = FirstRows(m, params["n_mels"], n_input)
        members.append(m)
    model = SerEnsemble(members) if len(members) > 1 else members[0]
    model.input_feature = input_feature
    model.eval()
    return model


# ----------------------------------------------------------------------------- ONNX + sidecar


def export_onnx(model, path):
    import onnx

    model.eval()
    m0 = model.members[0] if hasattr(model, "members") else model
    name = input_name(model)
    dummy = torch.zeros(1, m0.n_in, 300)
    torch.onnx.export(
        model, (dummy,), path, input_names=[name], output_names=["probabilities"],
        dynamic_axes={name: {2: "T"}}, opset_version=17, dynamo=False, do_constant_folding=True)
    m = onnx.load(path)
    tidy_graph(m)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    ops = sorted({n.op_type for n in m.graph.node})
    return ops


def input_name(model):
    """The graph's input: "mfcc" [1, n_mfcc, T] or "log_mel" [1, n_mels, T]."""
    return {"logmel": "log_mel", "mfcc": "mfcc"}.get(model.input_feature, model.input_feature)


def tidy_graph(m):
    """Turns Constant nodes into initializers and drops Identity nodes (the exporter emits them for
    duplicated initializers), so the graph holds only the plain ops of the model contract."""
    from onnx import numpy_helper

    g = m.graph
    graph_outputs = {o.name for o in g.output}
    keep = []
    rename = {}
    for n in g.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and n.attribute[0].name == "value":
            t = numpy_helper.from_array(numpy_helper.to_array(n.attribute[0].t), n.output[0])
            g.initializer.append(t)
        elif n.op_type == "Identity" and n.output[0] not in graph_outputs:
            rename[n.output[0]] = n.input[0]
        else:
            keep.append(n)
    def resolve(name):
        while name in rename:
            name = rename[name]
        return name
    for n in keep:
        for i, name in enumerate(n.input):
            n.input[i] = resolve(name)
    del g.node[:]
    g.node.extend(keep)
    used = {i for n in g.node for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(inits)


def ort_session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_predict(sess, export, idx):
    out = np.zeros((len(idx), len(LABELS)), np.float32)
    name = sess.get_inputs()[0].name
    for j, i in enumerate(idx):
        x = np.ascontiguousarray(export.frames(i).T)[None]
        out[j] = sess.run(["probabilities"], {name: x})[0][0]
    return out


def check_onnx(path, model, T_values=(50, 80, 150, 300, 421, 1000)):
    """The graph must run in onnxruntime for several T and agree with PyTorch."""
    sess = ort_session(path)
    g = torch.Generator().manual_seed(0)
    worst = 0.0
    members = list(model.members) if hasattr(model, "members") else [model]
    n_in = members[0].n_in
    # plausible inputs: each row around its training mean, taken from a member that reads the
    # model's input as it is (not through FromLogMel or FirstRows); else log-mel-like dB values
    plain = next((m for m in members if isinstance(m, SerCnn)), None)
    for T in T_values:
        if plain is not None:
            x = torch.randn(1, n_in, T, generator=g) / plain.inv_std + plain.mean
        else:
            x = torch.randn(1, n_in, T, generator=g) * 15.0 - 40.0  # dB
        with torch.no_grad():
            ref = model(x).numpy()
        got = sess.run(["probabilities"], {sess.get_inputs()[0].name: x.numpy()})[0]
        assert got.shape == (1, 8), got.shape
        assert abs(float(got.sum()) - 1.0) < 1e-4
        worst = max(worst, float(np.abs(got - ref).max()))
    assert worst < 1e-4, worst
    return worst


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_sidecar(path, onnx_path, model, export, args, cv_summary, extra=None):
    side = {
        "name": "ser_cnn",
        "version": VERSION,
        "labels": LABELS,
        "feature": model.input_feature,
        "feature_params": export.params["feature_params"],
        "trim": True,
        "window_s": args.window / 100.0,
        "hop_s": args.window / 200.0,
        "trained": datetime.date.today().isoformat(),
        "onnx_sha256": sha256(onnx_path),
        "parameters": count_parameters(model),
        "architecture": describe(args),
        "cv": cv_summary,
        "licence": LICENCE,
    }
    if extra:
        side.update(extra)
    with open(path, "w") as f:
        json.dump(side, f, indent=2)
        f.write("\n")


def describe(args):
    members = parse_members(args.members)
    names = ", ".join(f"{f} {v}" for f, v in members)
    dct = (" (the MFCC members take the DCT of the log-mel input in the graph)"
           if {"mfcc", "logmel"} <= {f for f, _ in members} else "")
    return (f"average of {len(members)} 1-D CNNs ({names}){dct}: per-row standardisation "
            f"in the graph, 4 x Conv1d (channels {args.widths}, first stride {args.stride1}) + BatchNorm + ReLU "
            f"with MaxPool /2 after the first three, "
            + {"stats": "mean and standard deviation", "attentive": "attentive mean and standard deviation",
               "mean": "global average"}[args.pool]
            + f" pooling over time, dropout, Linear to 8, softmax; trained {args.epochs} epochs"
            + (f", mixup alpha {args.mixup}" if args.mixup else "")
            + (f", weights averaged (EMA {args.ema})" if args.ema else ""))


def cv_summary_of(fold_results):
    if not fold_results:
        return None
    s = {}
    for key in ("accuracy", "uar", "macro_f1"):
        ms = mean_std([r[key] for r in fold_results])
        s[key] = f"{ms['mean']:.3f} ± {ms['std']:.3f}"
        s[key + "_mean"] = round(ms["mean"], 4)
        s[key + "_std"] = round(ms["std"], 4)
    s["protocol"] = ("speaker-independent 5-fold CV on RAVDESS actors 01-20 (4 test actors per fold, "
                     "2 male + 2 female), whole-clip prediction on the original trimmed clips")
    return s


# ----------------------------------------------------------------------------- fixture


def write_reference(onnx_path, export, out_path, T_values=(80, 150, 300, 421)):
    """Real input frames (crops of original RAVDESS/TESS/SAVEE clips, of the model's input
    feature) and onnxruntime's output."""
    sess = ort_session(onnx_path)
    name = sess.get_inputs()[0].name
    originals = np.nonzero(export.copy == 0)[0]
    cases = []
    for T in T_values:
        cand = [i for i in originals if export.lengths[i] >= T]
        # the first clip of a fixed corpus order that is long enough; crop its first T frames
        i = sorted(cand, key=lambda i: (export.corpus[i] != "ravdess", export.path[i]))[0]
        # 4 decimals keep the JSON small; the rounded values are exactly what onnxruntime is given
        frames = np.array([[round(float(v), 4) for v in row] for row in export.frames(i)[:T]], np.float64)
        frames = np.ascontiguousarray(frames.astype(np.float32))
        prob = sess.run(["probabilities"], {name: np.ascontiguousarray(frames.T)[None]})[0][0]
        cases.append({
            "name": f"{export.path[i]}[0:{T}]",
            "T": T,
            "frames": [[round(float(v), 4) for v in row] for row in frames],
            "probabilities": [float(v) for v in prob],
        })
    ref = {
        "model": "ser_cnn.onnx",
        "onnx_sha256": sha256(onnx_path),
        "input": name,
        "layout": (f"frames is frame-major [T][{export.n_features}] (one row of {name} values per 10 ms "
                   f"frame); the model input is its transpose with a batch axis, [1, {export.n_features}, T]"),
        "labels": LABELS,
        "tolerance": 1e-4,
        "source": "onnxruntime CPUExecutionProvider on models/ser_cnn.onnx",
        "cases": cases,
    }
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(ref, f)
        f.write("\n")


# ----------------------------------------------------------------------------- main


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--ser", default=os.path.join(REPO, "target", "release", "ser"))
    ap.add_argument("--manifest", default=os.path.join(DATA_ROOT, "manifest.csv"))
    ap.add_argument("--data-root", default=DATA_ROOT)
    ap.add_argument("--copies", type=int, default=4, help="augmented copies per clip in the export")
    ap.add_argument("--export-seed", type=int, default=0)
    ap.add_argument("--reexport", action="store_true")
    ap.add_argument("--trim-first", action="store_true",
                    help="trim the clean clip before augmenting it (ser export --trim-before-augment)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=45)
    ap.add_argument("--min-epoch", type=int, default=8, help="first epoch eligible for selection")
    ap.add_argument("--draws", type=int, default=0, help="training draws per epoch (0: one per original clip)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=1e-2)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--window", type=int, default=300, help="training crop length in frames (10 ms)")
    ap.add_argument("--no-specaug", dest="specaug", action="store_false")
    ap.add_argument("--vtlp", type=float, default=0.0,
                    help="vocal-tract-length perturbation of log-mel members: stretch each crop's "
                         "frequency axis by a factor drawn from [1 - VTLP, 1 + VTLP] (0: off)")
    ap.add_argument("--pitch-shift", type=float, default=0.0,
                    help="pitch perturbation that keeps the formants: each crop's harmonics moved by up to "
                         "this many semitones either way (0: off; data.PitchShift); MFCC members' crops "
                         "are shifted as log-mel frames before their DCT (data.ThenMfcc)")
    ap.add_argument("--corpus-share", default="ravdess=0.5,tess=0.25,savee=0.25",
                    help="share of the training draws per corpus (classes are then balanced overall)")
    ap.add_argument("--widths", default="64,128,128,192", help="channels of the 4 conv layers")
    ap.add_argument("--widths-2d", default="16,32,64,128",
                    help="channels of the 4 conv layers of 2-D members (variant c2d, log-mel only)")
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--ema", type=float, default=0.997,
                    help="decay of an exponential moving average of the weights per step (0: off); "
                         "the averaged weights are validated, selected and exported")
    ap.add_argument("--pool", choices=["mean", "stats", "attentive"], default="stats",
                    help="pooling over time: the mean, the mean and standard deviation, or both weighted by a "
                         "learnt attention over frames")
    ap.add_argument("--mixup", type=float, default=0.2, help="mixup alpha within each batch (0: off)")
    ap.add_argument("--members", default="mfcc:plain,mfcc:cmn,logmel:plain,logmel:cmn",
                    help="ensemble members, one model each, FEATURE:VARIANT: feature mfcc or logmel "
                         "(a bare variant means mfcc); variant plain (global normalisation), cmn (also "
                         "the clip's own mean per row subtracted, in the graph) or cmvn (mean and "
                         "variance), all 1-D CNNs; or, log-mel only, c2d (a 2-D CNN over bands and frames, "
                         "--widths-2d) or c2dcmn (the same after the clip's mean per band); outputs are averaged")
    ap.add_argument("--adv-speaker", type=float, default=0.0,
                    help="speaker-adversarial training: weight of the reversed speaker-classifier gradient "
                         "(0: off; see SpeakerAdversary)")
    ap.add_argument("--stride1", type=int, default=2, help="stride of the first convolution (1 or 2)")
    ap.add_argument("--folds", default="1,2,3,4,5", help="comma-separated folds to run ('' for none)")
    ap.add_argument("--no-final", dest="final", action="store_false")
    ap.add_argument("--val", dest="val", action="store_true", default=False,
                    help="two RAVDESS actors per fold (19 and 20 for the final model) do not train but choose "
                         "each member's epoch (the recipe before 1.3.0); by default every non-test actor trains "
                         "and each member keeps its last epoch's averaged weights")
    ap.add_argument("--no-val", dest="val", action="store_false", help="the default since 1.3.0 (see --val)")
    ap.add_argument("--no-int8", dest="int8", action="store_false",
                    help="keep the shipped model's weights float32 (default: quantize.py stores them as int8)")
    ap.add_argument("--bits", type=int, default=8, help="the shipped weights' levels (quantize.py --bits)")
    ap.add_argument("--workers", type=int, default=2, help="training processes side by side")
    ap.add_argument("--experiment", default="", help="name: CV only, results under work/exp_NAME, nothing shipped")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per training process")
    ap.add_argument("--reuse", default="", help="experiments (comma-separated) whose members trained with the "
                    "same settings are copied instead of trained again (a shipping run that repeats an "
                    "experiment's recipe then trains only the final model)")
    return ap.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    np.random.seed(args.seed)
    t_start = time.time()
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(os.path.join(MODELS, "cv"), exist_ok=True)
    out_dir = os.path.join(args.work, "exp_" + args.experiment) if args.experiment else MODELS
    if args.experiment:
        args.final = False
        os.makedirs(out_dir, exist_ok=True)
    members_spec = parse_members(args.members)
    features = sorted({f for f, _ in members_spec})
    feat_dirs = {f: run_export(args, f) for f in features}
    if args.pitch_shift > 0 and "mfcc" in features and "logmel" not in feat_dirs:
        feat_dirs["logmel"] = run_export(args, "logmel")  # what the MFCC members' pitch shift reads
    # The model's input: the tallest any member needs (the MFCCs are the log-mel's DCT, computed
    # in the graph; the log-mel is the first rows of logmel_prosody).
    input_feature = next(f for f in ("logmel_prosody", "logmel", "mfcc", "prosody") if f in features)
    assert input_feature != "prosody" or len(features) == 1, "prosody members need logmel_prosody beside others"
    export = Export(feat_dirs[input_feature], mmap=True)
    for f in feat_dirs:  # the members' exports and the log-mel one their pitch shift may read
        other = Export(feat_dirs[f], mmap=True)
        assert list(other.path) == list(export.path) and np.array_equal(other.lengths, export.lengths)
    params = export.params["feature_params"]
    log(f"features: {len(export.items)} items, {export.features.shape[0]} frames; model input {input_feature}")

    folds = [int(k) for k in args.folds.split(",") if k.strip()]
    all_speakers = sorted(set(export.speaker))
    variants = [f"{f}:{v}" for f, v in members_spec]
    groups = []  # (fold or None for the final model, test speakers, val speakers, train speakers)
    for k in folds:
        test = [ravdess_speaker(a) for a in fold_test_actors(k)]
        val = [ravdess_speaker(a) for a in fold_val_actors(k)] if args.val else []
        groups.append((k, test, val, [s for s in all_speakers if s not in test and s not in val]))
    if args.final:
        val = [ravdess_speaker(a) for a in FINAL_VAL_ACTORS] if args.val else []
        groups.append((None, [], val, [s for s in all_speakers if s not in val]))
    jobs = []
    for k, test, val, train_sp in groups:
        for n, (feature, variant) in enumerate(members_spec):
            name = f"fold {k}" if k is not None else "final"
            # seeds count members within each feature, so an MFCC member trains exactly as it
            # would in an MFCC-only ensemble
            n_in_feature = sum(1 for f, _ in members_spec[:n] if f == feature)
            jobs.append({"tag": f"{name} m{n}", "fold": k, "test": test, "val": val, "train": train_sp,
                         "variant": variant, "feature": feature, "feat_dir": feat_dirs[feature],
                         "source_dir": feat_dirs["logmel"] if feature == "mfcc" and args.pitch_shift > 0 else None,
                         "seed": args.seed * 1000 + (k if k is not None else 99) * 10 + n_in_feature})
    for j in jobs:
        j.update(args=vars(args), threads=args.threads)
    log(f"training {len(jobs)} models, {args.workers} at a time, {args.threads} torch thread(s) each")
    t_train = time.time()
    reuse = [os.path.join(args.work, "exp_" + e, "jobs") for e in args.reuse.split(",") if e]
    results = run_jobs(jobs, args.workers, os.path.join(out_dir, "jobs") if args.experiment else os.path.join(args.work, "jobs"),
                       reuse)
    log(f"training done in {time.time() - t_train:.0f}s")

    cv_log_path = os.path.join(out_dir if args.experiment else HERE, "cv_log.txt")
    fold_results = []
    logfh = open(cv_log_path, "w") if folds else None
    if logfh:
        log(f"ser_cnn CV run, args: {vars(args)}", logfh)
        log(f"training wall time for {len(jobs)} models ({args.workers} in parallel): "
            f"{time.time() - t_train:.0f}s", logfh)
    for k, test, val, train_sp in groups:
        if k is None:
            continue
        members = [r for j, r in zip(jobs, results) if j["fold"] == k]
        model = load_ensemble(members, args, input_feature, params)
        log(f"fold {k}: test {test}, val {val}, train {len(train_sp)} speakers, members {variants}", logfh)
        for r in members:
            logfh.write(r["log"])
        info = {"best_epoch": [r["info"]["best_epoch"] for r in members],
                "val_uar": [rounded(r["info"]["val_uar"]) for r in members],
                "train_seconds": sum(r["info"]["train_seconds"] for r in members),
                "history": [r["info"]["history"] for r in members]}
        te = export.select(test, originals_only=True)
        onnx_path = os.path.join(out_dir if args.experiment else args.work, f"fold{k}.onnx")
        export_onnx(model, onnx_path)
        check_onnx(onnx_path, model)
        # The reported figures are onnxruntime's, one forward pass per whole original clip.
        p_ort = ort_predict(ort_session(onnx_path), export, te)
        p_torch = predict_clips(model, export, te)
        assert np.abs(p_ort - p_torch).max() < 1e-4, np.abs(p_ort - p_torch).max()
        np.save(os.path.join(out_dir if args.experiment else args.work, f"fold{k}_test_probs.npy"), p_ort)
        member_figs = []
        if len(members) > 1:
            for n, m in enumerate(model.members):
                fm = figures(confusion(export.label[te], predict_clips(m, export, te).argmax(1)))
                label = f"{members[n].get('feature', 'mfcc')}:{members[n]['variant']}"
                member_figs.append({"variant": label, "accuracy": fm["accuracy"],
                                    "uar": fm["uar"], "macro_f1": fm["macro_f1"]})
                log(f"fold {k} member {n} ({label}) alone: accuracy {fm['accuracy']:.4f} "
                    f"UAR {fm['uar']:.4f} macro-F1 {fm['macro_f1']:.4f}", logfh)
        cm = confusion(export.label[te], p_ort.argmax(1))
        fig = figures(cm)
        res = {"fold": k, "test_speakers": test, "val_speakers": val, **fig,
               "confusion": cm.tolist(), "members": member_figs, "best_epoch": info["best_epoch"],
               "val_uar": info["val_uar"], "train_seconds": round(info["train_seconds"], 1),
               "history": info["history"]}
        fold_results.append(res)
        log(f"fold {k} TEST ({len(te)} clips): accuracy {fig['accuracy']:.4f} UAR {fig['uar']:.4f} "
            f"macro-F1 {fig['macro_f1']:.4f}", logfh)
        for lab in LABELS:
            pc = fig["per_class"][lab]
            log(f"  {lab:9s} P {pc['precision']:.3f} R {pc['recall']:.3f} F1 {pc['f1']:.3f} n {pc['support']}", logfh)
        log(f"  confusion (rows true, cols pred, order {LABELS}):", logfh)
        for row in cm:
            log("    " + " ".join(f"{v:3d}" for v in row), logfh)
        if k == 1 and not args.experiment:
            ship_fold(model, onnx_path, export, args, fig, test, val, info)

    cv_summary = cv_summary_of(fold_results) if len(fold_results) == N_FOLDS else None
    if fold_results:
        write_cv_results(fold_results, args, logfh, out_dir)

    for k, test, val, train_sp in groups:
        if k is not None:
            continue
        members = [r for j, r in zip(jobs, results) if j["fold"] is None]
        model = load_ensemble(members, args, input_feature, params)
        info = {"best_epoch": [r["info"]["best_epoch"] for r in members],
                "val_uar": [rounded(r["info"]["val_uar"]) for r in members]}
        if logfh:
            for r in members:
                logfh.write(r["log"])
        onnx_path = os.path.join(MODELS, "ser_cnn.onnx")
        ops = export_onnx(model, onnx_path)
        worst = check_onnx(onnx_path, model)
        if cv_summary is None:
            old = os.path.join(MODELS, "cv_results.json")
            if os.path.exists(old):
                with open(old) as f:
                    cv_summary = json.load(f).get("summary_short")
        write_sidecar(os.path.join(MODELS, "ser_cnn.json"), onnx_path, model, export, args, cv_summary,
                      {"final_val_speakers": val, "final_best_epoch": info["best_epoch"],
                       "final_val_uar": info["val_uar"]})
        write_reference(onnx_path, export, os.path.join(REPO, "tests", "fixtures", "model", "reference.json"))
        log(f"final: {onnx_path} ({os.path.getsize(onnx_path)} bytes, {count_parameters(model)} parameters, "
            f"ops {ops}, torch-vs-ort max diff {worst:.2e})", logfh)
        if args.int8:
            # The shipped model stores its weight matrices as int8 (computed in float32):
            # quantize.py converts it, checks agreement on every original clip and rewrites the
            # sidecar's sha256 and the reference fixture. The CV fold models stay float32.
            out = subprocess.run([sys.executable, os.path.join(HERE, "quantize.py"), "--bits", str(args.bits),
                                  "--features", feat_dirs[input_feature]],
                                 check=True, capture_output=True, text=True).stdout
            for line in out.strip().splitlines():
                log("int8: " + line, logfh)
    if logfh:
        log(f"total wall time {time.time() - t_start:.0f}s", logfh)
        logfh.close()
    if fold_results and not args.experiment:
        import report

        report.make_figures(os.path.join(MODELS, "cv_results.json"), MODELS)
    if not logfh:
        log(f"total wall time {time.time() - t_start:.0f}s")


def ship_fold(model, onnx_path, export, args, fig, test, val, info):
    import shutil

    dst = os.path.join(MODELS, "cv", "fold1.onnx")
    shutil.copyfile(onnx_path, dst)
    write_sidecar(os.path.join(MODELS, "cv", "fold1.json"), dst, model, export, args, None, {
        "fold": 1,
        "test_speakers": test,
        "val_speakers": val,
        "accuracy": round(fig["accuracy"], 6),
        "uar": round(fig["uar"], 6),
        "macro_f1": round(fig["macro_f1"], 6),
        "n_test_clips": fig["n"],
        "best_epoch": info["best_epoch"],
    })
    import csv

    with open(args.manifest, newline="") as f:
        rows = list(csv.reader(f))
    with open(os.path.join(MODELS, "cv", "fold1_test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(rows[0])
        col = rows[0].index("speaker")
        w.writerows(r for r in rows[1:] if r[col] in test)


def write_cv_results(fold_results, args, logfh, out_dir):
    summed = np.sum([r["confusion"] for r in fold_results], axis=0)
    pooled = figures(summed)
    summary = {key: mean_std([r[key] for r in fold_results]) for key in ("accuracy", "uar", "macro_f1")}
    per_class_mean = {
        lab: {m: mean_std([r["per_class"][lab][m] for r in fold_results]) for m in ("precision", "recall", "f1")}
        for lab in LABELS
    }
    out = {
        "model": "ser_cnn",
        "labels": LABELS,
        "protocol": {
            "folds": {str(r["fold"]): {"test": r["test_speakers"], "val": r["val_speakers"]} for r in fold_results},
            "description": ("speaker-independent 5-fold CV over RAVDESS actors 01-20: fold k tests actors "
                            "4k-3..4k (2 male + 2 female), "
                            + ("validates (early stopping) on the first male and female actor of the next fold, "
                               "trains on the other 14 actors" if args.val else
                               "trains on the other 16 actors (no validation actors; each member keeps its last "
                               "epoch)")
                            + " plus all TESS and SAVEE; test figures are onnxruntime's whole-clip predictions "
                            "(one forward pass per original trimmed clip, all frames); std is the sample std over "
                            "folds"),
        },
        "summary": summary,
        "summary_short": cv_summary_of(fold_results) if len(fold_results) == N_FOLDS else None,
        "per_class_mean_over_folds": per_class_mean,
        "pooled": pooled,
        "summed_confusion": summed.tolist(),
        "folds": fold_results,
        "args": vars(args),
    }
    with open(os.path.join(out_dir, "cv_results.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    log("CV SUMMARY (mean ± sample std over folds): " + ", ".join(
        f"{k} {v['mean']:.4f} ± {v['std']:.4f}" for k, v in summary.items()), logfh)
    log(f"pooled over folds: accuracy {pooled['accuracy']:.4f} UAR {pooled['uar']:.4f} "
        f"macro-F1 {pooled['macro_f1']:.4f}", logfh)
    log(f"summed confusion (rows true, cols pred, order {LABELS}):", logfh)
    for row in summed:
        log("    " + " ".join(f"{v:4d}" for v in row), logfh)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--job":
        with open(sys.argv[2]) as f:
            train_job(json.load(f))
    else:
        main()
