#!/usr/bin/env python3
"""Writes the small compressed-format fixtures that tests/decode_formats.rs decodes.

Run from the repo root: `.venv/bin/python tests/make_format_fixtures.py`. Each file holds one
pure tone of a known frequency, sample rate, channel count and duration (listed in
tests/fixtures/formats/README.md and in FIXTURES below, which the Rust test mirrors). WAV is
not here: the Rust test writes its WAV inputs itself with hound.

With `--ffmpeg` it writes instead the speech fixtures in the formats phones, messengers and
browsers write (M4A/AAC, WebM/Vorbis, Ogg/Opus, WebM/Opus, Ogg/Speex), with Debian 12's
ffmpeg 5.1 (`apt-get install ffmpeg`), from librosa/ravdess_01_angry.flac (RAVDESS, CC BY-NC-SA
4.0; see tests/fixtures/README.md, which lists the same commands). The output is bit-exact for
a given ffmpeg and encoder library version.
"""
import pathlib
import subprocess
import sys

OUT = pathlib.Path(__file__).resolve().parent / "fixtures" / "formats"

# name: (format, subtype, sample rate, channels, seconds, tone Hz, extra soundfile kwargs)
FIXTURES = {
    "tone_440hz_22050_mono.flac": ("FLAC", "PCM_16", 22050, 1, 0.8, 440.0, {}),
    "tone_660hz_44100_stereo.mp3": ("MP3", "MPEG_LAYER_III", 44100, 2, 1.0, 660.0,
                                    {"compression_level": 0.9, "bitrate_mode": "CONSTANT"}),
    "tone_880hz_48000_mono.ogg": ("OGG", "VORBIS", 48000, 1, 1.0, 880.0, {"compression_level": 0.9}),
}


def tone(sr, channels, seconds, hz):
    import numpy as np

    t = np.arange(int(round(seconds * sr))) / sr
    # A short fade in and out so the lossy coders see no click at the edges.
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    y = 0.5 * fade * np.sin(2 * np.pi * hz * t)
    return np.repeat(y[:, None], channels, axis=1) if channels > 1 else y


# The same speech in the lossy formats soundfile writes, which the page hands to the browser's
# decoder (its core reads WAV and FLAC only): name: (format, subtype, extra soundfile kwargs).
SPEECH_FIXTURES = {
    "ravdess_01_angry.mp3": ("MP3", "MPEG_LAYER_III", {"bitrate_mode": "CONSTANT", "compression_level": 0.9}),
    "ravdess_01_angry_vorbis.ogg": ("OGG", "VORBIS", {"compression_level": 0.9}),
}

# name: ffmpeg options between the input and the output (input options first, if any).
SOURCE = "../librosa/ravdess_01_angry.flac"
FFMPEG_FIXTURES = {
    "ravdess_01_angry_aac.m4a": ([], ["-c:a", "aac", "-b:a", "32k"]),
    "ravdess_01_angry_vorbis.webm": ([], ["-c:a", "libvorbis", "-q:a", "0"]),
    # A messenger's voice note: Opus in Ogg at 16 kbit/s (OpusHead input rate 16 kHz).
    "ravdess_01_angry_opus.ogg": ([], ["-c:a", "libopus", "-b:a", "16k"]),
    # A browser's MediaRecorder: Opus in WebM, fed at 48 kHz, 24 kbit/s.
    "ravdess_01_angry_opus.webm": ([], ["-ar", "48000", "-c:a", "libopus", "-b:a", "24k"]),
    "speech_1s_opus.ogg": (["-ss", "1", "-t", "1"], ["-c:a", "libopus", "-b:a", "16k"]),
    "speech_1s_speex.ogg": (["-ss", "1", "-t", "1"], ["-c:a", "libspeex"]),
    "speech_1s_opus.webm": (["-ss", "1", "-t", "1"], ["-c:a", "libopus", "-b:a", "16k"]),
}


def ffmpeg_fixtures():
    for name, (before, after) in FFMPEG_FIXTURES.items():
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *before, "-i", SOURCE,
               "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", *after, name]
        subprocess.run(cmd, cwd=OUT, check=True)
        size = (OUT / name).stat().st_size
        print(f"{name}: {size} bytes")
        assert size < 20_000, f"{name} is too big for a committed fixture"


def main():
    if "--ffmpeg" in sys.argv[1:]:
        ffmpeg_fixtures()
        return
    import soundfile as sf  # the venv's (scripts/setup.sh --python); --ffmpeg needs neither

    OUT.mkdir(parents=True, exist_ok=True)
    for name, (fmt, subtype, sr, ch, seconds, hz, kw) in FIXTURES.items():
        path = OUT / name
        sf.write(path, tone(sr, ch, seconds, hz), sr, format=fmt, subtype=subtype, **kw)
        info = sf.info(path)
        print(f"{name}: {path.stat().st_size} bytes, {info.samplerate} Hz, {info.channels} ch, "
              f"{info.frames} frames")
        assert path.stat().st_size < 30_000, f"{name} is too big for a committed fixture"
    speech, sr = sf.read(OUT / SOURCE)
    for name, (fmt, subtype, kw) in SPEECH_FIXTURES.items():
        path = OUT / name
        sf.write(path, speech, sr, format=fmt, subtype=subtype, **kw)
        print(f"{name}: {path.stat().st_size} bytes")
        assert path.stat().st_size < 30_000, f"{name} is too big for a committed fixture"


if __name__ == "__main__":
    main()
