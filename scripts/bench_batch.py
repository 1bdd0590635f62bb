"""Batch speed (issue 13): `ser predict` against the Python pipeline it replaces.

`pipeline`: soundfile + librosa.effects.trim + librosa.feature.melspectrogram + onnxruntime on
the same ONNX model, one process, one thread, one clip after another; one JSON line per clip
(file, emotion).

`compare`: times whole commands, start to last result, model loading included: the Python
pipeline, `ser predict --jobs 1` and `ser predict` (all cores), both JSON lines (with the pitch
summary, which tracks pitch with YIN), and `ser predict --format csv` on all cores (emotion and
probabilities like the Python pipeline's output, no pitch tracking), taking turns ROUNDS times
so a change in the machine's load hits all four; prints each round's ratios and the medians,
and how often the pipelines give the same emotion.

    .venv/bin/python scripts/bench_batch.py compare SER MODEL.onnx SIDECAR.json ROUNDS FILE...
    .venv/bin/python scripts/bench_batch.py pipeline MODEL.onnx SIDECAR.json FILE...
"""

import json
import os
import sys
import time

START = time.perf_counter()
os.environ.setdefault("OMP_NUM_THREADS", "1")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import soundfile as sf  # noqa: E402


def pipeline(model_path, sidecar_path, files):
    with open(sidecar_path) as f:
        side = json.load(f)
    p = side["feature_params"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    out = sys.stdout
    for path in files:
        y, sr = sf.read(path, dtype="float32", always_2d=True)
        y = y.mean(axis=1)
        if sr != p["sample_rate"]:
            y = librosa.resample(y, orig_sr=sr, target_sr=p["sample_rate"])
        y, _ = librosa.effects.trim(y, top_db=p["top_db"], frame_length=p["trim_frame_length"],
                                    hop_length=p["trim_hop_length"])
        S = librosa.feature.melspectrogram(
            y=y, sr=p["sample_rate"], n_fft=p["n_fft"], hop_length=p["hop_length"], win_length=p["win_length"],
            window="hann", center=True, pad_mode="constant", power=2.0, n_mels=p["n_mels"], fmin=p["fmin"],
            fmax=p["fmax"], htk=False, norm="slaney")
        log_mel = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=p["db_top_db"]).astype(np.float32)
        probs = session.run(None, {name: log_mel[None]})[0][0]
        out.write(json.dumps({"file": path, "emotion": side["labels"][int(np.argmax(probs))]}) + "\n")
    out.flush()


def timed(cmd):
    import csv
    import subprocess
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    took = time.perf_counter() - t0
    if "csv" in cmd:
        return took, [row["emotion"] for row in csv.DictReader(out.splitlines())]
    return took, [json.loads(line)["emotion"] for line in out.splitlines()]


def compare(ser, model_path, sidecar_path, rounds, files):
    python = [sys.executable, os.path.abspath(__file__), "pipeline", model_path, sidecar_path, *files]
    one = [ser, "predict", "--quiet", "--jobs", "1", *files]
    every = [ser, "predict", "--quiet", *files]
    table = [ser, "predict", "--quiet", "--format", "csv", *files]
    ratios = []
    for r in range(1, rounds + 1):
        (tp, py), (t1, _), (ta, rust), (tc, rows) = timed(python), timed(one), timed(every), timed(table)
        ratios.append((tp / t1, tp / ta, tp / tc))
        print(f"round {r}: python {tp:.2f} s, ser --jobs 1 {t1:.2f} s ({tp / t1:.2f}x), "
              f"ser on all {os.cpu_count()} cores {ta:.2f} s ({tp / ta:.2f}x), "
              f"ser --format csv on all cores {tc:.2f} s ({tp / tc:.2f}x)", flush=True)
    print(f"median speed-up over {len(files)} clips: ser --jobs 1 {np.median([a for a, _, _ in ratios]):.2f}x, "
          f"ser on all cores {np.median([b for _, b, _ in ratios]):.2f}x, "
          f"ser --format csv on all cores {np.median([c for _, _, c in ratios]):.2f}x")
    same = sum(a == b for a, b in zip(py, rust))
    print(f"same emotion from both pipelines on {same} of {len(py)} clips; csv and JSON lines agree on "
          f"{sum(a == b for a, b in zip(rust, rows))} of {len(rows)}")


if __name__ == "__main__":
    if sys.argv[1] == "pipeline":
        pipeline(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:])
