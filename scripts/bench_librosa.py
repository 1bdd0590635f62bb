#!/usr/bin/env python3
"""Times librosa doing what benches/features.rs times in Rust, in process, on the same clips.

Run from the repo root: `.venv/bin/python scripts/bench_librosa.py [CLIP.flac ...]`
(default: tests/fixtures/librosa/ravdess_01_angry.flac). For each clip it prints

    librosa <name> mfcc_ms=<best> mfcc_median_ms=<median> trim_mfcc_ms=<best> trim_mfcc_median_ms=<median>

where `mfcc` is `librosa.feature.mfcc` on the whole 16 kHz clip and `trim_mfcc` is
`librosa.effects.trim` followed by `librosa.feature.mfcc` on the kept span, with the
parameters of tests/librosa_reference.py (= FeatureParams::default()). Each figure is per
clip: timeit's best (and median) over 100 single calls (see --number, --repeat), after a warm-up
call. The BLAS/FFT thread count is whatever the environment sets (bench_features.sh sets 1).
"""
import argparse
import pathlib
import statistics
import sys
import timeit

import librosa
import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_CLIP = ROOT / "tests" / "fixtures" / "librosa" / "ravdess_01_angry.flac"
SR = 16000

# Must equal FeatureParams::default() in src/dsp/params.rs and P in tests/librosa_reference.py.
P = dict(n_fft=512, hop_length=160, win_length=400, n_mels=64, n_mfcc=40, fmin=0.0, fmax=8000.0,
         db_top_db=80.0, top_db=30.0, trim_frame_length=2048, trim_hop_length=512)


def mfcc(y):
    # librosa.feature.mfcc(y=...) = melspectrogram → power_to_db with its defaults (ref=1.0,
    # amin=1e-10, top_db=80.0 = P["db_top_db"]) → DCT-II ortho.
    return librosa.feature.mfcc(
        y=y, sr=SR, n_mfcc=P["n_mfcc"], dct_type=2, norm="ortho", lifter=0, mel_norm="slaney",
        n_fft=P["n_fft"], hop_length=P["hop_length"], win_length=P["win_length"], window="hann",
        center=True, pad_mode="constant", power=2.0, n_mels=P["n_mels"], fmin=P["fmin"],
        fmax=P["fmax"], htk=False)


def trim_mfcc(y):
    kept, _ = librosa.effects.trim(
        y, top_db=P["top_db"], frame_length=P["trim_frame_length"], hop_length=P["trim_hop_length"])
    return mfcc(kept)


def per_call(fn, y, number, repeat):
    fn(y)  # warm-up: first-call caches, lazy imports
    times = timeit.repeat(lambda: fn(y), number=number, repeat=repeat)
    per = [t / number * 1000.0 for t in times]
    return min(per), statistics.median(per)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", type=pathlib.Path, default=[DEFAULT_CLIP])
    ap.add_argument("--number", type=int, default=1, help="calls per repeat")
    ap.add_argument("--repeat", type=int, default=100, help="repeats; the best and the median are reported")
    args = ap.parse_args()
    print(f"# librosa {librosa.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    for clip in args.clips:
        y, sr = sf.read(clip, dtype="float32")
        if y.ndim > 1:
            y = y.mean(axis=1)
        if sr != SR:
            sys.exit(f"{clip}: {sr} Hz; the benchmark clips are 16 kHz")
        # Same result as the explicit chain tests/librosa_reference.py writes the fixtures with.
        ref = librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(
            y=y, sr=SR, n_fft=P["n_fft"], hop_length=P["hop_length"], win_length=P["win_length"],
            window="hann", center=True, pad_mode="constant", power=2.0, n_mels=P["n_mels"],
            fmin=P["fmin"], fmax=P["fmax"], htk=False, norm="slaney"),
            ref=1.0, amin=1e-10, top_db=P["db_top_db"]), n_mfcc=P["n_mfcc"], dct_type=2, norm="ortho")
        assert np.allclose(mfcc(y), ref, atol=1e-4), "bench parameters differ from the reference"
        m_best, m_med = per_call(mfcc, y, args.number, args.repeat)
        t_best, t_med = per_call(trim_mfcc, y, args.number, args.repeat)
        print(f"librosa {clip.stem} samples={len(y)} seconds={len(y) / SR:.3f} "
              f"mfcc_ms={m_best:.4f} mfcc_median_ms={m_med:.4f} "
              f"trim_mfcc_ms={t_best:.4f} trim_mfcc_median_ms={t_med:.4f}")


if __name__ == "__main__":
    main()
