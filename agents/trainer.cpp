// drivelab/agents: train() dispatch, the Session every algorithm shares, and evaluate().
#include "agents/trainer.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include "agents/checkpoint.h"
#include "agents/decision_transformer.h"
#include "agents/session.h"
#include "data/dataset.h"
#include "io/files.h"

namespace dl::agents {

TrainResult train_ppo(const TrainJob& job);
TrainResult train_a2c(const TrainJob& job);
TrainResult train_reinforce(const TrainJob& job);
TrainResult train_bc(const TrainJob& job);             // agents/bc.cpp
TrainResult train_dagger(const TrainJob& job);         // agents/bc.cpp
TrainResult train_ppo_from_init(const TrainJob& job);  // agents/bc.cpp: ppo with agent.init_from
TrainResult train_decision_transformer(const TrainJob& job);  // agents/decision_transformer.cpp
TrainResult train_track_gan(const TrainJob& job);             // agents/track_gan.cpp
TrainResult train_world_model(const TrainJob& job);           // agents/world_model_stages.cpp

TrainResult train(const TrainJob& job) {
  if (recurrent_policy(job.agent.net) && job.agent.algo != "ppo")
    throw io::InputError("agent.net.policy: " + job.agent.net.policy +
                         " (a recurrent policy) trains with agent.algo: ppo only, not " + job.agent.algo);
  if (job.agent.algo == "ppo" && !job.agent.init_from.empty()) return train_ppo_from_init(job);
  if (job.agent.algo == "bc") return train_bc(job);
  if (job.agent.algo == "dagger") return train_dagger(job);
  if (job.agent.algo == "ppo") return train_ppo(job);
  if (job.agent.algo == "a2c") return train_a2c(job);
  if (job.agent.algo == "reinforce") return train_reinforce(job);
  if (job.agent.algo == "decision_transformer") return train_decision_transformer(job);
  if (job.agent.algo == "track_gan") return train_track_gan(job);
  if (job.agent.algo == "world_model") return train_world_model(job);
  throw io::InputError("agent.algo: unknown algorithm '" + job.agent.algo +
                           "' (expected ppo, a2c, reinforce, bc, dagger, decision_transformer, track_gan or world_model)");
}

std::string init_checkpoint_path(const std::string& target);  // agents/bc.cpp

bool resumes_from_latest(const std::string& algo) {
  return algo == "ppo" || algo == "a2c" || algo == "reinforce" || algo == "track_gan";
}

void check_train_job(const TrainJob& job) {
  const AgentConfig& agent = job.agent;
  auto first_line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
  resolve_device(job.train.device);
  if (recurrent_policy(agent.net) && agent.algo != "ppo")
    throw io::InputError("agent.net.policy: " + agent.net.policy +
                         " (a recurrent policy) trains with agent.algo: ppo only, not " + agent.algo);
  if (agent.algo == "decision_transformer" && agent.d_model % agent.n_heads != 0)
    throw io::InputError("agent.n_heads: " + std::to_string(agent.n_heads) + " does not divide agent.d_model " +
                         std::to_string(agent.d_model));
  // The env as the run builds it: bad track files, generator files and env options are found here.
  std::unique_ptr<envs::Env> probe;
  try {
    probe = env_factory_or_default(job.env_factory)(job.env, 0);
  } catch (const std::exception& e) {
    throw io::InputError("env: " + first_line(e.what()));
  }
  const bool actor_critic = agent.algo == "ppo" || agent.algo == "a2c" || agent.algo == "reinforce" ||
                            agent.algo == "bc" || agent.algo == "dagger";
  if (actor_critic) {
    try {
      torch::NoGradGuard no_grad;
      ActorCritic(probe->observation_spec(), probe->action_spec(), agent.net);
    } catch (const std::exception& e) {
      throw io::InputError("agent.net: " + first_line(e.what()));
    }
  }
  if (agent.algo == "bc" || agent.algo == "dagger" || agent.algo == "decision_transformer") {
    if (agent.data.empty())
      throw io::InputError("agent.data: " + agent.algo + " needs a dataset (drivelab collect --out FILE)");
    try {
      data::DatasetReader reader(agent.data);  // the header and the index: a missing or damaged file fails here
      data::DatasetSpec env_spec;
      env_spec.observation = probe->observation_spec();
      env_spec.action = probe->action_spec();
      if (const std::string why = data::spec_mismatch(env_spec, reader.spec()); !why.empty())
        throw io::InputError(agent.data + " does not fit env '" + job.env.id + "': " + why);
      // Every chunk's CRC, one episode at a time: training reads them all anyway, and a damaged one found
      // then would leave a run folder behind.
      for (int64_t i = 0; i < reader.num_episodes(); ++i) reader.episode(i);
      if (agent.algo != "decision_transformer" && reader.num_episodes() < 2)
        throw io::InputError(agent.data + " has " + std::to_string(reader.num_episodes()) +
                             " episode(s); behaviour cloning needs at least 2 (train and validation)");
      if (reader.num_steps() == 0) throw io::InputError(agent.data + " has no steps");
    } catch (const io::InputError& e) {
      throw io::InputError(std::string("agent.data: ") + e.what());
    }
  }
  if (agent.algo == "ppo" && !agent.init_from.empty()) {
    const std::string source = init_checkpoint_path(agent.init_from);
    try {
      read_checkpoint_data(source);
      ActorCritic policy(probe->observation_spec(), probe->action_spec(), agent.net);
      load_checkpoint_state(source, policy, nullptr, /*restore_rng=*/false);  // the run's net must fit it
    } catch (const io::InputError& e) {
      throw io::InputError("agent.init_from: " + first_line(e.what()) +
                           " (agent.net must match the network of the run it starts from)");
    }
  }
}


EvalResult evaluate(const std::string& checkpoint_path, const EvalOptions& options,
                    const envs::EnvConfig* env_override) {
  if (checkpoint_algo(checkpoint_path) == "decision_transformer") {
    DTCheckpoint dt = read_dt_checkpoint(checkpoint_path);
    envs::EnvConfig env = env_override ? *env_override : dt.env;
    if (!env_override) env.tracks = options.tracks;
    const torch::Device device = resolve_device(options.device);
    dt.model->to(device);
    return run_dt_episodes(dt.model, dt.runtime, env, options.env_factory, options.episodes, options.seed, device,
                           options.num_threads);
  }
  CheckpointData data = read_checkpoint_data(checkpoint_path);
  envs::EnvConfig env = env_override ? *env_override : data.env;
  if (!env_override) env.tracks = options.tracks;
  const torch::Device device = resolve_device(options.device);
  ActorCritic policy = build_policy(env, data.agent.net, options.env_factory, /*torch_threads=*/0);  // batched
  load_checkpoint_state(checkpoint_path, policy, nullptr, /*restore_rng=*/false);
  policy->to(device);
  policy->eval();
  auto obs_norm = normalizer_from_state(data.obs_norm, data.agent.clip_obs);
  torch::manual_seed(options.seed);  // sampled (non-deterministic) evaluation draws from it
  return run_episodes(policy, obs_norm.get(), env, options.env_factory, options.episodes, options.seed,
                      options.deterministic, device, options.num_threads);
}

}  // namespace dl::agents
