#!/usr/bin/env bash
# Example: the same experiment as a Slurm job array, one shard per array task, on nodes where
# tcplab is installed (cmake --install, or the .deb) and the job may use sudo (or runs as root).
#   sbatch --array=1-8 examples/experiments/slurm-array.sh examples/experiments/loss-cc.ini
# then, when all tasks are done:
#   tcplab experiment merge runs/loss-cc/shard-* --out runs/loss-cc/all
#SBATCH --job-name=tcplab-experiment
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
set -euo pipefail
file=${1:?usage: sbatch --array=1-N $0 EXPERIMENT.ini}
shards=${SLURM_ARRAY_TASK_COUNT:?run as a job array (sbatch --array=1-N)}
shard=${SLURM_ARRAY_TASK_ID:?run as a job array}
out=runs/$(basename "$file" .ini)/shard-$shard
sudo tcplab experiment run "$file" --backend userspace --jobs "${SLURM_CPUS_PER_TASK:-2}" \
    --shard "$shard/$shards" --out "$out" --resume --allow-fail
