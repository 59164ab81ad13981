#!/bin/bash
# Submit a drainsim sweep to Slurm: an array of N shards, then a merge job that starts when all
# of them succeeded.
#
#   deploy/slurm/submit.sh SCENARIO N WORK_DIR [SBATCH_OPTION...]
#
# SCENARIO  the scenario file (on a file system every node sees);
# N         the number of shards (array tasks 0..N-1);
# WORK_DIR  a shared folder: the shards go to WORK_DIR/shards/shard-K, the report to
#           WORK_DIR/report, the jobs' logs to WORK_DIR/logs;
# SBATCH_OPTION...  passed to both sbatch calls, e.g. --partition=short --account=planning.
#
# Environment: DRAINSIM (the drainsim command, default `drainsim` on PATH) and DRAINSIM_ARGS
# (extra `drainsim run` options for every shard), as in drainsim-shards.sbatch.
#
# Prints the two job ids ("shards ID" and "merge ID") on standard output. Follow them with
# `squeue -u $USER`; the report is in WORK_DIR/report once the merge job has ended, and
# WORK_DIR/logs/drainsim-merge-ID.out says what it checked.
#
# Example:
#   DRAINSIM=$HOME/bin/drainsim deploy/slurm/submit.sh scenarios/wait-sweep.toml 8 \
#       /scratch/$USER/wait-sweep --partition=short

set -euo pipefail

if (($# < 3)); then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi

scenario=$1
shards=$2
work=$3
shift 3

if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
    echo "submit.sh: N must be a positive whole number, not '$shards'" >&2
    exit 2
fi
if [[ ! -f "$scenario" ]]; then
    echo "submit.sh: no scenario file $scenario" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
# Jobs may start in another folder on another node: pass absolute paths.
scenario=$(realpath -s "$scenario")
mkdir -p "$work/logs"
work=$(realpath -s "$work")

export DRAINSIM_SCENARIO=$scenario
export DRAINSIM_SHARDS=$shards
export DRAINSIM_SHARDS_DIR=$work/shards
export DRAINSIM_REPORT_DIR=$work/report

array_id=$(sbatch --parsable --export=ALL "$@" \
    --array="0-$((shards - 1))" \
    --output="$work/logs/drainsim-shard-%A_%a.out" \
    "$here/drainsim-shards.sbatch")
array_id=${array_id%%;*} # "ID;cluster" on multi-cluster sites

merge_id=$(sbatch --parsable --export=ALL "$@" \
    --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
    --output="$work/logs/drainsim-merge-%j.out" \
    "$here/drainsim-merge.sbatch")
merge_id=${merge_id%%;*}

echo "shards $array_id"
echo "merge $merge_id"
