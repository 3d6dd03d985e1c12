// The algorithm table (agents/algorithm.h) and the Actor interface (agents/actor.h), proven with a toy
// algorithm registered from the test: a proportional controller a = clamp(-k x) on the point-mass env whose
// gain k is chosen by a small search. Registering it is all it takes for train, check, load_actor, evaluate
// and the run-folder resolver to handle it.
#include "catch_torch.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "point_mass.h"

namespace fs = std::filesystem;
using namespace dl;
using namespace dl::agents;

namespace {

class GainActor final : public Actor {
 public:
  GainActor(const envs::EnvConfig& env, float gain) : env_(env), gain_(gain) {}
  const std::string& algo() const override { return algo_; }
  const envs::EnvConfig& env_config() const override { return env_; }
  void check_spaces(const envs::Spec& observation, const envs::ActionSpec& action) const override {
    if (observation.size() != 2 || action.discrete || action.dim() != 1)
      throw io::InputError("toy_gain drives the continuous point mass only");
  }
  void reset(int n) override { n_ = n; }
  torch::Tensor act(const torch::Tensor& obs, bool) override {
    ++steps_;
    return (-gain_ * obs.select(1, 0)).clamp(-1, 1).reshape({n_, 1}).contiguous();
  }
  void observe(const float* rewards, const uint8_t* ended) override {
    for (int i = 0; i < n_; ++i) episodes_ended_ += ended[i];
  }
  int64_t steps_ = 0, episodes_ended_ = 0;

 private:
  std::string algo_ = "toy_gain";
  envs::EnvConfig env_;
  float gain_;
  int n_ = 0;
};

TrainResult train_toy(const TrainJob& job) {
  // "Training": the best of five gains on the training tracks, by the one evaluation loop.
  float best_gain = 0;
  double best = -1e300;
  for (float gain : {-2.f, -0.5f, 0.f, 1.f, 4.f}) {
    GainActor actor(job.env, gain);
    const EvalResult r = run_episodes(actor, job.env, job.env_factory, 4, job.train.seed, true, 1);
    double mean = 0;
    for (double x : r.returns) mean += x / r.returns.size();
    if (mean > best) best = mean, best_gain = gain;
  }
  fs::create_directories(fs::path(job.run_dir) / "checkpoints");
  torch::serialize::OutputArchive a;
  a.write("algo", c10::IValue(std::string("toy_gain")));
  a.write("config_text", c10::IValue(configs_to_text(job.env, job.agent, job.train)));
  a.write("gain", c10::IValue(static_cast<double>(best_gain)));
  save_archive(a, (fs::path(job.run_dir) / "checkpoints" / "latest.pt").string());
  TrainResult result;
  result.steps = 5;
  result.final_eval_return = result.best_eval_return = best;
  return result;
}

std::unique_ptr<Actor> load_toy(const std::string& path, torch::Device, const EnvFactoryFn&) {
  torch::serialize::InputArchive a;
  load_archive(path, a);
  c10::IValue text, gain;
  if (!a.try_read("config_text", text) || !a.try_read("gain", gain)) throw CheckpointError(path + ": not a toy_gain file");
  envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
  configs_from_text(text.toStringRef(), env, agent, train);
  return std::make_unique<GainActor>(env, static_cast<float>(gain.toDouble()));
}

void register_toy_once() {
  static const bool registered = [] {
    Algorithm a;
    a.name = "toy_gain";
    a.summary = "a proportional controller whose gain is picked by search (tests only)";
    a.train = train_toy;
    a.check = [](const TrainJob& job, const envs::Env& probe) {
      if (probe.action_spec().discrete) throw io::InputError("env.action: toy_gain needs continuous actions");
    };
    a.load_actor = load_toy;
    register_algorithm(a);
    return true;
  }();
  (void)registered;
}

TrainJob toy_job(const std::string& run_dir) {
  TrainJob job;
  job.agent.algo = "toy_gain";
  job.env.max_steps = 50;
  job.train.seed = 3;
  job.run_dir = run_dir;
  job.env_factory = dl::testing::point_mass_factory();
  return job;
}

}  // namespace

TEST_CASE("an algorithm registered from outside trains, loads as an Actor and evaluates through the table",
          "[agents][algorithm]") {
  register_toy_once();
  const fs::path dir = fs::temp_directory_path() / ("drivelab_toy_algo_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto names = algorithm_names();
  CHECK(std::find(names.begin(), names.end(), "ppo") != names.end());
  CHECK(std::find(names.begin(), names.end(), "toy_gain") != names.end());

  const TrainJob job = toy_job(dir.string());
  check_train_job(job);
  const TrainResult trained = train(job);

  // The run folder resolves to its checkpoint, which names its algorithm; the table loads it.
  const std::string checkpoint = resolve_checkpoint(dir.string());
  CHECK(checkpoint == (dir / "checkpoints" / "latest.pt").string());
  CHECK(checkpoint_algo(checkpoint) == "toy_gain");
  auto actor = load_actor(dir.string(), "cpu", job.env_factory);
  CHECK(actor->algo() == "toy_gain");
  CHECK(actor->env_config().max_steps == 50);

  // The search kept a gain that pushes the point toward 0, and evaluate() reproduces its return on the
  // same episodes.
  EvalOptions options;
  options.episodes = 4;
  options.seed = job.train.seed;
  options.num_threads = 1;
  options.env_factory = job.env_factory;
  envs::EnvConfig same_env = job.env;
  const EvalResult evaluated = evaluate(dir.string(), options, &same_env);
  REQUIRE(evaluated.returns.size() == 4);
  double mean = 0;
  for (double x : evaluated.returns) mean += x / 4;
  CHECK(mean == Approx(trained.final_eval_return));
  GainActor idle(job.env, 0.f);
  const EvalResult idle_result = run_episodes(idle, job.env, job.env_factory, 4, job.train.seed, true, 1);
  double idle_mean = 0;
  for (double x : idle_result.returns) idle_mean += x / 4;
  CHECK(mean > idle_mean);

  // The loop tells the actor every step and every episode end.
  GainActor counted(job.env, 1.f);
  const EvalResult counted_result = run_episodes(counted, job.env, job.env_factory, 3, 9, true, 1);
  int64_t steps = 0;
  for (int l : counted_result.lengths) steps += l;
  CHECK(counted.episodes_ended_ >= 3);
  CHECK(counted.steps_ >= steps / 3);
  fs::remove_all(dir);
}

TEST_CASE("the algorithm table refuses unknown names, taken names and non-driving checkpoints", "[agents][algorithm]") {
  register_toy_once();
  TrainJob job = toy_job("");
  job.agent.algo = "toy_gian";
  CHECK_THROWS_WITH(check_train_job(job), Catch::Contains("agent.algo: unknown algorithm 'toy_gian'") &&
                                              Catch::Contains("toy_gain") && Catch::Contains("ppo"));
  job.agent.algo = "toy_gain";
  job.env.action = "discrete";
  CHECK_THROWS_WITH(check_train_job(job), Catch::Contains("env.action: toy_gain needs continuous actions"));
  job.env.action = "continuous";
  job.agent.net.policy = "gtrxl";
  CHECK_THROWS_WITH(train(job), Catch::Contains("gtrxl") && Catch::Contains("toy_gain"));

  Algorithm again;
  again.name = "toy_gain";
  again.train = train_toy;
  CHECK_THROWS_AS(register_algorithm(again), std::logic_error);
  Algorithm nameless;
  nameless.train = train_toy;
  CHECK_THROWS_AS(register_algorithm(nameless), std::logic_error);

  // A checkpoint of an algorithm that does not drive (track_gan) is refused by name.
  const fs::path file = fs::temp_directory_path() / ("drivelab_gan_like_" + std::to_string(::getpid()) + ".pt");
  torch::serialize::OutputArchive a;
  a.write("algo", c10::IValue(std::string("track_gan")));
  save_archive(a, file.string());
  CHECK_THROWS_WITH(load_actor(file.string()), Catch::Contains("track_gan does not drive"));
  fs::remove(file);
  CHECK_THROWS_AS(load_actor((fs::temp_directory_path() / "drivelab_no_such_run").string()), CheckpointError);
}
