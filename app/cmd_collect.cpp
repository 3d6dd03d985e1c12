// drivelab/app: `drivelab collect`: record episodes of the expert, a random policy or a trained run into a
// dataset (data/dataset.h), with optional noise and a mix of weaker drivers.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/checkpoint.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "app/config.h"
#include "app/data_commands.h"
#include "app/env_overrides.h"
#include "data/collect.h"
#include "envs/normalize.h"
#include "envs/registry.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

struct CollectArgs {
  std::string policy = "expert";
  std::string env;  // "" = track, or the run's own env for a RUN policy
  int episodes = 10;
  std::string out;
  float noise = 0;
  float random_fraction = 0;
  float weak_fraction = 0;
  float weak_noise = 0.3f;
  unsigned long long seed = 1;
  std::string tracks = "train";
  std::string device = "cpu";
  std::vector<std::string> overrides;  // env.key=value
  bool progress = true;
};

std::string checkpoint_of(const std::string& target) {
  if (!fs::is_directory(target)) return target;
  for (const char* name : {"best.pt", "latest.pt"}) {
    const fs::path p = fs::path(target) / "checkpoints" / name;
    if (fs::exists(p)) return p.string();
  }
  throw ConfigError(target + ": the run folder has no checkpoint (checkpoints/best.pt or latest.pt)");
}

// A trained policy from a checkpoint: observations normalized with the run's frozen statistics, the mean
// action (deterministic), as `drivelab eval` runs it.
class CheckpointPolicy : public data::CollectPolicy {
 public:
  CheckpointPolicy(const std::string& checkpoint, const envs::Env& env, const std::string& device_name)
      : name_(checkpoint), device_(agents::resolve_device(device_name)) {
    agents::set_inference_threads();  // one env, one observation at a time (agents/rollout.h)
    const agents::CheckpointData data = agents::read_checkpoint_data(checkpoint);
    obs_spec_ = env.observation_spec();
    policy_ = agents::ActorCritic(obs_spec_, env.action_spec(), data.agent.net);
    agents::load_checkpoint_state(checkpoint, policy_, nullptr, /*restore_rng=*/false);
    policy_->to(device_);
    policy_->eval();
    if (!data.obs_norm.empty()) {
      norm_ = std::make_unique<envs::ObsNormalizer>(static_cast<int>((data.obs_norm.size() - 1) / 2),
                                                    data.agent.clip_obs);
      norm_->load_state(data.obs_norm);
    }
    action_dim_ = env.action_spec().dim();
    memory_ = policy_->initial_memory(1, device_);
  }
  std::string name() const override { return name_; }
  void begin_episode(uint64_t) override { memory_ = policy_->initial_memory(1, device_); }
  void act(const void* obs, const sim::World*, float* action) override {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = {1};
    shape.insert(shape.end(), obs_spec_.shape.begin(), obs_spec_.shape.end());
    torch::Tensor input;
    if (obs_spec_.dtype == envs::DType::u8) {
      input = torch::from_blob(const_cast<void*>(obs), shape, torch::kUInt8).clone();
    } else {
      std::vector<float> copy(static_cast<const float*>(obs), static_cast<const float*>(obs) + obs_spec_.size());
      if (norm_) norm_->normalize(copy.data(), 1);
      input = torch::from_blob(copy.data(), shape, torch::kFloat32).clone();
    }
    const torch::Tensor a = policy_->act(input.to(device_), /*deterministic=*/true, &memory_).env_action.to(torch::kCPU)
                                .to(torch::kFloat32).contiguous();
    std::copy(a.data_ptr<float>(), a.data_ptr<float>() + action_dim_, action);
  }

 private:
  std::string name_;
  torch::Device device_;
  envs::Spec obs_spec_;
  agents::ActorCritic policy_{nullptr};
  agents::TransformerMemory memory_;  // recurrent policies; empty otherwise
  std::unique_ptr<envs::ObsNormalizer> norm_;
  int action_dim_ = 0;
};

int run_collect(CollectArgs& a) {
  const bool expert = a.policy == "expert" || a.policy == "weak-expert";
  const bool random = a.policy == "random";
  std::string checkpoint;
  envs::EnvConfig env;
  if (!expert && !random) {
    if (!fs::exists(a.policy))
      throw ConfigError("--policy: '" + a.policy + "' is not expert, weak-expert, random or an existing run folder or checkpoint");
    checkpoint = checkpoint_of(a.policy);
  }
  if (!checkpoint.empty()) {
    envs::EnvConfig trained;
    try {
      trained = agents::read_checkpoint_data(checkpoint).env;
    } catch (const std::exception& e) {
      throw ConfigError(checkpoint + ": cannot read the checkpoint: " + e.what());
    }
    if (!a.env.empty() && a.env != trained.id) {
      // Another env: its defaults, keeping what the network's inputs and outputs depend on.
      envs::EnvConfig other = parse_run_config("env: {id: " + a.env + "}", "--env").env;
      other.lidar = trained.lidar;
      other.pixels = trained.pixels;
      other.action = trained.action;
      other.frame_stack = trained.frame_stack;
      other.action_repeat = trained.action_repeat;
      other.dt_s = trained.dt_s;
      trained = other;
    }
    // Overrides change the run's env, never replace it (app/env_overrides.h).
    env = env_with_overrides(trained, a.overrides);
  } else {
    env = parse_run_config("env: {id: " + (a.env.empty() ? std::string("track") : a.env) + "}", "--env",
                           a.overrides).env;
  }
  env.tracks = a.tracks;

  const auto probe = envs::make_env(env);
  std::unique_ptr<data::CollectPolicy> policy;
  if (expert)
    policy = std::make_unique<data::ExpertPolicy>(
        probe->action_spec(), a.policy == "expert" ? envs::expert_params() : envs::weak_expert_params(), a.policy);
  else if (random)
    policy = std::make_unique<data::RandomPolicy>(probe->action_spec());
  else
    policy = std::make_unique<CheckpointPolicy>(checkpoint, *probe, a.device);

  data::CollectOptions o;
  o.episodes = a.episodes;
  o.seed = a.seed;
  o.noise = a.noise;
  o.random_fraction = a.random_fraction;
  o.weak_fraction = a.weak_fraction;
  o.weak_noise = a.weak_noise;
  o.notes = "collected by: drivelab collect --policy " + a.policy + " --episodes " + std::to_string(a.episodes) +
            " --seed " + std::to_string(a.seed) + " --noise " + std::to_string(a.noise) + " --random-fraction " +
            std::to_string(a.random_fraction) + " --weak-fraction " + std::to_string(a.weak_fraction) + "\n" +
            env_config_yaml(env);
  auto progress = [&](int done, int total, double ret) {
    if (a.progress) std::fprintf(stderr, "\rcollect: %d/%d episodes, last return %.1f   ", done, total, ret);
  };
  const data::CollectReport r = data::collect(env, *policy, o, a.out, progress);
  if (a.progress) std::fprintf(stderr, "\n");
  std::printf("wrote %s: %lld episodes, %lld steps, %.1f MB\n", a.out.c_str(), static_cast<long long>(r.episodes),
              static_cast<long long>(r.steps), static_cast<double>(fs::file_size(a.out)) / 1e6);
  std::printf("policies: %lld %s, %lld weak-expert, %lld random\n", static_cast<long long>(r.main_episodes),
              policy->name().c_str(), static_cast<long long>(r.weak_episodes), static_cast<long long>(r.random_episodes));
  std::printf("return: mean %.1f (main policy %.1f)   laps: %lld/%lld   crashed: %lld\n", r.return_mean,
              r.main_return_mean, static_cast<long long>(r.laps), static_cast<long long>(r.episodes),
              static_cast<long long>(r.crashed));
  return kExitOk;
}

}  // namespace

CommandHook add_collect_command(CLI::App& app) {
  auto args = std::make_shared<CollectArgs>();
  auto* cmd = app.add_subcommand("collect", "Record episodes of the expert, a random policy or a trained run into a dataset.");
  cmd->add_option("--policy", args->policy, "expert | weak-expert | random | RUN (a run folder or checkpoint file)");
  cmd->add_option("--env", args->env, "Env id (default: track, or the run's env for RUN)");
  cmd->add_option("--episodes", args->episodes, "Episodes to record")->check(CLI::Range(1, 10000000));
  cmd->add_option("--out", args->out, "Dataset file to write (atomically: FILE.tmp, renamed when done)")->required();
  cmd->add_option("--noise", args->noise, "Std of Gaussian noise on the policy's continuous actions")->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--random-fraction", args->random_fraction, "Fraction of episodes driven by a uniform random policy")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--weak-fraction", args->weak_fraction, "Fraction of episodes driven by the weak expert (short look-ahead, too fast, noisy)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--weak-noise", args->weak_noise, "Std of the action noise of weak-expert episodes")->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--seed", args->seed, "Episode i resets with seed + i");
  cmd->add_option("--tracks", args->tracks, "Track set")->check(CLI::IsMember({"train", "test"}));
  cmd->add_option("--device", args->device, "Device for a RUN policy: auto | cpu | cuda | cuda:N");
  cmd->add_flag("!--no-progress", args->progress, "Print no progress line");
  cmd->add_option("overrides", args->overrides,
                  "env.key=value overrides, e.g. env.preset=hard env.max_steps=3000 (for a RUN: on top of the run's env)");
  cmd->footer(
      "The expert drives with privileged access to the track (pure pursuit on the centre line, speed planned\n"
      "from the curvature ahead). Mixed-quality data for offline methods: --noise, --random-fraction,\n"
      "--weak-fraction. Exit codes: 0 done, 1 failed, 2 bad input.");
  return {cmd, [args] {
            try {
              return run_collect(*args);
            } catch (const data::DatasetError& e) {
              std::fprintf(stderr, "drivelab: dataset error: %s\n", e.what());
              return kExitBadInput;
            } catch (const std::invalid_argument& e) {
              std::fprintf(stderr, "drivelab: collect: %s\n", e.what());
              return kExitBadInput;
            }
          }};
}

}  // namespace dl::app
