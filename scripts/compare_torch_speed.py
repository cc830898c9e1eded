#!/usr/bin/env python3
"""robust next to PyTorch 2.13 / torchattacks 3.5.1, interleaved in one run, for BENCHMARKS.md.

For cnn and resnet-lite at batch 256 on --threads threads, each round times, back to back:
  * inference: PyTorch `model.eval()` under `torch.inference_mode()` vs `robust bench model` (inference
    as `robust eval` runs it: the model's classifier, BatchNorm folded, micro-batched);
  * training step: forward, cross-entropy, backward, SGD (momentum 0.9, Nesterov, weight decay 5e-4) in
    train mode, vs `robust bench model`'s training step (the same recipe);
  * PGD-10 (eps 0.1, step 0.025, random start) with torchattacks on the shipped weights vs
    `robust bench attack`.
Each side's figure in a round is a median of --runs batches after a warm-up. The table gives each side's
median over rounds and the median of the rounds' own ratios (robust / PyTorch, higher is faster for robust):
the two runs of a round are seconds apart, so load that comes and goes moves both.

Usage: python3 scripts/compare_torch_speed.py [--rounds 3] [--runs 5] [--threads 2] [--model cnn --model resnet-lite]
Runs inside .venv-torch (see scripts/check_pytorch.py); installs torchattacks==3.5.1 --no-deps there.
Not part of `make test` (timing belongs in benchmarks).
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


def median_seconds(runs, body):
    body()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        body()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def torch_figures(name, x, y, runs):
    model = load(name)
    model.eval()

    def infer():
        with torch.inference_mode():
            model(x)
    inference = BATCH / median_seconds(runs, infer)

    trainee = load(name).train()
    optimizer = torch.optim.SGD(trainee.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def step():
        loss = F.cross_entropy(trainee(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
    train = BATCH / median_seconds(runs, step)

    attack = torchattacks.PGD(model, eps=0.1, alpha=0.025, steps=10, random_start=True)
    pgd = BATCH / median_seconds(runs, lambda: attack(x, y))
    return {"inference": inference, "train": train, "pgd": pgd}


def robust_json(args):
    out = subprocess.check_output([ROBUST, *args, "--json"], text=True)
    return json.loads(out.strip().splitlines()[-1])


def robust_figures(name, threads, runs):
    model = robust_json(["bench", "model", "--model", name, "--batch-size", str(BATCH), "--threads", str(threads),
                         "--runs", str(max(5, runs))])
    attack = robust_json(["bench", "attack", "--model", name, "--attack", "pgd", "--steps", "10", "--batch-size", str(BATCH),
                          "--threads", str(threads), "--runs", str(max(5, runs))])
    return {"inference": model["inference_images_per_second"], "train": model["train_images_per_second"],
            "pgd": attack["images_per_second_median"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", action="append")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.from_numpy(cp.fashion_mnist_test(BATCH))
    y = torch.randint(0, 10, (BATCH,), generator=torch.Generator().manual_seed(0))
    models = args.model or ["cnn", "resnet-lite"]
    rows = {(m, k): ([], [], []) for m in models for k in ("inference", "train", "pgd")}
    for r in range(args.rounds):
        for m in models:
            ours = robust_figures(m, args.threads, args.runs)
            theirs = torch_figures(m, x, y, args.runs)
            for k in ("inference", "train", "pgd"):
                a, b, ratios = rows[(m, k)]
                a.append(ours[k]), b.append(theirs[k]), ratios.append(ours[k] / theirs[k])
            print(f"round {r + 1} {m}: " + ", ".join(f"{k} {ours[k]:.0f} vs {theirs[k]:.0f} ({ours[k] / theirs[k]:.2f}x)"
                                                  for k in ("inference", "train", "pgd")), file=sys.stderr, flush=True)
    names = {"inference": "inference", "train": "training step", "pgd": "PGD-10"}
    print(f"batch {BATCH}, {args.threads} threads, {args.rounds} rounds x {args.runs} runs; img/s medians; "
          f"ratio = median of per-round robust/PyTorch")
    print("| model | case | robust img/s | PyTorch img/s | ratio (rounds) |")
    print("| --- | --- | ---: | ---: | --- |")
    for (m, k), (a, b, ratios) in rows.items():
        print(f"| {m} | {names[k]} | {statistics.median(a):.0f} | {statistics.median(b):.0f} | "
              f"**{statistics.median(ratios):.2f}x** ({', '.join(f'{q:.2f}' for q in ratios)}) |")


if __name__ == "__main__":
    main()
