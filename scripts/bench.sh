#!/usr/bin/env bash
# Kernel benchmarks for BENCHMARKS.md: this core's peak, robust's SGEMM next to numpy/OpenBLAS
# (interleaved rounds, medians, ratios), and Conv2d. Usage: scripts/bench.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/robust
[ -x "$BIN" ] || swift build -c release >/dev/null
python3 -c 'import threadpoolctl' 2>/dev/null || pip install -q threadpoolctl >/dev/null 2>&1 || true
# OpenBLAS at its best on this CPU: with OPENBLAS_CORETYPE unset it picks its AVX-512 kernel
# (SkylakeX) where the CPU has one; a Haswell setting would hold it back to AVX2. The kernel it
# used is printed in the last column.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
echo "robust: $($BIN bench gemm --shape 8x8x8 --runs 5 | head -1)"
$BIN bench peak
scripts/bench_compare.py --rounds "${1:-3}"
$BIN bench conv --threads 1,2
