#!/usr/bin/env python3
"""Check robust's attacks against torchattacks 3.5.1 on the same weights, and time both.

On the shipped cnn (loaded into the PyTorch module of docs/pytorch-models.md) and the Fashion-MNIST
test set:
  * FGSM: robust's adversarial predictions must equal torchattacks' FGSM predictions on >= 99.5 % of
    the images (compared on the images the model classifies correctly: robust does not attack the
    others, whose prediction is already wrong);
  * PGD-10 (random start, step 2.5*eps/10, robust with --independent): robust accuracy within
    1 percentage point of torchattacks' PGD.
Then times PGD-10 with torchattacks (torch.set_num_threads(2), batch 256) next to
`robust bench attack` in the same run, medians of --runs batches, for BENCHMARKS.md.

Usage: python3 scripts/check_torchattacks.py [--samples 10000] [--eps 0.05] [--runs 5] [--no-check] [--no-bench]
Uses .venv-torch (created by scripts/check_pytorch.py's helper) and installs torchattacks==3.5.1
(--no-deps) and scipy into it. Not part of `make test`.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pytorch as cp  # noqa: E402  (re-executes this script inside .venv-torch)

try:
    import torchattacks  # noqa: E402
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "torchattacks==3.5.1"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "scipy", "requests"])
    import torchattacks  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

ROOT = cp.ROOT
ROBUST = os.path.join(ROOT, ".build", "release", "robust")


def load(name):
    card = json.load(open(os.path.join(ROOT, "models", f"{name}.json")))
    model = cp.module_for(card)
    model.load_state_dict(load_file(os.path.join(ROOT, "models", f"{name}.safetensors")), strict=True)
    return model.eval()


def labels(count):
    import gzip
    with gzip.open(os.path.join(cp.FASHION_MNIST, "t10k-labels-idx1-ubyte.gz"), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:count].astype(np.int64)


def torch_attack(attack, x, y, batch=256):
    preds = []
    for i in range(0, len(x), batch):
        xb, yb = torch.from_numpy(x[i:i + batch]), torch.from_numpy(y[i:i + batch])
        adv = attack(xb, yb)
        with torch.no_grad():
            preds.append(attack.model(adv).argmax(1).numpy())
    return np.concatenate(preds)


def robust_eval(attack, eps, samples, workdir, extra=()):
    out = os.path.join(workdir, attack)
    subprocess.check_call([ROBUST, "eval", "--attack", attack, "--eps", str(eps), "--samples", str(samples), "--independent",
                           "--no-extra-checks", "--out", out, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = [r for r in csv.DictReader(open(os.path.join(out, "samples.csv"))) if float(r["eps"]) == eps]
    rows.sort(key=lambda r: int(r["index"]))
    return np.array([int(r["adv_pred"]) for r in rows]), np.array([int(r["clean_pred"]) for r in rows])


def check(samples, eps):
    torch.set_num_threads(2)
    model = load("cnn-fmnist")
    x, y = cp.fashion_mnist_test(samples), labels(samples)
    ok = True
    with tempfile.TemporaryDirectory() as workdir:
        ours, clean = robust_eval("fgsm", eps, samples, workdir)
        theirs = torch_attack(torchattacks.FGSM(model, eps=eps), x, y)
        correct = clean == y
        agree = float(np.mean(ours[correct] == theirs[correct]))
        print(f"FGSM eps={eps}: predictions agree on {100 * agree:.2f} % of {correct.sum()} correctly classified images "
              f"(robust acc: robust {100 * np.mean(ours == y):.2f} %, torchattacks {100 * np.mean(theirs == y):.2f} %)")
        ok &= agree >= 0.995
        ours, _ = robust_eval("pgd", eps, samples, workdir, ["--steps", "10"])
        theirs = torch_attack(torchattacks.PGD(model, eps=eps, alpha=2.5 * eps / 10, steps=10, random_start=True), x, y)
        a, b = float(np.mean(ours == y)), float(np.mean(theirs == y))
        print(f"PGD-10 eps={eps}: robust accuracy robust {100 * a:.2f} %, torchattacks {100 * b:.2f} % "
              f"(difference {100 * (a - b):+.2f} pp, limit 1 pp)")
        ok &= abs(a - b) <= 0.01
    return ok


def bench(runs):
    torch.set_num_threads(2)
    x, y = torch.from_numpy(cp.fashion_mnist_test(256)), torch.from_numpy(labels(256))
    for name in ["cnn-fmnist", "resnet-lite-fmnist"]:
        model = load(name)
        attack = torchattacks.PGD(model, eps=0.1, alpha=0.025, steps=10, random_start=True)
        attack(x, y)  # warm-up
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            attack(x, y)
            times.append(time.perf_counter() - t)
        theirs = 256 / sorted(times)[len(times) // 2]
        out = subprocess.check_output([ROBUST, "bench", "attack", "--model", name.split("-fmnist")[0], "--attack", "pgd", "--steps", "10",
                                       "--batch-size", "256", "--threads", "2", "--runs", str(max(5, runs)), "--json"], text=True)
        ours = json.loads(out.strip().splitlines()[-1])
        print(f"PGD-10 {name} batch 256, 2 threads: torchattacks {theirs:.0f} img/s, robust {ours['images_per_second_median']:.0f} img/s "
              f"(ratio {ours['images_per_second_median'] / theirs:.2f}x; robust peak RSS {ours['peak_rss_mib']:.0f} MiB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--eps", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--no-bench", action="store_true")
    args = parser.parse_args()
    ok = True
    if not args.no_check:
        ok = check(args.samples, args.eps)
    if not args.no_bench:
        bench(args.runs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
