#!/usr/bin/env python3
"""Writes the small compressed-format fixtures that tests/decode_formats.rs decodes.

Run from the repo root: `.venv/bin/python tests/make_format_fixtures.py`. Each file holds one
pure tone of a known frequency, sample rate, channel count and duration (listed in
tests/fixtures/formats/README.md and in FIXTURES below, which the Rust test mirrors). WAV is
not here: the Rust test writes its WAV inputs itself with hound.
"""
import pathlib

import numpy as np
import soundfile as sf

OUT = pathlib.Path(__file__).resolve().parent / "fixtures" / "formats"

# name: (format, subtype, sample rate, channels, seconds, tone Hz, extra soundfile kwargs)
FIXTURES = {
    "tone_440hz_22050_mono.flac": ("FLAC", "PCM_16", 22050, 1, 0.8, 440.0, {}),
    "tone_660hz_44100_stereo.mp3": ("MP3", "MPEG_LAYER_III", 44100, 2, 1.0, 660.0,
                                    {"compression_level": 0.9, "bitrate_mode": "CONSTANT"}),
    "tone_880hz_48000_mono.ogg": ("OGG", "VORBIS", 48000, 1, 1.0, 880.0, {"compression_level": 0.9}),
}


def tone(sr, channels, seconds, hz):
    t = np.arange(int(round(seconds * sr))) / sr
    # A short fade in and out so the lossy coders see no click at the edges.
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    y = 0.5 * fade * np.sin(2 * np.pi * hz * t)
    return np.repeat(y[:, None], channels, axis=1) if channels > 1 else y


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (fmt, subtype, sr, ch, seconds, hz, kw) in FIXTURES.items():
        path = OUT / name
        sf.write(path, tone(sr, ch, seconds, hz), sr, format=fmt, subtype=subtype, **kw)
        info = sf.info(path)
        print(f"{name}: {path.stat().st_size} bytes, {info.samplerate} Hz, {info.channels} ch, "
              f"{info.frames} frames")
        assert path.stat().st_size < 30_000, f"{name} is too big for a committed fixture"


if __name__ == "__main__":
    main()
