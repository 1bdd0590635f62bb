#!/usr/bin/env python3
"""Writes the librosa YIN fixtures that tests/pitch_parity.rs compares ser's pitch tracker against.

Run from the repo root: `.venv/bin/python tests/yin_reference.py`. For every clip already in
tests/fixtures/librosa (written by tests/librosa_reference.py, which this script leaves alone)
it stores in tests/fixtures/librosa/<clip>.yin.json:

- `f0`: `librosa.yin` over the whole clip at 16 kHz, untrimmed, as soundfile reads it (float32,
  like the MFCC fixtures), in Hz rounded to 1e-3;
- `trimmed`: the same over `y[start:end]`, where `librosa.effects.trim(top_db=30,
  frame_length=2048, hop_length=512)` gives `start, end`: the signal ser's model reads
  (ser's trim equals librosa's to the sample, tests/librosa_parity.rs);
- `rms_db`: `librosa.amplitude_to_db(librosa.feature.rms(frame_length=1024, hop_length=160,
  center=True, pad_mode="constant"), ref=1.0, amin=1e-5, top_db=None)`, rounded to 1e-3 dB;
- `pyin_voiced`: `librosa.pyin`'s voiced flag with the same range and framing: not a parity
  target, a yardstick for ser's own voicing decision.

The Rust tests need no Python.
"""
import json
import pathlib

import librosa
import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parent
DIR = ROOT / "fixtures" / "librosa"
SR = 16000

# Must equal PitchParams::default() in src/dsp/pitch.rs. win_length is deprecated in librosa
# 0.11 and has no effect: the difference function spans the whole frame.
P = dict(fmin=65.0, fmax=600.0, frame_length=1024, hop_length=160, trough_threshold=0.1, center=True,
         pad_mode="constant")
TRIM = dict(top_db=30, frame_length=2048, hop_length=512)


def yin(y):
    return librosa.yin(y, sr=SR, **P)


def rounded(a, digits=3):
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


def reference(y):
    _, (start, end) = librosa.effects.trim(y, **TRIM)
    rms = librosa.feature.rms(y=y, frame_length=P["frame_length"], hop_length=P["hop_length"], center=True,
                              pad_mode="constant")[0]
    rms_db = librosa.amplitude_to_db(rms, ref=1.0, amin=1e-5, top_db=None)
    _, voiced, _ = librosa.pyin(y, fmin=P["fmin"], fmax=P["fmax"], sr=SR, frame_length=P["frame_length"],
                                hop_length=P["hop_length"], center=True, pad_mode="constant")
    f0 = yin(y)
    return {
        "librosa_version": librosa.__version__,
        "params": dict(P, sr=SR),
        "n_samples": int(len(y)),
        "n_frames": int(len(f0)),
        "f0": rounded(f0),
        "rms_db": rounded(rms_db),
        "pyin_voiced": [bool(v) for v in voiced],
        "trimmed": {"trim": [int(start), int(end)], **TRIM, "f0": rounded(yin(y[start:end]))},
    }


def main():
    for clip in sorted(DIR.glob("*.flac")):
        y, sr = sf.read(clip, dtype="float32")
        assert sr == SR and y.ndim == 1, clip
        out = DIR / (clip.stem + ".yin.json")
        out.write_text(json.dumps(reference(y), separators=(",", ":")))
        print(out.name, len(y), "samples")


if __name__ == "__main__":
    main()
