// drivelab/app: data-parallel `drivelab train` (agents/distributed.h): the --nproc launcher and the
// per-rank part of cmd_train.
#pragma once
#include <string>

#include "agents/trainer.h"

namespace dl::app {

// `drivelab train --nproc N ...`: starts N copies of this command line without --nproc, as torchrun would
// (MASTER_ADDR=127.0.0.1, a free MASTER_PORT, RANK = LOCAL_RANK = 0..N-1, WORLD_SIZE = N), and waits. When
// one exits with an error the others are given the process-group timeout to stop by themselves (they fail
// at their next collective), then killed. Returns rank 0's exit code, or the first failing worker's.
int launch_local_workers(int argc, char** argv, int nproc);

// When the torchrun variables ask for several ranks: throws ConfigError (one line, `origin` first) for malformed
// variables and for an algorithm that does not train data-parallel (all but ppo, a2c, reinforce).
void check_data_parallel(const agents::TrainJob& job, const std::string& origin);
// Joins the process group when the torchrun variables ask for several ranks (no-op otherwise).
void join_data_parallel(const agents::TrainJob& job);

// Ranks other than 0: train without writing anything (rank 0 writes the run folder, metrics, checkpoints).
int train_as_worker(agents::TrainJob job);

}  // namespace dl::app
