#!/usr/bin/env bash
# tract vs onnxruntime on the shipped model, same inputs, same run, single thread each, at
# T = 300 frames (one 3 s timeline window) and T = 421 (a whole 4.2 s clip), both through the
# model's one any-length plan. Prints per-call times and the ratio tract / onnxruntime.
# Needs the Python venv: scripts/setup.sh --python
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bench=$(cargo bench --locked --bench inference -- --noplot 2>/dev/null)
for T in 300 421; do
  tract_us=$(echo "$bench" | grep -A1 "tract ser_cnn T=$T\b" | grep "time:" | python3 -c '
import re,sys
line=sys.stdin.read(); m=re.search(r"\[\S+ \S+ (\S+) (\S+) ", line)
v,u=float(m.group(1)),m.group(2); print(v*{"ns":1e-3,"µs":1,"us":1,"ms":1e3,"s":1e6}[u])')
  ort_us=$(T=$T .venv/bin/python - <<'PY'
import os, timeit, numpy as np, onnxruntime as ort
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.inter_op_num_threads = 1
s = ort.InferenceSession("models/ser_cnn.onnx", opts, providers=["CPUExecutionProvider"])
T, C = int(os.environ["T"]), 40
x = (np.sin(np.arange(T * C, dtype=np.float32) * 0.01) * 10).reshape(T, C).T[None].astype(np.float32).copy()
run = lambda: s.run(None, {"mfcc": x})
run()
n = 200
print(min(timeit.repeat(run, number=n, repeat=5)) / n * 1e6)
PY
)
  python3 -c "t=$tract_us; o=$ort_us; print(f'T = $T: tract {t:.1f} us/call, onnxruntime {o:.1f} us/call, ratio tract/onnxruntime = {t/o:.2f}x')"
done
