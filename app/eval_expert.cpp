#include "app/eval_expert.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

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
  std::vector<int> quota(m, episodes / m), done(m, 0);
  for (int i = 0; i < episodes % m; ++i) ++quota[i];
  std::vector<std::vector<double>> returns(m);
  std::vector<std::vector<int>> lengths(m);
  std::vector<std::vector<float>> lap_times(m), progress(m);
  std::vector<envs::ExpertDriver> experts(m);
  std::vector<float> actions(static_cast<size_t>(m) * dim, 0.f);
  vec.reset(seed);
  int remaining = episodes;
  while (remaining > 0) {
    for (int i = 0; i < m; ++i) {
      const sim::World* world = envs::find_world(vec.env(i));
      if (!world) throw std::invalid_argument("eval expert: env '" + env.id + "' has no driving world");
      const sim::Action a = experts[i].act(*world);
      actions[static_cast<size_t>(i) * dim + 0] = a.steer;
      actions[static_cast<size_t>(i) * dim + 1] = a.gas;
      actions[static_cast<size_t>(i) * dim + 2] = a.brake;
    }
    vec.step(actions.data());
    const auto& infos = vec.infos();
    for (int i = 0; i < m; ++i) {
      if (!infos[i].episode_done || done[i] >= quota[i]) continue;
      ++done[i];
      --remaining;
      returns[i].push_back(infos[i].episode_return);
      lengths[i].push_back(infos[i].episode_length);
      lap_times[i].push_back(infos[i].episode_lap_time_s);
      progress[i].push_back(infos[i].lap_progress);
      result.laps_completed += infos[i].episode_lap_complete ? 1 : 0;
    }
  }
  for (int i = 0; i < m; ++i) {
    result.returns.insert(result.returns.end(), returns[i].begin(), returns[i].end());
    result.lengths.insert(result.lengths.end(), lengths[i].begin(), lengths[i].end());
    result.lap_times_s.insert(result.lap_times_s.end(), lap_times[i].begin(), lap_times[i].end());
    result.progress.insert(result.progress.end(), progress[i].begin(), progress[i].end());
  }
  return result;
}

}  // namespace dl::app
