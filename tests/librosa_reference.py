#!/usr/bin/env python3
"""Writes the librosa reference fixtures the Rust parity tests compare against.

Run from the repo root: `.venv/bin/python tests/librosa_reference.py` (scripts/setup-python.sh
makes the venv). It copies a few speech clips from ../shared/data, synthesises a tone, white
noise and a clip with silence at both ends, and stores for each clip librosa's MFCC, log-mel,
trim and split results in tests/fixtures/librosa/<clip>.json. The Rust tests need no Python.
"""
import json
import pathlib
import shutil

import librosa
import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parent
OUT = ROOT / "fixtures" / "librosa"
DATA = ROOT.parent.parent / "shared" / "data"
SR = 16000

# Must equal FeatureParams::default() in src/dsp/params.rs.
P = dict(n_fft=512, hop_length=160, win_length=400, n_mels=64, n_mfcc=40, fmin=0.0, fmax=8000.0,
         db_top_db=80.0, top_db=30.0, trim_frame_length=2048, trim_hop_length=512)

SPEECH = {
    # RAVDESS actor 01 (male), angry, strong; actor 02 (female), sad, normal; TESS YAF, happy.
    "ravdess_01_angry.flac": "ravdess/Actor_01/03-01-05-02-01-01-01.flac",
    "ravdess_02_sad.flac": "ravdess/Actor_02/03-01-04-01-02-01-02.flac",
    "tess_yaf_happy.flac": "tess/YAF_bath_happy.flac",
}


def synth():
    rng = np.random.default_rng(20261122)
    t = np.arange(int(1.5 * SR)) / SR
    tone = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    noise = 0.1 * rng.standard_normal(int(1.5 * SR))
    # Silence, a voiced-like burst (harmonics under an envelope), silence.
    tb = np.arange(int(1.2 * SR)) / SR
    env = np.sin(np.pi * tb / tb[-1]) ** 2
    burst = env * sum(0.3 / k * np.sin(2 * np.pi * 150.0 * k * tb) for k in range(1, 8))
    padded = np.concatenate([np.zeros(int(0.6 * SR)), burst, np.zeros(int(0.45 * SR) + 77)])
    return {"tone_440.flac": tone, "white_noise.flac": noise, "silence_both_ends.flac": padded}


def reference(y):
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=P["n_fft"], hop_length=P["hop_length"], win_length=P["win_length"],
        window="hann", center=True, pad_mode="constant", power=2.0, n_mels=P["n_mels"],
        fmin=P["fmin"], fmax=P["fmax"], htk=False, norm="slaney")
    log_mel = librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=P["db_top_db"])
    mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=P["n_mfcc"], dct_type=2, norm="ortho")
    _, (start, end) = librosa.effects.trim(
        y, top_db=P["top_db"], frame_length=P["trim_frame_length"], hop_length=P["trim_hop_length"])
    split = librosa.effects.split(
        y, top_db=P["top_db"], frame_length=P["trim_frame_length"], hop_length=P["trim_hop_length"])
    r = lambda a: np.round(a.T.astype(np.float64), 4).tolist()
    return {
        "librosa_version": librosa.__version__,
        "params": P,
        "n_samples": int(len(y)),
        "trim": [int(start), int(end)],
        "split": [[int(a), int(b)] for a, b in split],
        "n_frames": int(mfcc.shape[1]),
        "mfcc": r(mfcc),
        "log_mel": r(log_mel),
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rel in SPEECH.items():
        shutil.copyfile(DATA / rel, OUT / name)
    for name, y in synth().items():
        sf.write(OUT / name, y, SR, subtype="PCM_16")
    for clip in sorted(OUT.glob("*.flac")):
        y, sr = sf.read(clip, dtype="float32")
        assert sr == SR
        (OUT / (clip.stem + ".json")).write_text(json.dumps(reference(y), separators=(",", ":")))
        print(clip.name, len(y), "samples")


if __name__ == "__main__":
    main()
