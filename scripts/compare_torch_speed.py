#!/usr/bin/env python3
"""robust next to PyTorch 2.13 / torchattacks 3.5.1, batches alternated in pairs, for BENCHMARKS.md.

For each model at batch 256 on --threads threads, three cases:
  * inference: PyTorch `model.eval()` under `torch.inference_mode()` vs robust's inference as `robust eval`
    runs it (the model's classifier, BatchNorm folded, micro-batched);
  * training step: forward, cross-entropy, backward, SGD (momentum 0.9, Nesterov, weight decay 5e-4) in
    train mode, vs robust's training step (the same recipe);
  * PGD-10 (eps 0.1, step 0.025, random start) with torchattacks on the shipped weights vs robust's PGD.
robust runs as one long-lived `robust bench paced` process that times one batch per request. A pair is
a burst of --burst batches on each side, back to back (which side goes first alternates), and times the
last batch of each burst; a case's ratio is the median of its pairs' time ratios (PyTorch time / robust
time: above 1, robust is faster). Why pairs: these machines drift by tens of percent within minutes, and
rounds of several batches per side, seconds apart, gave round ratios from 0.80 to 1.51 for one case. Why
the last of a burst: a first batch re-warms what the other process evicted, and PyTorch's first cnn
training batch after robust's ran 1.35x slower than its third (robust's: about the same).

Usage: python3 scripts/compare_torch_speed.py [--pairs 20] [--burst 3] [--threads 2] [--model cnn --model resnet-lite]
Runs inside .venv-torch (see scripts/check_pytorch.py); installs torchattacks==3.5.1 --no-deps there.
Needs a release build (swift build -c release). Not part of `make test` (timing belongs in benchmarks).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pytorch as cp  # noqa: E402  (re-executes this script inside .venv-torch)

try:
    import torchattacks  # noqa: E402
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "torchattacks==3.5.1", "--no-deps", "scipy"])
    import torchattacks  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

ROBUST = os.path.join(cp.ROOT, ".build", "release", "robust")
BATCH = 256


def load(name):
    card = json.load(open(os.path.join(cp.ROOT, "models", f"{name}-fmnist.json")))
    model = cp.module_for(card)
    model.load_state_dict(load_file(os.path.join(cp.ROOT, "models", f"{name}-fmnist.safetensors")), strict=True)
    return model.eval()


def torch_steps(name, x, y):
    """One batch of each case, as a function."""
    model = load(name)

    def infer():
        with torch.inference_mode():
            model(x)

    trainee = load(name).train()
    optimizer = torch.optim.SGD(trainee.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def step():
        loss = F.cross_entropy(trainee(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)

    attack = torchattacks.PGD(model, eps=0.1, alpha=0.025, steps=10, random_start=True)
    return {"inference": infer, "train": step, "pgd": lambda: attack(x, y)}


class Robust:
    """A `robust bench paced` process: one timed batch per request."""
    CASES = {"inference": "inference", "train": "train", "pgd": "attack"}

    def __init__(self, name, threads):
        self.process = subprocess.Popen(
            [ROBUST, "bench", "paced", "--model", name, "--batch-size", str(BATCH), "--threads", str(threads),
             "--attack", "pgd", "--steps", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cp.ROOT)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            sys.exit(f"robust bench paced did not start (got {line!r}); build it with swift build -c release")

    def seconds(self, case):
        self.process.stdin.write(self.CASES[case] + "\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def timed(body):
    t = time.perf_counter()
    body()
    return time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--burst", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", action="append")
    args = parser.parse_args()
    if args.pairs < 5 or args.burst < 1:
        sys.exit("--pairs must be at least 5 (a median needs repeats) and --burst at least 1")
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(cp.fashion_mnist_test(BATCH))
    y = torch.randint(0, 10, (BATCH,), generator=torch.Generator().manual_seed(0))
    models = args.model or ["cnn", "resnet-lite"]
    names = {"inference": "inference", "train": "training step", "pgd": "PGD-10"}
    rows = []
    for m in models:
        ours, theirs = Robust(m, args.threads), torch_steps(m, x, y)
        for body in theirs.values():
            body()  # warm-up (robust warms up before it says ready)
        for k in names:
            pairs = []
            for i in range(args.pairs):
                time.sleep(0.02)  # both sides' idle threads spin briefly after a batch: let them settle
                if i % 2 == 0:
                    r = [ours.seconds(k) for _ in range(args.burst)][-1]
                    time.sleep(0.02)
                    t = [timed(theirs[k]) for _ in range(args.burst)][-1]
                else:
                    t = [timed(theirs[k]) for _ in range(args.burst)][-1]
                    time.sleep(0.02)
                    r = [ours.seconds(k) for _ in range(args.burst)][-1]
                pairs.append((r, t))
            ratios = sorted(t / r for r, t in pairs)
            row = (m, names[k], BATCH / statistics.median(r for r, _ in pairs), BATCH / statistics.median(t for _, t in pairs),
                   statistics.median(ratios), ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4])
            rows.append(row)
            print(f"{m} {names[k]}: {row[2]:.0f} vs {row[3]:.0f} img/s, ratio {row[4]:.2f}x (quartiles {row[5]:.2f}-{row[6]:.2f})",
                  file=sys.stderr, flush=True)
        ours.close()
    print(f"batch {BATCH}, {args.threads} threads, {args.pairs} pairs per case, each the last batch of a burst of {args.burst} "
          f"per side; img/s = batch / median seconds; ratio = median over pairs of PyTorch time / robust time "
          f"(higher: robust faster)")
    print("| model | case | robust img/s | PyTorch img/s | ratio (quartiles) |")
    print("| --- | --- | ---: | ---: | --- |")
    for m, case, ours_speed, theirs_speed, ratio, low, high in rows:
        print(f"| {m} | {case} | {ours_speed:.0f} | {theirs_speed:.0f} | **{ratio:.2f}x** ({low:.2f}-{high:.2f}) |")


if __name__ == "__main__":
    main()
