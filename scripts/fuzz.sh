#!/bin/sh
# Runs each libFuzzer harness of robust-fuzz for FUZZ_SECONDS (default 60) or until it has run FUZZ_RUNS inputs
# (default 1,000,000), from its seed folders plus a growing corpus in .fuzz/corpus/TARGET, and prints a Markdown
# table (target, executions, seconds, findings). A finding (crash, leak, timeout, out-of-memory, sanitizer report)
# is saved in .fuzz/findings/TARGET/ and fails the run: fix it, then copy the file into Tests/Fixtures/fuzz/TARGET/
# so FuzzRegressionTests replays it. Usage: scripts/fuzz.sh [TARGET...]  (make fuzz builds the binary first).
set -u
cd "$(dirname "$0")/.."
BIN=${FUZZ_BIN:-.build-fuzz/release/robust-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-1000000}
[ -x "$BIN" ] || { echo "fuzz.sh: $BIN is missing; run make fuzz" >&2; exit 2; }
targets=${*:-$("$BIN" --list | cut -f1)}
# Swift's own crash reporter would symbolicate for 30 s per crash; libFuzzer and ASan print what is needed.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
failed=0
printf '| input | executions | seconds | findings |\n|---|---|---|---|\n' > .fuzz-table.md.tmp
for t in $targets; do
  corpus=.fuzz/corpus/$t; findings=.fuzz/findings/$t
  mkdir -p "$corpus" "$findings"
  seeds=$("$BIN" --list | awk -F'\t' -v t="$t" '$1 == t { gsub(",", " ", $2); print $2 }')
  log=.fuzz/$t.log
  start=$(date +%s)
  "$BIN" "$t" -max_total_time="$SECONDS_EACH" -runs="$RUNS" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" $seeds > "$log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$findings" -type f | wc -l)
  printf '| %s | %s | %s | %s |\n' "$t" "${runs:-?}" "$seconds" "$found" >> .fuzz-table.md.tmp
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    echo "fuzz.sh: $t: exit $status, $found finding(s) in $findings; see $log" >&2
  fi
done
mkdir -p .fuzz && mv .fuzz-table.md.tmp .fuzz/table.md
cat .fuzz/table.md
exit $failed
