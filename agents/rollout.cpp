#include "agents/rollout.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

#include "agents/distributed.h"
#include "agents/eval_tally.h"
#include "envs/expert.h"
#include "envs/observation.h"
#include "envs/registry.h"
#include "io/files.h"

namespace dl::agents {

torch::Tensor compute_gae(const torch::Tensor& rewards, const torch::Tensor& values,
                          const torch::Tensor& dones, const torch::Tensor& last_value, double gamma,
                          double lambda) {
  auto r = rewards.to(torch::kCPU, torch::kFloat32).contiguous();
  auto v = values.to(torch::kCPU, torch::kFloat32).contiguous();
  auto d = dones.to(torch::kCPU, torch::kFloat32).contiguous();
  auto lv = last_value.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t T = r.size(0), N = r.size(1);
  if (v.sizes() != r.sizes() || d.sizes() != r.sizes() || lv.numel() != N)
    throw std::invalid_argument("compute_gae: rewards, values, dones must be [T, N], last_value [N]");
  auto adv = torch::empty({T, N}, torch::kFloat32);
  const float *rp = r.data_ptr<float>(), *vp = v.data_ptr<float>(), *dp = d.data_ptr<float>();
  const float* lvp = lv.data_ptr<float>();
  float* ap = adv.data_ptr<float>();
  for (int64_t n = 0; n < N; ++n) {
    double next_adv = 0, next_value = lvp[n];
    for (int64_t t = T - 1; t >= 0; --t) {
      const int64_t k = t * N + n;
      const double not_done = 1.0 - dp[k];
      const double delta = rp[k] + gamma * next_value * not_done - vp[k];
      next_adv = delta + gamma * lambda * not_done * next_adv;
      ap[k] = static_cast<float>(next_adv);
      next_value = vp[k];
    }
  }
  return adv.to(rewards.device());
}

torch::Device resolve_device(const std::string& name) {
  const bool cuda_available = torch::cuda::is_available();
  if (name == "auto") return cuda_available ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (name.size() > 5) {
      const std::string digits = name.substr(5);
      if (digits.empty() || digits.size() > 4 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
        throw io::InputError("train.device: '" + name + "' is not auto, cpu, cuda or cuda:N");
      index = std::stoi(digits);
    }
    if (!cuda_available)
      throw io::InputError("train.device: '" + name +
                               "' asked for CUDA, but no CUDA device is available (use auto or cpu)");
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count)
      throw io::InputError("train.device: '" + name + "' but only " + std::to_string(count) +
                               " CUDA device(s) exist");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw io::InputError("train.device: '" + name + "' is not auto, cpu, cuda or cuda:N");
}

// Measured on the 2-core machine with builds running (`collect --policy RUN --episodes 2
// env.max_steps=5000`: 10k steps of a 128x128 MLP, median of 3): LibTorch's default 2 threads took 33.9 s
// wall and 9.9 s of CPU, 73% of the samples in libgomp (threads spinning for the next op); 1 thread took
// 3.5 s and 0.64 s.
void set_inference_threads() { torch::set_num_threads(1); }

void set_torch_threads(int threads, bool image_policy) {
  if (threads <= 0)
    threads = image_policy ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : 1;
  torch::set_num_threads(threads);
}

EnvFactory env_factory_or_default(const EnvFactory& factory) {
  if (factory) return factory;
  return [](const envs::EnvConfig& config, int index) { return envs::make_env(config, index); };
}

namespace {

int resolve_threads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

torch::ScalarType obs_dtype(const envs::Spec& spec) {
  return spec.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32;
}

std::vector<int64_t> with_leading(std::vector<int64_t> lead, const std::vector<int64_t>& shape) {
  lead.insert(lead.end(), shape.begin(), shape.end());
  return lead;
}

// Row t of a [T, ...] tensor <- src. A memcpy on the host (the per-step path must not allocate).
void put(torch::Tensor& dst, int64_t t, const torch::Tensor& src) {
  if (dst.is_cpu() && src.is_cpu() && src.is_contiguous() && src.scalar_type() == dst.scalar_type()) {
    const size_t row_bytes = static_cast<size_t>(dst.stride(0)) * dst.element_size();
    std::memcpy(static_cast<char*>(dst.data_ptr()) + t * row_bytes, src.data_ptr(), row_bytes);
  } else {
    dst.select(0, t).copy_(src.reshape(dst.select(0, t).sizes()), /*non_blocking=*/true);
  }
}

// [N] bool on `device`: true where the episode ended.
torch::Tensor done_mask(const std::vector<uint8_t>& dones, torch::Device device) {
  return torch::tensor(std::vector<int64_t>(dones.begin(), dones.end()), torch::kLong).ne(0).to(device);
}

}  // namespace

Rollout::Rollout(const TrainJob& job, const PolicyGradientConfig& pg, ActorCritic policy, torch::Device device,
                 int64_t max_steps)
    : job_(job), pg_(pg), policy_(std::move(policy)), device_(device), num_envs_(job.train.num_envs) {
  // Data-parallel runs: this rank's envs are envs first_env_ .. first_env_ + N - 1 of all ranks' W * N.
  world_envs_ = static_cast<int64_t>(num_envs_) * dist::world_size();
  first_env_ = static_cast<int64_t>(num_envs_) * dist::rank();
  EnvFactory factory = env_factory_or_default(job.env_factory);
  envs::EnvConfig env_config = job.env;
  const int first = static_cast<int>(first_env_);
  vec_ = std::make_unique<envs::VectorEnv>(
      [factory, env_config, first](int i) { return factory(env_config, first + i); }, num_envs_,
      resolve_threads(job.train.num_threads));
  const auto& spec = vec_->observation_spec();
  const int64_t obs_dim = spec.size();
  if (spec.dtype == envs::DType::f32 && job.agent.normalize_obs)
    obs_norm_ = std::make_unique<envs::ObsNormalizer>(static_cast<int>(obs_dim), job.agent.clip_obs);
  if (pg.normalize_reward)
    // Every rank keeps the scaler of all W * N envs (their returns come with each step's exchange).
    reward_scaler_ = std::make_unique<envs::RewardScaler>(static_cast<int>(world_envs_), pg.gamma,
                                                          pg.clip_reward);

  const int64_t T = max_steps, N = num_envs_;
  const int64_t A = policy_->action_dim();
  auto dev = torch::TensorOptions().device(device_);
  storage_.obs = torch::zeros(with_leading({T, N}, spec.shape), dev.dtype(obs_dtype(spec)));
  storage_.actions = torch::zeros({T, N, A}, dev.dtype(torch::kFloat32));
  storage_.log_probs = torch::zeros({T, N}, dev.dtype(torch::kFloat32));
  storage_.values = torch::zeros({T, N}, dev.dtype(torch::kFloat32));
  storage_.rewards = torch::zeros({T, N}, torch::kFloat32);
  storage_.dones = torch::zeros({T, N}, torch::kFloat32);
  storage_.valid = torch::ones({T, N}, torch::kFloat32);
  storage_.last_value = torch::zeros({N}, dev.dtype(torch::kFloat32));
  auto host = torch::TensorOptions().dtype(obs_dtype(spec)).pinned_memory(device_.is_cuda());
  host_obs_ = torch::zeros(with_leading({N}, spec.shape), host);
  host_actions_ = torch::zeros({N, A}, torch::kFloat32);
  rewards_.resize(N);
  dones_.resize(N);
  if (const int64_t K = policy_->road_ahead_outputs(); K > 0) {
    for (int i = 0; i < num_envs_; ++i)
      if (!envs::find_world(vec_->env(i)))
        throw std::runtime_error("agent.net.road_ahead_coef: env " + vec_->env(i).id() +
                                 " has no driving world to read the road ahead from");
    storage_.road_ahead = torch::zeros({T, N, K}, dev.dtype(torch::kFloat32));
    // Pageable, not pinned: a copy from it to the device has finished reading it when copy_ returns, so the
    // next step may overwrite it (a few floats per env; speed does not matter here).
    host_road_ahead_ = torch::zeros({N, K}, torch::kFloat32);
  }
  if (policy_->recurrent()) {
    storage_.sequence_length = sequence_length(job.agent.net);
    storage_.sequence_memory.resize((T + storage_.sequence_length - 1) / storage_.sequence_length);
    memory_ = policy_->initial_memory(N, device_);
  }
}

void Rollout::load_obs(const void* raw, bool update_stats, const float* all_rows) {
  std::memcpy(host_obs_.data_ptr(), raw, host_obs_.nbytes());
  if (obs_norm_) {
    if (update_stats && dist::active()) {
      // Every rank's rows in global order, as one batch: the statistics a 1-process run would keep.
      std::vector<char> gathered;
      if (!all_rows) {
        gathered = dist::all_gather_bytes(raw, host_obs_.nbytes());
        all_rows = reinterpret_cast<const float*>(gathered.data());
      }
      obs_norm_->update(all_rows, static_cast<int>(world_envs_));
    } else if (update_stats) {
      obs_norm_->update(static_cast<const float*>(raw), num_envs_);
    }
    obs_norm_->normalize(host_obs_.data_ptr<float>(), num_envs_);
  }
}

void Rollout::load_road_ahead() {
  if (!host_road_ahead_.defined()) return;
  const auto K = static_cast<int>(host_road_ahead_.size(1));
  float* out = host_road_ahead_.data_ptr<float>();
  // After an autoreset the world is the new episode's, as the obs is.
  for (int i = 0; i < num_envs_; ++i) envs::write_road_ahead(*envs::find_world(vec_->env(i)), K, out + i * K);
}

torch::Tensor Rollout::device_obs() {
  if (device_.is_cpu()) return host_obs_;
  return host_obs_.to(device_, /*non_blocking=*/true);
}

void Rollout::reset_envs(uint64_t seed) {
  vec_->reset(seed + static_cast<uint64_t>(first_env_));  // env i of all W * N gets seed + i
  load_obs(vec_->obs(), /*update_stats=*/true);
  load_road_ahead();
  memory_ = policy_->initial_memory(num_envs_, device_);
}

void Rollout::bootstrap_truncations(float* rewards) {
  // An episode cut by the time limit did not end in the MDP: its return goes on past the cut, so the
  // value of the state it was cut in stands in for the rest.
  const auto* term = vec_->terminated();
  const auto* trunc = vec_->truncated();
  std::vector<int64_t> cut;
  for (int i = 0; i < num_envs_; ++i)
    if (trunc[i] && !term[i]) cut.push_back(i);
  if (cut.empty()) return;
  const auto& spec = vec_->observation_spec();
  const size_t row_bytes = spec.bytes();
  auto final_obs = torch::empty(with_leading({static_cast<int64_t>(cut.size())}, spec.shape),
                                torch::TensorOptions().dtype(obs_dtype(spec)));
  const auto* src = static_cast<const char*>(vec_->final_obs());
  for (size_t k = 0; k < cut.size(); ++k)
    std::memcpy(static_cast<char*>(final_obs.data_ptr()) + k * row_bytes, src + cut[k] * row_bytes,
                row_bytes);
  if (obs_norm_) obs_norm_->normalize(final_obs.data_ptr<float>(), static_cast<int>(cut.size()));
  torch::Tensor v;
  if (memory_.defined()) {
    // The cut episode's own memory (this step included): it has not been forgotten yet.
    const auto rows = memory_.select(torch::tensor(cut, torch::kLong));
    v = policy_->value(final_obs.to(device_), &rows);
  } else {
    v = policy_->value(final_obs.to(device_));
  }
  v = v.to(torch::kCPU).contiguous();
  const float* vp = v.data_ptr<float>();
  for (size_t k = 0; k < cut.size(); ++k) rewards[cut[k]] += pg_.gamma * vp[k];
}

int64_t Rollout::collect(int64_t steps, bool first_episode_only) {
  torch::InferenceMode inference;
  auto& s = storage_;
  if (steps > s.obs.size(0)) throw std::logic_error("Rollout::collect: more steps than the storage holds");
  episodes_ = EpisodeSummary{};
  std::vector<uint8_t> finished(num_envs_, 0);
  float* rewards_out = s.rewards.data_ptr<float>();
  float* dones_out = s.dones.data_ptr<float>();
  float* valid_out = s.valid.data_ptr<float>();
  const int64_t N = num_envs_;
  int64_t t = 0;
  while (t < steps) {
    Stopwatch inference_clock;
    auto obs = device_obs();
    if (memory_.defined() && t % s.sequence_length == 0) s.sequence_memory[t / s.sequence_length] = memory_;
    std::optional<dist::GlobalRows> global_rows;
    if (dist::active()) global_rows.emplace(first_env_, world_envs_);
    auto out = policy_->act(obs, /*deterministic=*/false, &memory_);
    global_rows.reset();
    put(s.obs, t, obs);
    put(s.actions, t, out.action);
    put(s.log_probs, t, out.log_prob);
    put(s.values, t, out.value);
    if (s.road_ahead.defined()) put(s.road_ahead, t, host_road_ahead_);
    host_actions_.copy_(out.env_action);
    inference_s_ += inference_clock.seconds();

    Stopwatch env_clock;
    vec_->step(host_actions_.data_ptr<float>());
    env_s_ += env_clock.seconds();

    Stopwatch post_clock;
    std::memcpy(rewards_.data(), vec_->rewards(), N * sizeof(float));
    const auto* term = vec_->terminated();
    const auto* trunc = vec_->truncated();
    for (int64_t i = 0; i < N; ++i) dones_[i] = term[i] || trunc[i];
    bool all_finished = first_episode_only;
    for (int64_t i = 0; i < N && all_finished; ++i) all_finished = finished[i] || dones_[i];
    const float* all_obs = nullptr;
    if (dist::active()) {
      all_finished = exchange_step(all_finished);
      all_obs = obs_norm_ ? exchanged_obs_.data() : nullptr;
    } else if (reward_scaler_) {
      reward_scaler_->scale(rewards_.data(), dones_.data());
    }
    bootstrap_truncations(rewards_.data());
    const auto& infos = vec_->infos();
    for (int64_t i = 0; i < N; ++i) {
      rewards_out[t * N + i] = rewards_[i];
      dones_out[t * N + i] = dones_[i];
      valid_out[t * N + i] = first_episode_only && finished[i] ? 0.f : 1.f;
      if (dones_[i]) finished[i] = 1;
      if (infos[i].episode_done) {
        ++episodes_.count;
        episodes_.return_sum += infos[i].episode_return;
        episodes_.length_sum += infos[i].episode_length;
        episodes_.laps += infos[i].episode_lap_complete ? 1 : 0;
      }
    }
    // Most steps end no episode: skip the tensor ops then.
    if (memory_.defined() && std::any_of(dones_.begin(), dones_.end(), [](uint8_t d) { return d != 0; }))
      memory_.forget(done_mask(dones_, device_));
    load_obs(vec_->obs(), /*update_stats=*/true, all_obs);
    load_road_ahead();
    inference_s_ += post_clock.seconds();
    ++t;
    if (first_episode_only && all_finished) break;
  }
  Stopwatch value_clock;
  s.last_value.copy_(policy_->value(device_obs(), &memory_));
  s.steps = t;
  inference_s_ += value_clock.seconds();
  return t * N;
}

bool Rollout::exchange_step(bool all_finished) {
  // One all-gather per vector step: [finished flag, raw rewards N, dones N, raw obs N x dim (normalizer)].
  const int64_t N = num_envs_;
  const int64_t obs_floats = obs_norm_ ? host_obs_.numel() : 0;
  const int64_t row = 1 + 2 * N + obs_floats;
  exchange_row_.resize(row);
  exchange_row_[0] = all_finished ? 1.f : 0.f;
  std::memcpy(&exchange_row_[1], rewards_.data(), N * sizeof(float));
  for (int64_t i = 0; i < N; ++i) exchange_row_[1 + N + i] = dones_[i];
  if (obs_floats) std::memcpy(&exchange_row_[1 + 2 * N], vec_->obs(), obs_floats * sizeof(float));
  const auto bytes = dist::all_gather_bytes(exchange_row_.data(), row * sizeof(float));
  const auto* all = reinterpret_cast<const float*>(bytes.data());
  const int W = dist::world_size();
  std::vector<float> rewards(world_envs_);
  std::vector<uint8_t> dones(world_envs_);
  exchanged_obs_.resize(static_cast<size_t>(obs_floats) * W);
  bool everyone = true;
  for (int r = 0; r < W; ++r) {
    const float* part = all + r * row;
    everyone = everyone && part[0] != 0.f;
    for (int64_t i = 0; i < N; ++i) {
      rewards[r * N + i] = part[1 + i];
      dones[r * N + i] = part[1 + N + i] != 0.f;
    }
    if (obs_floats) std::memcpy(&exchanged_obs_[r * obs_floats], part + 1 + 2 * N, obs_floats * sizeof(float));
  }
  if (reward_scaler_) {
    reward_scaler_->scale(rewards.data(), dones.data());
    std::memcpy(rewards_.data(), &rewards[first_env_], N * sizeof(float));
  }
  return everyone;
}

}  // namespace dl::agents
