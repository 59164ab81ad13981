#!/bin/bash
# End-to-end test of the Slurm recipe on this machine: a single-node Slurm cluster runs a sweep
# as an array of shards plus a dependent merge job (deploy/slurm/submit.sh), and the merged report
# must be byte-identical to the report of the same sweep run unsharded.
#
#   sudo deploy/slurm/test-local.sh
#
# What it does:
#   1. installs the Debian packages slurm-wlm and munge if Slurm or MUNGE is missing (apt-get,
#      with a temporary /usr/sbin/policy-rc.d, if there is none, so that the packages do not
#      start their system services); the system's Slurm and MUNGE configuration in /etc is
#      neither read nor changed;
#   2. builds drainsim in release (cargo), unless DRAINSIM_BIN names a binary;
#   3. starts munged, slurmctld and slurmd in the background, with a generated slurm.conf (one node:
#      this host with its real CPU count and memory; no cgroups, no accounting) and all their
#      state in a temporary folder; the ports are the first free ones from 6817;
#   4. runs a trivial array job (`sbatch --array=0-2 --wrap ...`) to check that Slurm works,
#      then checks that this drainsim has `run --shard` and `merge`;
#   5. runs the sweep unsharded: drainsim run SCENARIO --out UNSHARDED;
#   6. submits N shards and the merge with deploy/slurm/submit.sh, waits for them;
#   7. compares the merged report with the unsharded one (diff -r).
# It exits 0 only if the two report folders are identical. On exit (also on failure or Ctrl-C)
# it cancels its jobs, stops the daemons it started and deletes its temporary folder; it deletes
# no other file. The installed packages stay installed.
#
# Needs: root (to install packages and run slurmd), Debian or Ubuntu, bash, and cargo unless
# DRAINSIM_BIN is given. It prints how long each step took: on 2 cores, about 10 s to install
# the packages and 15 to 25 s for the rest, once drainsim is built.
#
# Environment:
#   DRAINSIM_BIN            a drainsim binary to use instead of building one
#   DRAINSIM_TEST_SCENARIO  sweep to run (default: scenarios/capacity.toml, 5 runs x 50 replications)
#   DRAINSIM_TEST_SHARDS    N (default 3)
#   DRAINSIM_ARGS           extra `drainsim run` options for the unsharded run and every shard
#   DRAINSIM_TEST_TIMEOUT   seconds to wait for the jobs (default 900)
#   DRAINSIM_TEST_KEEP=1    keep the temporary folder (logs, reports); the daemons are stopped
#   TMPDIR                  where the temporary folder is made (default /tmp)

set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
shards=${DRAINSIM_TEST_SHARDS:-3}
scenario=${DRAINSIM_TEST_SCENARIO:-$repo/scenarios/capacity.toml}
timeout=${DRAINSIM_TEST_TIMEOUT:-900}
read -r -a extra <<<"${DRAINSIM_ARGS:-}"

say() { printf '== %s\n' "$*"; }
fail() {
    printf 'test-local: FAILED: %s\n' "$*" >&2
    exit 1
}
now() { date +%s.%N; }
timings=()
t_step=$(now)
t_start=$t_step
step_done() { # record the time since the previous step_done under a name
    local t
    t=$(now)
    timings+=("$(printf '%-28s %7.1f s' "$1" "$(awk "BEGIN{print $t - $t_step}")")")
    t_step=$t
}

[[ $EUID -eq 0 ]] || fail "run as root (it installs packages and starts slurmd)"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || fail "DRAINSIM_TEST_SHARDS must be a positive number"
[[ -f "$scenario" ]] || fail "no scenario file $scenario"
# The report's "Reproduce" section quotes the scenario path: give the unsharded run and the
# shards the same absolute path string.
scenario=$(realpath -s "$scenario")

# ---------------------------------------------------------------------------------------------
# Clean-up: everything this script starts or creates is recorded here and undone on exit.
work=""
pids=()          # daemons started here, in start order
jobs_submitted=() # Slurm job ids submitted here
made_policy_rc=0 # 1 if /usr/sbin/policy-rc.d was created here
cleanup() {
    local rc=$? t0 i
    t0=$(now)
    trap - EXIT INT TERM
    set +e
    if ((${#jobs_submitted[@]})) && [[ -n "${SLURM_CONF:-}" ]]; then
        scancel "${jobs_submitted[@]}" 2>/dev/null
        for _ in $(seq 20); do
            [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
            sleep 0.5
        done
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do # stop the daemons in reverse order
        kill "${pids[i]}" 2>/dev/null && wait "${pids[i]}" 2>/dev/null
    done
    if ((made_policy_rc)); then
        rm -f /usr/sbin/policy-rc.d
    fi
    if [[ -n "$work" && -d "$work" ]]; then
        if [[ "${DRAINSIM_TEST_KEEP:-0}" == 1 ]]; then
            echo "test-local: kept $work"
        else
            rm -rf -- "$work"
        fi
    fi
    printf 'test-local: clean-up took %.1f s\n' "$(awk "BEGIN{print $(now) - $t0}")"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() { # print the tail of every log of this run, to see why something failed
    local f
    for f in "$work"/log/* "$work"/sweep/logs/* "$work"/smoke/*; do
        [[ -f "$f" ]] || continue
        echo "---- ${f#"$work"/} (last 20 lines)" >&2
        tail -n 20 "$f" >&2
    done
}

# ---------------------------------------------------------------------------------------------
say "Slurm and MUNGE"
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null ||
    ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || fail "Slurm is not installed and there is no apt-get"
    # Keep the packages' maintainer scripts from starting the system's munge/slurm services.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy_rc=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    if ((made_policy_rc)); then
        rm -f /usr/sbin/policy-rc.d
        made_policy_rc=0
    fi
fi
echo "$(slurmctld -V), $(munged --version 2>&1 | head -n 1)"
step_done "install"

# ---------------------------------------------------------------------------------------------
say "drainsim"
if [[ -n "${DRAINSIM_BIN:-}" ]]; then
    bin=$(realpath "$DRAINSIM_BIN")
else
    (cd "$repo" && cargo build --release --locked --quiet)
    target=$(cd "$repo" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    bin=$target/release/drainsim
fi
[[ -x "$bin" ]] || fail "no drainsim binary at $bin"
"$bin" --version
step_done "build drainsim"

# ---------------------------------------------------------------------------------------------
say "start munged, slurmctld, slurmd"
work=$(mktemp -d "${TMPDIR:-/tmp}/drainsim-slurm-test.XXXXXX")
chmod 711 "$work" # munged wants the socket's folders reachable by every user
mkdir -p "$work"/{munge,state,spool,log,smoke}
chmod 711 "$work/munge"
echo "work folder: $work"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p=$1
    while port_in_use "$p" || [[ "$p" == "${2:-}" ]]; do p=$((p + 1)); done
    echo "$p"
}
ctld_port=$(free_port 6817)
slurmd_port=$(free_port $((ctld_port + 1)) "$ctld_port")

head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 600 "$work/munge/munge.key"
munge_socket=$work/munge/munge.socket
munged --foreground --force \
    --key-file="$work/munge/munge.key" --socket="$munge_socket" \
    --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
    --log-file="$work/log/munged.log" >>"$work/log/munged.stderr" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    munge -n -S "$munge_socket" 2>/dev/null | unmunge -S "$munge_socket" >/dev/null 2>&1 && break
    sleep 0.2
done
munge -n -S "$munge_socket" | unmunge -S "$munge_socket" >/dev/null || {
    show_logs
    fail "munged does not answer on $munge_socket"
}

# This host as it is: `slurmd -C` prints its name, CPUs, sockets, cores and memory.
node_line=$(slurmd -C | head -n 1)
node=${node_line%% *}
node=${node#NodeName=}
node_hw=${node_line#NodeName="$node" }
host=$(hostname -s)
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<EOF
# Single-node test cluster written by deploy/slurm/test-local.sh
ClusterName=drainsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
echo "node: $node_line; ports $ctld_port/$slurmd_port"
slurmctld -D -i -f "$SLURM_CONF" >>"$work/log/slurmctld.stderr" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$node" >>"$work/log/slurmd.stderr" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 120); do
    state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && break
    sleep 0.5
done
[[ "$state" == idle ]] || {
    show_logs
    fail "node $node is '${state:-not known}' after 60 s, not idle"
}
sinfo
step_done "start Slurm"

# wait_jobs ID...: until none of the jobs is pending or running (or the timeout)
wait_jobs() {
    local deadline=$((SECONDS + timeout)) ids
    ids=$(
        IFS=,
        echo "$*"
    )
    while [[ -n "$(squeue -h -o %i -j "$ids" -t PD,R,CG,CF,S,RQ,RS,RH,SE,ST 2>/dev/null)" ]]; do
        ((SECONDS < deadline)) || fail "jobs $ids still not done after $timeout s"
        sleep 1
    done
}
# job_states ID: the state of the job, or of each task of an array, one per line
job_states() {
    scontrol show job -o "$1" | sed -n 's/.*JobId=\([0-9]*\) .*ArrayTaskId=\([0-9]*\).*JobState=\([A-Z_]*\).*/\1 task \2 \3/p; t; s/.*JobId=\([0-9]*\) .*JobState=\([A-Z_]*\).*/\1 \2/p'
}
all_completed() { ! job_states "$1" | grep -qv ' COMPLETED$'; }

# ---------------------------------------------------------------------------------------------
say "smoke test: sbatch --array=0-2 --wrap"
# shellcheck disable=SC2016 # the job's shell expands these
smoke=$(cd "$work/smoke" && sbatch --parsable --array=0-2 --output="$work/smoke/%A_%a.out" \
    --wrap 'echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT on $(hostname)"')
jobs_submitted+=("$smoke")
echo "Submitted batch job $smoke"
wait_jobs "$smoke"
job_states "$smoke"
cat "$work/smoke/"*.out
all_completed "$smoke" || {
    show_logs
    fail "the trivial array job did not complete"
}
step_done "smoke test (3 tasks)"

if ! "$bin" run --help 2>&1 | grep -q -- '--shard' || ! "$bin" help merge >/dev/null 2>&1; then
    fail "Slurm works, but $bin has no 'run --shard' or no 'merge': it cannot run a sharded sweep"
fi

# ---------------------------------------------------------------------------------------------
say "unsharded: drainsim run $scenario ${extra[*]}"
"$bin" run "$scenario" "${extra[@]}" --out "$work/unsharded" --quiet ||
    fail "the unsharded run failed (exit $?)"
step_done "unsharded run"

# ---------------------------------------------------------------------------------------------
say "sharded: deploy/slurm/submit.sh ($shards shards + merge)"
submitted=$(DRAINSIM="$bin" "$repo/deploy/slurm/submit.sh" "$scenario" "$shards" "$work/sweep" \
    --cpus-per-task=1)
echo "$submitted"
array_id=$(sed -n 's/^shards //p' <<<"$submitted")
merge_id=$(sed -n 's/^merge //p' <<<"$submitted")
[[ -n "$array_id" && -n "$merge_id" ]] || fail "submit.sh printed no job ids"
jobs_submitted+=("$array_id" "$merge_id")
squeue
wait_jobs "$array_id" "$merge_id"
job_states "$array_id"
job_states "$merge_id"
step_done "shards + merge (Slurm)"
if ! all_completed "$array_id" || ! all_completed "$merge_id"; then
    show_logs
    fail "a shard or the merge did not complete"
fi
echo "-- shard job outputs"
cat "$work/sweep/logs/drainsim-shard-${array_id}_"*.out
echo "-- merge job output"
cat "$work/sweep/logs/drainsim-merge-$merge_id.out"

# ---------------------------------------------------------------------------------------------
say "diff -r unsharded merged"
if ! diff -r "$work/unsharded" "$work/sweep/report"; then
    fail "the merged report differs from the unsharded one"
fi
files=$(find "$work/unsharded" -type f | wc -l)
bytes=$(du -sb "$work/unsharded" | cut -f1)
echo "identical: $files files, $bytes bytes"
step_done "diff"

say "timings"
printf '%s\n' "${timings[@]}"
printf '%-28s %7.1f s\n' "total (before clean-up)" "$(awk "BEGIN{print $(now) - $t_start}")"
echo "test-local: OK: $shards Slurm shards merged = unsharded report, byte for byte"
