#!/usr/bin/env bash
# Kernel benchmarks for BENCHMARKS.md: robust and numpy/OpenBLAS side by side, interleaved
# shape by shape in one run (these machines are noisy), medians and ratios.
# Usage: scripts/bench.sh [threads...]   (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/robust
[ -x "$BIN" ] || swift build -c release >/dev/null
python3 -c 'import threadpoolctl' 2>/dev/null || pip install -q threadpoolctl >/dev/null 2>&1 || true
threads=${*:-1 2}
# OpenBLAS as this machine kind ships it: OPENBLAS_CORETYPE=Haswell, OPENBLAS_L2_SIZE unset.
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
unset OPENBLAS_L2_SIZE
shapes="1024x1024x1024 2048x2048x2048 32x9x100352 64x288x25088 128x3136x128"
echo "robust kernel: $($BIN bench gemm --shape 8x8x8 --runs 5 | head -1)"
$BIN bench peak
printf '%-16s %7s %10s %10s %7s  %s\n' shape threads robust numpy ratio numpy-kernel
for s in $shapes; do
  for t in $threads; do
    r=$($BIN bench gemm --shape "$s" --threads "$t" --runs 7 --json)
    n=$(python3 scripts/bench_numpy.py --shape "$s" --threads "$t" --runs 7)
    python3 - "$r" "$n" <<'PY'
import json, sys
r, n = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{r['shape']:<16} {r['threads']:>7} {r['gflops_median']:>10.1f} {n['gflops_median']:>10.1f} {r['gflops_median']/n['gflops_median']:>7.2f}  {n['kernel']}")
PY
  done
done
if $BIN bench conv --help >/dev/null 2>&1; then
  $BIN bench conv --threads 2
fi
