"""Figures from models/cv_results.json: summed confusion matrix and per-class bars."""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def make_figures(results_path, out_dir):
    with open(results_path) as f:
        res = json.load(f)
    labels = res["labels"]
    cm = np.array(res["summed_confusion"])
    n_folds = len(res["folds"])
    s = res["summary"]
    subtitle = (f"speaker-independent {n_folds}-fold CV, RAVDESS actors 01-20, whole-clip\n"
                f"accuracy {s['accuracy']['mean']:.3f} ± {s['accuracy']['std']:.3f}, "
                f"UAR {s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}, "
                f"macro-F1 {s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f}")

    rec = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(8.5, 7.5), dpi=110)
    im = ax.imshow(rec, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if rec[i, j] > 0.55 else "black"
            ax.text(j, i, f"{cm[i, j]}\n{rec[i, j]:.0%}", ha="center", va="center", fontsize=9, color=color)
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("ser_cnn: confusion matrix summed over test folds (counts, row %)\n" + subtitle, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="recall (row-normalised)")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "confusion_matrix.png"))
    plt.close(fig)

    pcm = res["per_class_mean_over_folds"]
    x = np.arange(len(labels))
    w = 0.27
    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    for k, (metric, color) in enumerate([("precision", "#4c72b0"), ("recall", "#dd8452"), ("f1", "#55a868")]):
        m = [pcm[lab][metric]["mean"] for lab in labels]
        e = [pcm[lab][metric]["std"] for lab in labels]
        ax.bar(x + (k - 1) * w, m, w, yerr=e, capsize=3, label=metric, color=color)
    ax.axhline(1 / len(labels), color="grey", ls=":", lw=1, label="chance (1/8)")
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("mean over folds (error bar: std)")
    ax.set_title("ser_cnn per-class precision / recall / F1\n" + subtitle, fontsize=10)
    ax.legend(loc="upper left", ncol=4, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "per_class.png"))
    plt.close(fig)


def markdown_tables(results_path):
    """The model card's result tables, from cv_results.json."""
    with open(results_path) as f:
        res = json.load(f)
    labels = res["labels"]
    out = ["| fold | test actors | accuracy | UAR | macro-F1 |", "|---:|---|---:|---:|---:|"]
    for r in res["folds"]:
        actors = ", ".join(s.split("_")[1] for s in r["test_speakers"])
        out.append(f"| {r['fold']} | {actors} | {r['accuracy']:.3f} | {r['uar']:.3f} | {r['macro_f1']:.3f} |")
    s = res["summary"]
    out.append(f"| **mean ± std** | | **{s['accuracy']['mean']:.3f} ± {s['accuracy']['std']:.3f}** | "
               f"**{s['uar']['mean']:.3f} ± {s['uar']['std']:.3f}** | "
               f"**{s['macro_f1']['mean']:.3f} ± {s['macro_f1']['std']:.3f}** |")
    p = res["pooled"]
    out.append(f"| pooled (all 1200 clips) | | {p['accuracy']:.3f} | {p['uar']:.3f} | {p['macro_f1']:.3f} |")
    out += ["", "| class | precision | recall | F1 | pooled P / R / F1 | support |", "|---|---:|---:|---:|---:|---:|"]
    pc = res["per_class_mean_over_folds"]
    for lab in labels:
        m = pc[lab]
        q = p["per_class"][lab]
        out.append(f"| {lab} | {m['precision']['mean']:.3f} ± {m['precision']['std']:.3f} | "
                   f"{m['recall']['mean']:.3f} ± {m['recall']['std']:.3f} | {m['f1']['mean']:.3f} ± {m['f1']['std']:.3f} | "
                   f"{q['precision']:.3f} / {q['recall']:.3f} / {q['f1']:.3f} | {q['support']} |")
    cm = res["summed_confusion"]
    out += ["", "| true \\ predicted | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for lab, row in zip(labels, cm):
        out.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    models = os.path.join(here, "..")
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(models, "cv_results.json")
    if len(sys.argv) > 1 and sys.argv[1] == "--markdown":
        print(markdown_tables(path))
    else:
        make_figures(path, models)
