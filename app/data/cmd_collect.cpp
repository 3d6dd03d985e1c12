// drivelab/app: `drivelab collect`: record episodes of the expert, a random policy or a trained run into a
// dataset (data/dataset.h), with optional noise and a mix of weaker drivers.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "agents/algorithm.h"
#include "app/view/agent_driver.h"
#include "app/run_config.h"
#include "app/data/data_commands.h"
#include "app/env_overrides.h"
#include "data/collect.h"
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

// A trained agent of any algorithm that drives (app/view/agent_driver.h): deterministic, as `drivelab eval` runs it.
class CheckpointPolicy : public data::CollectPolicy {
 public:
  CheckpointPolicy(const std::string& checkpoint, const std::string& device) : name_(checkpoint), agent_(checkpoint, device) {}
  std::string name() const override { return name_; }
  const envs::EnvConfig& env_config() const { return agent_.env_config(); }
  envs::EnvConfig env_config_for(const std::string& id) const { return agent_.env_config_for(id); }
  void begin_episode(uint64_t) override { agent_.new_episode(); }
  void act(const void* obs, const sim::World*, float* action) override { agent_.act(obs, action); }
  void observe_reward(float reward) override { agent_.observe_reward(reward); }

 private:
  std::string name_;
  AgentDriver agent_;
};

int run_collect(CollectArgs& a) {
  const bool expert = a.policy == "expert" || a.policy == "weak-expert";
  const bool random = a.policy == "random";
  std::string checkpoint;
  envs::EnvConfig env;
  if (!expert && !random) {
    if (!fs::exists(a.policy))
      throw ConfigError("--policy: '" + a.policy + "' is not expert, weak-expert, random or an existing run folder or checkpoint");
    checkpoint = agents::resolve_checkpoint(a.policy);
  }
  std::unique_ptr<CheckpointPolicy> trained_policy;
  if (!checkpoint.empty()) {
    trained_policy = std::make_unique<CheckpointPolicy>(checkpoint, a.device);
    // Another env: its defaults, keeping what the agent's inputs and outputs depend on (checked against
    // the agent's spaces).
    const envs::EnvConfig trained = trained_policy->env_config_for(a.env);
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
    policy = std::move(trained_policy);

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
