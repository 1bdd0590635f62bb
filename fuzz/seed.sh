#!/usr/bin/env bash
# Builds the seed corpora in fuzz/corpus/<target>/ (git-ignored): the small format fixtures,
# the small librosa fixtures and a few tiny WAVs written by hand below (8-bit, 16-bit, 24-bit,
# float, mu-law, A-law, extensible, IMA and MS ADPCM). Idempotent: existing corpus entries,
# including what libFuzzer has added, are kept.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
seeds="$fuzz_dir/corpus/_seeds"
mkdir -p "$seeds"

# Fixtures under 32 KiB: larger ones would only be truncated by -max_len.
for f in "$root"/tests/fixtures/formats/*.{flac,mp3,ogg,wav} "$root"/tests/fixtures/librosa/*.flac; do
    [[ -f "$f" ]] || continue
    if (( $(stat -c %s "$f") <= 32768 )); then
        cp "$f" "$seeds/$(basename "$f")"
    fi
done

python3 - "$seeds" <<'PY'
import math, random, struct, sys
from pathlib import Path

out = Path(sys.argv[1])
rng = random.Random(1234)

def signal(rate, seconds, gaps=False):
    """A 220 Hz tone with a little noise; with gaps, silent stretches to exercise trimming."""
    n = int(rate * seconds)
    xs = []
    for i in range(n):
        t = i / rate
        v = 0.5 * math.sin(2 * math.pi * 220 * t) + 0.05 * (rng.random() - 0.5)
        if gaps and int(t * 4) % 2 == 1:
            v = 0.0
        xs.append(v)
    return xs

def riff(fmt_chunk, data, extra_chunks=b""):
    chunks = b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk + extra_chunks
    chunks += b"data" + struct.pack("<I", len(data)) + data
    if len(data) % 2:
        chunks += b"\0"
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks

def fmt(tag, channels, rate, bits, block_align, extra=None):
    body = struct.pack("<HHIIHH", tag, channels, rate, rate * block_align, block_align, bits)
    if extra is not None:
        body += struct.pack("<H", len(extra)) + extra
    return body

def clamp(v, lo, hi):
    return max(lo, min(hi, v))

def write(name, data):
    (out / name).write_bytes(data)

rate = 8000
xs = signal(rate, 0.75)

# 8-bit unsigned PCM.
write("pcm_u8_8k.wav", riff(fmt(1, 1, rate, 8, 1), bytes(clamp(int(128 + 127 * x), 0, 255) for x in xs)))
# 16-bit PCM, mono, and stereo with silent gaps (trimming, pause cutting).
s16 = lambda v: struct.pack("<h", clamp(int(32767 * v), -32768, 32767))
write("pcm_s16_8k.wav", riff(fmt(1, 1, rate, 16, 2), b"".join(s16(x) for x in xs)))
gx = signal(11025, 1.0, gaps=True)
write("pcm_s16_11k_stereo_gaps.wav", riff(fmt(1, 2, 11025, 16, 4), b"".join(s16(x) + s16(-x) for x in gx)))
# 24-bit PCM.
s24 = lambda v: struct.pack("<i", clamp(int(8388607 * v), -8388608, 8388607))[:3]
write("pcm_s24_8k.wav", riff(fmt(1, 1, rate, 24, 3), b"".join(s24(x) for x in xs[:3000])))
# 32-bit float.
write("float32_8k.wav", riff(fmt(3, 1, rate, 32, 4), b"".join(struct.pack("<f", x) for x in xs)))
# 64-bit float, short.
write("float64_8k.wav", riff(fmt(3, 1, rate, 64, 8), b"".join(struct.pack("<d", x) for x in xs[:2000])))

def mulaw(v):
    s = clamp(int(32767 * v), -32767, 32767)
    sign = 0x80 if s < 0 else 0
    s = min(abs(s) + 0x84, 0x7FFF)
    exp = 7
    for e in range(7, -1, -1):
        if s & (0x4000 >> (7 - e)):
            exp = e
            break
    else:
        exp = 0
    mant = (s >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant)) & 0xFF

write("mulaw_8k.wav", riff(fmt(7, 1, rate, 8, 1, extra=b""), bytes(mulaw(x) for x in xs)))
# A-law: the bytes need not be a faithful encoding to be a useful seed.
write("alaw_8k.wav", riff(fmt(6, 1, rate, 8, 1, extra=b""), bytes(mulaw(x) ^ 0x55 for x in xs)))

# WAVE_FORMAT_EXTENSIBLE, 16-bit, PCM sub-format GUID.
guid_pcm = struct.pack("<IHH", 1, 0x0000, 0x0010) + bytes([0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
ext = struct.pack("<HI", 16, 0x4) + guid_pcm
write("extensible_s16_8k.wav", riff(fmt(0xFFFE, 1, rate, 16, 2, extra=ext), b"".join(s16(x) for x in xs[:3000])))

# IMA ADPCM: blocks of 256 bytes, 505 samples each; random nibbles after a valid header.
block = 256
spb = (block - 4) * 2 + 1
data = b""
for _ in range(16):
    data += struct.pack("<hBB", 0, 20, 0) + bytes(rng.randrange(256) for _ in range(block - 4))
write("ima_adpcm_8k.wav", riff(fmt(0x11, 1, rate, 4, block, extra=struct.pack("<H", spb)),
                               data, extra_chunks=b"fact" + struct.pack("<II", 4, 16 * spb)))

# MS ADPCM: the 7 standard coefficient pairs; 256-byte blocks of 500 samples.
coefs = [(256, 0), (512, -256), (0, 0), (192, 64), (240, 0), (460, -208), (392, -232)]
spb = (block - 7) * 2 + 2
extra = struct.pack("<HH", spb, len(coefs)) + b"".join(struct.pack("<hh", a, b) for a, b in coefs)
data = b""
for _ in range(16):
    data += struct.pack("<BhhH", 0, 16, 0, 0)[:7] + bytes(rng.randrange(256) for _ in range(block - 7))
write("ms_adpcm_8k.wav", riff(fmt(0x02, 1, rate, 4, block, extra=extra), data))

# Edge cases: a header with no data, a header claiming hours of audio, and a LIST chunk.
write("empty_data.wav", riff(fmt(1, 1, rate, 16, 2), b""))
head = riff(fmt(1, 1, rate, 16, 2), b"".join(s16(x) for x in xs[:800]))
write("lying_size.wav", head[:40] + struct.pack("<I", 0x7FFFFFF0) + head[44:])
info = b"INFO" + b"INAM" + struct.pack("<I", 4) + b"tone"
write("list_chunk.wav", riff(fmt(1, 1, rate, 16, 2), b"".join(s16(x) for x in xs[:4000]),
                             extra_chunks=b"LIST" + struct.pack("<I", len(info)) + info))
PY

for target in decode features predict; do
    mkdir -p "$fuzz_dir/corpus/$target"
    cp -n "$seeds"/* "$fuzz_dir/corpus/$target/"
done
echo "seeded $(ls "$seeds" | wc -l) files into fuzz/corpus/{decode,features,predict}"
