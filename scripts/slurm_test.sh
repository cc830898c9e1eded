#!/usr/bin/env bash
# make test-slurm: sharding on a real Slurm cluster of one node, this machine.
#
# As root on Debian: installs slurm-wlm and munge when missing, starts a private munged (own key and socket) and a
# slurmctld + slurmd from a slurm.conf in a temporary folder (own ports; nothing under /etc is touched), submits
# deploy/slurm/submit.sh's 3-task eval array (robust takes each task's shard from the Slurm environment) and its
# dependent merge job, waits for both, requeues one finished task (it must resume from its journal and write the
# same records), and checks the merged run against the same evaluation in one process: samples.csv byte for byte,
# curve.csv byte for byte without its timing column. Then merge must refuse (exit 3) a missing shard and a shard
# of another run. Stops the daemons it started on exit, whatever happens. About 20 s after the install.
#
# Environment: ROBUST (default .build/release/robust), SLURM_TEST_TIMEOUT (seconds for everything after the
# package install; default 300), KEEP_TMP=1 keeps the temporary folder (it is kept anyway on failure).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BIN=${ROBUST:-$REPO/.build/release/robust}
case "$BIN" in /*) ;; *) BIN="$REPO/$BIN" ;; esac
TIMEOUT=${SLURM_TEST_TIMEOUT:-300}
ATTACKS=(--attack fgsm --attack pgd)
SAMPLES=300
SEED=5
SHARDS=3

say() { echo "slurm test: $*"; }
die() { echo "slurm test: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it installs packages and runs slurmctld, slurmd and munged); run it with sudo"
[ -x "$BIN" ] || die "no robust binary at $BIN (run: make build)"
"$BIN" merge --help >/dev/null 2>&1 || die "$BIN has no merge subcommand (rebuild: make build)"

# --- packages ---------------------------------------------------------------------------------------------------
need_install=""
for cmd in slurmctld slurmd sbatch scontrol sinfo munged mungekey; do
  command -v "$cmd" >/dev/null 2>&1 || need_install=1
done
if [ -n "$need_install" ]; then
  say "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq || die "apt-get update failed or timed out"
  timeout 600 apt-get install -y -qq slurm-wlm munge >/dev/null || die "apt-get install slurm-wlm munge failed or timed out"
fi

# --- state, clean-up --------------------------------------------------------------------------------------------
# A run inside a Slurm job or a Kubernetes pod must not leak its own shard into the reference run.
for name in $(compgen -e); do
  case "$name" in SLURM_*|SBATCH_*|SALLOC_*|SRUN_*|JOB_COMPLETION_INDEX) unset "$name" ;; esac
done

START=$SECONDS
deadline=$((START + TIMEOUT))
left() { local s=$((deadline - SECONDS)); echo $((s > 1 ? s : 1)); }  # at least 1: `timeout 0` would mean none

tmp=$(mktemp -d /tmp/robust-slurm-test.XXXXXX)
chmod 755 "$tmp"   # munged wants its socket's folder (and every parent) searchable by all
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"
chmod 755 "$tmp/munge"
munged_pid="" slurmctld_pid="" slurmd_pid="" jobs=()
passed=0 failed=0

ctld_alive() { [ -n "$slurmctld_pid" ] && kill -0 "$slurmctld_pid" 2>/dev/null; }

diagnostics() {
  echo "----- diagnostics ($tmp) -----" >&2
  ctld_alive && for j in "${jobs[@]}"; do
    scontrol -o show job "$j" 2>&1 | grep -oE '^JobId=[^ ]+|ArrayTaskId=[^ ]+|JobName=[^ ]+|JobState=[^ ]+|Reason=[^ ]+|ExitCode=[^ ]+|Dependency=[^ ]+' |
      paste -sd' ' | sed 's/ JobId=/\nJobId=/g' | sed 's/^/  /' >&2
  done
  for f in "$tmp"/log/*.log "$tmp"/out/logs/*.out; do
    [ -f "$f" ] || continue
    echo "--- $f (last 15 lines)" >&2
    tail -n 15 "$f" >&2
  done
}

stop_pid() {  # stop_pid PID NAME: TERM, wait up to 10 s, then KILL
  local pid=$1 name=$2 _
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm test: $name (pid $pid) ignored SIGTERM; killing it" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  if [ "$status" != 0 ] && [ -n "$slurmctld_pid" ]; then diagnostics; fi
  # Jobs still queued or running (a failed or timed-out test) go before the daemons.
  if [ "${#jobs[@]}" -gt 0 ] && ctld_alive; then
    timeout 10 scancel "${jobs[@]}" 2>/dev/null
    # Until their steps are gone, or robust would outlive slurmd.
    for _ in $(seq 40); do
      [ -z "$(squeue -h -o %i -j "$(IFS=,; echo "${jobs[*]}")" 2>/dev/null)" ] && break
      sleep 0.25
    done
  fi
  stop_pid "$slurmd_pid" slurmd
  stop_pid "$slurmctld_pid" slurmctld
  stop_pid "$munged_pid" munged
  if [ "$status" = 0 ] && [ "${KEEP_TMP:-0}" != 1 ]; then
    rm -rf "$tmp"
  else
    echo "slurm test: kept $tmp" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {  # check NAME CMD...: run a check, count it
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); say "ok: $name"
  else failed=$((failed + 1)); echo "slurm test: FAIL: $name" >&2
  fi
}

wait_for() {  # wait_for WHAT SECONDS CMD...: poll CMD every 0.5 s until it succeeds, within the overall deadline
  local what=$1 limit=$2; shift 2
  local until=$((SECONDS + limit))
  [ "$until" -gt "$deadline" ] && until=$deadline
  until "$@"; do
    [ "$SECONDS" -lt "$until" ] || die "timed out waiting for $what"
    sleep 0.5
  done
}

# --- munged: its own key and socket, so a system munged (or its key) is neither needed nor disturbed -------------
mungekey --create --keyfile="$tmp/munge/munge.key"
socket="$tmp/munge/munge.socket"
# setsid: a Ctrl-C or a TERM to this script's process group must reach the clean-up, not kill the daemons first.
setsid munged -F --socket="$socket" --key-file="$tmp/munge/munge.key" --pid-file="$tmp/munge/munged.pid" \
       --seed-file="$tmp/munge/munged.seed" --log-file="$tmp/log/munged.log" >"$tmp/log/munged.out" 2>&1 &
munged_pid=$!
munge_ok() { kill -0 "$munged_pid" 2>/dev/null || die "munged exited: $(tail -n 3 "$tmp/log/munged.out")"
             munge -S "$socket" -n 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; }
wait_for munged 20 munge_ok
say "munged up (pid $munged_pid)"

# --- slurm.conf: one node, this host --------------------------------------------------------------------------
node=$(hostname -s)
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=""
for base in 16817 26817 36817 46817; do
  if port_free "$base" && port_free $((base + 1)); then ctld_port=$base; break; fi
done
[ -n "$ctld_port" ] || die "no two free ports for slurmctld and slurmd"

export SLURM_CONF="$tmp/slurm.conf"
cat >"$SLURM_CONF" <<EOF
# Generated by scripts/slurm_test.sh: a one-node test cluster, removed with its folder.
ClusterName=robusttest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
SchedulerType=sched/backfill
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 RealMemory=4096 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

setsid slurmctld -D -c -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
slurmctld_pid=$!
ctld_ok() { kill -0 "$slurmctld_pid" 2>/dev/null || die "slurmctld exited: $(tail -n 5 "$tmp/log/slurmctld.out")"
            scontrol ping 2>/dev/null | grep -q 'is UP'; }
wait_for slurmctld 30 ctld_ok
setsid slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
slurmd_pid=$!
node_idle() { kill -0 "$slurmd_pid" 2>/dev/null || die "slurmd exited: $(tail -n 5 "$tmp/log/slurmd.out")"
              [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ]; }
wait_for "node $node idle" 60 node_idle
check "one-node cluster up: slurmctld $slurmctld_pid, slurmd $slurmd_pid, node $node idle ($((SECONDS - START)) s)" true

# --- the sharded run: deploy/slurm/submit.sh, 1-based array (shard = task id - min) -----------------------------
out="$tmp/out"
submitted=$(OUT="$out" SHARDS=$SHARDS FIRST=1 ROBUST="$BIN" ATTACK="fgsm pgd" SAMPLES=$SAMPLES SEED=$SEED \
            EXTRA_ARGS="--no-extra-checks" timeout 30 deploy/slurm/submit.sh --cpus-per-task=1 --time=10) \
  || die "submit.sh failed: $submitted"
printf '  %s\n' "${submitted//$'\n'/$'\n'  }"
array=$(echo "$submitted" | awk '/^eval array job/ {print $4}')
merge=$(echo "$submitted" | awk '/^merge job/ {print $3}')
if [ -z "$array" ] || [ -z "$merge" ]; then die "could not read the job ids from submit.sh's output"; fi
jobs=("$array" "$merge")

states() {  # "3 COMPLETED" or "1 COMPLETED, 2 RUNNING": the states of a job's (array) tasks
  scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c |
    awk '{ printf "%s%d %s", (NR > 1 ? ", " : ""), $1, $2 }'
}
terminal() {
  case "$(scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)" in
    COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|DEADLINE|BOOT_FAIL) return 0 ;;
    *) return 1 ;;
  esac
}
wait_for "merge job $merge to end" "$(left)" terminal "$merge"
array_states=$(states "$array")
merge_state=$(states "$merge")
check "array job $array: $array_states (want $SHARDS COMPLETED)" [ "$array_states" = "$SHARDS COMPLETED" ]
check "merge job $merge after afterok: $merge_state" [ "$merge_state" = "1 COMPLETED" ]
check "merged run written" test -s "$out/merged/results.json" -a -s "$out/merged/samples.csv" -a -s "$out/merged/curve.csv"
[ "$failed" = 0 ] || die "the Slurm jobs did not all succeed (job logs below)"

# --- requeue: Slurm runs a task again (as after a node failure or preemption); --resume makes that safe -------------
cp "$out/shard-2/samples.csv" "$tmp/shard-2-before.csv"
timeout 10 scontrol requeue "${array}_2" || die "scontrol requeue ${array}_2 failed"
# A requeued job waits minutes before it is eligible again (its BeginTime); make it now.
timeout 10 scontrol update JobId="${array}_2" StartTime=now || die "scontrol update ${array}_2 StartTime=now failed"
requeued() {
  local line; line=$(scontrol -o show job "${array}_2" 2>/dev/null)
  case "$line" in *JobState=COMPLETED*Restarts=1*) return 0 ;; *JobState=FAILED*|*JobState=CANCELLED*) die "requeued task: $line" ;; esac
  return 1
}
wait_for "requeued task ${array}_2 to complete again" "$(left)" requeued
rerun_same() {  # both attempts in the appended log, the second resuming from the journal; the same records
  local log="$out/logs/eval-${array}_2.out"
  grep -q 'restart 0:' "$log" && tr '\r' '\n' <"$log" | awk '/restart 1:/ { again = 1 } again && /^resuming/ { found = 1 } END { exit !found }' &&
    cmp "$tmp/shard-2-before.csv" "$out/shard-2/samples.csv"
}
check "requeued task ${array}_2 ran again, resumed from its journal, wrote the same samples.csv" rerun_same

# --- the same evaluation in one process -------------------------------------------------------------------------
timeout "$(left)" "$BIN" eval --model cnn "${ATTACKS[@]}" --samples $SAMPLES --seed $SEED --no-extra-checks \
  --threads 2 --out "$tmp/single" >"$tmp/log/single.out" 2>&1 || die "single-process eval failed: $(tail -n 5 "$tmp/log/single.out")"

check "samples.csv: merged == one process (byte for byte)" cmp "$out/merged/samples.csv" "$tmp/single/samples.csv"
without_seconds() {  # curve.csv less its timing column, found by name in the header
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") col = i
                     if (!col) { print "no seconds column in " FILENAME > "/dev/stderr"; exit 1 } }
           { line = ""; sep = ""; for (i = 1; i <= NF; i++) if (i != col) { line = line sep $i; sep = "," }
             print line }' "$1"
}
without_seconds "$out/merged/curve.csv" >"$tmp/merged-curve.csv"
without_seconds "$tmp/single/curve.csv" >"$tmp/single-curve.csv"
check "curve.csv without seconds: merged == one process" cmp "$tmp/merged-curve.csv" "$tmp/single-curve.csv"

# --- merge refuses what does not fit ------------------------------------------------------------------------------
expect_exit() {  # expect_exit CODE CMD...
  local want=$1 got=0; shift
  timeout 60 "$@" >"$tmp/log/expect.out" 2>&1 || got=$?
  [ "$got" = "$want" ] || { echo "  exit $got, want $want: $*; $(tail -n 3 "$tmp/log/expect.out")" >&2; return 1; }
}
# Folder shard-2 is array task 2 of 1..3: shard index 1 (0-based) of 3.
check "merge without shard-2: exit 3" expect_exit 3 "$BIN" merge "$out/shard-1" "$out/shard-3" --out "$tmp/partial"
timeout "$(left)" "$BIN" eval --model cnn "${ATTACKS[@]}" --samples $SAMPLES --seed $((SEED + 1)) --no-extra-checks \
  --shard 1/$SHARDS --out "$tmp/other-seed" >"$tmp/log/other-seed.out" 2>&1 \
  || die "eval --shard 1/$SHARDS failed: $(tail -n 5 "$tmp/log/other-seed.out")"
check "merge with shard-2 from another seed: exit 3" \
  expect_exit 3 "$BIN" merge "$out/shard-1" "$tmp/other-seed" "$out/shard-3" --out "$tmp/mixed"

say "$((SECONDS - START)) s"
echo "slurm-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
