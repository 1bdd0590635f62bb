#!/usr/bin/env bash
# tract vs onnxruntime on the shipped model, same input (T = 300 frames, about a 3 s clip),
# same run, single thread each. Prints both per-call times and the ratio tract / onnxruntime.
# Needs the Python venv: scripts/setup.sh --python
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
out=$(cargo bench --locked --bench inference -- --noplot 2>/dev/null | grep -A1 "tract ser_cnn" | grep "time:")
tract_us=$(echo "$out" | python3 -c '
import re,sys
line=sys.stdin.read(); m=re.search(r"\[\S+ \S+ (\S+) (\S+) ", line)
v,u=float(m.group(1)),m.group(2); print(v*{"ns":1e-3,"µs":1,"us":1,"ms":1e3,"s":1e6}[u])')
ort_us=$(.venv/bin/python - <<'PY'
import timeit, numpy as np, onnxruntime as ort
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.inter_op_num_threads = 1
s = ort.InferenceSession("models/ser_cnn.onnx", opts, providers=["CPUExecutionProvider"])
T, C = 300, 40
x = (np.sin(np.arange(T * C, dtype=np.float32) * 0.01) * 10).reshape(T, C).T[None].astype(np.float32).copy()
run = lambda: s.run(None, {"mfcc": x})
run()
n = 200
print(min(timeit.repeat(run, number=n, repeat=5)) / n * 1e6)
PY
)
python3 -c "t=$tract_us; o=$ort_us; print(f'tract {t:.1f} us/call, onnxruntime {o:.1f} us/call, ratio tract/onnxruntime = {t/o:.2f}x')"
