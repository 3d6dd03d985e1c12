// Teacher-student distillation (agents/distill.h): a pixel student learns the scripted expert's driving on a
// tiny budget, its checkpoint drives like any run, and bad teachers are one-line config errors.
#include "catch_torch.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "agent_test_util.h"
#include "agents/actor.h"
#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/distill.h"
#include "agents/trainer.h"
#include "envs/registry.h"
#include "io/files.h"

namespace fs = std::filesystem;
using namespace dl;
using dl::testing::RecordingSink;
using dl::testing::TempFolder;

namespace {

// Small grayscale frames (the CNN's smallest size), two physics steps a decision, short episodes.
envs::EnvConfig tiny_pixels() {
  envs::EnvConfig env = envs::default_env_config("carracing");
  env.pixels.width = env.pixels.height = 40;
  env.pixels.pixels_per_m = 2.7f * 40 / 96;  // CarRacing's field of view on fewer pixels
  env.pixels.grayscale = true;
  env.action_repeat = 2;
  env.max_steps = 150;
  return env;
}

agents::TrainJob distill_job(const fs::path& run_dir, RecordingSink* sink) {
  agents::TrainJob job;
  job.env = tiny_pixels();
  job.agent.algo = "distill";
  job.agent.net.policy = "cnn";
  job.agent.net.cnn = "small";
  job.agent.learning_rate = 1e-3f;
  job.agent.distill.rounds = 3;
  job.agent.distill.steps_per_round = 800;
  job.agent.distill.epochs = 4;
  job.agent.distill.batch_size = 64;
  job.train.device = "cpu";
  job.train.num_envs = 4;
  job.train.num_threads = 1;
  job.train.torch_threads = 1;
  job.train.eval_episodes = 4;
  job.train.seed = 5;
  job.run_dir = run_dir.string();
  job.metrics = sink;
  return job;
}

// Uniform random actions: the floor a learned driver must clear.
class RandomActor final : public agents::Actor {
 public:
  explicit RandomActor(const envs::EnvConfig& env) : env_(env) {}
  const std::string& algo() const override { return name_; }
  const envs::EnvConfig& env_config() const override { return env_; }
  void check_spaces(const envs::Spec&, const envs::ActionSpec&) const override {}
  void reset(int n) override { n_ = n; }
  torch::Tensor act(const torch::Tensor&, bool) override {
    auto a = torch::rand({n_, 3});
    a.select(1, 0).mul_(2).sub_(1);
    return a;
  }

 private:
  std::string name_ = "random";
  envs::EnvConfig env_;
  int n_ = 0;
};

double mean(const std::vector<double>& xs) {
  double s = 0;
  for (double x : xs) s += x;
  return xs.empty() ? 0 : s / xs.size();
}

// A state-policy checkpoint for `env` (untrained weights): enough to be a teacher.
std::string state_policy_checkpoint(const fs::path& folder, const envs::EnvConfig& env) {
  const auto probe = envs::make_env(env);
  agents::NetConfig net;
  agents::ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
  agents::CheckpointData data;
  data.env = env;
  data.algo = "ppo";
  fs::create_directories(folder);
  const std::string path = (folder / "teacher.pt").string();
  agents::save_checkpoint(path, policy, nullptr, data);
  return path;
}

}  // namespace

TEST_CASE("distillation from the expert lowers the imitation loss and drives better than random",
          "[agents][distill]") {
  TempFolder tmp("distill");
  RecordingSink sink;
  const agents::TrainJob job = distill_job(tmp.path / "run", &sink);
  agents::check_train_job(job);
  const agents::TrainResult r = agents::train(job);
  CHECK(r.steps == 2400);
  const auto& nll = sink.values("losses/distill_nll");
  const auto& mse = sink.values("losses/distill_action_mse");
  REQUIRE(nll.size() == 3);
  CHECK(nll.back() < nll.front());
  CHECK(mse.back() < mse.front());
  // The share of teacher-driven steps follows beta: 1, then about 0.5, then 0.25.
  const auto& share = sink.values("charts/distill_teacher_share");
  CHECK(share[0] == 1.0);
  CHECK(share[2] < 0.5);

  envs::EnvConfig test_env = job.env;
  test_env.tracks = "test";
  RandomActor random(job.env);
  const double random_return =
      mean(agents::run_episodes(random, test_env, {}, 8, job.train.seed + agents::kEvalSeedOffset, true, 1).returns);
  const auto student = agents::load_actor(job.run_dir);
  const double student_return =
      mean(agents::run_episodes(*student, test_env, {}, 8, job.train.seed + agents::kEvalSeedOffset, true, 1).returns);
  INFO("student " << student_return << ", random " << random_return);
  CHECK(student_return > random_return + 5);
}

TEST_CASE("a distilled student's checkpoint round-trips and drives through load_actor", "[agents][distill]") {
  TempFolder tmp("distill");
  RecordingSink sink;
  agents::TrainJob job = distill_job(tmp.path / "run", &sink);
  job.agent.distill.rounds = 1;
  job.agent.distill.steps_per_round = 200;
  job.agent.distill.epochs = 1;
  job.train.eval_episodes = 2;
  const agents::TrainResult r = agents::train(job);
  const std::string latest = (tmp.path / "run" / "checkpoints" / "latest.pt").string();
  REQUIRE(fs::exists(latest));
  CHECK(agents::checkpoint_algo(latest) == "distill");
  const auto actor = agents::load_actor(latest);
  CHECK(actor->algo() == "distill");
  CHECK(actor->env_config().pixels.grayscale);
  // The same evaluation as the run's own, from the file: the same returns.
  envs::EnvConfig test_env = job.env;
  test_env.tracks = "test";
  const auto again = agents::run_episodes(*actor, test_env, {}, job.train.eval_episodes,
                                          job.train.seed + agents::kEvalSeedOffset, true, 1);
  CHECK(mean(again.returns) == Approx(r.final_eval_return).margin(1e-6));
}

TEST_CASE("a trained state policy teaches through the state view, with the value auxiliary", "[agents][distill]") {
  TempFolder tmp("distill");
  RecordingSink sink;
  agents::TrainJob job = distill_job(tmp.path / "run", &sink);
  job.agent.distill.teacher = state_policy_checkpoint(tmp.path / "teacher", envs::default_env_config("track"));
  job.agent.distill.rounds = 2;
  job.agent.distill.steps_per_round = 200;
  job.agent.distill.epochs = 1;
  job.agent.distill.value_coef = 0.5f;
  job.train.eval_episodes = 0;
  agents::check_train_job(job);
  agents::train(job);
  CHECK(sink.values("losses/distill_value").size() == 2);
  CHECK(sink.values("charts/distill_teacher_share")[1] < 1.0);
}

TEST_CASE("bad distillation teachers are one-line errors naming agent.distill.teacher", "[agents][distill]") {
  TempFolder tmp("distill");
  agents::TrainJob job = distill_job(tmp.path / "run", nullptr);
  auto message_of = [&]() -> std::string {
    try {
      agents::check_train_job(job);
    } catch (const io::InputError& e) {
      return e.what();
    }
    return "";
  };
  job.agent.distill.teacher = (tmp.path / "no_such_run").string();
  std::string m = message_of();
  CHECK_THAT(m, Catch::StartsWith("agent.distill.teacher: "));
  CHECK_THAT(m, Catch::Contains("no_such_run"));
  CHECK(m.find('\n') == std::string::npos);

  // A teacher whose env has other sensors than the student's world can give it.
  envs::EnvConfig other = envs::default_env_config("track");
  other.lidar.rays = 7;
  job.agent.distill.teacher = state_policy_checkpoint(tmp.path / "seven_rays", other);
  m = message_of();
  CHECK_THAT(m, Catch::StartsWith("agent.distill.teacher: "));
  CHECK_THAT(m, Catch::Contains("lidar"));

  // A pixel teacher: it has no state observation to read.
  job.agent.distill.teacher = state_policy_checkpoint(tmp.path / "pixel_teacher", envs::default_env_config("track"));
  {
    envs::EnvConfig pixel_env = tiny_pixels();
    const auto probe = envs::make_env(pixel_env);
    agents::NetConfig net;
    net.policy = "cnn";
    net.cnn = "small";
    agents::ActorCritic policy(probe->observation_spec(), probe->action_spec(), net);
    agents::CheckpointData data;
    data.env = pixel_env;
    data.agent.net = net;
    data.algo = "ppo";
    agents::save_checkpoint((tmp.path / "pixel_teacher" / "teacher.pt").string(), policy, nullptr, data);
  }
  m = message_of();
  CHECK_THAT(m, Catch::StartsWith("agent.distill.teacher: "));
  CHECK_THAT(m, Catch::Contains("carracing"));

  // A state student: distill teaches pixels.
  job.agent.distill.teacher = "expert";
  job.env = envs::default_env_config("track");
  job.agent.net = agents::NetConfig{};
  m = message_of();
  CHECK_THAT(m, Catch::StartsWith("env.id: "));
}
