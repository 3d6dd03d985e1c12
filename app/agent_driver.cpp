#include "app/agent_driver.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "agents/checkpoint.h"
#include "agents/decision_transformer.h"
#include "agents/policy.h"
#include "agents/rollout.h"
#include "app/config.h"
#include "envs/normalize.h"
#include "envs/registry.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

struct Specs {
  envs::Spec obs;
  envs::ActionSpec action;
};
Specs specs_of(const envs::EnvConfig& config) {
  auto probe = envs::make_env(config);
  return {probe->observation_spec(), probe->action_spec()};
}

}  // namespace

std::string find_checkpoint(const std::string& target) {
  if (!fs::exists(target)) throw ConfigError(target + ": no such run folder or checkpoint file");
  if (!fs::is_directory(target)) return target;
  for (const char* name : {"best.pt", "latest.pt"}) {
    const fs::path p = fs::path(target) / "checkpoints" / name;
    if (fs::exists(p)) return p.string();
  }
  throw ConfigError(target + ": the run folder has no checkpoint (checkpoints/best.pt or latest.pt)");
}

struct AgentDriver::Impl {
  std::string path;
  agents::CheckpointData data;
  Specs specs;
  torch::Device device{torch::kCPU};
  agents::ActorCritic policy{nullptr};
  std::unique_ptr<envs::ObsNormalizer> obs_norm;
  // Critic outputs are in units of the scaled reward when training normalized rewards; multiplying by
  // the scaler's return std gives the value back in the env's own reward units, comparable to the
  // return on the HUD.
  float value_scale = 1;
  torch::Tensor obs_host;
  agents::TransformerMemory memory;  // recurrent policies; empty otherwise
  std::unique_ptr<agents::DTActor> dt;  // a Decision Transformer checkpoint drives through this instead
};

AgentDriver::AgentDriver(const std::string& target, const std::string& device) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = find_checkpoint(target);
  m.device = agents::resolve_device(device);
  agents::set_inference_threads();  // one observation at a time (agents/rollout.h)
  try {
    if (agents::checkpoint_algo(m.path) == "decision_transformer") {
      agents::DTCheckpoint dt = agents::read_dt_checkpoint(m.path);
      m.data.env = dt.env;
      m.data.agent = dt.agent;
      m.data.algo = "decision_transformer";
      m.specs = specs_of(m.data.env);
      dt.model->to(m.device);
      dt.model->eval();
      m.dt = std::make_unique<agents::DTActor>(dt.model, dt.runtime, 1, m.specs.action.dim(), m.device);
      return;
    }
    m.data = agents::read_checkpoint_data(m.path);
  } catch (const std::exception& e) {
    throw ConfigError(m.path + ": cannot read the checkpoint: " + e.what());
  }
  m.specs = specs_of(m.data.env);
  m.policy = agents::ActorCritic(m.specs.obs, m.specs.action, m.data.agent.net);
  try {
    agents::load_checkpoint_state(m.path, m.policy, nullptr, /*restore_rng=*/false);
  } catch (const std::exception& e) {
    throw ConfigError(m.path + ": the checkpoint does not fit its own config: " + e.what());
  }
  m.policy->to(m.device);
  m.policy->eval();
  m.memory = m.policy->initial_memory(1, m.device);
  if (!m.data.obs_norm.empty() && m.specs.obs.dtype == envs::DType::f32) {
    // state = [count, mean..., var...]
    m.obs_norm = std::make_unique<envs::ObsNormalizer>(static_cast<int>((m.data.obs_norm.size() - 1) / 2),
                                                       m.data.agent.clip_obs);
    m.obs_norm->load_state(m.data.obs_norm);
  }
  if (m.data.reward_scaler.size() >= 3) m.value_scale = static_cast<float>(std::sqrt(m.data.reward_scaler[2] + 1e-8));
  std::vector<int64_t> shape{1};
  shape.insert(shape.end(), m.specs.obs.shape.begin(), m.specs.obs.shape.end());
  m.obs_host = torch::empty(shape, m.specs.obs.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32);
}

AgentDriver::~AgentDriver() = default;

const std::string& AgentDriver::checkpoint_path() const { return impl_->path; }
const envs::EnvConfig& AgentDriver::env_config() const { return impl_->data.env; }

envs::EnvConfig AgentDriver::env_config_for(const std::string& id) const {
  const envs::EnvConfig& trained = impl_->data.env;
  if (id.empty() || id == trained.id) return trained;
  if (!envs::is_registered(id)) throw ConfigError("--env: unknown env id '" + id + "'");
  envs::EnvConfig c = envs::default_env_config(id);
  c.lidar = trained.lidar;
  c.pixels = trained.pixels;
  c.action = trained.action;
  c.frame_stack = trained.frame_stack;
  c.action_repeat = trained.action_repeat;
  c.dt_s = trained.dt_s;
  const Specs s = specs_of(c);
  const Specs& mine = impl_->specs;
  if (s.obs.shape != mine.obs.shape || s.obs.dtype != mine.obs.dtype)
    throw ConfigError("--env " + id + ": its observations are " + shape_text(s.obs.shape) + ", the agent (trained on " +
                      trained.id + ") takes " + shape_text(mine.obs.shape));
  if (s.action.discrete != mine.action.discrete || s.action.dim() != mine.action.dim())
    throw ConfigError("--env " + id + ": its action set differs from the one the agent was trained with");
  return c;
}

std::optional<float> AgentDriver::act(const void* obs, float* action) {
  Impl& m = *impl_;
  torch::InferenceMode inference;
  if (m.dt) {
    const torch::Tensor a = m.dt->act(static_cast<const float*>(obs));
    std::memcpy(action, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(m.specs.action.dim()));
    return std::nullopt;  // a DT has no value estimate
  }
  std::memcpy(m.obs_host.data_ptr(), obs, m.obs_host.nbytes());
  if (m.obs_norm) m.obs_norm->normalize(m.obs_host.data_ptr<float>(), 1);
  const agents::ActOutput out = m.policy->act(m.obs_host.to(m.device), /*deterministic=*/true, &m.memory);
  const torch::Tensor a = out.env_action.to(torch::kCPU, torch::kFloat32).contiguous();
  std::memcpy(action, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(m.specs.action.dim()));
  return out.value.to(torch::kCPU).item<float>() * m.value_scale;
}

void AgentDriver::new_episode() {
  Impl& m = *impl_;
  if (m.dt) return m.dt->new_episode(0);
  m.memory = m.policy->initial_memory(1, m.device);
}

void AgentDriver::observe_reward(float reward) {
  if (impl_->dt) impl_->dt->observe(0, reward, /*episode_ended=*/false);
}

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
