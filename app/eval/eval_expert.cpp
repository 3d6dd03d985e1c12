#include "app/eval/eval_expert.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "agents/eval_tally.h"
#include "envs/expert.h"
#include "envs/registry.h"
#include "envs/vector_env.h"

namespace dl::app {

agents::EvalResult evaluate_expert(const envs::EnvConfig& env, int episodes, uint64_t seed, int num_threads) {
  agents::EvalResult result;
  if (episodes <= 0) return result;
  // As many envs as agents::run_episodes uses, so the track sequences agree.
  const int m = std::min(episodes, agents::kMaxEvalEnvs);
  const int threads = num_threads > 0 ? num_threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  envs::VectorEnv vec([&](int i) { return envs::make_env(env, i); }, m, threads);
  if (vec.action_spec().discrete) throw std::invalid_argument("eval expert: the expert drives continuous-action envs only");
  const int dim = vec.action_spec().dim();
  envs::EpisodeTally tally(m, episodes);
  std::vector<envs::ExpertDriver> experts(m);
  std::vector<float> actions(static_cast<size_t>(m) * dim, 0.f);
  vec.reset(seed);
  while (tally.remaining() > 0) {
    for (int i = 0; i < m; ++i) {
      const sim::World* world = envs::find_world(vec.env(i));
      if (!world) throw std::invalid_argument("eval expert: env '" + env.id + "' has no driving world");
      const sim::Action a = experts[i].act(*world);
      actions[static_cast<size_t>(i) * dim + 0] = a.steer;
      actions[static_cast<size_t>(i) * dim + 1] = a.gas;
      actions[static_cast<size_t>(i) * dim + 2] = a.brake;
    }
    vec.step(actions.data());
    tally.record(vec.infos());
  }
  agents::fill_eval_result(tally, result);
  return result;
}

}  // namespace dl::app
