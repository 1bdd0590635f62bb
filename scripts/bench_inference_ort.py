#!/usr/bin/env python3
"""The onnxruntime side of scripts/bench_inference.sh, and its arithmetic.

Called by bench_inference.sh, from the repo root, with the venv's Python:

    bench_inference_ort.py round T R TRACT_LOG RATIOS
        times onnxruntime on models/ser_cnn.onnx at T frames (one thread, best of 5 x 200 calls),
        reads tract's time from TRACT_LOG (the output of `BEST_OF=T cargo bench --bench
        inference`: tract timed the same way), prints round R's line and appends its ratio to
        RATIOS;
    bench_inference_ort.py median T RATIOS
        prints the median, lowest and highest of the ratios in RATIOS.
"""
import pathlib
import re
import statistics
import sys
import timeit

def tract_us(log, frames):
    """tract's best of 5 x 200 calls at T = frames, in microseconds per call."""
    m = re.search(rf"tract ser_cnn T={frames}: best of 5 x 200 calls (\S+) us/call", log)
    if not m:
        sys.exit(f"bench_inference_ort: no time for tract ser_cnn T={frames}")
    return float(m.group(1))


def ort_us(frames):
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    s = ort.InferenceSession("models/ser_cnn.onnx", opts, providers=["CPUExecutionProvider"])
    inp = s.get_inputs()[0]  # log_mel [1, 64, T] (or mfcc [1, 40, T] for an MFCC-only model)
    T, C = frames, inp.shape[1]
    x = (np.sin(np.arange(T * C, dtype=np.float32) * 0.01) * 10).reshape(T, C).T[None].astype(np.float32).copy()
    run = lambda: s.run(None, {inp.name: x})
    run()
    n = 200
    return min(timeit.repeat(run, number=n, repeat=5)) / n * 1e6


def main():
    cmd, args = sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]
    if cmd == "round" and len(args) == 4:
        frames, r, tract_log, ratios = int(args[0]), args[1], pathlib.Path(args[2]), pathlib.Path(args[3])
        t = tract_us(tract_log.read_text(), frames)
        o = ort_us(frames)
        ratio = f"{t / o:.2f}"
        print(f"T = {frames} round {r}: tract {t:.1f} us/call, onnxruntime {o:.1f} us/call, ratio {ratio}x")
        with ratios.open("a") as f:
            f.write(ratio + "\n")
    elif cmd == "median" and len(args) == 2:
        frames, r = args[0], [float(x) for x in pathlib.Path(args[1]).read_text().split()]
        print(f"T = {frames}: median ratio tract/onnxruntime = {statistics.median(r):.2f}x "
              f"(range {min(r):.2f}-{max(r):.2f}, {len(r)} rounds)")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
