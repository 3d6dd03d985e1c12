// drivelab/agents: the keys that moved when the agent section was split by algorithm (agent_config.h).
#include "agents/agent_config.h"

#include <algorithm>
#include <string_view>

namespace dl::agents {
namespace {

bool one_of(std::string_view key, std::initializer_list<std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The policy-gradient section an old shared key belongs to for `algo` (ppo for the algorithms without one).
std::string policy_gradient_section(const std::string& algo, bool bootstrapped) {
  if (algo == "a2c" || (algo == "reinforce" && !bootstrapped)) return algo;
  return "ppo";
}

}  // namespace

std::string moved_config_key(const std::string& path, const std::string& algo) {
  const std::string agent = "agent.";
  if (path == "train.eval_every" || path == "train.checkpoint_every") {
    const std::string what = path == "train.eval_every" ? "eval_every" : "checkpoint_every";
    if (algo == "decision_transformer") return "agent.dt." + what + "_gradient_steps";
    if (algo == "track_gan") return "agent.gan." + what + "_generator_steps";
    return "train." + what + "_steps";
  }
  if (path == "agent.world_model.eval_every") return "agent.world_model.eval_every_generations";
  if (path.rfind(agent, 0) != 0) return "";
  const std::string key = path.substr(agent.size());
  if (one_of(key, {"gamma", "normalize_reward", "clip_reward", "norm_adv", "ent_coef", "vf_coef"}))
    return agent + policy_gradient_section(algo, false) + "." + key;
  if (one_of(key, {"num_steps", "gae_lambda"})) return agent + policy_gradient_section(algo, true) + "." + key;
  if (one_of(key, {"num_minibatches", "update_epochs", "clip_coef", "clip_vloss", "target_kl", "init_from",
                   "value_warmup"}))
    return agent + "ppo." + key;
  if (one_of(key, {"data", "batch_size"})) return agent + (algo == "decision_transformer" ? "dt." : "bc.") + key;
  if (one_of(key, {"epochs", "val_fraction", "patience", "obs_noise", "shift_pad"})) return agent + "bc." + key;
  if (key == "dagger_iterations") return "agent.dagger.iterations";
  if (key == "dagger_episodes") return "agent.dagger.episodes";
  if (one_of(key, {"context_length", "d_model", "n_heads", "n_layers", "target_return", "gradient_steps"}))
    return agent + "dt." + key;
  return "";
}

}  // namespace dl::agents
