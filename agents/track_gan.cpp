// drivelab/agents: WGAN-GP track generator: networks, gradient penalty, training step, checkpoints,
// evaluation by decoding, and the train_track_gan entry point. See track_gan.h.
#include "agents/track_gan.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/rollout.h"
#include "agents/trainer.h"
#include "envs/track_shape.h"
#include "io/files.h"
#include "sim/track.h"

namespace fs = std::filesystem;

namespace dl::agents {
namespace {

constexpr double kLeakySlope = envs::kLeakyReluSlope;  // the exported forward uses the same slope
// Metric rows per run: losses are averaged over this many equal spans of the generator steps.
constexpr int64_t kLogRows = 200;
// Generated samples behind gan/feature_gap.
constexpr int64_t kFeatureGapSamples = 1024;
constexpr const char* kAlgo = "track_gan";

torch::nn::Sequential make_mlp(int in, const std::vector<int>& hidden, int out) {
  torch::nn::Sequential net;
  int width = in;
  for (int h : hidden) {
    net->push_back(torch::nn::Linear(width, h));
    net->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(kLeakySlope)));
    width = h;
  }
  net->push_back(torch::nn::Linear(width, out));
  return net;
}

std::vector<float> to_floats(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& alpha,
                               double lambda) {
  auto x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).detach().requires_grad_(true);
  const auto score = critic(x_hat);
  const auto grad = torch::autograd::grad({score.sum()}, {x_hat}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                          /*create_graph=*/true)[0];
  // sqrt(sum g^2 + tiny) rather than norm(): its gradient stays finite where g is exactly 0.
  const auto norm = (grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt();
  return lambda * (norm - 1).pow(2).mean();
}

Wgan::Wgan(const WganOptions& options, torch::Device device) : options_(options), device_(device) {
  if (options.data_dim < 1 || options.latent_dim < 1) throw std::invalid_argument("wgan: empty data or latent size");
  generator = make_mlp(options.latent_dim, options.hidden, options.data_dim);
  critic = make_mlp(options.data_dim, options.hidden, 1);
  generator->to(device);
  critic->to(device);
  auto adam = [&](torch::nn::Sequential& net) {
    return std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(options.learning_rate).betas({options.beta1, options.beta2}));
  };
  generator_optimizer = adam(generator);
  critic_optimizer = adam(critic);
}

torch::Tensor Wgan::sample_latent(int64_t n) const {
  return torch::randn({n, options_.latent_dim}, torch::TensorOptions().device(device_));
}

torch::Tensor Wgan::generate(int64_t n) {
  torch::NoGradGuard no_grad;
  return generator->forward(sample_latent(n));
}

WganLosses Wgan::step(const std::function<torch::Tensor(int64_t)>& sample_real, int64_t batch) {
  WganLosses losses;
  auto critic_fn = [this](const torch::Tensor& x) { return critic->forward(x); };
  for (int k = 0; k < options_.critic_steps; ++k) {
    const auto real = sample_real(batch);
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      fake = generator->forward(sample_latent(batch));
    }
    const auto alpha = torch::rand({batch, 1}, torch::TensorOptions().device(device_));
    const auto d_real = critic->forward(real).mean();
    const auto d_fake = critic->forward(fake).mean();
    const auto gp = gradient_penalty(critic_fn, real, fake, alpha, options_.gp_lambda);
    const auto loss = d_fake - d_real + gp;
    critic_optimizer->zero_grad();
    loss.backward();
    critic_optimizer->step();
    losses.critic = loss.item<double>();
    losses.gradient_penalty = gp.item<double>();
    losses.wasserstein = (d_real - d_fake).item<double>();
  }
  const auto g_loss = -critic->forward(generator->forward(sample_latent(batch))).mean();
  generator_optimizer->zero_grad();
  g_loss.backward();
  generator_optimizer->step();
  critic_optimizer->zero_grad();  // the generator's backward also filled the critic's gradients
  losses.generator = g_loss.item<double>();
  return losses;
}

envs::TrackGenerator Wgan::export_generator(int samples, const std::vector<float>& mean,
                                            const std::vector<float>& scale, const std::string& note) const {
  envs::TrackGenerator g;
  g.latent_dim = options_.latent_dim;
  g.samples = samples;
  g.output_mean = mean;
  g.output_scale = scale;
  g.note = note;
  for (const auto& child : generator->children()) {
    if (auto* linear = child->as<torch::nn::Linear>()) {
      envs::GeneratorLayer layer;
      layer.in = static_cast<int>(linear->weight.size(1));
      layer.out = static_cast<int>(linear->weight.size(0));
      layer.weight = to_floats(linear->weight);
      layer.bias = to_floats(linear->bias);
      g.layers.push_back(std::move(layer));
    } else if (child->as<torch::nn::LeakyReLU>()) {
      if (g.layers.empty()) throw std::logic_error("wgan export: activation before any layer");
      g.layers.back().activation = envs::GenActivation::leaky_relu;
    } else {
      throw std::logic_error("wgan export: unexpected module in the generator");
    }
  }
  g.check();
  return g;
}

// ---- training (agent.algo: track_gan) -----------------------------------------------------------------------

namespace {

struct ShapeData {
  torch::Tensor standardized;  // [M, N + 1]
  std::vector<float> mean, scale;
};

ShapeData encode_train_tracks(const TrackGanConfig& cfg, const sim::TrackConfig& params) {
  std::vector<float> flat;
  const int dim = cfg.shape_samples + 1;
  flat.reserve(static_cast<size_t>(cfg.train_tracks) * dim);
  for (int id = 0; id < cfg.train_tracks; ++id) {
    const auto shape = envs::encode_track(sim::generate_track(static_cast<uint64_t>(id), params), cfg.shape_samples);
    flat.insert(flat.end(), shape.begin(), shape.end());
  }
  auto data = torch::from_blob(flat.data(), {cfg.train_tracks, dim}, torch::kFloat32).clone();
  auto mean = data.mean(0);
  auto scale = data.std(0).clamp_min(1e-6);
  ShapeData out;
  out.standardized = (data - mean) / scale;
  out.mean = to_floats(mean);
  out.scale = to_floats(scale);
  return out;
}

struct GanEval {
  double validity = 0, validity_raw = 0, repair_passes = 0, feature_gap = 0;
};

// Generated tracks 0 .. n-1 exactly as an env with track_source gan:... would draw them (first latent
// draw only), decoded with and without repair; and how far generated feature statistics are from the data
// (in standardized units: mean |feature mean| + mean |feature std - 1| over generated ids
// 0 .. kFeatureGapSamples-1). Everything runs through the exported generator and its own latent stream, so
// evaluating never draws from torch's RNG and the training run does not depend on agent.gan.eval_every_generator_steps.
GanEval evaluate_generator(const envs::TrackGenerator& g, const ShapeData& data, int n, const sim::TrackConfig& params) {
  GanEval e;
  envs::DecodeOptions raw;
  raw.repair = false;
  int valid = 0, valid_raw = 0;
  double passes = 0;
  for (int id = 0; id < n; ++id) {
    const auto values = g.forward(g.latent(static_cast<uint64_t>(id), 0));
    const auto r = envs::decode_track(values, params);
    if (r.track) {
      ++valid;
      passes += r.repair_passes;
    }
    if (envs::decode_track(values, params, raw).track) ++valid_raw;
  }
  e.validity = static_cast<double>(valid) / n;
  e.validity_raw = static_cast<double>(valid_raw) / n;
  e.repair_passes = valid > 0 ? passes / valid : 0;
  const size_t dim = data.mean.size();
  std::vector<float> flat;
  flat.reserve(kFeatureGapSamples * dim);
  for (int64_t id = 0; id < kFeatureGapSamples; ++id) {
    const auto values = g.forward(g.latent(static_cast<uint64_t>(id), 0));
    for (size_t j = 0; j < dim; ++j) flat.push_back((values[j] - data.mean[j]) / data.scale[j]);
  }
  const auto fake = torch::from_blob(flat.data(), {kFeatureGapSamples, static_cast<int64_t>(dim)}, torch::kFloat32);
  e.feature_gap = (fake.mean(0).abs().mean() + (fake.std(0) - 1).abs().mean()).item<double>();
  return e;
}

void save_gan_checkpoint(const std::string& path, Wgan& wgan, const ShapeData& data, int64_t step,
                         const TrainJob& job) {
  torch::serialize::OutputArchive archive;
  archive.write("algo", c10::IValue(std::string(kAlgo)));
  archive.write("config_text", c10::IValue(configs_to_text(job.env, job.agent, job.train)));
  archive.write("resolved_config", c10::IValue(job.resolved_config));
  archive.write("step", c10::IValue(step));
  archive.write("data_mean", torch::tensor(data.mean));
  archive.write("data_scale", torch::tensor(data.scale));
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("rng", generator.get_state());
  }
  auto sub = [&](const char* name, auto&& save) {
    torch::serialize::OutputArchive a;
    save(a);
    archive.write(name, a);
  };
  sub("generator", [&](auto& a) { wgan.generator->save(a); });
  sub("critic", [&](auto& a) { wgan.critic->save(a); });
  sub("generator_optimizer", [&](auto& a) { wgan.generator_optimizer->save(a); });
  sub("critic_optimizer", [&](auto& a) { wgan.critic_optimizer->save(a); });
  save_archive(archive, path);
}

// Restores networks, optimizers and the RNG; returns the generator step the checkpoint was written at.
int64_t load_gan_checkpoint(const std::string& path, Wgan& wgan) {
  auto fail = [&](const std::string& what) { return CheckpointError("checkpoint " + path + ": " + what); };
  torch::serialize::InputArchive archive;
  load_archive(path, archive);
  c10::IValue algo, step;
  if (!archive.try_read("algo", algo) || algo.toStringRef() != kAlgo) throw fail("not a track_gan checkpoint");
  if (!archive.try_read("step", step)) throw fail("missing entry 'step'");
  try {
    auto sub = [&](const char* name, auto&& load) {
      torch::serialize::InputArchive a;
      if (!archive.try_read(name, a)) throw fail(std::string("missing entry '") + name + "'");
      load(a);
    };
    sub("generator", [&](auto& a) { wgan.generator->load(a); });
    sub("critic", [&](auto& a) { wgan.critic->load(a); });
    sub("generator_optimizer", [&](auto& a) { wgan.generator_optimizer->load(a); });
    sub("critic_optimizer", [&](auto& a) { wgan.critic_optimizer->load(a); });
  } catch (const c10::Error& e) {
    std::string msg = e.what();
    throw fail("networks do not match this config: " + io::first_line(msg));
  }
  check_module_finite(path, *wgan.generator);
  check_module_finite(path, *wgan.critic);
  torch::Tensor rng;
  if (!archive.try_read("rng", rng)) throw fail("missing entry 'rng'");
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(rng);
  return step.toInt();
}


}  // namespace

TrainResult train_track_gan(const TrainJob& job) {
  const TrackGanConfig& cfg = job.agent.gan;
  Stopwatch wall;
  set_torch_threads(job.train.torch_threads, /*image_policy=*/false);
  torch::manual_seed(job.train.seed);
  const torch::Device device = resolve_device(job.train.device);
  if (device.is_cuda()) torch::cuda::manual_seed_all(job.train.seed);

  const ShapeData data = encode_train_tracks(cfg, job.env.track);
  const auto real_data = data.standardized.to(device);
  WganOptions options;
  options.data_dim = cfg.shape_samples + 1;
  options.latent_dim = cfg.latent_dim;
  options.hidden = cfg.hidden;
  options.critic_steps = cfg.critic_steps;
  options.gp_lambda = cfg.gp_lambda;
  options.learning_rate = cfg.learning_rate;
  options.beta1 = cfg.beta1;
  options.beta2 = cfg.beta2;
  Wgan wgan(options, device);

  int64_t step = 0;
  const std::string latest = (fs::path(job.run_dir) / "checkpoints" / "latest.pt").string();
  if (job.resume) {
    if (job.run_dir.empty()) throw std::runtime_error("resume: the job has no run folder");
    step = load_gan_checkpoint(latest, wgan);
  }
  const std::string note = "drivelab track_gan: preset " + job.env.preset + ", " + std::to_string(cfg.train_tracks) +
                           " train tracks, seed " + std::to_string(job.train.seed);
  auto export_to = [&](const std::string& path) {
    save_generator(wgan.export_generator(cfg.shape_samples, data.mean, data.scale, note), path);
  };
  auto checkpoint = [&]() {
    if (job.run_dir.empty()) return;
    save_gan_checkpoint(latest, wgan, data, step, job);
    export_to((fs::path(job.run_dir) / "generator.dltg").string());
  };

  const int64_t steps = cfg.generator_steps;
  const int64_t log_every = std::max<int64_t>(1, steps / kLogRows);
  auto sample_real = [&](int64_t batch) {
    return real_data.index_select(0, torch::randint(real_data.size(0), {batch}, torch::kLong).to(device));
  };
  WganLosses sum;
  int64_t count = 0;
  TrainResult result;
  while (step < steps) {
    const WganLosses l = wgan.step(sample_real, cfg.batch_size);
    ++step;
    for (double v : {l.critic, l.generator, l.gradient_penalty})
      if (!std::isfinite(v))
        throw std::runtime_error("track_gan: a loss is " + std::to_string(v) + " at generator step " +
                                 std::to_string(step) + ": training stopped; the last good checkpoint " + latest +
                                 " was kept. Try a lower gan.learning_rate.");
    sum.critic += l.critic;
    sum.generator += l.generator;
    sum.gradient_penalty += l.gradient_penalty;
    sum.wasserstein += l.wasserstein;
    ++count;
    const bool last = step == steps;
    const bool log = step % log_every == 0 || last;
    if (job.metrics && log) {
      const double n = static_cast<double>(count);
      job.metrics->scalar(step, "losses/critic", sum.critic / n);
      job.metrics->scalar(step, "losses/generator", sum.generator / n);
      job.metrics->scalar(step, "losses/gradient_penalty", sum.gradient_penalty / n);
      job.metrics->scalar(step, "losses/wasserstein", sum.wasserstein / n);
      job.metrics->scalar(step, "charts/SPS", static_cast<double>(step) / std::max(wall.seconds(), 1e-9));
      sum = WganLosses{};
      count = 0;
    }
    if (passed_multiple(job.agent.gan.eval_every_generator_steps, step - 1, step) || last) {
      const auto g = wgan.export_generator(cfg.shape_samples, data.mean, data.scale, note);
      const GanEval e = evaluate_generator(g, data, cfg.eval_tracks, job.env.track);
      result.final_eval_return = e.validity;
      result.best_eval_return = std::max(result.best_eval_return, e.validity);
      if (job.metrics) {
        job.metrics->scalar(step, "gan/validity_rate", e.validity);
        job.metrics->scalar(step, "gan/validity_rate_raw", e.validity_raw);
        job.metrics->scalar(step, "gan/repair_passes", e.repair_passes);
        job.metrics->scalar(step, "gan/feature_gap", e.feature_gap);
      }
    }
    if (passed_multiple(job.agent.gan.checkpoint_every_generator_steps, step - 1, step) || last) checkpoint();
    if (job.metrics && log) job.metrics->end_update(step, steps);
  }
  result.steps = step;
  result.wall_s = wall.seconds();
  return result;
}

Algorithm track_gan_algorithm() {
  Algorithm a;
  a.name = "track_gan";
  a.agent_keys = {"gan"};
  a.summary = "WGAN-GP over track shapes: a generator of new tracks (env.track_source: generator); it does not drive";
  a.train = train_track_gan;
  a.resume = Resume::from_latest;
  a.curve = LearningCurve::gan_losses;
  return a;
}

}  // namespace dl::agents
