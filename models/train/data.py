"""Loading the `ser export` output, the speaker-independent folds, sampling and batching."""

import csv
import json
import os

import numpy as np

LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
LABEL_INDEX = {name: i for i, name in enumerate(LABELS)}

# Speaker-independent 5-fold assignment over RAVDESS actors 01-20 (odd = male, even = female).
# Fold k (1..5) tests on actors 4k-3, 4k-1 (male) and 4k-2, 4k (female); its validation actors
# for early stopping are the first male and the first female actor of the next fold
# (fold 5 wraps round to actors 01 and 02). Everything else (the other 14 RAVDESS actors,
# all of TESS and all of SAVEE) is training data for that fold.
N_FOLDS = 5


def fold_test_actors(k):
    return [4 * k - 3, 4 * k - 2, 4 * k - 1, 4 * k]


def fold_val_actors(k):
    nxt = k % N_FOLDS + 1
    return fold_test_actors(nxt)[:2]


# The final model holds out these two RAVDESS actors (1 male, 1 female) for early stopping.
FINAL_VAL_ACTORS = [19, 20]


def ravdess_speaker(actor):
    return f"ravdess_{actor:02d}"


class Export:
    """Features written by `ser export`: item i has frames features[offsets[i]:offsets[i+1]]."""

    def __init__(self, folder, mmap=False):
        self.folder = folder
        self.features = np.load(os.path.join(folder, "features.npy"), mmap_mode="r" if mmap else None)
        self.offsets = np.load(os.path.join(folder, "offsets.npy"))
        with open(os.path.join(folder, "params.json")) as f:
            self.params = json.load(f)
        with open(os.path.join(folder, "items.csv"), newline="") as f:
            self.items = list(csv.DictReader(f))
        n = len(self.items)
        assert len(self.offsets) == n + 1, (len(self.offsets), n)
        self.speaker = np.array([r["speaker"] for r in self.items])
        self.corpus = np.array([r["corpus"] for r in self.items])
        self.copy = np.array([int(r["copy"]) for r in self.items])
        self.label = np.array([LABEL_INDEX[r["emotion"]] for r in self.items])
        self.path = np.array([r["path"] for r in self.items])
        self.lengths = np.diff(self.offsets).astype(np.int64)
        self.n_features = int(self.features.shape[1])  # 40 MFCCs or n_mels log-mel bands
        assert np.array_equal(self.lengths, [int(r["frames"]) for r in self.items])

    def frames(self, i):
        """[T, n_features] float32 frames of item i."""
        return self.features[self.offsets[i]:self.offsets[i + 1]]

    def select(self, speakers, originals_only=False):
        m = np.isin(self.speaker, list(speakers))
        if originals_only:
            m &= self.copy == 0
        return np.nonzero(m)[0]

    def norm_stats(self, idx):
        """Per-coefficient mean and std over every frame of the items `idx`."""
        total = np.zeros(self.n_features, np.float64)
        total_sq = np.zeros(self.n_features, np.float64)
        count = 0
        for i in idx:
            x = self.frames(i).astype(np.float64)
            total += x.sum(0)
            total_sq += (x * x).sum(0)
            count += len(x)
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean * mean, 1e-12))
        return mean.astype(np.float32), std.astype(np.float32)


def sampling_weights(corpus, label, corpus_share):
    """Per-item sampling weights: each corpus gets its share, then classes are balanced overall.

    Within a corpus every class it has gets the same mass; the result is reweighted so the
    overall class distribution is uniform (calm exists only in RAVDESS, so calm draws come
    entirely from RAVDESS)."""
    w = np.zeros(len(label), np.float64)
    for c, share in corpus_share.items():
        mc = corpus == c
        if not mc.any():
            continue
        classes = np.unique(label[mc])
        for y in classes:
            m = mc & (label == y)
            w[m] = share / len(classes) / m.sum()
    p_class = np.array([w[label == y].sum() for y in range(len(LABELS))])
    p_class /= p_class.sum()
    for y in range(len(LABELS)):
        if p_class[y] > 0:
            w[label == y] *= (1.0 / len(LABELS)) / p_class[y]
    return w / w.sum()


def make_batches(lengths, n_draws, batch_size, rng, weights, window):
    """Draws n_draws items (with replacement, by `weights`) and groups them into batches of
    similar (cropped) length, so little padding is needed. Returns a list of index arrays."""
    drawn = rng.choice(len(weights), size=n_draws, replace=True, p=weights)
    chunk = batch_size * 16
    batches = []
    for s in range(0, n_draws, chunk):
        part = drawn[s:s + chunk]
        part = part[np.argsort(np.minimum(lengths[part], window), kind="stable")]
        for b in range(0, len(part), batch_size):
            batches.append(part[b:b + batch_size])
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def build_batch(export, idx, window, rng, mean, std, warp=None, source=None):
    """Random crops of at most `window` frames, normalised, zero-padded: ([B, F, L], lengths).
    `warp` (a FreqWarp) stretches each crop's frequency axis by its own random factor. The crops
    come from `source` where given (an export of the same items, e.g. the log-mel one that an
    MFCC member's warp reads through `ThenMfcc`), else from `export`."""
    source = export if source is None else source
    lens = np.minimum(export.lengths[idx], window)
    L = int(lens.max())
    x = np.zeros((len(idx), export.n_features, L), np.float32)
    for j, i in enumerate(idx):
        T = export.lengths[i]
        n = lens[j]
        start = rng.integers(0, T - n + 1)
        crop = source.frames(i)[start:start + n]
        if warp is not None:
            crop = warp(crop, rng)
        x[j, :, :n] = ((crop - mean) / std).T
    return x, lens


class FreqWarp:
    """Vocal-tract-length perturbation on log-mel frames: the spectrum is stretched along
    frequency by a factor drawn uniformly from [1 - amount, 1 + amount] per crop (a longer or
    shorter vocal tract moves formants, and with them the harmonics, by a common factor). Band
    k of the warped frame takes the value the clip had at centre_k / factor, interpolated
    linearly between mel-band centres (librosa's Slaney mel scale, as the core's filterbank)."""

    def __init__(self, amount, n_mels, fmax):
        import librosa

        self.amount = amount
        self.centres = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=fmax)[1:-1]
        self.positions = np.arange(n_mels, dtype=np.float64)

    def __call__(self, crop, rng):
        return self.stretch(crop, rng.uniform(1.0 - self.amount, 1.0 + self.amount))

    def stretch(self, rows, factor):
        """`rows` [T, n_mels] with what was at centre_k / factor moved to band k."""
        pos = np.interp(self.centres / factor, self.centres, self.positions)
        lo = np.minimum(pos.astype(np.int64), len(pos) - 2)
        w = (pos - lo).astype(np.float32)
        return rows[:, lo] * (1.0 - w) + rows[:, lo + 1] * w


class PitchShift(FreqWarp):
    """Pitch perturbation on log-mel frames that keeps the formants: each crop's spectral
    envelope (its log-mel rows smoothed across bands: the first `envelope_coefficients` DCT
    coefficients, as an MFCC keeps them) stays where it is, and only the fine structure on top
    of it (the harmonics, resolved in the bands below about 2 kHz) is stretched along frequency
    by 2^(u/12), u drawn uniformly from [-semitones, semitones] per crop. FreqWarp (VTLP)
    stretches both, as a longer or shorter vocal tract would; this moves the voice's pitch
    alone, as a speaker with a higher or lower voice but the same vowels would sound."""

    def __init__(self, semitones, n_mels, fmax, envelope_coefficients=12):
        super().__init__(0.0, n_mels, fmax)
        self.semitones = semitones
        import torch

        from model import dct_matrix

        # orthonormal, so its transpose takes the kept coefficients back to the bands
        keep = dct_matrix(envelope_coefficients, n_mels, torch.float64).numpy()
        self.smooth = (keep.T @ keep).astype(np.float32)  # [n_mels, n_mels]: projection on the envelope

    def __call__(self, crop, rng):
        factor = 2.0 ** (rng.uniform(-self.semitones, self.semitones) / 12.0)
        envelope = crop @ self.smooth
        return envelope + self.stretch(crop - envelope, factor)


class ThenMfcc:
    """A log-mel warp for an MFCC member: the crop is warped as log-mel frames, then taken to
    its MFCCs by librosa's DCT (as the graph's FromLogMel does at inference)."""

    def __init__(self, warp, n_mfcc, n_mels):
        import torch

        from model import dct_matrix

        self.warp = warp
        self.dct_t = dct_matrix(n_mfcc, n_mels, torch.float64).numpy().T.astype(np.float32)  # [n_mels, n_mfcc]

    def __call__(self, crop, rng):
        return self.warp(crop, rng) @ self.dct_t


def spec_augment(x, lens, rng, n_freq=2, max_f_frac=0.15, n_time=2, max_t_frac=0.1):
    """SpecAugment on normalised features (masked values set to 0 = the training mean).
    Frequency masks are up to 15 % of the feature rows wide (6 of 40 MFCCs)."""
    B, F = x.shape[0], x.shape[1]
    max_f = round(max_f_frac * F)
    for b in range(B):
        for _ in range(n_freq):
            f = rng.integers(0, max_f + 1)
            if f:
                f0 = rng.integers(0, F - f + 1)
                x[b, f0:f0 + f, :] = 0.0
        n = int(lens[b])
        max_t = max(1, int(n * max_t_frac))
        for _ in range(n_time):
            t = rng.integers(0, max_t + 1)
            if t:
                t0 = rng.integers(0, n - t + 1)
                x[b, :, t0:t0 + t] = 0.0
    return x
