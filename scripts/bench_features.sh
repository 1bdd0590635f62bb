#!/usr/bin/env bash
# Per-clip feature time, Rust (benches/features.rs, criterion) against librosa
# (scripts/bench_librosa.py), on the same 4.1 s 16 kHz clip in the same run, and the ratio
# (scripts/bench_features_report.py), and the Rust side against its own FFTs alone
# (features/compute / features/ffts_only).
#
# Usage: scripts/bench_features.sh [MEASUREMENT_SECONDS]   (default 3; run from anywhere)
# Env:   PYTHON (default .venv/bin/python), BENCH_THREADS (BLAS/OpenMP threads for numpy and
#        scipy, default 1: the Rust side is single-threaded).
#
# Each side is reported per clip as best / median: Rust, the best of 300 single calls (printed by
# the bench before criterion runs) and criterion's median; librosa, timeit's best and median of
# 100 single calls. "best" is the figure least disturbed by other load on a shared machine, and
# the ratio that counts; medians move with the load.
set -euo pipefail

cd "$(dirname "$0")/.."
MEASURE="${1:-3}"
PYTHON="${PYTHON:-.venv/bin/python}"
THREADS="${BENCH_THREADS:-1}"
LOG="$(mktemp)"
LIBROSA_LOG="$(mktemp)"
trap 'rm -f "$LOG" "$LIBROSA_LOG"' EXIT

echo "== load: $(uptime | sed 's/.*load average/load average/') on $(nproc) cores"
echo "== Rust: cargo bench --bench features (measurement ${MEASURE} s per benchmark)"
if ! cargo bench --bench features -- --warm-up-time 1 --measurement-time "$MEASURE" --noplot \
    >"$LOG" 2>&1; then
    cat "$LOG" >&2
    exit 1
fi
grep -E '^(clip:|best-of-|features/|pipeline/)|time:' "$LOG"

echo "== librosa: $PYTHON scripts/bench_librosa.py (BLAS/OpenMP threads: $THREADS)"
OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
    NUMBA_NUM_THREADS="$THREADS" "$PYTHON" scripts/bench_librosa.py | tee "$LIBROSA_LOG"

echo "== Per clip"
"$PYTHON" scripts/bench_features_report.py "$LOG" "$LIBROSA_LOG"
