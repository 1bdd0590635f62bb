#!/usr/bin/env bash
# tract vs onnxruntime on the shipped model, same inputs, same run, single thread each, at
# T = 300 frames (one 3 s timeline window) and T = 421 (a whole 4.2 s clip), both through the
# model's one any-length plan. The two engines take turns, ROUNDS times (default 5), so a
# change in the machine's load hits both, and each is timed alike (the fastest of 5 runs of
# 200 calls); prints every round's ratio and the median. cargo runs
# tract's side here; scripts/bench_inference_ort.py times onnxruntime and does the arithmetic.
# Needs the Python venv: scripts/setup.sh --python
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
rounds=${ROUNDS:-5}
cargo bench --locked --bench inference --no-run 2>/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for T in 300 421; do
  : >"$tmp/ratios"
  for r in $(seq "$rounds"); do
    BEST_OF=$T cargo bench --locked --bench inference 2>/dev/null >"$tmp/tract"
    .venv/bin/python scripts/bench_inference_ort.py round "$T" "$r" "$tmp/tract" "$tmp/ratios"
  done
  .venv/bin/python scripts/bench_inference_ort.py median "$T" "$tmp/ratios"
done
