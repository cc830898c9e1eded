#!/usr/bin/env python3
"""Check that robust's checkpoints are PyTorch checkpoints: same names, layouts and logits.

For every checkpoint in models/ (and, unless --no-self-test, two fresh checkpoints per architecture:
one from `robust models init`, one written by PyTorch with random weights and BatchNorm statistics), load
it with safetensors.torch.load_file into the module of docs/pytorch-models.md with
load_state_dict(strict=True), run the first --samples Fashion-MNIST test images, and compare the
logits with `robust models logits`. Fails (exit 1) if any max abs difference exceeds 1e-4.

Usage: python3 scripts/check_pytorch.py [--robust .build/release/robust] [--samples 1000] [--models models]
Creates .venv-torch (torch 2.13.0+cpu, safetensors, numpy) on first run and re-runs itself there.
"""
import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-torch")
TOLERANCE = 1e-4
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def ensure_venv():
    """Re-executes this script inside .venv-torch, creating it first if needed."""
    python = os.path.join(VENV, "bin", "python3")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([python, "-m", "pip", "install", "torch==2.13.0+cpu", "safetensors", "numpy"])
    os.execv(python, [python] + sys.argv)


ensure_venv()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402


# --- The modules of docs/pytorch-models.md (copied there verbatim: keep the two in step) ---

class Normalize(nn.Module):
    """(x - mean[c]) / std[c]; non-persistent buffers, so not in the state_dict."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)

    def forward(self, x):
        return (x - self.mean) / self.std


def mlp(channels, height, width, classes, mean, std):
    return nn.Sequential(OrderedDict([
        ("normalize", Normalize(mean, std)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(channels * height * width, 256)),
        ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(256, 128)),
        ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(128, classes)),
    ]))


def cnn(channels, height, width, classes, mean, std):
    return nn.Sequential(OrderedDict([
        ("normalize", Normalize(mean, std)),
        ("conv1", nn.Conv2d(channels, 32, 3, padding=1)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(32, 64, 3, padding=1)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(64 * (height // 4) * (width // 4), 128)),
        ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(128, classes)),
    ]))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock: conv3x3(stride)-bn-relu-conv3x3-bn, plus identity or downsample, then relu."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNetLite(nn.Module):
    """robust's resnet-lite: a CIFAR-style ResNet-14 named like torchvision's ResNet."""

    def __init__(self, channels, height, width, classes, mean, std):
        super().__init__()
        self.normalize = Normalize(mean, std)
        self.conv1 = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2), BasicBlock(64, 64))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(self.normalize(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


ARCHITECTURES = {"mlp": mlp, "cnn": cnn, "resnet-lite": ResNetLite}


def module_for(card):
    """The module a model card describes, in eval mode."""
    shape = card["input_shape"]
    pre = card["preprocessing"]
    build = ARCHITECTURES[card["architecture"]]
    return build(shape["channels"], shape["height"], shape["width"], card["classes"], pre["mean"], pre["std"]).eval()

# ------------------------------------------------------------------------------------------------


def fashion_mnist_test(count):
    """The first `count` test images as float32 [N, 1, 28, 28] in [0, 1] (IDX: 16-byte header)."""
    with gzip.open(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz"), "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw[: count * 784].reshape(count, 1, 28, 28).astype(np.float32) / 255.0)


def self_test_checkpoints(directory, robust):
    """Two checkpoints per architecture: one written by `robust models init` (robust -> PyTorch) and one
    written by PyTorch with random weights and BatchNorm statistics (PyTorch -> robust)."""
    paths = []
    for arch in ARCHITECTURES:
        path = os.path.join(directory, f"{arch}-robust-init.safetensors")
        subprocess.check_call([robust, "models", "init", "--architecture", arch, "--seed", "1", "--out", path])
        paths.append(path)
        torch.manual_seed(0)
        card = {"architecture": arch, "dataset": "fashion-mnist", "classes": 10, "class_names": [str(i) for i in range(10)],
                "input_shape": {"channels": 1, "height": 28, "width": 28},
                "preprocessing": {"mean": [0.286], "std": [0.353]}, "training_recipe": {"source": "check_pytorch.py self-test"},
                "tool_version": "check_pytorch"}
        module = module_for(card)
        with torch.no_grad():
            for m in module.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0, 0.1)
                    m.running_mean.normal_(0, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.num_batches_tracked.fill_(123)
        state = module.state_dict()
        path = os.path.join(directory, f"{arch}-selftest.safetensors")
        save_file({k: v.contiguous() for k, v in state.items()}, path)
        with open(path, "rb") as f:
            card["sha256"] = hashlib.sha256(f.read()).hexdigest()
        card["parameter_count"] = sum(p.numel() for p in module.parameters())
        with open(path[: -len(".safetensors")] + ".json", "w") as f:
            json.dump(card, f, indent=2, sort_keys=True)
        print(f"{arch}: {card['parameter_count']} parameters (PyTorch), state_dict names: {len(state)}")
        paths.append(path)
    return paths


def compare(path, robust, images, workdir):
    """Max abs difference between PyTorch's and robust's logits for `images`."""
    with open(path[: -len(".safetensors")] + ".json") as f:
        card = json.load(f)
    module = module_for(card)
    module.load_state_dict(load_file(path), strict=True)
    with torch.no_grad():
        expected = module(torch.from_numpy(images)).numpy()
    inputs, outputs = os.path.join(workdir, "images.f32"), os.path.join(workdir, "logits.f32")
    images.astype("<f4").tofile(inputs)
    subprocess.check_call([robust, "models", "logits", "--model", path, "--input", inputs, "--out", outputs])
    actual = np.fromfile(outputs, dtype="<f4").reshape(expected.shape)
    return float(np.abs(actual - expected).max()), float(np.abs(expected).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robust", default=os.path.join(ROOT, ".build", "release", "robust"))
    parser.add_argument("--models", default=os.path.join(ROOT, "models"))
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--no-self-test", action="store_true", help="check only the shipped checkpoints")
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = fashion_mnist_test(args.samples)
    worst = 0.0
    with tempfile.TemporaryDirectory() as workdir:
        paths = sorted(os.path.join(args.models, n) for n in os.listdir(args.models) if n.endswith(".safetensors"))
        if not args.no_self_test:
            paths += self_test_checkpoints(workdir, args.robust)
        if not paths:
            sys.exit("no checkpoints to check")
        for path in paths:
            diff, scale = compare(path, args.robust, images, workdir)
            worst = max(worst, diff)
            print(f"{os.path.basename(path)}: max |logit difference| {diff:.3g} over {args.samples} images (max |logit| {scale:.3g})")
    print(f"worst: {worst:.3g} (tolerance {TOLERANCE})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
