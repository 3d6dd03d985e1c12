// drivelab/agents: the world model's training pipeline, agent.algo: world_model (see world_model.h).
//
// Four stages, each writing one file under RUN/world_model/ and skipped when that file already exists (it
// is read back and checked against the config instead), so a run killed in any stage continues at the
// start of that stage: `drivelab train --resume RUN` (or the same command with the same --run-dir).
//
//   collect     rollouts.dlds   noisy-expert, weak-expert and random episodes (data/collect.h)
//   vae         vae.pt          + vae_reconstructions.png (held-out frames above, reconstructions below)
//   mdnrnn      mdnrnn.pt       + dream.gif (a held-out episode's real frames left, the MDN-RNN's dream of
//                                 the same actions right, decoded by the VAE) and dream.png (8 of them,
//                                 real above, dreamed below)
//   controller  controller.pt   + controller_test.gif (the controller on a test track, its 64x64 view)
//
// The controller is trained by CMA-ES in the REAL env: each generation, popsize x rollouts_per_candidate
// envs run in one VectorEnv, every env with its own candidate's weights; per step the frames of all envs
// are encoded in one VAE batch, the controllers act in one batched matmul, and the LSTM advances in one
// batched step. Fitness is the mean episode return. Every stage seeds torch with train.seed + its index, so
// its result does not depend on whether the stages before it ran in this process or were read from disk.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/cmaes.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "agents/world_model.h"
#include "data/collect.h"
#include "data/dataset.h"
#include "envs/expert.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "io/files.h"
#include "video/gif.h"
#include "video/video.h"

namespace fs = std::filesystem;

namespace dl::agents {

namespace {

constexpr int64_t kEncodeBatch = 256;            // frames per VAE batch when encoding a dataset
constexpr double kValidationFraction = 0.1;      // episodes held out for validation losses and images
constexpr int kReconstructionColumns = 8;
constexpr int kImageScale = 2;                   // 64x64 frames shown at 128x128
constexpr int kDreamSteps = 200;
constexpr int kGifDelayCs = 8;
constexpr double kMdnMaxGradNorm = 1.0;
constexpr int kControllerGifSteps = 300;

struct StagePaths {
  fs::path dir;
  std::string rollouts, vae, mdnrnn, controller, reconstructions, dream, dream_still, controller_gif;
  explicit StagePaths(const std::string& run_dir) : dir(fs::path(run_dir) / "world_model") {
    rollouts = (dir / "rollouts.dlds").string();
    vae = (dir / "vae.pt").string();
    mdnrnn = (dir / "mdnrnn.pt").string();
    controller = (dir / "controller.pt").string();
    reconstructions = (dir / "vae_reconstructions.png").string();
    dream = (dir / "dream.gif").string();
    dream_still = (dir / "dream.png").string();
    controller_gif = (dir / "controller_test.gif").string();
  }
};

// Metric rows: one step per collect, per VAE epoch, per MDN-RNN epoch and per CMA-ES generation, so the
// steps of a stage are the same whether or not the stages before it were skipped.
class StageMetrics {
 public:
  StageMetrics(const TrainJob& job, int64_t total) : job_(job), total_(total) {}
  void scalar(const std::string& name, double value) {
    if (!std::isfinite(value))
      throw std::runtime_error(name + " is " + std::to_string(value) + " at world-model step " +
                               std::to_string(step_ + 1) + ": training stopped (the finished stages' files "
                               "were kept). Try a lower learning rate.");
    if (job_.metrics) job_.metrics->scalar(step_ + 1, name, value);
  }
  void end_row() {
    ++step_;
    if (job_.metrics) job_.metrics->end_update(step_, total_);
  }
  void skip(int64_t rows) { step_ += rows; }
  int64_t step() const { return step_; }

 private:
  const TrainJob& job_;
  int64_t total_;
  int64_t step_ = 0;
};

std::string redo_hint(const std::string& path) {
  return " (delete " + path + " and the later stages' files to redo it)";
}

// The env must give the VAE its 64x64x3 frames and take continuous, bounded actions.
void check_env(const TrainJob& job) {
  const auto probe = env_factory_or_default(job.env_factory)(job.env, 0);
  const auto& obs = probe->observation_spec();
  if (obs.dtype != envs::DType::u8 || obs.shape != std::vector<int64_t>{kWorldModelImageSize, kWorldModelImageSize, 3})
    throw std::runtime_error(
        "world_model: needs 64x64x3 pixel observations (env.id: carracing, env.pixels.width: 64, "
        "env.pixels.height: 64, env.frame_stack: 1)");
  const auto& act = probe->action_spec();
  if (act.discrete || act.box.low.size() != static_cast<size_t>(act.dim()) ||
      act.box.high.size() != static_cast<size_t>(act.dim()))
    throw std::runtime_error("world_model: needs continuous actions with bounds (env.action: continuous)");
  for (size_t i = 0; i < act.box.low.size(); ++i)
    if (!std::isfinite(act.box.low[i]) || !std::isfinite(act.box.high[i]))
      throw std::runtime_error("world_model: needs finite action bounds");
}

// ---- data --------------------------------------------------------------------------------------------------

struct Rollouts {
  std::vector<data::Episode> train, validation;
  data::DatasetSpec spec;
};

Rollouts read_rollouts(const std::string& path) {
  Rollouts r;
  std::vector<data::Episode> all;
  try {
    all = data::read_all(path, &r.spec);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + redo_hint(path));
  }
  if (r.spec.observation.dtype != envs::DType::u8 ||
      r.spec.observation.shape != std::vector<int64_t>{kWorldModelImageSize, kWorldModelImageSize, 3})
    throw std::runtime_error(path + ": expected 64x64x3 pixel episodes" + redo_hint(path));
  if (all.empty()) throw std::runtime_error(path + ": no episodes" + redo_hint(path));
  const size_t held_out = all.size() < 2 ? 0 : std::max<size_t>(1, static_cast<size_t>(all.size() * kValidationFraction));
  r.validation.assign(all.end() - static_cast<std::ptrdiff_t>(held_out), all.end());
  r.train.assign(all.begin(), all.end() - static_cast<std::ptrdiff_t>(held_out));
  if (r.validation.empty()) r.validation = r.train;
  return r;
}

// All observations (length + 1 per episode) as uint8 [N, 64, 64, 3].
torch::Tensor frames_of(const std::vector<data::Episode>& episodes) {
  int64_t total = 0;
  for (const auto& e : episodes) total += e.length() + 1;
  auto frames = torch::empty({total, kWorldModelImageSize, kWorldModelImageSize, 3}, torch::kUInt8);
  uint8_t* out = frames.data_ptr<uint8_t>();
  for (const auto& e : episodes) {
    std::copy(e.obs.begin(), e.obs.end(), out);
    out += e.obs.size();
  }
  return frames;
}

// mu and logvar of every frame, [N, z_dim] each, on the CPU.
std::pair<torch::Tensor, torch::Tensor> encode_all(ConvVAE& vae, const torch::Tensor& frames, torch::Device device) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> mus, logvars;
  for (int64_t i = 0; i < frames.size(0); i += kEncodeBatch) {
    const auto e = vae->encode(frames.narrow(0, i, std::min(kEncodeBatch, frames.size(0) - i)).to(device));
    mus.push_back(e.mu.cpu());
    logvars.push_back(e.logvar.cpu());
  }
  return {torch::cat(mus), torch::cat(logvars)};
}

// [B, 3, 64, 64] floats in [0, 1] -> one image, columns side by side, scaled up.
raster::Image tile(const std::vector<torch::Tensor>& rows) {
  const int size = kWorldModelImageSize * kImageScale;
  const int columns = static_cast<int>(rows.front().size(0));
  raster::Image image;
  image.width = columns * size;
  image.height = static_cast<int>(rows.size()) * size;
  image.rgb.assign(static_cast<size_t>(image.width) * image.height * 3, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto pixels = (rows[r].clamp(0, 1) * 255).round().to(torch::kUInt8).permute({0, 2, 3, 1}).contiguous().cpu();
    const uint8_t* p = pixels.data_ptr<uint8_t>();
    for (int c = 0; c < columns; ++c)
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const uint8_t* src = p + ((static_cast<int64_t>(c) * kWorldModelImageSize + y / kImageScale) * kWorldModelImageSize +
                                    x / kImageScale) * 3;
          uint8_t* dst = &image.rgb[((static_cast<size_t>(r) * size + y) * image.width + c * size + x) * 3];
          std::copy(src, src + 3, dst);
        }
  }
  return image;
}

// ---- stage 1: collect --------------------------------------------------------------------------------------

void stage_collect(const TrainJob& job, const StagePaths& paths, StageMetrics& metrics) {
  const auto& c = job.agent.world_model;
  const auto probe = envs::make_env(job.env, 0);
  data::ExpertPolicy expert(probe->action_spec(), envs::expert_params(), "expert");
  data::CollectOptions o;
  o.episodes = c.collect_episodes;
  o.seed = job.train.seed;
  o.noise = c.expert_noise;
  o.random_fraction = c.random_fraction;
  o.weak_fraction = c.weak_fraction;
  o.notes = "world_model collect stage";
  if (c.random_fraction + c.weak_fraction > 1)
    throw io::InputError("agent.world_model: random_fraction + weak_fraction must be at most 1");
  const data::CollectReport r = data::collect(job.env, expert, o, paths.rollouts);
  // Not charts/episodic_return: the learning curve is the controller's.
  metrics.scalar("collect/return_mean", r.return_mean);
  metrics.scalar("collect/episodes", static_cast<double>(r.episodes));
  metrics.scalar("collect/steps", static_cast<double>(r.steps));
}

// ---- stage 2: VAE ------------------------------------------------------------------------------------------

void stage_vae(const TrainJob& job, const StagePaths& paths, StageMetrics& metrics, torch::Device device) {
  const auto& c = job.agent.world_model;
  const Rollouts data = read_rollouts(paths.rollouts);
  torch::Tensor frames = frames_of(data.train);
  if (c.vae_max_frames > 0 && frames.size(0) > c.vae_max_frames)
    frames = frames.index_select(0, torch::linspace(0, frames.size(0) - 1, c.vae_max_frames).round().to(torch::kLong));
  const torch::Tensor val_all = frames_of(data.validation);
  const torch::Tensor val = val_all.index_select(
      0, torch::linspace(0, val_all.size(0) - 1, std::min<int64_t>(val_all.size(0), 512)).round().to(torch::kLong));
  frames = frames.to(device);
  ConvVAE vae(VAEOptions{c.z_dim, c.vae_channels});
  vae->to(device);
  torch::optim::Adam optimizer(vae->parameters(), torch::optim::AdamOptions(c.vae_learning_rate));
  const int64_t n = frames.size(0), batch = std::min<int64_t>(c.vae_batch_size, n);
  for (int epoch = 0; epoch < c.vae_epochs; ++epoch) {
    const auto order = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong)).to(device);
    double recon_sum = 0, kl_sum = 0;
    int64_t batches = 0;
    for (int64_t i = 0; i + batch <= n; i += batch) {
      const auto x = frames_to_float(frames.index_select(0, order.narrow(0, i, batch)));
      const auto loss = vae_loss(vae->forward(x), x, c.kl_tolerance, c.vae_beta);
      optimizer.zero_grad();
      loss.total.backward();
      optimizer.step();
      recon_sum += loss.recon.item<double>();
      kl_sum += loss.kl.item<double>();
      ++batches;
    }
    double val_recon = 0;
    {
      torch::NoGradGuard no_grad;
      vae->eval();
      for (int64_t i = 0; i < val.size(0); i += kEncodeBatch) {
        const auto x = frames_to_float(val.narrow(0, i, std::min(kEncodeBatch, val.size(0) - i)).to(device));
        val_recon += vae_loss(vae->forward(x, /*sample=*/false), x, c.kl_tolerance, c.vae_beta).recon.item<double>() *
                     static_cast<double>(x.size(0));
      }
      vae->train();
      val_recon /= static_cast<double>(val.size(0));
    }
    metrics.scalar("losses/vae_recon", recon_sum / static_cast<double>(batches));
    metrics.scalar("losses/vae_kl", kl_sum / static_cast<double>(batches));
    metrics.scalar("losses/vae_recon_val", val_recon);
    metrics.scalar("losses/vae_mse_per_value_val", val_recon / (3.0 * kWorldModelImageSize * kWorldModelImageSize));
    metrics.end_row();
  }
  // The images first: a file that exists means the stage is done.
  {
    torch::NoGradGuard no_grad;
    vae->eval();
    const auto pick = torch::linspace(0, val.size(0) - 1, std::min<int64_t>(kReconstructionColumns, val.size(0)))
                          .round().to(torch::kLong);
    const auto x = frames_to_float(val.index_select(0, pick)).to(device);
    video::write_image(tile({x, vae->forward(x, /*sample=*/false).reconstruction}), paths.reconstructions);
  }
  save_vae(paths.vae, vae);
}

// ---- stage 3: MDN-RNN --------------------------------------------------------------------------------------

// Episodes as flat tensors: z statistics per frame, actions/rewards/dones per step.
struct Sequences {
  torch::Tensor mu, logvar;           // [frames, z]
  torch::Tensor actions, rewards, dones;  // [steps, A], [steps], [steps]
  std::vector<int64_t> frame_offset, step_offset, length;
};

Sequences sequences_of(const std::vector<data::Episode>& episodes, ConvVAE& vae, int action_dim, torch::Device device) {
  Sequences s;
  std::vector<float> actions, rewards, dones;
  std::vector<torch::Tensor> mus, logvars;
  int64_t frames = 0, steps = 0;
  for (const auto& e : episodes) {
    // One episode at a time: the full recipe's frames would not fit in memory twice.
    const auto episode_frames = torch::from_blob(const_cast<uint8_t*>(e.obs.data()),
                                                 {e.length() + 1, kWorldModelImageSize, kWorldModelImageSize, 3},
                                                 torch::kUInt8);
    auto [mu, logvar] = encode_all(vae, episode_frames, device);
    mus.push_back(mu);
    logvars.push_back(logvar);
    s.frame_offset.push_back(frames);
    s.step_offset.push_back(steps);
    s.length.push_back(e.length());
    actions.insert(actions.end(), e.actions.begin(), e.actions.end());
    rewards.insert(rewards.end(), e.rewards.begin(), e.rewards.end());
    for (auto t : e.terminated) dones.push_back(t ? 1.f : 0.f);
    frames += e.length() + 1;
    steps += e.length();
  }
  s.mu = torch::cat(mus);
  s.logvar = torch::cat(logvars);
  s.actions = torch::tensor(actions).view({steps, action_dim});
  s.rewards = torch::tensor(rewards);
  s.dones = torch::tensor(dones);
  return s;
}

struct Windows {
  torch::Tensor z, actions, next_z, rewards, dones;  // [B, S, ...]
};

// Windows of S steps starting at the given (episode, t) pairs; z's drawn from q(z|x) (Ha's recipe: the
// MDN-RNN learns on samples, not means, so it sees the VAE's uncertainty).
Windows windows(const Sequences& s, const std::vector<std::pair<size_t, int64_t>>& starts, int64_t length) {
  const int64_t b = static_cast<int64_t>(starts.size());
  auto frame_index = torch::empty({b, length + 1}, torch::kLong);
  auto step_index = torch::empty({b, length}, torch::kLong);
  int64_t* fi_out = frame_index.data_ptr<int64_t>();
  int64_t* si_out = step_index.data_ptr<int64_t>();
  for (int64_t i = 0; i < b; ++i) {
    const auto [e, t] = starts[i];
    for (int64_t j = 0; j <= length; ++j) *fi_out++ = s.frame_offset[e] + t + j;
    for (int64_t j = 0; j < length; ++j) *si_out++ = s.step_offset[e] + t + j;
  }
  const auto fi = frame_index.flatten(), si = step_index.flatten();
  const auto mu = s.mu.index_select(0, fi), logvar = s.logvar.index_select(0, fi);
  const auto z = (mu + torch::exp(0.5 * logvar) * torch::randn_like(mu)).view({b, length + 1, -1});
  Windows w;
  w.z = z.narrow(1, 0, length);
  w.next_z = z.narrow(1, 1, length);
  w.actions = s.actions.index_select(0, si).view({b, length, -1});
  w.rewards = s.rewards.index_select(0, si).view({b, length});
  w.dones = s.dones.index_select(0, si).view({b, length});
  return w;
}

struct MDNLoss {
  torch::Tensor total, nll, reward, done;
};

MDNLoss mdn_loss(MDNRNN& rnn, const Windows& w, const WorldModelConfig& c, torch::Device device) {
  const auto out = rnn->forward(w.z.to(device), w.actions.to(device));
  MDNLoss l;
  l.nll = mdn_nll(out.next_z, w.next_z.to(device)).mean();
  l.reward = torch::mse_loss(out.reward, w.rewards.to(device));
  l.done = torch::binary_cross_entropy_with_logits(out.done_logit, w.dones.to(device));
  l.total = l.nll + c.reward_weight * l.reward + c.done_weight * l.done;
  return l;
}

void write_dream(MDNRNN& rnn, ConvVAE& vae, const data::Episode& episode, double temperature, int action_dim,
                 const std::string& path, const std::string& still_path, torch::Device device) {
  torch::NoGradGuard no_grad;
  rnn->eval();
  vae->eval();
  const int64_t steps = std::min<int64_t>(episode.length(), kDreamSteps);
  const auto real = frames_of({episode}).narrow(0, 0, steps + 1);
  const auto actions = torch::tensor(episode.actions).view({episode.length(), action_dim});
  auto z = vae->encode(real.narrow(0, 0, 1).to(device)).mu.unsqueeze(1);  // [1, 1, z]
  std::vector<torch::Tensor> dreamed{z.squeeze(1)};
  MDNRNNImpl::State state = rnn->initial_state(1, device);
  for (int64_t t = 0; t < steps; ++t) {
    const auto out = rnn->forward(z, actions.narrow(0, t, 1).unsqueeze(0).to(device), state);
    state = out.state;
    z = mdn_sample(out.next_z, temperature);
    dreamed.push_back(z.squeeze(1));
  }
  const auto dream_frames = vae->decode(torch::cat(dreamed));
  const auto real_frames = frames_to_float(real).to(device);
  const int size = kWorldModelImageSize * kImageScale;
  video::GifWriter gif(path, 2 * size, size, kGifDelayCs);
  for (int64_t t = 0; t <= steps; ++t) {
    // One row: the real frame, then the dreamed one (tile() puts a batch's frames side by side).
    gif.add_frame(tile({torch::cat({real_frames.narrow(0, t, 1), dream_frames.narrow(0, t, 1)})}));
  }
  gif.finish();
  // The same as a still: every (steps / 8)-th frame, real above, dreamed below.
  const auto pick = torch::linspace(0, static_cast<double>(steps), std::min<int64_t>(kReconstructionColumns, steps + 1))
                        .round().to(torch::kLong).to(device);
  video::write_image(tile({real_frames.index_select(0, pick), dream_frames.index_select(0, pick)}), still_path);
}

void stage_mdnrnn(const TrainJob& job, const StagePaths& paths, StageMetrics& metrics, ConvVAE& vae,
                  torch::Device device) {
  const auto& c = job.agent.world_model;
  const Rollouts data = read_rollouts(paths.rollouts);
  const int action_dim = data.spec.action_dim();
  vae->eval();
  const Sequences train = sequences_of(data.train, vae, action_dim, device);
  const Sequences val = sequences_of(data.validation, vae, action_dim, device);
  const int64_t length = c.mdn_sequence_length;
  // Every start with a whole window in its episode; an epoch draws as many windows as cover the data once.
  std::vector<std::pair<size_t, int64_t>> train_starts, val_starts;
  for (size_t e = 0; e < train.length.size(); ++e)
    for (int64_t t = 0; t + length <= train.length[e]; ++t) train_starts.emplace_back(e, t);
  for (size_t e = 0; e < val.length.size(); ++e)
    for (int64_t t = 0; t + length <= val.length[e]; t += length) val_starts.emplace_back(e, t);
  if (train_starts.empty() || val_starts.empty())
    throw io::InputError("agent.world_model.mdn_sequence_length: " + std::to_string(length) +
                             " steps is longer than the collected episodes (" + paths.rollouts + ")");
  MDNRNN rnn(MDNRNNOptions{c.z_dim, action_dim, c.rnn_hidden, c.mdn_components});
  rnn->to(device);
  torch::optim::Adam optimizer(rnn->parameters(), torch::optim::AdamOptions(c.mdn_learning_rate));
  std::mt19937_64 rng(job.train.seed);
  std::uniform_int_distribution<size_t> pick(0, train_starts.size() - 1);
  int64_t steps = 0;
  for (auto l : train.length) steps += l;
  const int64_t batches = std::max<int64_t>(1, steps / (length * c.mdn_batch_size));
  for (int epoch = 0; epoch < c.mdn_epochs; ++epoch) {
    double nll = 0, reward = 0, done = 0;
    for (int64_t i = 0; i < batches; ++i) {
      std::vector<std::pair<size_t, int64_t>> starts(c.mdn_batch_size);
      for (auto& s : starts) s = train_starts[pick(rng)];
      const MDNLoss l = mdn_loss(rnn, windows(train, starts, length), c, device);
      optimizer.zero_grad();
      l.total.backward();
      torch::nn::utils::clip_grad_norm_(rnn->parameters(), kMdnMaxGradNorm);
      optimizer.step();
      nll += l.nll.item<double>();
      reward += l.reward.item<double>();
      done += l.done.item<double>();
    }
    double val_nll = 0;
    {
      torch::NoGradGuard no_grad;
      val_nll = mdn_loss(rnn, windows(val, val_starts, length), c, device).nll.item<double>();
    }
    metrics.scalar("losses/mdn_nll", nll / static_cast<double>(batches));
    metrics.scalar("losses/mdn_reward_mse", reward / static_cast<double>(batches));
    metrics.scalar("losses/mdn_done_bce", done / static_cast<double>(batches));
    metrics.scalar("losses/mdn_nll_val", val_nll);
    metrics.end_row();
  }
  size_t longest = 0;
  for (size_t e = 1; e < data.validation.size(); ++e)
    if (data.validation[e].length() > data.validation[longest].length()) longest = e;
  write_dream(rnn, vae, data.validation[longest], c.temperature, action_dim, paths.dream, paths.dream_still, device);
  save_mdnrnn(paths.mdnrnn, rnn);
}

// ---- stage 4: controller -----------------------------------------------------------------------------------

struct Agent {
  ConvVAE vae;
  MDNRNN rnn;
  bool uses_h;
  torch::Tensor low, high;  // action bounds on the device
  torch::Device device;
};

// Runs every env of `vec` until each has finished one episode, env i driven by params[i]. Returns the
// episode returns (and laps); when `gif` is given, env 0's frames of its first episode go into it.
std::vector<double> run_episodes(Agent& agent, envs::VectorEnv& vec, const torch::Tensor& params, uint64_t seed,
                                 int* laps = nullptr, video::GifWriter* gif = nullptr,
                                 std::vector<int>* lengths = nullptr) {
  torch::NoGradGuard no_grad;
  const int n = vec.num_envs();
  vec.reset(seed);
  auto state = agent.rnn->initial_state(n, agent.device);
  std::vector<double> returns(n, 0.0);
  if (lengths) lengths->assign(n, 0);
  std::vector<bool> finished(n, false);
  int remaining = n, gif_frames = 0;
  const auto p = params.to(agent.device);
  while (remaining > 0) {
    const auto obs = torch::from_blob(vec.obs(), {n, kWorldModelImageSize, kWorldModelImageSize, 3}, torch::kUInt8);
    if (gif && !finished[0] && gif_frames < kControllerGifSteps) {
      gif->add_frame(tile({frames_to_float(obs.narrow(0, 0, 1))}));
      ++gif_frames;
    }
    const auto z = agent.vae->encode(obs.to(agent.device)).mu;
    const auto inputs = agent.uses_h ? torch::cat({z, std::get<0>(state).squeeze(0)}, 1) : z;
    const auto actions = controller_actions(p, inputs, agent.low, agent.high);
    state = agent.rnn->forward(z.unsqueeze(1), actions.unsqueeze(1), state).state;
    const auto host = actions.to(torch::kCPU).contiguous();
    vec.step(host.data_ptr<float>());
    const auto& infos = vec.infos();
    auto keep = torch::ones({1, n, 1});
    for (int i = 0; i < n; ++i) {
      if (!infos[i].episode_done) continue;
      keep[0][i][0] = 0;  // the next episode starts with a fresh memory
      if (finished[i]) continue;
      finished[i] = true;
      --remaining;
      returns[i] = infos[i].episode_return;
      if (lengths) (*lengths)[i] = infos[i].episode_length;
      if (laps && infos[i].episode_lap_complete) ++*laps;
    }
    keep = keep.to(agent.device);
    state = {std::get<0>(state) * keep, std::get<1>(state) * keep};
  }
  return returns;
}

// train.num_threads, or one per core (never more threads than envs).
int env_threads(const TrainJob& job, int envs) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  return std::min(envs, job.train.num_threads > 0 ? job.train.num_threads : cores);
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

struct EvalOutcome {
  double mean = 0;
  int laps = 0;
};

EvalOutcome evaluate_controller(const TrainJob& job, Agent& agent, const torch::Tensor& params,
                                video::GifWriter* gif = nullptr) {
  envs::EnvConfig test_env = job.env;
  test_env.tracks = "test";
  const int n = job.train.eval_episodes;
  const auto factory = env_factory_or_default(job.env_factory);
  envs::VectorEnv vec([&](int i) { return factory(test_env, i); }, n, env_threads(job, n));
  EvalOutcome o;
  o.mean = mean_of(run_episodes(agent, vec, params.unsqueeze(0).expand({n, params.size(0)}).contiguous(),
                                job.train.seed + kEvalSeedOffset, &o.laps, gif));
  return o;
}

void stage_controller(const TrainJob& job, const StagePaths& paths, StageMetrics& metrics, ConvVAE& vae, MDNRNN& rnn,
                      torch::Device device, TrainResult& result) {
  const auto& c = job.agent.world_model;
  // Per env step the batched inference is a few small ops while the env workers run: OpenMP's spinning
  // threads then compete with those workers. Measured on the shared 2-core machine (4 envs, 40 steps, 2
  // generations): 29.8 s with 2 torch threads, 0.2 s with 1. So 1 unless train.torch_threads says otherwise.
  torch::set_num_threads(job.train.torch_threads > 0 ? job.train.torch_threads : 1);
  const auto factory = env_factory_or_default(job.env_factory);
  const int candidates = c.popsize, per = c.rollouts_per_candidate, n = candidates * per;
  envs::VectorEnv vec([&](int i) { return factory(job.env, i); }, n, env_threads(job, n));
  const auto& spec = vec.action_spec();
  vae->eval();
  rnn->eval();
  Agent agent{vae, rnn, c.controller_uses_h, torch::tensor(spec.box.low).to(device),
              torch::tensor(spec.box.high).to(device), device};
  const int64_t input_dim = c.z_dim + (c.controller_uses_h ? c.rnn_hidden : 0);
  const int64_t p = controller_parameter_count(input_dim, spec.dim());
  CMAESOptions o;
  o.popsize = candidates;
  o.sigma = c.sigma_init;
  o.seed = job.train.seed;
  o.separable = c.separable;
  CMAES es(std::vector<double>(static_cast<size_t>(p), 0.0), o);
  double best_return = -1e300;
  bool has_eval = false;
  for (int g = 0; g < c.generations; ++g) {
    const auto& population = es.ask();
    auto params = torch::empty({n, p}, torch::kFloat32);
    for (int k = 0; k < candidates; ++k)
      for (int r = 0; r < per; ++r)
        params[k * per + r].copy_(torch::tensor(population[k]).to(torch::kFloat32));
    // Fresh episodes every generation (seed mixed with the generation), the same for every run.
    const uint64_t seed = job.train.seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(g + 1);
    const auto returns = run_episodes(agent, vec, params, seed);
    std::vector<double> fitness(candidates), candidate_return(candidates);
    for (int k = 0; k < candidates; ++k) {
      candidate_return[k] = mean_of(std::vector<double>(returns.begin() + k * per, returns.begin() + (k + 1) * per));
      fitness[k] = -candidate_return[k];  // CMA-ES minimizes
    }
    es.tell(fitness);
    const double gen_best = *std::max_element(candidate_return.begin(), candidate_return.end());
    best_return = std::max(best_return, gen_best);
    metrics.scalar("cmaes/best", gen_best);
    metrics.scalar("cmaes/mean", mean_of(candidate_return));
    metrics.scalar("cmaes/best_ever", best_return);
    metrics.scalar("cmaes/sigma", es.sigma());
    metrics.scalar("charts/episodic_return", mean_of(returns));
    const bool last = g + 1 == c.generations;
    if (job.train.eval_episodes > 0 && (last || (c.eval_every_generations > 0 && (g + 1) % c.eval_every_generations == 0))) {
      const auto mean = torch::tensor(es.mean()).to(torch::kFloat32);
      std::unique_ptr<video::GifWriter> gif;
      if (last) gif = std::make_unique<video::GifWriter>(paths.controller_gif, kWorldModelImageSize * kImageScale,
                                                         kWorldModelImageSize * kImageScale, kGifDelayCs);
      const EvalOutcome e = evaluate_controller(job, agent, mean, gif.get());
      if (gif) gif->finish();
      metrics.scalar("eval/return_mean", e.mean);
      metrics.scalar("eval/laps", e.laps);
      result.final_eval_return = e.mean;
      if (!has_eval || e.mean > result.best_eval_return) result.best_eval_return = e.mean;
      has_eval = true;
    }
    metrics.end_row();
  }
  ControllerFile file;
  file.z_dim = c.z_dim;
  file.hidden = c.controller_uses_h ? c.rnn_hidden : 0;
  file.action_dim = spec.dim();
  file.params = torch::tensor(es.mean()).to(torch::kFloat32);
  file.best_params = torch::tensor(es.best()).to(torch::kFloat32);
  file.best_train_return = best_return;
  file.generations = es.generation();
  save_controller(paths.controller, file);
}

// ---- checks of files from an earlier run -------------------------------------------------------------------

void check_vae(const ConvVAE& vae, const WorldModelConfig& c, const std::string& path) {
  if (vae->options().z_dim != c.z_dim || vae->options().channels != c.vae_channels)
    throw std::runtime_error(path + ": written with z_dim " + std::to_string(vae->options().z_dim) + " and vae_channels " +
                             std::to_string(vae->options().channels) + ", the config asks for " +
                             std::to_string(c.z_dim) + " and " + std::to_string(c.vae_channels) + redo_hint(path));
}

void check_mdnrnn(const MDNRNN& rnn, const WorldModelConfig& c, int action_dim, const std::string& path) {
  const auto& o = rnn->options();
  if (o.z_dim != c.z_dim || o.hidden != c.rnn_hidden || o.components != c.mdn_components || o.action_dim != action_dim)
    throw std::runtime_error(path + ": written with z_dim " + std::to_string(o.z_dim) + ", rnn_hidden " +
                             std::to_string(o.hidden) + ", mdn_components " + std::to_string(o.components) +
                             " and " + std::to_string(o.action_dim) + " actions; the config and env ask for " +
                             std::to_string(c.z_dim) + ", " + std::to_string(c.rnn_hidden) + ", " +
                             std::to_string(c.mdn_components) + " and " + std::to_string(action_dim) + redo_hint(path));
}

// The world model as an Actor: each frame through the VAE's mean code, the controller on [z, h], and the
// MDN-RNN advanced by (z, action) so h carries the past; an env's LSTM state is cleared when its episode
// ends. Deterministic always (the controller is a fixed linear map).
class WorldModelActor final : public Actor {
 public:
  WorldModelActor(const envs::EnvConfig& env, ConvVAE vae, MDNRNN rnn, ControllerFile controller,
                  const envs::ActionSpec& action_spec, torch::Device device)
      : env_(env), vae_(std::move(vae)), rnn_(std::move(rnn)), controller_(std::move(controller)),
        action_spec_(action_spec), device_(device) {
    low_ = torch::tensor(action_spec_.box.low).to(device_);
    high_ = torch::tensor(action_spec_.box.high).to(device_);
  }
  const std::string& algo() const override { return algo_; }
  const envs::EnvConfig& env_config() const override { return env_; }
  void check_spaces(const envs::Spec& observation, const envs::ActionSpec& action) const override {
    const std::vector<int64_t> frame{kWorldModelImageSize, kWorldModelImageSize, 3};
    if (observation.dtype != envs::DType::u8 || observation.shape != frame)
      throw io::InputError("the world model sees 64x64 RGB frames; the env's observations are not those");
    if (action.discrete || action.dim() != controller_.action_dim)
      throw io::InputError("the env has " + std::to_string(action.dim()) + " actions, the world model's controller " +
                           std::to_string(controller_.action_dim));
  }
  void reset(int n) override {
    n_ = n;
    state_ = rnn_->initial_state(n, device_);
    params_ = controller_.params.to(device_).unsqueeze(0).expand({n, controller_.params.size(0)}).contiguous();
  }
  torch::Tensor act(const torch::Tensor& obs, bool) override {
    torch::NoGradGuard no_grad;
    const auto z = vae_->encode(obs.to(device_)).mu;
    const auto inputs = controller_.hidden > 0 ? torch::cat({z, std::get<0>(state_).squeeze(0)}, 1) : z;
    const auto actions = controller_actions(params_, inputs, low_, high_);
    state_ = rnn_->forward(z.unsqueeze(1), actions.unsqueeze(1), state_).state;
    return actions.to(torch::kCPU).contiguous();
  }
  void observe(const float*, const uint8_t* episode_ended) override {
    auto keep = torch::ones({1, n_, 1});
    for (int i = 0; i < n_; ++i)
      if (episode_ended[i]) keep[0][i][0] = 0;  // the next episode starts with a fresh memory
    keep = keep.to(device_);
    state_ = {std::get<0>(state_) * keep, std::get<1>(state_) * keep};
  }

 private:
  std::string algo_ = "world_model";
  envs::EnvConfig env_;
  ConvVAE vae_;
  MDNRNN rnn_;
  ControllerFile controller_;
  envs::ActionSpec action_spec_;
  torch::Device device_;
  torch::Tensor low_, high_, params_;
  MDNRNN::Impl::State state_;
  int n_ = 0;
};

// RUN/checkpoints/latest.pt of a world-model run: the algorithm, the run's configs and the names of its
// stage files (kept in RUN/world_model/, beside the checkpoints folder), so the run loads as an Actor
// through the same resolver as every other algorithm.
constexpr int64_t kManifestVersion = 1;

void write_manifest(const TrainJob& job) {
  fs::create_directories(fs::path(job.run_dir) / "checkpoints");
  torch::serialize::OutputArchive a;
  a.write("algo", c10::IValue(std::string("world_model")));
  a.write("manifest_version", c10::IValue(kManifestVersion));
  a.write("config_text", c10::IValue(configs_to_text(job.env, job.agent, job.train)));
  a.write("stage_dir", c10::IValue(std::string("../world_model")));
  save_archive(a, (fs::path(job.run_dir) / "checkpoints" / "latest.pt").string());
}

std::unique_ptr<Actor> load_world_model_actor(const std::string& path, torch::Device device,
                                              const EnvFactoryFn& factory) {
  torch::serialize::InputArchive a;
  load_archive(path, a);
  c10::IValue config_text, stage_dir;
  if (!a.try_read("config_text", config_text) || !config_text.isString() || !a.try_read("stage_dir", stage_dir) ||
      !stage_dir.isString())
    throw CheckpointError(path + ": not a world-model checkpoint (no config_text or stage_dir entry)");
  envs::EnvConfig env;
  AgentConfig agent;
  TrainConfig train;
  configs_from_text(config_text.toStringRef(), env, agent, train);
  const fs::path dir = fs::path(path).parent_path() / stage_dir.toStringRef();
  ConvVAE vae = load_vae((dir / "vae.pt").string());
  MDNRNN rnn = load_mdnrnn((dir / "mdnrnn.pt").string());
  ControllerFile controller = load_controller((dir / "controller.pt").string());
  if (controller.z_dim != vae->options().z_dim || (controller.hidden > 0 && controller.hidden != rnn->options().hidden))
    throw CheckpointError((dir / "controller.pt").string() + ": does not fit the VAE and MDN-RNN beside it");
  vae->to(device);
  rnn->to(device);
  vae->eval();
  rnn->eval();
  const auto probe = env_factory_or_default(factory)(env, 0);
  return std::make_unique<WorldModelActor>(env, vae, rnn, std::move(controller), probe->action_spec(), device);
}

}  // namespace

TrainResult train_world_model(const TrainJob& job) {
  Stopwatch wall;
  if (job.run_dir.empty()) throw std::runtime_error("world_model: needs a run folder for its stage files");
  const auto& c = job.agent.world_model;
  check_env(job);
  const torch::Device device = resolve_device(job.train.device);
  set_torch_threads(job.train.torch_threads, /*image_policy=*/true);
  const StagePaths paths(job.run_dir);
  fs::create_directories(paths.dir);
  StageMetrics metrics(job, 1 + c.vae_epochs + c.mdn_epochs + c.generations);
  TrainResult result;
  int action_dim = 0;
  {
    const auto probe = env_factory_or_default(job.env_factory)(job.env, 0);
    action_dim = probe->action_spec().dim();
  }
  auto timed = [&](const char* name, const std::string& output, int64_t rows, int stage_index, auto&& run) {
    if (fs::exists(output)) {
      std::printf("world_model: stage %s: %s exists, skipped\n", name, output.c_str());
      std::fflush(stdout);
      metrics.skip(rows);
      return false;
    }
    std::printf("world_model: stage %s ...\n", name);
    std::fflush(stdout);
    torch::manual_seed(job.train.seed + static_cast<uint64_t>(stage_index));
    const Stopwatch clock;
    run();
    const double seconds = clock.seconds();
    if (job.metrics) job.metrics->scalar(metrics.step(), std::string("time/stage_") + name + "_s", seconds);
    std::printf("world_model: stage %s done in %.1f s -> %s\n", name, seconds, output.c_str());
    std::fflush(stdout);
    return true;
  };

  timed("collect", paths.rollouts, 1, 0, [&] {
    stage_collect(job, paths, metrics);
    metrics.end_row();
  });
  if (!fs::exists(paths.rollouts)) throw std::runtime_error(paths.rollouts + ": the collect stage wrote nothing");
  {
    // A skipped collect stage's file is checked now, before hours of training depend on it.
    data::DatasetReader reader(paths.rollouts);
    (void)reader;
  }

  timed("vae", paths.vae, c.vae_epochs, 1, [&] { stage_vae(job, paths, metrics, device); });
  ConvVAE vae = load_vae(paths.vae);
  check_vae(vae, c, paths.vae);
  vae->to(device);

  timed("mdnrnn", paths.mdnrnn, c.mdn_epochs, 2, [&] { stage_mdnrnn(job, paths, metrics, vae, device); });
  MDNRNN rnn = load_mdnrnn(paths.mdnrnn);
  check_mdnrnn(rnn, c, action_dim, paths.mdnrnn);
  rnn->to(device);

  const bool trained = timed("controller", paths.controller, c.generations, 3,
                             [&] { stage_controller(job, paths, metrics, vae, rnn, device, result); });
  const ControllerFile controller = load_controller(paths.controller);
  const int64_t expected_hidden = c.controller_uses_h ? c.rnn_hidden : 0;
  if (controller.z_dim != c.z_dim || controller.hidden != expected_hidden || controller.action_dim != action_dim)
    throw std::runtime_error(paths.controller + ": its inputs and outputs do not fit the config" +
                             redo_hint(paths.controller));
  if (!trained && job.train.eval_episodes > 0) {
    // Every stage was on disk: evaluate the controller, so a finished run still reports its return.
    vae->eval();
    rnn->eval();
    const auto factory = env_factory_or_default(job.env_factory);
    const auto probe = factory(job.env, 0);
    Agent agent{vae, rnn, controller.hidden > 0, torch::tensor(probe->action_spec().box.low).to(device),
                torch::tensor(probe->action_spec().box.high).to(device), device};
    torch::set_num_threads(job.train.torch_threads > 0 ? job.train.torch_threads : 1);  // as stage_controller
    const EvalOutcome e = evaluate_controller(job, agent, controller.params);
    if (job.metrics) {
      job.metrics->scalar(metrics.step(), "eval/return_mean", e.mean);
      job.metrics->scalar(metrics.step(), "eval/laps", e.laps);
      job.metrics->end_update(metrics.step(), metrics.step());
    }
    result.final_eval_return = result.best_eval_return = e.mean;
  }
  write_manifest(job);
  result.steps = metrics.step();
  result.wall_s = wall.seconds();
  return result;
}

Algorithm world_model_algorithm() {
  Algorithm a;
  a.name = "world_model";
  a.agent_keys = {"world_model"};
  a.summary = "World Models: VAE + MDN-RNN + a CMA-ES controller, trained in stages on pixels";
  a.train = train_world_model;
  a.load_actor = load_world_model_actor;
  a.resume = Resume::by_stages;
  return a;
}

}  // namespace dl::agents
