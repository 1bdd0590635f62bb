#!/usr/bin/env python3
"""Prints bench_features.sh's per-clip table: Rust against librosa, best and median, and the ratio.

Called by scripts/bench_features.sh, from the repo root, after both sides have run:

    scripts/bench_features_report.py BENCH_LOG LIBROSA_LOG

BENCH_LOG is the output of `cargo bench --bench features` (its `best-of-300 <id> <ms> ms` lines);
the medians are criterion's, read from <target>/criterion/ (CARGO_TARGET_DIR, else what
`cargo metadata` says). LIBROSA_LOG is the output of scripts/bench_librosa.py; its first clip
is the one compared.

It also prints the Rust side's own floor: features/compute (log-mel + MFCC) against
features/ffts_only (the same frames' windowed FFTs and nothing else), as `RATIO compute/ffts`.
"""
import json
import os
import pathlib
import subprocess
import sys


def target_dir():
    if os.environ.get("CARGO_TARGET_DIR"):
        return pathlib.Path(os.environ["CARGO_TARGET_DIR"])
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                          stdout=subprocess.PIPE, check=True).stdout
    return pathlib.Path(json.loads(meta)["target_directory"])


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} BENCH_LOG LIBROSA_LOG")
    bench_log, librosa_log = map(pathlib.Path, sys.argv[1:])
    crit = target_dir() / "criterion"

    best_of = {}
    for l in bench_log.read_text().splitlines():
        if l.startswith("best-of-"):
            _, bench_id, ms, _ = l.split()
            best_of[bench_id] = float(ms)

    def rust_ms(group, name):
        """(best, median) ms per clip: the best single call, and criterion's median estimate."""
        est = json.loads((crit / group / name / "new" / "estimates.json").read_text())
        return best_of[f"{group}/{name}"], est["median"]["point_estimate"] / 1e6

    line = next(l for l in librosa_log.read_text().splitlines() if l.startswith("librosa "))
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
    fb, fm = rust_ms("features", "ffts_only")
    print(f"{'the FFTs alone':28} {fb:8.3f} /{fm:7.3f}   (ffts_only: the same frames, windowed 512-point real FFTs)")
    print(f"RATIO compute/ffts best={rb / fb:.2f} median={rm / fm:.2f}")
    print(f"target <= 2x for log-mel + MFCC over the FFTs alone (best vs best): "
          f"{'met' if rb / fb <= 2 else 'NOT met'} ({rb / fb:.2f}x)")
    print(f"target >= 20x on MFCC (best vs best): {'met' if lb / rb >= 20 else 'NOT met'} ({lb / rb:.1f}x)")


if __name__ == "__main__":
    main()
