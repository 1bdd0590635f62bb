"""Classification figures: accuracy, UAR, macro-F1, per-class P/R/F1, confusion matrix."""

import numpy as np

from data import LABELS


def confusion(y_true, y_pred, n=len(LABELS)):
    """Rows = true class, columns = predicted class."""
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def figures(cm):
    """Figures from a confusion matrix. UAR and macro-F1 average over classes with support > 0."""
    cm = np.asarray(cm, np.float64)
    support = cm.sum(1)
    predicted = cm.sum(0)
    tp = np.diag(cm)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = support > 0
    return {
        "n": int(cm.sum()),
        "accuracy": float(tp.sum() / cm.sum()),
        "uar": float(recall[present].mean()),
        "macro_f1": float(f1[present].mean()),
        "per_class": {
            LABELS[i]: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i in range(len(LABELS))
        },
    }


def mean_std(values):
    """Mean and sample standard deviation (ddof=1) over folds."""
    v = np.asarray(values, np.float64)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}
