#!/usr/bin/env bash
# Per-clip feature time, Rust (benches/features.rs, criterion) against librosa
# (scripts/bench_librosa.py), on the same 4.1 s 16 kHz clip in the same run, and the ratio.
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
TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps \
    | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== load: $(uptime | sed 's/.*load average/load average/') on $(nproc) cores"
echo "== Rust: cargo bench --bench features (measurement ${MEASURE} s per benchmark)"
if ! cargo bench --bench features -- --warm-up-time 1 --measurement-time "$MEASURE" --noplot \
    >"$LOG" 2>&1; then
    cat "$LOG" >&2
    exit 1
fi
grep -E '^(clip:|best-of-|features/|pipeline/)|time:' "$LOG"

echo "== librosa: $PYTHON scripts/bench_librosa.py (BLAS/OpenMP threads: $THREADS)"
LIBROSA_OUT="$(OMP_NUM_THREADS="$THREADS" OPENBLAS_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS" \
    NUMBA_NUM_THREADS="$THREADS" "$PYTHON" scripts/bench_librosa.py)"
echo "$LIBROSA_OUT"

echo "== Per clip"
TARGET_DIR="$TARGET_DIR" LIBROSA_OUT="$LIBROSA_OUT" BENCH_LOG="$LOG" "$PYTHON" - <<'PY'
import json
import os
import pathlib

crit = pathlib.Path(os.environ["TARGET_DIR"]) / "criterion"


best_of = {}
for l in pathlib.Path(os.environ["BENCH_LOG"]).read_text().splitlines():
    if l.startswith("best-of-"):
        _, bench_id, ms, _ = l.split()
        best_of[bench_id] = float(ms)


def rust_ms(group, name):
    """(best, median) ms per clip: the best single call, and criterion's median estimate."""
    est = json.loads((crit / group / name / "new" / "estimates.json").read_text())
    return best_of[f"{group}/{name}"], est["median"]["point_estimate"] / 1e6


line = next(l for l in os.environ["LIBROSA_OUT"].splitlines() if l.startswith("librosa "))
py = dict(kv.split("=") for kv in line.split()[2:])
mfcc = (float(py["mfcc_ms"]), float(py["mfcc_median_ms"]))
trim_mfcc = (float(py["trim_mfcc_ms"]), float(py["trim_mfcc_median_ms"]))

rows = [
    ("MFCC of the whole clip", rust_ms("features", "compute"), mfcc,
     "FeatureExtractor::compute vs librosa.feature.mfcc"),
    ("MFCC, planning included", rust_ms("features", "new_and_compute"), mfcc,
     "FeatureExtractor::new + compute vs librosa.feature.mfcc"),
    ("trim + MFCC", rust_ms("features", "trim_compute"), trim_mfcc,
     "kept_intervals + compute vs librosa.effects.trim + mfcc"),
]
print(f"{'ms per clip (best / median)':28} {'Rust':>17} {'librosa':>17} {'librosa/Rust':>15}")
for label, (rb, rm), (pb, pm), what in rows:
    print(f"{label:28} {rb:8.3f} /{rm:7.3f} {pb:8.3f} /{pm:7.3f} {pb / rb:7.1f}x /{pm / rm:5.1f}x"
          f"   ({what})")
pb, pm = rust_ms("pipeline", "analyse_bytes")
print(f"{'whole pipeline from FLAC':28} {pb:8.3f} /{pm:7.3f}   (analyse_bytes: decode + trim + MFCC)")
(rb, rm), (lb, lm) = rows[0][1], rows[0][2]
print(f"RATIO mfcc best={lb / rb:.2f} median={lm / rm:.2f}")
print(f"target >= 20x on MFCC (best vs best): {'met' if lb / rb >= 20 else 'NOT met'} ({lb / rb:.1f}x)")
PY
