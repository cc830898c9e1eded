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

Each case's work is counted once in PyTorch's own operations (convolutions and matrix products, 2 FLOP
per multiply-add, from torch.utils.flop_counter's formulas) and set against the cores' measured peak
(`robust bench peak --json` times --threads): the share of peak each side runs at, and the share a
target ratio of issue 16 would need. A target needing more than about 80 % of the peak over a whole
network is out of reach of any kernel that does all the multiplications.

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
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils.flop_counter import flop_registry  # noqa: E402

ROBUST = os.path.join(cp.ROOT, ".build", "release", "robust")
BATCH = 256
# Issue 16's targets: PyTorch time / robust time.
TARGETS = {("cnn", "train"): 1.5, ("cnn", "pgd"): 3.0,
           ("resnet-lite", "inference"): 2.0, ("resnet-lite", "train"): 1.2, ("resnet-lite", "pgd"): 2.0}


def load(name):
    card = json.load(open(os.path.join(cp.ROOT, "models", f"{name}-fmnist.json")))
    model = cp.module_for(card)
    model.load_state_dict(load_file(os.path.join(cp.ROOT, "models", f"{name}-fmnist.safetensors")), strict=True)
    return model.eval()


def torch_steps(name, x, y, counting=False):
    """One batch of each case, as a function. `counting`: inference under no_grad, whose operations
    reach the dispatcher decomposed into the ones the FLOP formulas know (inference_mode's do not)."""
    model = load(name)

    def infer():
        with torch.no_grad() if counting else torch.inference_mode():
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


class FLOPCount(TorchDispatchMode):
    """FLOPs of the convolutions and matrix products run under it (torch.utils.flop_counter's formulas;
    its FlopCounterMode cannot count torchattacks' autograd.grad)."""
    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def mflop_per_image(name, x, y):
    """Each case's MFLOP per image, counted on a throwaway copy of the model."""
    counts = {}
    for case, body in torch_steps(name, x, y, counting=True).items():
        with FLOPCount() as count:
            body()
        counts[case] = count.total / BATCH / 1e6
    return counts


def peak_gflops(threads):
    """The cores' measured FP32 peak (`robust bench peak`, one core, times threads), or None without AVX-512."""
    out = subprocess.run([ROBUST, "bench", "peak", "--json"], capture_output=True, text=True, cwd=cp.ROOT, check=True)
    one = json.loads(out.stdout).get("peak_gflops_median")
    return one * threads if one else None


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
    peak = peak_gflops(args.threads)
    rows = []
    for m in models:
        work = mflop_per_image(m, x, y)
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
            row = (m, k, work[k], BATCH / statistics.median(r for r, _ in pairs), BATCH / statistics.median(t for _, t in pairs),
                   statistics.median(ratios), ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4])
            rows.append(row)
            print(f"{m} {names[k]}: {row[3]:.0f} vs {row[4]:.0f} img/s, ratio {row[5]:.2f}x (quartiles {row[6]:.2f}-{row[7]:.2f})",
                  file=sys.stderr, flush=True)
        ours.close()
    print(f"batch {BATCH}, {args.threads} threads, {args.pairs} pairs per case, each the last batch of a burst of {args.burst} "
          f"per side; img/s = batch / median seconds; ratio = median over pairs of PyTorch time / robust time "
          f"(higher: robust faster)")
    if peak:
        print(f"share of peak = MFLOP per image x img/s / the {args.threads} cores' measured peak ({peak:.0f} GFLOP/s, "
              f"`robust bench peak`); the target's share is what robust would need to run at to meet it")
    print("| model | case | MFLOP/img | robust img/s | PyTorch img/s | ratio (quartiles) | robust, PyTorch: share of peak | target: share it needs |")
    print("| --- | --- | ---: | ---: | ---: | --- | --- | --- |")

    def share(mflop, speed):
        return f"{100 * mflop * speed / 1e3 / peak:.0f} %" if peak else "-"
    for m, k, mflop, ours_speed, theirs_speed, ratio, low, high in rows:
        target = TARGETS.get((m, k))
        needs = f"{target}x: {share(mflop, target * theirs_speed)}" if target else ""
        print(f"| {m} | {names[k]} | {mflop:.1f} | {ours_speed:.0f} | {theirs_speed:.0f} | **{ratio:.2f}x** ({low:.2f}-{high:.2f}) "
              f"| {share(mflop, ours_speed)}, {share(mflop, theirs_speed)} | {needs} |")

if __name__ == "__main__":
    main()
