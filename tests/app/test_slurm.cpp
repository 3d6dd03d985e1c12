// examples/slurm/: the sbatch scripts run as Slurm would run them, with Slurm's variables set by hand and
// a stand-in for srun that starts SLURM_NTASKS local tasks (tiny budgets).
#include "tests/agents/catch_torch.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "agents/checkpoint.h"
#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::sh;
using dl::test::free_port;
using dl::test::temp_dir;

namespace {

const std::string kSource = DRIVELAB_SOURCE_DIR;
const std::string kDrivelab = dl::test::drivelab_binary();

}  // namespace

TEST_CASE("the data-parallel sbatch script trains 2 ranks through torchrun_env.sh", "[app][slurm]") {
  const fs::path dir = temp_dir("slurm_ddp");
  // srun's stand-in: drops its options, runs SLURM_NTASKS copies with SLURM_PROCID/SLURM_LOCALID, fails if
  // any fails.
  const fs::path srun = dir / "srun";
  {
    std::ofstream f(srun);
    f << "#!/bin/bash\nwhile [[ \"$1\" == --* ]]; do shift; done\npids=()\n"
         "for ((i = 0; i < SLURM_NTASKS; i++)); do SLURM_PROCID=$i SLURM_LOCALID=$i \"$@\" & pids+=($!); done\n"
         "rc=0; for p in \"${pids[@]}\"; do wait \"$p\" || rc=1; done; exit $rc\n";
  }
  fs::permissions(srun, fs::perms::owner_all);
  const std::string env = "SLURM_NTASKS=2 SLURM_JOB_ID=4242 SLURM_JOB_NODELIST=localhost SLURM_SUBMIT_DIR=" +
                          dir.string() + " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(free_port()) +
                          " DRIVELAB=" + kDrivelab + " SRUN=" + srun.string() + " DRIVELAB_EXAMPLES=" + kSource +
                          "/examples/slurm DRIVELAB_DIST_TIMEOUT_S=60 ";
  const auto r = sh(env + "bash " + kSource + "/examples/slurm/train_ddp.sbatch " + kSource +
                    "/configs/a2c_track.yaml env.max_steps=40 agent.a2c.num_steps=8 train.num_envs=2 "
                    "train.total_steps=64 train.eval_episodes=0 --run-dir " + (dir / "run").string());
  INFO(r.output);
  REQUIRE(r.code == 0);
  // Two updates of 8 steps x 2 ranks x 2 envs.
  CHECK(dl::agents::checkpoint_step((dir / "run" / "checkpoints" / "latest.pt").string()) == 64);
  fs::remove_all(dir);
}

TEST_CASE("the sweep array script runs each trial as one array task on a prepared sweep", "[app][slurm]") {
  const fs::path dir = temp_dir("slurm_sweep");
  {
    std::ofstream f(dir / "sweep.yaml");
    f << "name: slurm_tiny\nbase: " << kSource << "/configs/a2c_track.yaml\n"
      << "overrides:\n  env.max_steps: 40\n  agent.a2c.num_steps: 8\n  train.num_envs: 2\n  train.total_steps: 64\n"
         "  train.eval_every_steps: 64\n  train.eval_episodes: 1\n  train.device: cpu\n"
         "method: grid\nmetric: {name: eval/return_mean, goal: maximize}\n"
         "parameters:\n  agent.learning_rate: [0.0007, 0.002]\nseeds: 1\nparallel: 1\n";
  }
  const fs::path sweep = dir / "sw";
  const auto prep = sh(kDrivelab + " sweep " + (dir / "sweep.yaml").string() + " --out " + sweep.string() + " --prepare");
  INFO(prep.output);
  REQUIRE(prep.code == 0);
  REQUIRE(prep.output.find("(2 trials)") != std::string::npos);
  for (int task = 1; task <= 2; ++task) {
    const auto r = sh("SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=" + std::to_string(task) + " SLURM_SUBMIT_DIR=" +
                      dir.string() + " SWEEP_DIR=" + sweep.string() + " DRIVELAB=" + kDrivelab + " bash " + kSource +
                      "/examples/slurm/sweep_array.sbatch");
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK(r.output.find(std::to_string(task) + " done, 0 failed") != std::string::npos);
  }
  // Without a task id the script refuses rather than running something else.
  const auto bad = sh("SWEEP_DIR=" + sweep.string() + " DRIVELAB=" + kDrivelab + " bash " + kSource +
                      "/examples/slurm/sweep_array.sbatch");
  CHECK(bad.code != 0);
  CHECK(bad.output.find("not an array task") != std::string::npos);
  fs::remove_all(dir);
}
