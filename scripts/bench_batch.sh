#!/usr/bin/env bash
# Batch speed (issue 13): `ser predict` on N short clips (default 700: the first N rows of
# ../shared/data/manifest.csv) against the Python pipeline (soundfile + librosa trim +
# melspectrogram + onnxruntime, same model, one thread), as ratios taken in one run, ROUNDS
# turns (default 3). The timing and arithmetic are in scripts/bench_batch.py.
# Needs the Python venv: scripts/setup.sh --python
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
data="$ROOT/../shared/data"
cargo build --release --locked --bin ser 2>/dev/null
mapfile -t files < <(tail -n +2 "$data/manifest.csv" | head -n "${N:-700}" | cut -d, -f1 | sed "s|^|$data/|")
.venv/bin/python scripts/bench_batch.py compare target/release/ser models/ser_cnn.onnx models/ser_cnn.json \
  "${ROUNDS:-3}" "${files[@]}"
