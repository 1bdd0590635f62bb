"""What a 2-D member's layout costs to run, before training one: each layout is exported with
random weights (a member's cost does not depend on them) the way train.py exports a member,
with a sidecar beside it, for timing in tract and onnxruntime (model card, "Channel counts do
not make it cheap in tract"):

    .venv/bin/python models/train/layout_cost.py --out /tmp/layouts 16,32,64,128 32,64,64,128:4
    MODEL=/tmp/layouts/c2d_16-32-64-128_t2.onnx cargo bench --bench model_ops
    .venv/bin/python models/bench_onnxruntime.py --T 421 --model /tmp/layouts/c2d_16-32-64-128_t2.onnx

A layout is the four convolutions' channels, optionally `:4` for a time stride of 4 in the
first convolution (2 by default).
"""

import argparse
import hashlib
import json
import os

import torch

import train
from model import SerCnn2d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
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
        path = os.path.join(args.out, f"c2d_{'-'.join(map(str, widths))}_t{stride or 2}.onnx")
        train.export_onnx(member, path)
        with open(path, "rb") as f:
            sidecar["onnx_sha256"] = hashlib.sha256(f.read()).hexdigest()
        with open(path[: -len(".onnx")] + ".json", "w") as f:
            json.dump(sidecar, f)
        print(f"{path}: {sum(p.numel() for p in member.parameters())} parameters")


if __name__ == "__main__":
    main()
