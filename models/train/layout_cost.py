"""What a 2-D member's layout costs to run, before training one: each layout is exported with
random weights (a member's cost does not depend on them) the way train.py exports a member,
with a sidecar beside it, for timing in tract and onnxruntime (model card, "Channel counts do
not make it cheap in tract"):

    .venv/bin/python models/train/layout_cost.py --out /tmp/layouts 16,32,64,128 32,64,64,128:4
    MODEL=/tmp/layouts/c2d_16-32-64-128_t2.onnx cargo bench --bench model_ops
    .venv/bin/python models/bench_onnxruntime.py --T 421 --model /tmp/layouts/c2d_16-32-64-128_t2.onnx

A layout is the four convolutions' channels, optionally `:4` for a time stride of 4 in the
first convolution (2 by default). With `--banded` the member is exported in another form that
computes the same function (`banded_body`): each 2-D convolution as a 1-D one over time with
the bands as batch items, their neighbouring bands stacked as input channels (session 22: no
faster in tract; model card).
"""

import argparse
import copy
import hashlib
import json
import os

import torch
from torch import nn

import train
from model import SerCnn2d


def banded_body(member, z):
    """`member.body`'s output as `SerCnn2d.embed` flattens it, [B, C * bands, T'], from 1-D
    convolutions: each band a batch item, the bands a 2-D kernel reads stacked as channels,
    and each 2x2 max-pool as a pool over pairs of frames then the larger of each pair of bands
    (an elementwise maximum: tract's ReduceMax over an axis of two took 18 ms here)."""
    n, bands = z.shape[0], member.n_in  # counts as Python numbers, so the kernels' shapes are fixed
    h = z.reshape(n, bands, 1, z.shape[2])  # [B, bands, C, T]
    layers = list(member.body)
    i = 0
    while i < len(layers):
        conv, bn = layers[i], layers[i + 1]
        i += 3  # convolution, batch norm, ReLU
        pool = i < len(layers) and isinstance(layers[i], nn.MaxPool2d)
        i += pool
        (kb, kt), (sb, st), (pb, pt) = conv.kernel_size, conv.stride, conv.padding
        c, co = conv.in_channels, conv.out_channels
        out_bands = (bands + 2 * pb - kb) // sb + 1
        padded = nn.functional.pad(h, (0, 0, 0, 0, pb, pb))
        taps = torch.cat([padded[:, d : d + sb * (out_bands - 1) + 1 : sb] for d in range(kb)], dim=2)
        w = conv.weight.permute(0, 2, 1, 3).reshape(co, kb * c, kt)
        y = nn.functional.conv1d(taps.reshape(n * out_bands, kb * c, -1), w, stride=st, padding=pt)
        y = torch.relu(nn.functional.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                                False, 0.0, bn.eps))
        if pool:
            y = nn.functional.max_pool1d(y, 2)
            out_bands //= 2
            y = y.reshape(n * out_bands, 2, co, y.shape[2])
            y = torch.maximum(y[:, 0], y[:, 1])
        bands = out_bands
        h = y.reshape(n, bands, co, y.shape[2])
    return h.permute(0, 2, 1, 3).reshape(n, co * bands, h.shape[3])


def banded(member):
    """A copy of `member` whose inference path runs `banded_body` in place of its body (the
    rest of its path, normalisation, pooling and head, is the member's own)."""
    other = copy.copy(member)

    def embed(z, lengths=None):
        if member.cmn:
            z = member.remove_clip_mean(z, lengths)
        return member.pool(banded_body(member, z), lengths)

    other.embed = embed
    return other


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--banded", action="store_true", help="export the same function as 1-D convolutions")
    ap.add_argument("layouts", nargs="+", help="CHANNELS[:TIME_STRIDE], e.g. 16,32,64,128 or 16,32,64,128:4")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(train.MODELS, "ser_cnn.json")) as f:
        sidecar = json.load(f)
    torch.manual_seed(0)
    for layout in args.layouts:
        channels, _, stride = layout.partition(":")
        widths = tuple(int(w) for w in channels.split(","))
        member = SerCnn2d(widths=widths, time_stride=int(stride or 2))
        for m in member.modules():  # batch-norm statistics that fold into non-trivial weights
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
        member.eval()
        member.input_feature = "logmel"
        path = os.path.join(args.out, f"c2d_{'-'.join(map(str, widths))}_t{stride or 2}"
                            f"{'_banded' if args.banded else ''}.onnx")
        if args.banded:
            x = torch.randn(1, member.n_in, 421)
            difference = (banded(member)(x) - member(x)).abs().max().item()
            assert difference < 1e-5, difference
        train.export_onnx(banded(member) if args.banded else member, path)
        with open(path, "rb") as f:
            sidecar["onnx_sha256"] = hashlib.sha256(f.read()).hexdigest()
        with open(path[: -len(".onnx")] + ".json", "w") as f:
            json.dump(sidecar, f)
        print(f"{path}: {sum(p.numel() for p in member.parameters())} parameters")


if __name__ == "__main__":
    main()
