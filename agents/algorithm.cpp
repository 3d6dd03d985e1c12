// drivelab/agents: the algorithm table, train() and check_train_job() over it, and the checkpoint resolver.
#include "agents/algorithm.h"

#include <filesystem>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/rollout.h"
#include "data/dataset.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace dl::agents {

std::vector<Algorithm> builtin_algorithms();  // agents/algorithms.cpp

namespace {

std::vector<Algorithm>& table() {
  static std::vector<Algorithm> algorithms = builtin_algorithms();
  return algorithms;
}


void check_recurrent_allowed(const TrainJob& job, const Algorithm& algorithm) {
  if (!recurrent_policy(job.agent.net) || algorithm.recurrent_policies) return;
  std::string allowed;
  for (const Algorithm& a : table())
    if (a.recurrent_policies) allowed += (allowed.empty() ? "" : " or ") + a.name;
  throw io::InputError("agent.net.policy: " + job.agent.net.policy + " (a recurrent policy) trains with agent.algo: " +
                       allowed + " only, not " + job.agent.algo);
}

// agent.net.road_ahead_coef > 0 needs an algorithm whose update adds the loss and an env look-ahead to predict.
void check_road_ahead_allowed(const TrainJob& job, const Algorithm& algorithm) {
  if (job.agent.net.road_ahead_coef <= 0) return;
  if (!algorithm.road_ahead_loss)
    throw io::InputError("agent.net.road_ahead_coef: agent.algo " + job.agent.algo +
                         " does not add the road-ahead loss (ppo does); set it to 0");
  if (job.env.lookahead.points < 1)
    throw io::InputError("agent.net.road_ahead_coef: needs env.lookahead.points > 0 (it is 0): the road ahead it "
                         "predicts is the env's look-ahead");
}

}  // namespace

void register_algorithm(Algorithm algorithm) {
  if (algorithm.name.empty()) throw std::logic_error("register_algorithm: an algorithm needs a name");
  if (!algorithm.train) throw std::logic_error("register_algorithm: '" + algorithm.name + "' has no train function");
  for (const Algorithm& a : table())
    if (a.name == algorithm.name) throw std::logic_error("register_algorithm: '" + algorithm.name + "' is taken");
  table().push_back(std::move(algorithm));
}

std::vector<std::pair<std::string, std::string>> algorithm_choices() {
  std::vector<std::pair<std::string, std::string>> choices;
  for (const Algorithm& a : table()) choices.emplace_back(a.name, a.name);
  return choices;
}

std::vector<std::string> algorithm_agent_keys(const std::string& name) { return find_algorithm(name).agent_keys; }
bool algorithm_counts_env_steps(const std::string& name) { return find_algorithm(name).env_step_budget; }

std::vector<std::string> algorithm_names() {
  std::vector<std::string> names;
  for (const Algorithm& a : table()) names.push_back(a.name);
  return names;
}

const Algorithm& find_algorithm(const std::string& name) {
  for (const Algorithm& a : table())
    if (a.name == name) return a;
  std::string expected;
  const auto names = algorithm_names();
  for (size_t i = 0; i < names.size(); ++i) expected += (i ? (i + 1 == names.size() ? " or " : ", ") : "") + names[i];
  throw io::InputError("agent.algo: unknown algorithm '" + name + "' (expected " + expected + ")");
}

Algorithm actor_critic_algorithm(std::string name, std::string summary,
                                 std::function<TrainResult(const TrainJob&)> train) {
  Algorithm a;
  a.name = std::move(name);
  a.summary = std::move(summary);
  a.agent_keys = {"net", "optimizer", "learning_rate", "anneal_lr", "max_grad_norm", "normalize_obs", "clip_obs", a.name};
  a.train = std::move(train);
  a.check = check_policy_net;
  a.load_actor = load_policy_actor;
  a.actor_critic = true;
  a.resume = Resume::from_latest;
  a.data_parallel = true;
  a.env_step_budget = true;
  return a;
}

TrainResult train(const TrainJob& job) {
  const Algorithm& algorithm = find_algorithm(job.agent.algo);
  check_recurrent_allowed(job, algorithm);
  check_road_ahead_allowed(job, algorithm);
  return algorithm.train(job);
}

void check_train_job(const TrainJob& job) {
  resolve_device(job.train.device);
  const Algorithm& algorithm = find_algorithm(job.agent.algo);
  check_recurrent_allowed(job, algorithm);
  check_road_ahead_allowed(job, algorithm);
  // The env as the run builds it: bad track files, generator files and env options are found here.
  std::unique_ptr<envs::Env> probe;
  try {
    probe = env_factory_or_default(job.env_factory)(job.env, 0);
  } catch (const std::exception& e) {
    throw io::InputError("env: " + io::first_line(e.what()));
  }
  if (algorithm.check) algorithm.check(job, *probe);
}

void check_policy_net(const TrainJob& job, const envs::Env& probe) {
  try {
    torch::NoGradGuard no_grad;
    ActorCritic(probe.observation_spec(), probe.action_spec(), job.agent.net,
                road_ahead_outputs(job.env, job.agent.net));
  } catch (const std::exception& e) {
    throw io::InputError("agent.net: " + io::first_line(e.what()));
  }
}

void check_dataset(const TrainJob& job, const envs::Env& probe, const std::string& path, const std::string& key,
                   int64_t min_episodes) {
  const std::string& algo = job.agent.algo;
  if (path.empty()) throw io::InputError(key + ": " + algo + " needs a dataset (drivelab collect --out FILE)");
  try {
    data::DatasetReader reader(path);  // the header and the index: a missing or damaged file fails here
    data::DatasetSpec env_spec;
    env_spec.observation = probe.observation_spec();
    env_spec.action = probe.action_spec();
    if (const std::string why = data::spec_mismatch(env_spec, reader.spec()); !why.empty())
      throw io::InputError(path + " does not fit env '" + job.env.id + "': " + why);
    for (int64_t i = 0; i < reader.num_episodes(); ++i) reader.episode(i);
    if (reader.num_episodes() < min_episodes)
      throw io::InputError(path + " has " + std::to_string(reader.num_episodes()) + " episode(s); " + algo +
                           " needs at least " + std::to_string(min_episodes) +
                           (min_episodes >= 2 ? " (train and validation)" : ""));
    if (reader.num_steps() == 0) throw io::InputError(path + " has no steps");
  } catch (const io::InputError& e) {
    throw io::InputError(key + ": " + e.what());
  }
}

std::string resolve_checkpoint(const std::string& target) {
  if (!fs::exists(target)) throw CheckpointError(target + ": not found (no such run folder or checkpoint file)");
  if (!fs::is_directory(target)) return target;
  for (const char* name : {"best.pt", "latest.pt"}) {
    const fs::path p = fs::path(target) / "checkpoints" / name;
    if (fs::exists(p)) return p.string();
  }
  throw CheckpointError(target + ": the run folder has no checkpoint (checkpoints/best.pt or latest.pt)");
}

std::unique_ptr<Actor> load_actor(const std::string& target, const std::string& device, const EnvFactoryFn& factory) {
  const std::string path = resolve_checkpoint(target);
  const torch::Device dev = resolve_device(device);
  std::string algo;
  try {
    algo = checkpoint_algo(path);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": cannot read the checkpoint: " + io::first_line(e.what()));
  }
  const Algorithm* algorithm = nullptr;
  for (const Algorithm& a : table())
    if (a.name == algo) algorithm = &a;
  if (!algorithm) throw CheckpointError(path + ": written by an algorithm this build does not know: '" + algo + "'");
  if (!algorithm->load_actor)
    throw CheckpointError(path + ": a " + algo + " checkpoint; " + algo + " does not drive, so it cannot be evaluated, "
                          "watched or collected from");
  try {
    return algorithm->load_actor(path, dev, factory);
  } catch (const CheckpointError&) {
    throw;
  } catch (const io::InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": cannot load the checkpoint: " + io::first_line(e.what()));
  }
}

}  // namespace dl::agents
