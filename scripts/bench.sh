#!/usr/bin/env bash
# Kernel benchmarks for BENCHMARKS.md: this core's peak, robust's SGEMM next to numpy/OpenBLAS
# (interleaved rounds, medians, ratios), and Conv2d. Usage: scripts/bench.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/robust
[ -x "$BIN" ] || swift build -c release >/dev/null
python3 -c 'import threadpoolctl' 2>/dev/null || pip install -q threadpoolctl >/dev/null 2>&1 || true
# OpenBLAS as this machine kind ships it: OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE unset.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
unset OPENBLAS_L2_SIZE
echo "robust: $($BIN bench gemm --shape 8x8x8 --runs 5 | head -1)"
$BIN bench peak
scripts/bench_compare.py --rounds "${1:-3}"
$BIN bench conv --threads 1,2
