// drivelab/agents: evaluate() of a checkpoint, through the algorithm table and the one evaluation loop.
#include "agents/trainer.h"

#include "agents/algorithm.h"
#include "agents/rollout.h"

namespace dl::agents {

EvalResult evaluate(const std::string& checkpoint_path, const EvalOptions& options,
                    const envs::EnvConfig* env_override) {
  const auto actor = load_actor(checkpoint_path, options.device, options.env_factory);
  envs::EnvConfig env = env_override ? *env_override : actor->env_config();
  if (!env_override) env.tracks = options.tracks;
  // Batched acting: LibTorch's threads by the auto rule (agents/rollout.h), which tells pixels from vectors.
  const bool pixels = env_factory_or_default(options.env_factory)(env, 0)->observation_spec().dtype == envs::DType::u8;
  set_torch_threads(0, pixels);
  torch::manual_seed(options.seed);  // sampled (non-deterministic) evaluation draws from it
  return run_episodes(*actor, env, options.env_factory, options.episodes, options.seed, options.deterministic,
                      options.num_threads);
}

}  // namespace dl::agents
