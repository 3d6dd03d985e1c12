// Training-loop behaviour on the point-mass env (point_mass.h): learning, determinism, checkpoints,
// resume and the errors the trainer promises.
#include "catch_torch.h"

#include <filesystem>
#include <fstream>
#include <numeric>

#include "agents/checkpoint.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "point_mass.h"

using namespace dl::agents;
using dl::testing::point_mass_factory;
using dl::testing::RecordingSink;
namespace fs = std::filesystem;

namespace {

TrainJob point_mass_job(const std::string& algo, int64_t total_steps, uint64_t seed = 1) {
  TrainJob job;
  job.env.max_steps = 50;
  job.agent.algo = algo;
  job.agent.net.hidden = {32, 32};
  job.agent.ppo.num_steps = 64;
  job.agent.a2c.num_steps = 64;
  job.train.total_steps = total_steps;
  job.train.num_envs = 8;
  job.train.num_threads = 1;
  job.train.torch_threads = 1;  // intra-op threads change float summation order; 1 keeps runs identical
  job.train.seed = seed;
  job.train.device = "cpu";
  job.train.eval_every_steps = 0;
  job.train.eval_episodes = 16;
  job.train.checkpoint_every_steps = 0;
  job.env_factory = point_mass_factory();
  return job;
}

fs::path fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("drivelab_agents_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

double last(const std::vector<double>& v) { return v.empty() ? std::nan("") : v.back(); }

}  // namespace

// Deterministic mean action of the untrained policy: the point barely moves, about 50 * E[x0^2] = -16.7.
// Driving x to 0 at the top speed gives about -1. Every algorithm must get far past the start.
TEST_CASE("PPO learns the point-mass task", "[learning]") {
  auto job = point_mass_job("ppo", 40'000);
  RecordingSink sink;
  job.metrics = &sink;
  auto result = train(job);
  CHECK(result.steps >= 40'000);
  INFO("eval return " << result.final_eval_return);
  CHECK(result.final_eval_return > -4.0);
}

TEST_CASE("PPO learns with discrete actions", "[learning]") {
  auto job = point_mass_job("ppo", 40'000);
  job.env.action = "discrete";
  auto result = train(job);
  INFO("eval return " << result.final_eval_return);
  CHECK(result.final_eval_return > -4.0);
}

TEST_CASE("A2C learns the point-mass task", "[learning]") {
  auto job = point_mass_job("a2c", 60'000);
  job.agent.a2c.num_steps = 8;
  job.agent.learning_rate = 1e-3f;
  auto result = train(job);
  INFO("eval return " << result.final_eval_return);
  CHECK(result.final_eval_return > -4.0);
}

TEST_CASE("REINFORCE learns the point-mass task", "[learning]") {
  auto job = point_mass_job("reinforce", 80'000);
  job.agent.learning_rate = 1e-3f;
  RecordingSink sink;
  job.metrics = &sink;
  auto result = train(job);
  INFO("eval return " << result.final_eval_return);
  CHECK(result.final_eval_return > -4.0);
  // Every update is one whole episode per env, 50 steps each here.
  CHECK(sink.values("charts/episodic_length").front() == Approx(50.0));
}

TEST_CASE("training logs the documented metrics once per update", "[training]") {
  auto job = point_mass_job("ppo", 2048);
  job.train.eval_every_steps = 1024;
  RecordingSink sink;
  job.metrics = &sink;
  train(job);
  CHECK(sink.updates == 4);  // 2048 / (64 steps * 8 envs)
  CHECK(sink.last_step == 2048);
  for (const char* name : {"charts/episodic_return", "charts/episodic_length", "charts/SPS", "losses/policy",
                           "losses/value", "losses/entropy", "losses/approx_kl", "losses/clipfrac",
                           "charts/learning_rate", "time/env_share", "time/inference_share",
                           "time/update_share", "eval/return_mean"})
    CHECK(!sink.values(name).empty());
  CHECK(sink.values("eval/return_mean").size() == 2);  // at 1024 and 2048
  // Linear annealing: the rate falls by 1/4 of the initial one per update.
  auto lr = sink.values("charts/learning_rate");
  REQUIRE(lr.size() == 4);
  CHECK(lr[0] == Approx(3e-4));
  CHECK(lr[3] == Approx(3e-4 * 0.25));
  double shares = last(sink.values("time/env_share")) + last(sink.values("time/inference_share")) +
                  last(sink.values("time/update_share"));
  CHECK(shares <= 1.01);
}

TEST_CASE("same seed gives the same training curve, another seed another", "[determinism]") {
  auto run = [](uint64_t seed, const std::string& algo) {
    auto job = point_mass_job(algo, 4096, seed);
    job.train.num_threads = 2;  // the vector env's results must not depend on its threads
    RecordingSink sink;
    job.metrics = &sink;
    train(job);
    std::vector<std::pair<std::string, double>> rows;
    for (const auto& r : sink.rows)
      if (r.name.rfind("time/", 0) != 0 && r.name != "charts/SPS") rows.emplace_back(r.name, r.value);
    return rows;
  };
  for (const char* algo : {"ppo", "a2c", "reinforce"}) {
    INFO(algo);
    auto a = run(7, algo), b = run(7, algo), c = run(8, algo);
    REQUIRE(a.size() > 10);
    CHECK(a == b);
    CHECK(a != c);
  }
}

TEST_CASE("a checkpoint round trip restores identical policy outputs", "[checkpoint]") {
  auto dir = fresh_dir("roundtrip");
  dl::envs::EnvConfig env;
  env.max_steps = 50;
  auto probe = point_mass_factory()(env, 0);
  NetConfig net;
  net.state_dependent_std = true;
  torch::manual_seed(11);
  ActorCritic saved(probe->observation_spec(), probe->action_spec(), net);
  torch::optim::Adam adam(saved->parameters(), torch::optim::AdamOptions(1e-3));
  // One optimizer step so the Adam moments are not trivially zero.
  auto loss = saved->evaluate(torch::randn({16, 2}), torch::randn({16, 1})).log_prob.mean();
  loss.backward();
  adam.step();
  CheckpointData data;
  data.env = env;
  data.agent.net = net;
  data.agent.learning_rate = 1.25e-4f;
  data.train.seed = 99;
  data.global_step = 12345;
  data.update = 7;
  data.algo = "ppo";
  data.obs_norm = {3.0, 0.5, -0.25, 2.0, 4.0};
  const std::string path = (dir / "ckpt.pt").string();
  save_checkpoint(path, saved, &adam, data);
  CHECK(!fs::exists(path + ".tmp"));

  auto back = read_checkpoint_data(path);
  CHECK(back.global_step == 12345);
  CHECK(back.update == 7);
  CHECK(back.agent.learning_rate == 1.25e-4f);
  CHECK(back.agent.net.state_dependent_std);
  CHECK(back.train.seed == 99);
  CHECK(back.env.max_steps == 50);
  CHECK(back.obs_norm == data.obs_norm);
  torch::manual_seed(12);  // different init: the load must overwrite every weight
  ActorCritic loaded(probe->observation_spec(), probe->action_spec(), back.agent.net);
  torch::optim::Adam adam2(loaded->parameters(), torch::optim::AdamOptions(1e-3));
  load_checkpoint_state(path, loaded, &adam2, false);
  auto obs = torch::randn({32, 2});
  auto a = saved->act(obs, true), b = loaded->act(obs, true);
  CHECK(torch::equal(a.action, b.action));
  CHECK(torch::equal(a.value, b.value));
  CHECK(torch::equal(a.log_prob, b.log_prob));
  auto acts = torch::randn({32, 1});
  CHECK(torch::equal(saved->evaluate(obs, acts).log_prob, loaded->evaluate(obs, acts).log_prob));
  fs::remove_all(dir);
}

TEST_CASE("config text round-trips every field", "[checkpoint]") {
  dl::envs::EnvConfig env;
  env.id = "carracing";
  env.reward.speed_bonus = 0.1f;
  env.car.drive = dl::sim::Drive::all;
  AgentConfig agent;
  agent.net.hidden = {128, 64, 32};
  agent.ppo.gamma = 0.987654f;
  TrainConfig train;
  train.seed = ~uint64_t{0};
  train.device = "cuda:1";
  auto text = configs_to_text(env, agent, train);
  dl::envs::EnvConfig env2;
  AgentConfig agent2;
  TrainConfig train2;
  configs_from_text(text, env2, agent2, train2);
  CHECK(configs_to_text(env2, agent2, train2) == text);
  CHECK(env2.car.drive == dl::sim::Drive::all);
  CHECK(agent2.net.hidden == agent.net.hidden);
  CHECK(train2.seed == train.seed);
  CHECK_THROWS_WITH(configs_from_text("agent.no_such_key=1\n", env2, agent2, train2),
                    Catch::Contains("agent.no_such_key"));
  CHECK_THROWS_WITH(configs_from_text("agent.ppo.gamma=abc\n", env2, agent2, train2),
                    Catch::Contains("agent.ppo.gamma"));
}

// Checkpoints written before the agent section was split by algorithm keep loading: their flat keys are
// read into the algorithm's section (agents/agent_config.cpp).
TEST_CASE("old checkpoints' flat agent keys load into the algorithm's section", "[checkpoint]") {
  dl::envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
  configs_from_text("agent.algo=a2c\nagent.num_steps=16\nagent.gamma=0.5\ntrain.eval_every=777\n", env, agent, train);
  CHECK(agent.a2c.num_steps == 16);
  CHECK(agent.a2c.gamma == 0.5f);
  CHECK(agent.ppo.num_steps == PPOConfig{}.num_steps);
  CHECK(train.eval_every_steps == 777);
  AgentConfig dt;
  configs_from_text("agent.algo=decision_transformer\nagent.batch_size=12\nagent.d_model=64\nagent.data=x.dlds\n"
                    "train.eval_every=5\n", env, dt, train);
  CHECK(dt.dt.batch_size == 12);
  CHECK(dt.dt.d_model == 64);
  CHECK(dt.dt.data == "x.dlds");
  CHECK(dt.dt.eval_every_gradient_steps == 5);
  CHECK(dt.bc.batch_size == BCConfig{}.batch_size);
}

TEST_CASE("resume continues at the same step with the same schedule", "[checkpoint]") {
  auto dir = fresh_dir("resume");
  // Uninterrupted reference: 8 updates of 512 steps.
  auto reference_job = point_mass_job("ppo", 4096);
  RecordingSink reference;
  reference_job.metrics = &reference;
  train(reference_job);

  // "Killed" after 2048 steps: train with a 2048 budget, then resume with the full one.
  auto first = point_mass_job("ppo", 4096);
  first.run_dir = dir.string();
  first.train.total_steps = 2048;
  RecordingSink first_sink;
  first.metrics = &first_sink;
  train(first);
  REQUIRE(fs::exists(dir / "checkpoints" / "latest.pt"));
  CHECK(read_checkpoint_data((dir / "checkpoints" / "latest.pt").string()).global_step == 2048);

  auto resumed = point_mass_job("ppo", 4096);
  resumed.run_dir = dir.string();
  resumed.resume = true;
  RecordingSink resumed_sink;
  resumed.metrics = &resumed_sink;
  auto result = train(resumed);
  CHECK(result.steps == 4096);
  CHECK(resumed_sink.updates == 4);
  CHECK(resumed_sink.rows.front().step == 2048 + 512);
  // The annealed rate picks up where it stopped (the first run's schedule was over 2048 steps, so compare
  // with the uninterrupted run of 4096).
  auto lr_ref = reference.values("charts/learning_rate");
  auto lr_res = resumed_sink.values("charts/learning_rate");
  REQUIRE(lr_ref.size() == 8);
  REQUIRE(lr_res.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(lr_res[i] == Approx(lr_ref[4 + i]));
  CHECK(read_checkpoint_data((dir / "checkpoints" / "latest.pt").string()).update == 8);
  fs::remove_all(dir);
}

TEST_CASE("evaluate loads a checkpoint and plays the asked episodes", "[checkpoint]") {
  auto dir = fresh_dir("evaluate");
  auto job = point_mass_job("ppo", 1024);
  job.run_dir = dir.string();
  job.train.eval_episodes = 4;
  auto result = train(job);
  REQUIRE(fs::exists(dir / "checkpoints" / "best.pt"));
  EvalOptions options;
  options.episodes = 5;
  options.seed = 3;
  options.env_factory = point_mass_factory();
  auto a = evaluate((dir / "checkpoints" / "latest.pt").string(), options);
  auto b = evaluate((dir / "checkpoints" / "latest.pt").string(), options);
  REQUIRE(a.returns.size() == 5);
  CHECK(a.lengths.size() == 5);
  CHECK(a.returns == b.returns);
  // Per-episode lap time (-1: no lap; the point mass has none) and progress, for eval --track-files.
  REQUIRE(a.lap_times_s.size() == 5);
  REQUIRE(a.progress.size() == 5);
  for (float t : a.lap_times_s) CHECK(t == -1);
  for (int len : a.lengths) CHECK(len <= 50);
  CHECK(std::isfinite(result.final_eval_return));
  fs::remove_all(dir);
}

TEST_CASE("missing and corrupt checkpoints are errors naming the file", "[checkpoint]") {
  auto dir = fresh_dir("corrupt");
  EvalOptions options;
  options.env_factory = point_mass_factory();
  const std::string missing = (dir / "nope.pt").string();
  CHECK_THROWS_WITH(evaluate(missing, options), Catch::Contains(missing) && Catch::Contains("not found"));
  const std::string corrupt = (dir / "corrupt.pt").string();
  std::ofstream(corrupt) << "this is not a checkpoint";
  CHECK_THROWS_WITH(evaluate(corrupt, options), Catch::Contains(corrupt) && Catch::Contains("corrupt"));

  // A truncated real checkpoint.
  auto job = point_mass_job("ppo", 512);
  job.run_dir = dir.string();
  job.train.eval_episodes = 0;
  train(job);
  const std::string good = (dir / "checkpoints" / "latest.pt").string();
  const std::string cut = (dir / "cut.pt").string();
  fs::copy_file(good, cut);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  CHECK_THROWS_WITH(evaluate(cut, options), Catch::Contains(cut));

  auto resume = point_mass_job("ppo", 1024);
  resume.run_dir = (dir / "empty_run").string();
  resume.resume = true;
  CHECK_THROWS_WITH(train(resume), Catch::Contains("latest.pt") && Catch::Contains("not found"));
  fs::remove_all(dir);
}

TEST_CASE("bad devices are clear errors", "[device]") {
  CHECK_THROWS_WITH(resolve_device("tpu"), Catch::Contains("tpu"));
  CHECK_THROWS_WITH(resolve_device("cuda:x"), Catch::Contains("cuda:x"));
  CHECK(resolve_device("cpu").is_cpu());
  if (!torch::cuda::is_available()) {
    CHECK(resolve_device("auto").is_cpu());
    CHECK_THROWS_WITH(resolve_device("cuda"), Catch::Contains("no CUDA device"));
    auto job = point_mass_job("ppo", 512);
    job.train.device = "cuda:0";
    CHECK_THROWS_WITH(train(job), Catch::Contains("cuda:0"));
  } else {
    CHECK(resolve_device("auto").is_cuda());
    CHECK_THROWS_WITH(resolve_device("cuda:999"), Catch::Contains("cuda:999"));
  }
  auto job = point_mass_job("ppo", 512);
  job.agent.algo = "dqn";
  CHECK_THROWS_WITH(train(job), Catch::Contains("dqn"));
}

TEST_CASE("a NaN loss stops training and keeps the last good checkpoint", "[checkpoint]") {
  auto dir = fresh_dir("nan");
  auto job = point_mass_job("ppo", 8192);
  job.run_dir = dir.string();
  job.train.checkpoint_every_steps = 512;
  job.train.eval_episodes = 0;
  job.env_factory = point_mass_factory(/*nan_after=*/64 * 3 + 10);  // rewards turn NaN in the 4th update
  CHECK_THROWS_WITH(train(job), Catch::Contains("nan") && Catch::Contains("latest.pt"));
  const std::string latest = (dir / "checkpoints" / "latest.pt").string();
  auto data = read_checkpoint_data(latest);
  CHECK(data.global_step == 3 * 512);
  EvalOptions options;
  options.episodes = 2;
  options.env_factory = point_mass_factory();
  auto r = evaluate(latest, options);
  for (double x : r.returns) CHECK(std::isfinite(x));
  fs::remove_all(dir);
}
