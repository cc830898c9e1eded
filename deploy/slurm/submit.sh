#!/usr/bin/env bash
# Queue a sharded robust evaluation on Slurm: an array of SHARDS eval tasks, then a merge job that runs only when
# every task has succeeded (--dependency=afterok). Prints the two job ids.
#
#   OUT=/scratch/$USER/cnn-pgd SHARDS=8 ATTACK="fgsm pgd" SAMPLES=10000 deploy/slurm/submit.sh [sbatch options...]
#
# Settings are environment variables (see eval-array.sbatch and merge.sbatch); extra arguments go to both sbatch
# calls (e.g. --partition=cpu --account=proj). SHARDS (default 4) sets the array FIRST..FIRST+SHARDS-1 (FIRST
# default 0; robust counts shards from SLURM_ARRAY_TASK_MIN, so a 1-based array works too). WORKDIR (default:
# this checkout) is the jobs' working directory, where relative paths such as models/ and attacks/ resolve.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OUT:?set OUT to the base output folder, on a file system every node sees}"
SHARDS=${SHARDS:-4}
FIRST=${FIRST:-0}
WORKDIR=${WORKDIR:-$(cd "$here/../.." && pwd)}
case "$SHARDS" in ''|*[!0-9]*|0) echo "submit.sh: SHARDS must be a positive integer, not '$SHARDS'" >&2; exit 2 ;; esac
case "$FIRST" in ''|*[!0-9]*) echo "submit.sh: FIRST must be a non-negative integer, not '$FIRST'" >&2; exit 2 ;; esac

# The jobs may start in another directory and on other nodes: make the paths absolute.
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
MERGED=${MERGED:-$OUT/merged}
case "$MERGED" in /*) ;; *) MERGED="$PWD/$MERGED" ;; esac
if [ -z "${ROBUST:-}" ]; then
  if command -v robust >/dev/null 2>&1; then ROBUST=$(command -v robust)
  elif [ -x "$WORKDIR/.build/release/robust" ]; then ROBUST="$WORKDIR/.build/release/robust"
  else echo "submit.sh: no robust on PATH nor in $WORKDIR/.build/release; set ROBUST" >&2; exit 2
  fi
fi
case "$ROBUST" in /*) ;; */*) ROBUST="$PWD/$ROBUST" ;; esac
export OUT MERGED ROBUST
mkdir -p "$OUT/logs"

# --parsable prints "jobid" or "jobid;cluster".
array=$(sbatch --parsable --array="$FIRST-$((FIRST + SHARDS - 1))" --chdir="$WORKDIR" \
               --output="$OUT/logs/eval-%A_%a.out" "$@" "$here/eval-array.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes --chdir="$WORKDIR" \
               --output="$OUT/logs/merge-%j.out" "$@" "$here/merge.sbatch")
merge=${merge%%;*}

echo "eval array job $array ($SHARDS shards -> $OUT/shard-*)"
echo "merge job $merge (after all shards succeed -> $MERGED)"
echo "watch: squeue -j $array,$merge    logs: $OUT/logs/"
