#!/usr/bin/env bash
# tract vs onnxruntime on the shipped model, same inputs, same run, single thread each, at
# T = 300 frames (one 3 s timeline window) and T = 421 (a whole 4.2 s clip), both through the
# model's one any-length plan. The two engines take turns, ROUNDS times (default 5), so a
# change in the machine's load hits both; prints every round's ratio and the median.
# Needs the Python venv: scripts/setup.sh --python
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
rounds=${ROUNDS:-5}
cargo bench --locked --bench inference --no-run 2>/dev/null
ort_us() {
  T=$1 .venv/bin/python - <<'PY'
import os, timeit, numpy as np, onnxruntime as ort
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.inter_op_num_threads = 1
s = ort.InferenceSession("models/ser_cnn.onnx", opts, providers=["CPUExecutionProvider"])
inp = s.get_inputs()[0]  # log_mel [1, 64, T] (or mfcc [1, 40, T] for an MFCC-only model)
T, C = int(os.environ["T"]), inp.shape[1]
x = (np.sin(np.arange(T * C, dtype=np.float32) * 0.01) * 10).reshape(T, C).T[None].astype(np.float32).copy()
run = lambda: s.run(None, {inp.name: x})
run()
n = 200
print(min(timeit.repeat(run, number=n, repeat=5)) / n * 1e6)
PY
}
for T in 300 421; do
  ratios=()
  for r in $(seq "$rounds"); do
    bench=$(cargo bench --locked --bench inference -- --noplot "tract ser_cnn T=$T\$" 2>/dev/null)
    tract_us=$(echo "$bench" | grep -A1 "tract ser_cnn T=$T\b" | grep "time:" | python3 -c '
import re,sys
line=sys.stdin.read(); m=re.search(r"\[\S+ \S+ (\S+) (\S+) ", line)
v,u=float(m.group(1)),m.group(2); print(v*{"ns":1e-3,"µs":1,"us":1,"ms":1e3,"s":1e6}[u])')
    o=$(ort_us "$T")
    ratio=$(python3 -c "print(f'{$tract_us/$o:.2f}')")
    ratios+=("$ratio")
    python3 -c "print(f'T = $T round $r: tract {$tract_us:.1f} us/call, onnxruntime {$o:.1f} us/call, ratio {$ratio}x')"
  done
  python3 -c "import statistics as s; r=[float(x) for x in '${ratios[*]}'.split()]; print(f'T = $T: median ratio tract/onnxruntime = {s.median(r):.2f}x (range {min(r):.2f}-{max(r):.2f}, {len(r)} rounds)')"
done
