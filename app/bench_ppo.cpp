// drivelab/app: `drivelab bench --ppo`: wall time per env step of PPO training with each policy body (the
// default sizes of agents/agent_config.h and agents/net_config.h), measured side by side in one process.
//
// Each repeat trains every policy once, in turn, for the same env steps on the same env and seed: one env
// thread, one LibTorch thread, CPU, no evaluation, no checkpoints. The entries are the median over repeats
// of the seconds per env step (rollout, env, update all included) and the ratio to the first entry's
// median (mlp by default), so "GTrXL costs x times the MLP per env step" is one command. --config FILE adds
// run configs as entries (their env, agent and num_envs), e.g. the memory comparison's three policies.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/trainer.h"
#include "app/commands.h"
#include "app/run_config.h"
#include "envs/registry.h"

namespace dl::app {

namespace {

// Sums the per-update time shares the session logs (time/env_share, ...) so their means can be reported.
class ShareSink : public agents::MetricsSink {
 public:
  void scalar(int64_t, const std::string& name, double value) override {
    if (name.rfind("time/", 0) == 0) {
      sums_[name] += value;
      if (name == "time/env_share") ++updates_;
    }
  }
  void end_update(int64_t, int64_t) override {}
  double mean(const std::string& name) const {
    const auto it = sums_.find(name);
    return it == sums_.end() || updates_ == 0 ? 0.0 : it->second / updates_;
  }

 private:
  std::map<std::string, double> sums_;
  int updates_ = 0;
};

struct Sample {
  double us_per_step = 0;
  double env_share = 0, inference_share = 0, update_share = 0;
};

// One entry: a policy body at the default sizes on `env_id`, or a run config file (its env, agent and
// num_envs; the budget, threads, device and evaluation are the benchmark's).
struct Entry {
  std::string name;
  std::string policy;       // default-size entry
  std::string config_path;  // config entry
};

Sample train_once(const Entry& entry, const std::string& env_id, int64_t steps, int num_envs) {
  agents::TrainJob job;
  if (!entry.config_path.empty()) {
    RunConfig config = load_run_config(entry.config_path);
    job.env = config.env;
    job.agent = config.agent;
    num_envs = config.train.num_envs;
  } else {
    job.env = envs::default_env_config(env_id);
    job.agent.algo = "ppo";
    job.agent.net.policy = entry.policy;
  }
  job.train.total_steps = steps;
  job.train.num_envs = num_envs;
  job.train.num_threads = 1;
  job.train.torch_threads = 1;
  job.train.device = "cpu";
  job.train.seed = 1;
  job.train.eval_episodes = 0;  // no evaluation; an empty run_dir writes no checkpoints
  ShareSink sink;
  job.metrics = &sink;
  agents::check_train_job(job);
  const agents::TrainResult r = agents::train(job);
  Sample s;
  s.us_per_step = 1e6 * r.wall_s / static_cast<double>(std::max<int64_t>(r.steps, 1));
  s.env_share = sink.mean("time/env_share");
  s.inference_share = sink.mean("time/inference_share");
  s.update_share = sink.mean("time/update_share");
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int bench_ppo(const BenchArgs& args) {
  const std::string env_id = args.envs.empty() ? "track-blackout" : args.envs.front();
  if (!envs::is_registered(env_id)) {
    std::fprintf(stderr, "bench --env: '%s' is not a registered env (drivelab envs lists them)\n", env_id.c_str());
    return kExitBadInput;
  }
  std::vector<Entry> entries;
  const std::vector<std::string> policies =
      args.policies.empty() && args.configs.empty() ? std::vector<std::string>{"mlp", "gtrxl", "lstm"} : args.policies;
  for (const auto& p : policies) {
    if (p != "mlp" && p != "gtrxl" && p != "lstm") {
      std::fprintf(stderr, "bench --policy: '%s' is not mlp, gtrxl or lstm\n", p.c_str());
      return kExitBadInput;
    }
    entries.push_back({p, p, ""});
  }
  for (const auto& path : args.configs) {
    const RunConfig config = load_run_config(path);  // a bad file is a ConfigError: exit 2 with its message
    if (config.agent.algo != "ppo") {
      std::fprintf(stderr, "bench --config: %s trains agent.algo '%s'; --ppo times ppo only\n", path.c_str(),
                   config.agent.algo.c_str());
      return kExitBadInput;
    }
    entries.push_back({std::filesystem::path(path).stem().string(), "", path});
  }
  // Whole updates: the default rollout is num_steps (128) per env.
  const int64_t per_update = static_cast<int64_t>(agents::PPOConfig{}.num_steps) * args.num_envs;
  const int64_t steps = std::max<int64_t>(per_update, args.ppo_steps / per_update * per_update);

  std::map<std::string, std::vector<Sample>> samples;
  for (int rep = 0; rep < args.repeats; ++rep)
    for (const auto& e : entries) {
      samples[e.name].push_back(train_once(e, env_id, steps, args.num_envs));
      if (!args.json)
        std::fprintf(stderr, "bench --ppo: repeat %d %s %.1f us/step\n", rep + 1, e.name.c_str(),
                     samples[e.name].back().us_per_step);
    }
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);

  auto med = [&](const std::string& p, double Sample::*field) {
    std::vector<double> v;
    for (const auto& s : samples[p]) v.push_back(s.*field);
    return median(v);
  };
  const double reference = med(names.front(), &Sample::us_per_step);
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : names) {
      std::vector<double> each;
      for (const auto& s : samples[p]) each.push_back(s.us_per_step);
      list.push_back({{"policy", p}, {"us_per_env_step", med(p, &Sample::us_per_step)}, {"each", each},
                      {"ratio", med(p, &Sample::us_per_step) / reference},
                      {"env_share", med(p, &Sample::env_share)}, {"inference_share", med(p, &Sample::inference_share)},
                      {"update_share", med(p, &Sample::update_share)}});
    }
    std::printf("%s\n", nlohmann::json{{"env", env_id}, {"env_steps", steps}, {"num_envs", args.num_envs},
                                       {"repeats", args.repeats}, {"results", list}}
                            .dump(2)
                            .c_str());
    return kExitOk;
  }
  std::printf("PPO on %s (configs: their own env), %lld env steps x %d repeats, %d envs (configs: their own), 1 env "
              "thread, 1 torch thread, CPU\n",
              env_id.c_str(), static_cast<long long>(steps), args.repeats, args.num_envs);
  std::printf("%-14s %14s %8s %9s %11s %8s\n", "policy", "us/env step", "ratio", "env", "inference", "update");
  for (const auto& p : names)
    std::printf("%-14s %14.1f %8.2f %8.0f%% %10.0f%% %7.0f%%\n", p.c_str(), med(p, &Sample::us_per_step),
                med(p, &Sample::us_per_step) / reference, 100 * med(p, &Sample::env_share),
                100 * med(p, &Sample::inference_share), 100 * med(p, &Sample::update_share));
  return kExitOk;
}

}  // namespace dl::app
