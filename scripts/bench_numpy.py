#!/usr/bin/env python3
"""numpy/OpenBLAS SGEMM on the same shapes as `robust bench gemm`, for BENCHMARKS.md ratios.

Usage: scripts/bench_numpy.py --shape 1024x1024x1024 [--shape ...] [--threads 1,2] [--runs 7]
Prints one JSON object per shape and thread count, with the same keys as `robust bench gemm --json`,
plus the BLAS kernel threadpoolctl reports (internal_api, architecture).
Run it in the same session as robust's benchmark: these machines are noisy.
"""
import argparse, json, os, statistics, sys, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", action="append", default=[])
    ap.add_argument("--threads", default="2")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    import numpy as np
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        sys.exit("threadpoolctl is missing: pip install threadpoolctl")
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    kernel = f"{info[0].get('internal_api')}:{info[0].get('architecture')}" if info else "unknown"
    rng = np.random.default_rng(42)
    for spec in args.shape or ["1024x1024x1024"]:
        m, k, n = (int(x) for x in spec.split(":")[0].split("x"))
        a = (rng.random((m, k), dtype=np.float32) - 0.5)
        b = (rng.random((k, n), dtype=np.float32) - 0.5)
        c = np.empty((m, n), dtype=np.float32)
        for t in (int(x) for x in args.threads.split(",")):
            with threadpool_limits(limits=t, user_api="blas"):
                for _ in range(2):
                    np.matmul(a, b, out=c)
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    np.matmul(a, b, out=c)
                    times.append(time.perf_counter() - t0)
            g = [2.0 * m * n * k / s / 1e9 for s in times]
            print(json.dumps({"shape": spec, "threads": t, "kernel": kernel, "runs": args.runs,
                              "gflops_median": statistics.median(g), "gflops_min": min(g),
                              "gflops_max": max(g),
                              "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}))


if __name__ == "__main__":
    main()
