// Data-parallel `drivelab train` (agents/distributed.h) with 2 processes over loopback Gloo: the ranks
// stay identical and equal the 1-process run over the same 2x envs; a lost rank stops the others.
#include "tests/agents/catch_torch.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "agents/checkpoint.h"
#include "agents/session.h"
#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::drivelab_binary;
using dl::test::temp_dir;
using dl::test::free_port;
using dl::test::slurp;

namespace {

// The flat parameters of a checkpoint's policy.
torch::Tensor checkpoint_params(const fs::path& ckpt) {
  auto data = dl::agents::read_checkpoint_data(ckpt.string());
  auto policy = dl::agents::build_policy(data.env, data.agent.net, {});
  dl::agents::load_checkpoint_state(ckpt.string(), policy, nullptr, /*restore_rng=*/false);
  std::vector<torch::Tensor> flat;
  for (const auto& p : policy->parameters()) flat.push_back(p.detach().flatten());
  return torch::cat(flat);
}

// One update of T steps on 2 x 2 envs (2 ranks) against 1 x 4 envs: identical envs, seeds, noise.
const char* kTiny = " --no-progress --no-video train.eval_episodes=0 env.max_steps=40";
const char* kA2CSteps = " agent.a2c.num_steps=8";

}  // namespace

TEST_CASE("2 ranks over loopback Gloo equal the 1-process run over 2x envs after one update", "[app][dist]") {
  struct Case {
    const char* name;
    std::string args;
  };
  // A2C takes one step on the whole batch; PPO too with one minibatch and no per-minibatch advantage
  // normalization (several epochs still see all rows). Observation and reward normalization stay on:
  // the ranks share each step's raw rows so the statistics are the 1-process run's.
  const Case cases[] = {
      {"a2c", std::string(DRIVELAB_SOURCE_DIR) + "/configs/a2c_track.yaml" + kTiny + kA2CSteps},
      {"ppo", std::string(DRIVELAB_SOURCE_DIR) + "/configs/ppo_track.yaml" + kTiny +
                  " agent.ppo.num_steps=8 agent.ppo.num_minibatches=1 agent.ppo.norm_adv=false agent.ppo.update_epochs=2"
                  " agent.anneal_lr=false"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const fs::path dir = temp_dir(std::string("dist_") + c.name);
      // total_steps counts every rank's steps: 8 steps x 4 envs = one update either way.
      const auto two = dl::test::run("train --nproc 2 " + c.args + " train.num_envs=2 train.total_steps=32 --run-dir " +
                                     (dir / "two").string());
      INFO(two.output);
      REQUIRE(two.code == 0);
      const auto one = dl::test::run("train " + c.args + " train.num_envs=4 train.total_steps=32 --run-dir " +
                                     (dir / "one").string());
      INFO(one.output);
      REQUIRE(one.code == 0);
      // Not a run with half the envs: that one must differ, or the comparison shows nothing.
      const auto half = dl::test::run("train " + c.args + " train.num_envs=2 train.total_steps=16 --run-dir " +
                                      (dir / "half").string());
      REQUIRE(half.code == 0);

      const auto p2 = checkpoint_params(dir / "two" / "checkpoints" / "latest.pt");
      const auto p1 = checkpoint_params(dir / "one" / "checkpoints" / "latest.pt");
      const auto ph = checkpoint_params(dir / "half" / "checkpoints" / "latest.pt");
      REQUIRE(dl::agents::checkpoint_step((dir / "two" / "checkpoints" / "latest.pt").string()) == 32);
      const double diff = (p2 - p1).abs().max().item<double>();
      const double diff_half = (p2 - ph).abs().max().item<double>();
      INFO("max |2 ranks - 1 process x 4 envs| = " << diff << ", against 2 envs: " << diff_half);
      CHECK(diff < 1e-5);
      CHECK(diff_half > 1e-4);
      // Rank 0 alone wrote: one metrics file whose step column is the global step.
      const std::string csv = slurp(dir / "two" / "metrics.csv");
      CHECK(csv.find("\n32,") != std::string::npos);
      fs::remove_all(dir);
    }
  }
}

namespace {

// Starts `drivelab train ARGS` as rank `rank` of 2 in the background through the shell; returns its pid.
pid_t start_rank(int rank, int port, const std::string& args, const fs::path& log, int timeout_s) {
  const fs::path pid_file = log.string() + ".pid";
  const std::string cmd = "MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " WORLD_SIZE=2 RANK=" +
                          std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
                          " DRIVELAB_DIST_TIMEOUT_S=" + std::to_string(timeout_s) + " " + drivelab_binary() +
                          " train " + args + " > " + log.string() + " 2>&1 & echo $! > " + pid_file.string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string pid;
  for (int i = 0; i < 100 && pid.empty(); ++i) {
    pid = slurp(pid_file);
    if (pid.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return static_cast<pid_t>(std::stol(pid));
}

bool running(pid_t pid) { return ::kill(pid, 0) == 0 && slurp("/proc/" + std::to_string(pid) + "/stat").find(") Z") == std::string::npos; }

}  // namespace

TEST_CASE("a killed rank makes the other exit with a clear error, not hang", "[app][dist]") {
  const fs::path dir = temp_dir("dist_kill");
  const int port = free_port();
  const std::string args = std::string(DRIVELAB_SOURCE_DIR) + "/configs/a2c_track.yaml" + kTiny + kA2CSteps +
                           " train.num_envs=2 train.total_steps=100000000 --run-dir " + (dir / "run").string();
  const int timeout_s = 15;
  const pid_t rank0 = start_rank(0, port, args, dir / "rank0.log", timeout_s);
  const pid_t rank1 = start_rank(1, port, args, dir / "rank1.log", timeout_s);
  // Both train once rank 0 has written its first metrics row.
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(dir / "run" / "metrics.csv") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(running(rank0));
  REQUIRE(running(rank1));
  ::kill(rank1, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  while (running(rank0) && std::chrono::steady_clock::now() - killed < std::chrono::seconds(timeout_s + 10))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const bool stopped = !running(rank0);
  if (!stopped) ::kill(rank0, SIGKILL);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  const std::string log = slurp(dir / "rank0.log");
  INFO(log);
  INFO("rank 0 stopped " << waited << " s after rank 1 was killed");
  REQUIRE(stopped);
  CHECK(log.find("drivelab: error: distributed: rank 0 of 2") != std::string::npos);
  CHECK(log.find("a peer died or stopped answering") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("ranks started with different seeds are caught at the first checkpoint", "[app][dist]") {
  const fs::path dir = temp_dir("dist_diverge");
  const int port = free_port();
  const std::string args = std::string(DRIVELAB_SOURCE_DIR) + "/configs/a2c_track.yaml" + kTiny + kA2CSteps +
                           " train.num_envs=2 train.total_steps=32 --run-dir " + (dir / "run").string();
  const pid_t rank0 = start_rank(0, port, args + " train.seed=1", dir / "rank0.log", 20);
  const pid_t rank1 = start_rank(1, port, args + " train.seed=2", dir / "rank1.log", 20);
  const auto t0 = std::chrono::steady_clock::now();
  while ((running(rank0) || running(rank1)) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::string log = slurp(dir / "rank0.log") + slurp(dir / "rank1.log");
  INFO(log);
  CHECK(log.find("the parameters of rank 1 differ from rank 0's at step 32") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("algorithms that do not train data-parallel are refused with one line naming them", "[app][dist]") {
  const auto r = dl::test::run("train " + std::string(DRIVELAB_SOURCE_DIR) +
                               "/configs/bc_track.yaml --nproc 2 --no-progress --run-dir " +
                               (fs::temp_directory_path() / "drivelab_dist_bc_refused").string());
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("agent.algo: bc does not train data-parallel (WORLD_SIZE=2)") != std::string::npos);
}

TEST_CASE("a data-parallel run resumes on every rank from rank 0's checkpoint", "[app][dist]") {
  const fs::path dir = temp_dir("dist_resume");
  const std::string args = std::string(DRIVELAB_SOURCE_DIR) + "/configs/a2c_track.yaml" + kTiny + kA2CSteps + " train.num_envs=2";
  const fs::path run = dir / "run";
  const auto first = dl::test::run("train --nproc 2 " + args + " train.total_steps=32 --run-dir " + run.string());
  INFO(first.output);
  REQUIRE(first.code == 0);
  // --resume takes the run's config; the longer budget comes as an override.
  const auto second = dl::test::run("train --nproc 2 --resume " + run.string() +
                                    " train.total_steps=64 --no-progress --no-video");
  INFO(second.output);
  REQUIRE(second.code == 0);
  CHECK(dl::agents::checkpoint_step((run / "checkpoints" / "latest.pt").string()) == 64);
  const std::string csv = slurp(run / "metrics.csv");
  CHECK(csv.find("\n32,") != std::string::npos);
  CHECK(csv.find("\n64,") != std::string::npos);
  fs::remove_all(dir);
}
