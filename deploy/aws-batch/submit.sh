#!/bin/bash
# Submit a drainsim sweep to AWS Batch: an array job of N shards, then a merge job that depends on
# it. The shard folders and the report live on Amazon EFS, mounted at /mnt/efs in every job.
#
#   deploy/aws-batch/submit.sh JOB_QUEUE SCENARIO N WORK_DIR
#
# JOB_QUEUE  your AWS Batch job queue (EC2 compute environment);
# SCENARIO   the scenario file as the jobs see it on EFS, e.g. /mnt/efs/scenario/sweep.toml;
# N          the number of shards: the array size, 2 to 10,000 (AWS Batch arrays have 2 or more
#            children; for 1 shard, run drainsim unsharded);
# WORK_DIR   folder on EFS, as the jobs see it: shards go to WORK_DIR/shards/shard-K, the report
#            to WORK_DIR/report. Use a new folder per sweep.
#
# Once, before the first sweep (or after changing them):
#   - push the image built from deploy/Dockerfile to ECR and put its URI in both job definitions;
#   - create an EFS file system reachable from the compute environment's subnets, and an access
#     point with POSIX user 10001:10001 (the image's user) and a root directory created with
#     owner 10001:10001; put their ids in both job definitions (fileSystemId, accessPointId);
#   - register the definitions:
#       aws batch register-job-definition --cli-input-json file://deploy/aws-batch/shard-job-definition.json
#       aws batch register-job-definition --cli-input-json file://deploy/aws-batch/merge-job-definition.json
#
# Each array child K runs `drainsim run SCENARIO --shard auto/N`: drainsim reads K from
# AWS_BATCH_JOB_ARRAY_INDEX. A failed child is retried once unless drainsim exited 2 (bad input:
# retrying would not help). The merge job starts when every child succeeded; if one failed for
# good, AWS Batch fails the merge job too ("dependent job failed") and writes no report.
#
# Prints the two job ids. Follow them with
#   aws batch describe-jobs --jobs ID --query 'jobs[0].[status,statusReason,arrayProperties.statusSummary]'
# and read the merge's output in CloudWatch Logs (log group /aws/batch/job).

set -euo pipefail

if (($# != 4)); then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
    exit 2
fi
queue=$1
scenario=$2
shards=$3
work=$4

if ! [[ "$shards" =~ ^[0-9]+$ ]] || ((shards < 2 || shards > 10000)); then
    echo "submit.sh: N must be 2 to 10000 (an AWS Batch array's size), not '$shards'" >&2
    exit 2
fi

array_id=$(aws batch submit-job \
    --job-name drainsim-shards \
    --job-queue "$queue" \
    --job-definition drainsim-shard \
    --array-properties "size=$shards" \
    --parameters "scenario=$scenario,shards=$shards,workDir=$work" \
    --query jobId --output text)

merge_id=$(aws batch submit-job \
    --job-name drainsim-merge \
    --job-queue "$queue" \
    --job-definition drainsim-merge \
    --depends-on "jobId=$array_id" \
    --parameters "workDir=$work" \
    --query jobId --output text)

echo "shards $array_id"
echo "merge $merge_id"
