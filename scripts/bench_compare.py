#!/usr/bin/env python3
"""robust's SGEMM next to numpy/OpenBLAS, interleaved, for BENCHMARKS.md.

For every shape and thread count it alternates `robust bench gemm --json` and
`scripts/bench_numpy.py` for several rounds (each a median of 7 timed runs) and reports the
median over rounds of each, their ratio, the median of the rounds' own ratios ("paired"), and
the ratio of the two fastest runs ("best"). The two runs of a round are seconds apart, so a
neighbour's load that comes and goes over minutes moves both, and the paired figure is the
steadier one on these machines; "best" is each side with nothing else running.

Usage: scripts/bench_compare.py [--rounds 3] [--threads 1,2] [--shape MxKxN ...]
"""
import argparse, json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_SHAPES = ["1024x1024x1024", "2048x2048x2048", "32x9x100352", "64x288x25088", "128x3136x128"]


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shape", action="append")
    args = ap.parse_args()
    robust = os.path.join(ROOT, ".build", "release", "robust")
    numpy_script = os.path.join(HERE, "bench_numpy.py")
    print(f"{'shape':<16} {'threads':>7} {'robust':>8} {'numpy':>8} {'ratio':>6} {'paired':>6} {'best':>6}  rounds  numpy kernel")
    for shape in args.shape or DEFAULT_SHAPES:
        for t in args.threads.split(","):
            r, n, rbest, nbest, kernel = [], [], 0.0, 0.0, ""
            for _ in range(args.rounds):
                rj = run_json([robust, "bench", "gemm", "--shape", shape, "--threads", t, "--json"])
                nj = run_json([sys.executable, numpy_script, "--shape", shape, "--threads", t])
                r.append(rj["gflops_median"])
                n.append(nj["gflops_median"])
                rbest, nbest = max(rbest, rj["gflops_max"]), max(nbest, nj["gflops_max"])
                kernel = nj["kernel"]
            rm, nm = statistics.median(r), statistics.median(n)
            paired = statistics.median(x / y for x, y in zip(r, n))
            print(f"{shape:<16} {t:>7} {rm:>8.1f} {nm:>8.1f} {rm / nm:>6.2f} {paired:>6.2f} {rbest / nbest:>6.2f}  {args.rounds:>6}  {kernel}",
                  flush=True)


if __name__ == "__main__":
    main()
