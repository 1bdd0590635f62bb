"""The ser_cnn network: a small 1-D CNN over time with global average pooling.

The MFCC coefficients are the input channels and the convolutions run along time, so the
network accepts any number of frames T. The exported graph is

    mfcc [1, 40, T] -> (x - mean) / std -> 4 x (Conv1d + BatchNorm + ReLU [+ MaxPool /2])
                    -> mean over time -> Linear -> Softmax -> probabilities [1, 8]

Training feeds padded batches with a length vector so the pooling can ignore the padding;
the exported (inference) path pools over all frames, i.e. one forward pass per whole clip.
"""

import torch
from torch import nn

N_MFCC = 40
N_CLASSES = 8


class SerCnn(nn.Module):
    def __init__(self, widths=(64, 128, 128, 192), kernels=(5, 5, 3, 3), dropout=0.3, cmn=False, stride1=1,
                 cvn=False, stats_pool=False, n_in=N_MFCC, attentive=False):
        super().__init__()
        self.n_in = n_in
        # attentive statistics pooling (Okabe et al. 2018): the mean and standard deviation
        # over time weighted by a learnt per-frame attention, so loud or emotional stretches
        # can count more than the rest of the clip
        self.attentive = attentive
        self.stats_pool = stats_pool or attentive
        self.cmn = cmn or cvn
        self.cvn = cvn
        self.register_buffer("mean", torch.zeros(1, n_in, 1))
        self.register_buffer("inv_std", torch.ones(1, n_in, 1))
        layers = []
        c_in = n_in
        self.n_pools = 0
        for i, (w, k) in enumerate(zip(widths, kernels)):
            stride = stride1 if i == 0 else 1
            layers += [nn.Conv1d(c_in, w, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm1d(w), nn.ReLU()]
            if stride == 2:
                self.n_pools += 1
            if i < len(widths) - 1:
                layers.append(nn.MaxPool1d(2))
                self.n_pools += 1
            c_in = w
        self.body = nn.Sequential(*layers)
        if attentive:
            self.attention = nn.Sequential(nn.Conv1d(c_in, 64, 1), nn.Tanh(), nn.Conv1d(64, 1, 1))
        self.dropout = nn.Dropout(dropout)
        # stats pooling: the mean and the standard deviation of each channel over time
        self.head = nn.Linear(2 * c_in if self.stats_pool else c_in, N_CLASSES)

    def set_norm(self, mean, std):
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32).view(1, self.n_in, 1))
        self.inv_std.copy_(1.0 / torch.as_tensor(std, dtype=torch.float32).view(1, self.n_in, 1))

    def normalize(self, x):
        """Global per-coefficient standardisation with the training set's statistics."""
        return (x - self.mean) * self.inv_std

    def logits_normalized(self, z, lengths=None):
        """Logits from already-normalised features z [B, 40, T]; `lengths` (frames) masks padding."""
        return self.head(self.dropout(self.embed(z, lengths)))

    def embed(self, z, lengths=None):
        """The pooled features the head reads (the clip's embedding), from normalised z."""
        if self.cmn:
            z = self.remove_clip_mean(z, lengths)
        h = self.body(z)
        if self.attentive:
            return self.attentive_pool(h, lengths)
        return self.pool(h, lengths)

    def remove_clip_mean(self, z, lengths):
        """Cepstral mean normalisation: the clip's own mean over its (valid) frames removed from
        each row (cvn: also divided by the clip's own standard deviation per row)."""
        if lengths is None:
            z = z - z.mean(dim=2, keepdim=True)
            if self.cvn:
                z = z / torch.sqrt((z * z).mean(dim=2, keepdim=True) + 1e-2)
        else:
            m = (torch.arange(z.shape[2], device=z.device)[None, :] < lengths[:, None]).to(z.dtype)
            n = lengths[:, None, None].to(z.dtype)
            mu = (z * m[:, None, :]).sum(dim=2, keepdim=True) / n
            z = (z - mu) * m[:, None, :]
            if self.cvn:
                z = z / torch.sqrt((z * z).sum(dim=2, keepdim=True) / n + 1e-2)
        return z

    def pool(self, h, lengths):
        """The mean over time of each channel of h [B, C, T'] (and its standard deviation, with
        statistics pooling); `lengths` (input frames) masks padding."""
        if lengths is None:
            pooled = h.mean(dim=2)
            if self.stats_pool:
                d = h - pooled[:, :, None]
                pooled = torch.cat([pooled, torch.sqrt((d * d).mean(dim=2) + 1e-4)], dim=1)
        else:
            valid = lengths.clone()
            for _ in range(self.n_pools):
                valid = torch.div(valid, 2, rounding_mode="floor")
            valid = valid.clamp(min=1)
            mask = (torch.arange(h.shape[2], device=h.device)[None, :] < valid[:, None]).to(h.dtype)
            n = valid[:, None].to(h.dtype)
            pooled = (h * mask[:, None, :]).sum(dim=2) / n
            if self.stats_pool:
                d = (h - pooled[:, :, None]) * mask[:, None, :]
                pooled = torch.cat([pooled, torch.sqrt((d * d).sum(dim=2) / n + 1e-4)], dim=1)
        return pooled

    def attentive_pool(self, h, lengths):
        scores = self.attention(h)  # [B, 1, T']
        if lengths is not None:
            valid = lengths.clone()
            for _ in range(self.n_pools):
                valid = torch.div(valid, 2, rounding_mode="floor")
            valid = valid.clamp(min=1)
            pad = torch.arange(h.shape[2], device=h.device)[None, None, :] >= valid[:, None, None]
            scores = scores.masked_fill(pad, -1e4)
        w = torch.softmax(scores, dim=2)
        mean = (h * w).sum(dim=2)
        var = (h * h * w).sum(dim=2) - mean * mean
        return torch.cat([mean, torch.sqrt(var.clamp(min=0) + 1e-4)], dim=1)

    def forward(self, mfcc):
        """Inference path (what goes to ONNX): raw MFCC [B, 40, T] -> probabilities [B, 8]."""
        return torch.softmax(self.logits_normalized(self.normalize(mfcc)), dim=1)


class SerCnn2d(SerCnn):
    """A member that reads the log-mel spectrogram as an image: 2-D convolutions over
    (band, frame), so a pattern is recognised wherever it sits in frequency (a pitch movement,
    a formant shift), which the 1-D members, whose bands are input channels, cannot share
    between bands. The first convolution has stride 2 on both axes and three 2x2 max-pools
    follow, so its cost is about one wide 1-D member's; the bands left (n_in / 16) are folded
    into the channels before the statistics pooling over time, which keeps where in frequency
    each pattern was."""

    def __init__(self, widths=(16, 32, 64, 128), dropout=0.3, n_in=64, cmn=False, time_stride=2):
        nn.Module.__init__(self)
        self.n_in = n_in
        self.attentive = False
        self.stats_pool = True
        # cmn: each band's mean over the clip's frames removed first, as the 1-D cmn members do
        self.cmn = cmn
        self.cvn = False
        self.register_buffer("mean", torch.zeros(1, n_in, 1))
        self.register_buffer("inv_std", torch.ones(1, n_in, 1))
        layers = []
        c_in = 1
        for i, w in enumerate(widths):
            if i == 0:
                assert time_stride in (2, 4), time_stride
                # time_stride 4 (only timed so far, layout_cost.py) halves every later layer's
                # frames; its kernel then spans 5 frames so that no frame is skipped
                kt = 3 if time_stride == 2 else 2 * time_stride - 3
                conv = nn.Conv2d(c_in, w, (3, kt), stride=(2, time_stride), padding=(1, kt // 2), bias=False)
            else:
                conv = nn.Conv2d(c_in, w, 3, padding=1, bias=False)
            layers += [conv, nn.BatchNorm2d(w), nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c_in = w
        self.body = nn.Sequential(*layers)
        # halvings of the time axis, for the pooling's mask of padded frames
        self.n_pools = len(widths) - 1 + time_stride.bit_length() - 1
        bands = n_in // 2 ** len(widths)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * c_in * bands, N_CLASSES)

    def embed(self, z, lengths=None):
        if self.cmn:
            z = self.remove_clip_mean(z, lengths)
        h = self.body(z[:, None, :, :])  # [B, C, bands, T']
        return self.pool(h.flatten(1, 2), lengths)  # [B, C * bands, T']


def dct_matrix(n_mfcc, n_mels, dtype=torch.float32):
    """librosa's MFCC transform: the orthonormal DCT-II of the log-mel rows, first n_mfcc."""
    k = torch.arange(n_mfcc, dtype=torch.float64)[:, None]
    m = torch.arange(n_mels, dtype=torch.float64)[None, :]
    d = torch.cos(torch.pi * k * (2 * m + 1) / (2 * n_mels)) * (2.0 / n_mels) ** 0.5
    d[0] /= 2.0 ** 0.5
    return d.to(dtype)


class FromLogMel(nn.Module):
    """An MFCC member fed the log-mel spectrogram: the DCT runs in the graph as a fixed 1x1
    convolution, so one input serves members of both features."""

    def __init__(self, member, n_mels, n_mfcc):
        super().__init__()
        self.member = member
        self.n_in = n_mels
        self.register_buffer("dct", dct_matrix(n_mfcc, n_mels)[:, :, None])

    def forward(self, log_mel):
        return self.member(nn.functional.conv1d(log_mel, self.dct))


class FirstRows(nn.Module):
    """A member fed a taller input than it was trained on: it reads the first `rows` rows (a
    log-mel or MFCC member beside pitch-row members reads the log-mel part of `logmel_prosody`)."""

    def __init__(self, member, rows, n_in):
        super().__init__()
        self.member = member
        self.rows = rows
        self.n_in = n_in

    def forward(self, x):
        return self.member(x[:, : self.rows, :])


class SerEnsemble(nn.Module):
    """Average of the members' probabilities (each member keeps its own normalisation)."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x):
        p = self.members[0](x)
        for m in self.members[1:]:
            p = p + m(x)
        return p * (1.0 / len(self.members))


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
