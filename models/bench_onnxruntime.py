"""Times onnxruntime inference of models/ser_cnn.onnx on an input of T frames (default 300,
i.e. about a 3-4 s trimmed clip) and prints milliseconds per call, for comparison with tract.

    .venv/bin/python models/bench_onnxruntime.py [--T 300] [--threads 1] [--calls 200]
"""

import argparse
import os
import statistics
import time

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(HERE, "ser_cnn.onnx"))
    ap.add_argument("--T", type=int, nargs="+", default=[300])
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (tract runs single-threaded)")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    print(f"onnxruntime {ort.__version__}, {os.path.basename(args.model)}, intra-op threads {args.threads}")
    inp = sess.get_inputs()[0]  # log_mel [1, 64, T], or mfcc [1, 40, T] for an MFCC-only model
    for T in args.T:
        x = (rng.standard_normal((1, inp.shape[1], T)) * 10.0).astype(np.float32)
        for _ in range(args.warmup):
            sess.run(["probabilities"], {inp.name: x})
        times = []
        for _ in range(args.calls):
            t = time.perf_counter()
            sess.run(["probabilities"], {inp.name: x})
            times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        print(f"T={T}: median {statistics.median(times):.3f} ms/call, "
              f"mean {statistics.fmean(times):.3f} ms, p10 {times[len(times) // 10]:.3f} ms, "
              f"p90 {times[9 * len(times) // 10]:.3f} ms ({args.calls} calls)")


if __name__ == "__main__":
    main()
