#include "catch_torch.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "agent_test_util.h"
#include "agents/checkpoint.h"
#include "agents/trainer.h"
#include "data/collect.h"
#include "envs/registry.h"

namespace fs = std::filesystem;
using namespace dl;
using dl::testing::RecordingSink;
using dl::testing::TempFolder;

namespace {

envs::EnvConfig short_track() {
  envs::EnvConfig env = envs::default_env_config("track");
  env.max_steps = 150;
  return env;
}

std::string collect_expert(const fs::path& folder, int episodes) {
  const envs::EnvConfig env = short_track();
  data::ExpertPolicy expert(envs::make_env(env)->action_spec(), envs::expert_params());
  data::CollectOptions o;
  o.episodes = episodes;
  o.seed = 11;
  const std::string path = (folder / "expert.dlds").string();
  data::collect(env, expert, o, path);
  return path;
}

agents::TrainJob bc_job(const std::string& dataset, const fs::path& run_dir, RecordingSink* sink) {
  agents::TrainJob job;
  job.env = short_track();
  job.agent.algo = "bc";
  job.agent.bc.data = dataset;
  job.agent.learning_rate = 3e-3f;
  job.agent.bc.batch_size = 64;
  job.agent.bc.epochs = 12;
  job.agent.bc.patience = 100;
  job.agent.bc.val_fraction = 0.25f;
  job.train.device = "cpu";
  job.train.torch_threads = 1;
  job.train.num_threads = 1;
  job.train.eval_episodes = 0;
  job.train.seed = 3;
  job.run_dir = run_dir.string();
  job.metrics = sink;
  return job;
}

}  // namespace

TEST_CASE("behaviour cloning lowers the validation loss on expert data", "[agents][bc]") {
  TempFolder tmp("bc");
  const std::string dataset = collect_expert(tmp.path, 8);
  RecordingSink sink;
  const agents::TrainResult r = agents::train(bc_job(dataset, tmp.path / "run", &sink));
  const auto& val = sink.values("losses/bc_val");
  const auto& train = sink.values("losses/bc_train");
  REQUIRE(val.size() == 12);
  REQUIRE(train.size() == 12);
  CHECK(*std::min_element(val.begin(), val.end()) < val.front() - 0.5);
  CHECK(train.back() < train.front());
  CHECK(r.steps > 0);
  // The checkpoint is an ordinary one: `drivelab eval` and PPO's init_from read it.
  const std::string ckpt = (tmp.path / "run" / "checkpoints" / "best.pt").string();
  REQUIRE(fs::exists(ckpt));
  agents::EvalOptions eval;
  eval.episodes = 1;
  eval.num_threads = 1;
  const agents::EvalResult er = agents::evaluate(ckpt, eval);
  CHECK(er.returns.size() == 1);
}

TEST_CASE("behaviour cloning refuses a dataset that does not fit the env", "[agents][bc]") {
  TempFolder tmp("bc");
  const std::string dataset = collect_expert(tmp.path, 2);
  RecordingSink sink;
  agents::TrainJob job = bc_job(dataset, tmp.path / "run", &sink);
  job.env = envs::default_env_config("traffic");  // 24 lidar rays instead of 16
  CHECK_THROWS_WITH(agents::train(job), Catch::Contains("does not fit env 'traffic'") &&
                                            Catch::Contains("observation specs differ"));
  job = bc_job((tmp.path / "missing.dlds").string(), tmp.path / "run", &sink);
  CHECK_THROWS_WITH(agents::train(job), Catch::Contains("agent.bc.data") && Catch::Contains("cannot open"));
}

TEST_CASE("PPO from a BC run starts from its actor and warms up only the critic", "[agents][bc]") {
  TempFolder tmp("bc");
  const std::string dataset = collect_expert(tmp.path, 4);
  RecordingSink bc_sink;
  agents::TrainJob bc = bc_job(dataset, tmp.path / "bc", &bc_sink);
  bc.agent.bc.epochs = 2;
  agents::train(bc);

  RecordingSink ppo_sink;
  agents::TrainJob ppo;
  ppo.env = short_track();
  ppo.agent.algo = "ppo";
  ppo.agent.ppo.init_from = (tmp.path / "bc").string();
  ppo.agent.ppo.num_steps = 16;
  ppo.agent.ppo.value_warmup = 2;
  ppo.train.num_envs = 2;
  ppo.train.num_threads = 1;
  ppo.train.torch_threads = 1;
  ppo.train.device = "cpu";
  ppo.train.total_steps = 64;  // the warm-up takes all of it, so PPO itself changes nothing
  ppo.train.eval_every_steps = 0;
  ppo.train.eval_episodes = 0;
  ppo.run_dir = (tmp.path / "ppo").string();
  ppo.metrics = &ppo_sink;
  agents::train(ppo);
  CHECK(ppo_sink.values("losses/value_warmup").size() == 2);

  auto load = [&](const fs::path& checkpoint) {
    auto env = envs::make_env(short_track());
    agents::ActorCritic policy(env->observation_spec(), env->action_spec(), agents::NetConfig{});
    agents::load_checkpoint_state(checkpoint.string(), policy, nullptr, false);
    return policy;
  };
  auto before = load(tmp.path / "bc" / "checkpoints" / "best.pt");
  auto after = load(tmp.path / "ppo" / "checkpoints" / "latest.pt");
  const auto b = before->named_parameters(), a = after->named_parameters();
  bool critic_changed = false;
  for (const auto& item : b) {
    const bool same = torch::equal(item.value(), a[item.key()]);
    if (item.key().rfind("critic", 0) == 0) critic_changed = critic_changed || !same;
    else CHECK(same);
  }
  CHECK(critic_changed);
  // The normalizer comes along (PPO's rollouts then keep updating it).
  const auto bc_norm = agents::read_checkpoint_data((tmp.path / "bc" / "checkpoints" / "best.pt").string()).obs_norm;
  const auto ppo_norm = agents::read_checkpoint_data((tmp.path / "ppo" / "checkpoints" / "latest.pt").string()).obs_norm;
  REQUIRE(ppo_norm.size() == bc_norm.size());
  CHECK(ppo_norm[0] > bc_norm[0]);  // count: the BC data plus the warm-up's observations
}

TEST_CASE("DAgger adds expert-labelled learner episodes each round", "[agents][bc]") {
  TempFolder tmp("bc");
  const std::string dataset = collect_expert(tmp.path, 4);
  RecordingSink sink;
  agents::TrainJob job = bc_job(dataset, tmp.path / "run", &sink);
  job.agent.algo = "dagger";
  job.agent.bc.epochs = 2;
  job.agent.dagger.iterations = 2;
  job.agent.dagger.episodes = 2;
  agents::train(job);
  // Two rounds of two 150-step episodes, each refit for two epochs after the initial fit.
  CHECK(sink.values("charts/dagger_labelled_steps") == std::vector<double>{300, 300});
  CHECK(sink.values("charts/dagger_beta") == std::vector<double>{0.5, 0.25});
  CHECK(sink.values("losses/bc_val").size() == 6);
  CHECK(fs::exists(tmp.path / "run" / "checkpoints" / "best.pt"));
}

TEST_CASE("agent.bc.data expert:N records the expert on the run's own env, as collect would", "[agents][bc]") {
  TempFolder tmp("bc");
  // What `drivelab collect --policy expert --episodes 4 --seed 3000000` records on the same env.
  const envs::EnvConfig env = short_track();
  data::ExpertPolicy expert(envs::make_env(env)->action_spec(), envs::expert_params());
  data::CollectOptions o;
  o.episodes = 4;
  o.seed = 3 * 1'000'000ull;  // train.seed 3 (bc_job) times the stride agents/bc.cpp documents
  const std::string path = (tmp.path / "expert.dlds").string();
  data::collect(env, expert, o, path);
  RecordingSink from_file, in_process;
  agents::TrainJob job = bc_job(path, tmp.path / "a", &from_file);
  job.agent.bc.epochs = 3;
  agents::train(job);
  job = bc_job("expert:4", tmp.path / "b", &in_process);
  job.agent.bc.epochs = 3;
  agents::train(job);
  REQUIRE(in_process.values("losses/bc_val").size() == 3);
  CHECK(in_process.values("losses/bc_val") == from_file.values("losses/bc_val"));
  CHECK(fs::exists(tmp.path / "b" / "checkpoints" / "best.pt"));
  for (const char* bad : {"expert:1", "expert:", "expert:x", "expert:-4"}) {
    job.agent.bc.data = bad;
    CHECK_THROWS_WITH(agents::train(job), Catch::Contains("expert:N needs N >= 2"));
  }
}
