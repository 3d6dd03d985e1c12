#!/bin/bash
# Runs one Slurm task as one rank of a data-parallel drivelab run: sets the variables torchrun would set
# from Slurm's own, then execs the command given (normally `drivelab train ...`).
#   RANK       = SLURM_PROCID      (0 .. SLURM_NTASKS-1, over all nodes)
#   WORLD_SIZE = SLURM_NTASKS
#   LOCAL_RANK = SLURM_LOCALID     (the task's index on its node: drivelab takes cuda:LOCAL_RANK)
#   MASTER_ADDR: the first host of the job (scontrol), unless already set
#   MASTER_PORT: 20000 + SLURM_JOB_ID % 20000, unless already set (every task of the job computes the same)
set -euo pipefail
: "${SLURM_PROCID:?not inside a Slurm task (SLURM_PROCID unset)}"
: "${SLURM_NTASKS:?SLURM_NTASKS unset}"
export RANK="$SLURM_PROCID"
export WORLD_SIZE="$SLURM_NTASKS"
export LOCAL_RANK="${SLURM_LOCALID:-0}"
if [ -z "${MASTER_ADDR:-}" ]; then
  MASTER_ADDR="$(scontrol show hostnames "${SLURM_JOB_NODELIST:?SLURM_JOB_NODELIST unset}" | head -n 1)"
fi
export MASTER_ADDR
export MASTER_PORT="${MASTER_PORT:-$((20000 + ${SLURM_JOB_ID:-0} % 20000))}"
exec "$@"
