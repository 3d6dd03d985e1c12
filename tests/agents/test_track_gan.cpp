// The WGAN-GP track generator (agents/track_gan.h): the gradient penalty against a closed form, learning
// a toy distribution, and a short run's outputs (metrics, checkpoint, resume, exported generator).
#include "catch_torch.h"

#include <cmath>
#include <filesystem>

#include "agents/trainer.h"
#include "agents/track_gan.h"
#include "envs/track_generator.h"
#include "point_mass.h"
#include "sim/track.h"

using namespace dl::agents;
using dl::testing::RecordingSink;
namespace fs = std::filesystem;

TEST_CASE("the gradient penalty of a linear critic is lambda times the squared gap of its weight norm to 1", "[gan]") {
  torch::set_num_threads(1);
  torch::manual_seed(3);
  auto w = torch::tensor({0.6, -1.2, 2.0}, torch::kFloat32).requires_grad_(true);
  auto critic = [&](const torch::Tensor& x) { return x.matmul(w) + 0.5; };
  const auto real = torch::randn({16, 3}), fake = torch::randn({16, 3}), alpha = torch::rand({16, 1});
  const auto gp = gradient_penalty(critic, real, fake, alpha, 10.0);
  const double norm = std::sqrt(0.36 + 1.44 + 4.0);
  CHECK(gp.item<double>() == Approx(10.0 * (norm - 1) * (norm - 1)).epsilon(1e-5));
  // Differentiable in the critic's weights: d/dw = 2 lambda (|w| - 1) w / |w|.
  gp.backward();
  const auto expected = 2 * 10.0 * (norm - 1) / norm * w.detach();
  CHECK(torch::allclose(w.grad(), expected, 1e-4, 1e-4));
  // A critic with a unit-norm gradient pays nothing.
  auto unit = [](const torch::Tensor& x) { return x.matmul(torch::tensor({0.6f, 0.8f, 0.f})); };
  CHECK(gradient_penalty(unit, real, fake, alpha, 10.0).item<double>() == Approx(0).margin(1e-8));
  // A nonlinear critic: the penalty is taken at the interpolates, not at real or fake points.
  auto square = [](const torch::Tensor& x) { return x.pow(2).sum(1); };  // gradient 2x, norm 2|x|
  const auto x_hat = alpha * real + (1 - alpha) * fake;
  const auto closed = 10.0 * (2 * x_hat.norm(2, 1) - 1).pow(2).mean();
  CHECK(gradient_penalty(square, real, fake, alpha, 10.0).item<double>() == Approx(closed.item<double>()).epsilon(1e-4));
}

TEST_CASE("WGAN-GP moves generated statistics toward a toy Gaussian and exports the same generator", "[gan]") {
  torch::set_num_threads(1);
  torch::manual_seed(7);
  WganOptions o;
  o.data_dim = 3;
  o.latent_dim = 4;
  o.hidden = {32, 32};
  o.learning_rate = 1e-3;
  o.beta2 = 0.9;
  Wgan gan(o, torch::kCPU);
  const auto mean = torch::tensor({2.0f, -1.0f, 0.5f}), stddev = torch::tensor({0.3f, 0.6f, 0.2f});
  auto sample_real = [&](int64_t n) { return mean + stddev * torch::randn({n, 3}); };
  auto gap = [&]() {
    const auto x = gan.generate(2000);
    return ((x.mean(0) - mean).abs().sum() + (x.std(0) - stddev).abs().sum()).item<double>();
  };
  const double before = gap();
  double w_first = 0, w_last = 0;
  for (int step = 0; step < 400; ++step) {
    const auto l = gan.step(sample_real, 64);
    if (step < 20) w_first += l.wasserstein / 20;
    if (step >= 380) w_last += l.wasserstein / 20;
  }
  const double after = gap();
  INFO("feature gap " << before << " -> " << after << ", critic's W estimate " << w_first << " -> " << w_last);
  CHECK(after < 0.35 * before);
  CHECK(w_last < w_first);

  // The exported plain-C++ generator computes what the torch one does.
  const std::vector<float> m = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  WganOptions o2 = o;
  o2.data_dim = 17;
  Wgan wide(o2, torch::kCPU);
  const auto exported = wide.export_generator(16, m, std::vector<float>(17, 2.f), "test");
  const auto z = torch::randn({1, 4});
  const auto expected = 2 * wide.generator->forward(z).squeeze(0);
  const auto got = exported.forward(std::vector<float>(z.data_ptr<float>(), z.data_ptr<float>() + 4));
  for (int j = 0; j < 17; ++j) CHECK(got[j] == Approx(expected[j].item<float>()).margin(1e-5));
}

TEST_CASE("a short track_gan run writes metrics and a generator file and resumes exactly whatever the eval interval", "[gan]") {
  const auto dir = fs::temp_directory_path() / ("drivelab_gan_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto make_job = [&](const fs::path& run, int steps) {
    TrainJob job;
    job.env.track = dl::sim::track_preset(dl::sim::TrackPreset::medium);
    job.agent.algo = "track_gan";
    job.agent.gan.train_tracks = 32;
    job.agent.gan.shape_samples = 32;
    job.agent.gan.latent_dim = 8;
    job.agent.gan.hidden = {32};
    job.agent.gan.batch_size = 16;
    job.agent.gan.critic_steps = 2;
    job.agent.gan.generator_steps = steps;
    job.agent.gan.eval_tracks = 8;
    job.train.device = "cpu";
    job.train.torch_threads = 1;
    job.agent.gan.eval_every_generator_steps = 10;
    job.agent.gan.checkpoint_every_generator_steps = 10;
    job.run_dir = run.string();
    return job;
  };
  RecordingSink sink;
  auto full = make_job(dir / "full", 20);
  full.metrics = &sink;
  const auto result = train(full);
  CHECK(result.steps == 20);
  for (const char* name : {"losses/critic", "losses/generator", "losses/gradient_penalty", "losses/wasserstein",
                           "gan/validity_rate", "gan/validity_rate_raw", "gan/feature_gap"})
    CHECK_FALSE(sink.values(name).empty());
  const auto validity = sink.values("gan/validity_rate");
  CHECK(validity.size() == 2);
  CHECK(validity.back() >= 0);
  CHECK(validity.back() <= 1);
  REQUIRE(fs::exists(dir / "full" / "checkpoints" / "latest.pt"));
  const auto g = dl::envs::load_generator((dir / "full" / "generator.dltg").string());
  CHECK(g.samples == 32);
  CHECK(g.latent_dim == 8);

  // 10 steps, then resume to 20: the same generator as the run that went straight through.
  auto first = make_job(dir / "split", 10);
  train(first);
  auto second = make_job(dir / "split", 20);
  second.resume = true;
  train(second);
  const auto resumed = dl::envs::load_generator((dir / "split" / "generator.dltg").string());
  const auto z = g.latent(5, 0);
  CHECK(resumed.forward(z) == g.forward(z));

  // Evaluation decodes through the exported generator and draws nothing from torch's RNG, so how often
  // it runs does not change training.
  auto quiet = make_job(dir / "quiet", 20);
  quiet.agent.gan.eval_every_generator_steps = 0;
  train(quiet);
  CHECK(dl::envs::load_generator((dir / "quiet" / "generator.dltg").string()).forward(z) == g.forward(z));

  auto bad = make_job(dir / "none", 5);
  bad.resume = true;
  CHECK_THROWS_WITH(train(bad), Catch::Contains("latest.pt"));
  fs::remove_all(dir);
}
