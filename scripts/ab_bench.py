#!/usr/bin/env python3
"""A/B benchmark of two robust builds on this machine, interleaved so both see the same noise.

    scripts/ab_bench.py --old /path/to/old/robust --new .build/release/robust [--rounds 3] [--threads 1,2]

Each round runs every case once with each binary, alternating which goes first; a case's figure is the
median of its rounds, and the ratio new/old is the median of the per-round ratios (higher is faster for
throughputs). Cases: `bench attack` (cnn, resnet-lite; PGD-10, batch 256), `bench model` (cnn, resnet-lite:
inference and training step), `bench gemm` 1024^3 and `bench conv` (resnet-lite's 16-channel 3x3 layer).
Prints a Markdown table for BENCHMARKS.md. Not part of `make test` (timing belongs in benchmarks).
"""
import argparse, json, statistics, subprocess, sys

parser = argparse.ArgumentParser()
parser.add_argument("--old", required=True)
parser.add_argument("--new", required=True)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--threads", default="1,2")
parser.add_argument("--models-dir", default="models")
args = parser.parse_args()

def cases(threads):
    return [
        (f"attack cnn PGD-10, {threads} thr (img/s)", ["bench", "attack", "--model", "cnn", "--threads", threads, "--runs", "5", "--json", "--models-dir", args.models_dir], "images_per_second_median"),
        (f"attack resnet-lite PGD-10, {threads} thr (img/s)", ["bench", "attack", "--model", "resnet-lite", "--threads", threads, "--runs", "5", "--json", "--models-dir", args.models_dir], "images_per_second_median"),
        (f"model cnn inference, {threads} thr (img/s)", ["bench", "model", "--model", "cnn", "--threads", threads, "--runs", "5", "--json"], "inference_images_per_second"),
        (f"model cnn train step, {threads} thr (img/s)", ["bench", "model", "--model", "cnn", "--threads", threads, "--runs", "5", "--json"], "train_images_per_second"),
        (f"model resnet-lite inference, {threads} thr (img/s)", ["bench", "model", "--model", "resnet-lite", "--threads", threads, "--runs", "5", "--json"], "inference_images_per_second"),
        (f"model resnet-lite train step, {threads} thr (img/s)", ["bench", "model", "--model", "resnet-lite", "--threads", threads, "--runs", "5", "--json"], "train_images_per_second"),
        (f"gemm 1024^3, {threads} thr (GFLOP/s)", ["bench", "gemm", "--shape", "1024x1024x1024", "--threads", threads, "--runs", "7", "--json"], "gflops_median"),
        (f"conv 128x16x28x28->16 k3, {threads} thr (fwd GFLOP/s)", ["bench", "conv", "--shape", "128,16,28,28,16,3,1,1", "--threads", threads, "--runs", "7", "--json"], "forward_gflops_median"),
    ]

def run(binary, argv, key):
    out = subprocess.run([binary] + argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])[key]

rows = []
for threads in args.threads.split(","):
    for name, argv, key in cases(threads):
        old, new, ratios = [], [], []
        for r in range(args.rounds):
            order = [("old", args.old), ("new", args.new)] if r % 2 == 0 else [("new", args.new), ("old", args.old)]
            got = {label: run(binary, argv, key) for label, binary in order}
            old.append(got["old"]); new.append(got["new"]); ratios.append(got["new"] / got["old"])
        rows.append((name, statistics.median(old), statistics.median(new), statistics.median(ratios), min(ratios), max(ratios)))
        print(f"{name}: old {rows[-1][1]:.1f}, new {rows[-1][2]:.1f}, new/old {rows[-1][3]:.3f}", file=sys.stderr)
print("| case | old | new | new/old (median of rounds; min-max) |\n|---|---|---|---|")
for name, o, n, ratio, lo, hi in rows:
    print(f"| {name} | {o:.1f} | {n:.1f} | {ratio:.3f} ({lo:.3f}-{hi:.3f}) |")
