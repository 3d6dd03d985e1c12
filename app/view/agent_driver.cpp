#include "app/view/agent_driver.h"

#include <torch/torch.h>

#include <cstring>

#include "agents/algorithm.h"
#include "agents/rollout.h"
#include "app/run_config.h"
#include "envs/registry.h"

namespace dl::app {

struct AgentDriver::Impl {
  std::string path;
  std::unique_ptr<agents::Actor> actor;
  envs::Spec obs_spec;
  envs::ActionSpec action_spec;
  torch::Tensor obs;   // [1, obs...]
  float reward = 0;    // the last step's reward, given to the actor with the next act()
  bool stepped = false;
};

AgentDriver::AgentDriver(const std::string& target, const std::string& device) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = agents::resolve_checkpoint(target);
  agents::set_inference_threads();  // one observation at a time (agents/rollout.h)
  m.actor = agents::load_actor(m.path, device);
  auto probe = envs::make_env(m.actor->env_config());
  m.obs_spec = probe->observation_spec();
  m.action_spec = probe->action_spec();
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), m.obs_spec.shape.begin(), m.obs_spec.shape.end());
  m.obs = torch::empty(shape, m.obs_spec.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32);
  m.actor->reset(1);
}

AgentDriver::~AgentDriver() = default;

const std::string& AgentDriver::checkpoint_path() const { return impl_->path; }
const envs::EnvConfig& AgentDriver::env_config() const { return impl_->actor->env_config(); }

envs::EnvConfig AgentDriver::env_config_for(const std::string& id) const {
  const envs::EnvConfig& trained = impl_->actor->env_config();
  if (id.empty() || id == trained.id) return trained;
  if (!envs::is_registered(id)) throw ConfigError("--env: unknown env id '" + id + "'");
  envs::EnvConfig c = envs::default_env_config(id);
  c.lidar = trained.lidar;
  c.pixels = trained.pixels;
  c.action = trained.action;
  c.frame_stack = trained.frame_stack;
  c.action_repeat = trained.action_repeat;
  c.dt_s = trained.dt_s;
  auto probe = envs::make_env(c);
  try {
    impl_->actor->check_spaces(probe->observation_spec(), probe->action_spec());
  } catch (const io::InputError& e) {
    throw ConfigError("--env " + id + ": " + e.what());
  }
  return c;
}

std::optional<float> AgentDriver::act(const void* obs, float* action) {
  Impl& m = *impl_;
  torch::InferenceMode inference;
  if (m.stepped) {
    const uint8_t not_ended = 0;
    m.actor->observe(&m.reward, &not_ended);
  }
  m.stepped = true;
  m.reward = 0;
  std::memcpy(m.obs.data_ptr(), obs, m.obs.nbytes());
  const torch::Tensor a = m.actor->act(m.obs, /*deterministic=*/true);
  std::memcpy(action, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(m.action_spec.dim()));
  const torch::Tensor v = m.actor->values();
  if (!v.defined()) return std::nullopt;
  return v.item<float>();
}

void AgentDriver::new_episode() {
  Impl& m = *impl_;
  m.actor->reset(1);
  m.stepped = false;
  m.reward = 0;
}

void AgentDriver::observe_reward(float reward) { impl_->reward += reward; }

std::function<void(float)> AgentDriver::reward_hook() {
  return [this](float reward) { observe_reward(reward); };
}

std::function<void()> AgentDriver::episode_start_hook() {
  return [this] { new_episode(); };
}

video::DriverFn AgentDriver::driver() {
  return [this](const void* obs, float* action) { return act(obs, action); };
}

}  // namespace dl::app
