#include "catch_torch.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent_test_util.h"
#include "agents/trainer.h"
#include "agents/algorithm.h"
#include "agents/world_model.h"
#include "envs/registry.h"

namespace fs = std::filesystem;
using namespace dl;
using dl::testing::RecordingSink;
using dl::testing::TempFolder;
using agents::Mixture;

namespace {

// Frames of coloured rectangles on a grey ground: structure a small VAE can learn quickly.
torch::Tensor rectangle_frames(int count) {
  auto frames = torch::full({count, 64, 64, 3}, 100, torch::kUInt8);
  for (int i = 0; i < count; ++i) {
    const int x = (i * 7) % 40, y = (i * 13) % 40, w = 10 + (i * 3) % 14;
    frames[i].slice(0, y, y + w).slice(1, x, x + w).select(2, i % 3).fill_(230);
  }
  return frames;
}

double log_normal(double x, double mu, double sigma) {
  return -0.5 * std::pow((x - mu) / sigma, 2) - std::log(sigma) - 0.5 * std::log(2 * M_PI);
}

// The smallest pipeline: 3 short episodes, a tiny VAE and LSTM, 2 CMA-ES generations of 4.
agents::TrainJob tiny_job(const std::string& run_dir, RecordingSink* sink) {
  agents::TrainJob job;
  job.env = envs::default_env_config("carracing");
  job.env.pixels.width = job.env.pixels.height = 64;
  job.env.action_repeat = 4;
  job.env.max_steps = 24;
  job.agent.algo = "world_model";
  auto& w = job.agent.world_model;
  w.collect_episodes = 3;
  w.z_dim = 4;
  w.vae_channels = 4;
  w.vae_epochs = 1;
  w.vae_batch_size = 16;
  w.rnn_hidden = 8;
  w.mdn_components = 2;
  w.mdn_sequence_length = 8;
  w.mdn_batch_size = 4;
  w.mdn_epochs = 1;
  w.popsize = 4;
  w.generations = 2;
  w.eval_every_generations = 0;
  job.train.seed = 3;
  job.train.num_threads = 1;
  job.train.torch_threads = 1;
  job.train.device = "cpu";
  job.train.eval_episodes = 2;
  job.run_dir = run_dir;
  job.metrics = sink;
  return job;
}

}  // namespace

TEST_CASE("the world model VAE lowers the reconstruction loss on a tiny set of frames", "[agents][world_model]") {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  agents::ConvVAE vae(agents::VAEOptions{8, 8});
  const auto x = agents::frames_to_float(rectangle_frames(8));
  torch::optim::Adam optimizer(vae->parameters(), torch::optim::AdamOptions(3e-3));
  auto recon_now = [&] {
    torch::NoGradGuard no_grad;
    return agents::vae_loss(vae->forward(x, false), x, 0.5, 1.0).recon.item<double>();
  };
  const double before = recon_now();
  for (int step = 0; step < 80; ++step) {
    const auto loss = agents::vae_loss(vae->forward(x), x, 0.5, 1.0);
    optimizer.zero_grad();
    loss.total.backward();
    optimizer.step();
  }
  const double after = recon_now();
  INFO("reconstruction loss before " << before << ", after " << after);
  CHECK(after < 0.5 * before);  // measured: 179 -> 62
  // Shapes: 64x64x3 in, z of 8, 64x64x3 out in [0, 1].
  const auto out = vae->forward(x.narrow(0, 0, 2), false);
  CHECK(out.mu.sizes() == torch::IntArrayRef({2, 8}));
  CHECK(out.reconstruction.sizes() == torch::IntArrayRef({2, 3, 64, 64}));
  CHECK(out.reconstruction.min().item<float>() >= 0.f);
  CHECK(out.reconstruction.max().item<float>() <= 1.f);
}

TEST_CASE("the VAE KL term is floored at the free-bits tolerance", "[agents][world_model]") {
  agents::ConvVAEImpl::Output out;
  out.reconstruction = torch::zeros({2, 3, 64, 64});
  out.mu = torch::zeros({2, 4});
  out.logvar = torch::zeros({2, 4});  // q = N(0, I): KL 0
  const auto target = torch::zeros({2, 3, 64, 64});
  const auto l = agents::vae_loss(out, target, 0.5, 2.0);
  CHECK(l.kl.item<double>() == Approx(0.0).margin(1e-9));
  CHECK(l.total.item<double>() == Approx(2.0 * 0.5 * 4));  // beta * tolerance * z_dim
  out.mu = torch::full({2, 4}, 3.0);  // KL = 0.5 * 4 * 9 = 18 per frame, above the floor
  CHECK(agents::vae_loss(out, target, 0.5, 1.0).total.item<double>() == Approx(18.0));
}

TEST_CASE("the MDN negative log-likelihood matches the closed form of a known mixture", "[agents][world_model]") {
  // Two latent dims, three components each.
  const std::vector<std::vector<double>> logits = {{0.2, -1.0, 0.5}, {1.5, 0.0, -0.3}};
  const std::vector<std::vector<double>> mus = {{-1.0, 0.5, 2.0}, {0.0, 3.0, -2.0}};
  const std::vector<std::vector<double>> sigmas = {{0.5, 1.0, 2.0}, {0.3, 0.8, 1.5}};
  const std::vector<double> target = {0.7, -0.4};
  auto to_tensor = [](const std::vector<std::vector<double>>& v) {
    return torch::tensor({v[0][0], v[0][1], v[0][2], v[1][0], v[1][1], v[1][2]}, torch::kFloat64).view({1, 2, 3});
  };
  Mixture m{to_tensor(logits).requires_grad_(), to_tensor(mus).requires_grad_(),
            torch::log(to_tensor(sigmas)).requires_grad_()};
  const auto x = torch::tensor({target[0], target[1]}, torch::kFloat64).view({1, 2});
  const auto nll = agents::mdn_nll(m, x);
  REQUIRE(nll.sizes() == torch::IntArrayRef({1, 2}));
  for (int d = 0; d < 2; ++d) {
    double norm = 0, density = 0;
    for (int k = 0; k < 3; ++k) norm += std::exp(logits[d][k]);
    for (int k = 0; k < 3; ++k)
      density += std::exp(logits[d][k]) / norm * std::exp(log_normal(target[d], mus[d][k], sigmas[d][k]));
    CHECK(nll[0][d].item<double>() == Approx(-std::log(density)).epsilon(1e-12));
  }
  // The gradient is finite, and matches a central difference in a mean.
  nll.sum().backward();
  for (const auto& g : {m.logit_pi.grad(), m.mu.grad(), m.log_sigma.grad()}) {
    REQUIRE(g.defined());
    CHECK(torch::isfinite(g).all().item<bool>());
  }
  const double h = 1e-6;
  auto nll_with_mu = [&](double delta) {
    torch::NoGradGuard no_grad;
    auto mu = m.mu.detach().clone();
    mu[0][1][2] += delta;
    return agents::mdn_nll(Mixture{m.logit_pi.detach(), mu, m.log_sigma.detach()}, x).sum().item<double>();
  };
  CHECK(m.mu.grad()[0][1][2].item<double>() == Approx((nll_with_mu(h) - nll_with_mu(-h)) / (2 * h)).epsilon(1e-5));
}

TEST_CASE("the MDN loss stays finite for a target far from every component", "[agents][world_model]") {
  Mixture m{torch::zeros({1, 1, 2}, torch::requires_grad()), torch::zeros({1, 1, 2}, torch::requires_grad()),
            torch::full({1, 1, 2}, -5.0).requires_grad_()};
  const auto nll = agents::mdn_nll(m, torch::full({1, 1}, 50.0));  // 7500 sigmas away
  CHECK(std::isfinite(nll.item<double>()));
  nll.sum().backward();
  CHECK(torch::isfinite(m.mu.grad()).all().item<bool>());
  CHECK(torch::isfinite(m.log_sigma.grad()).all().item<bool>());
}

TEST_CASE("MDN samples at temperature 1 follow the mixture and widen with temperature", "[agents][world_model]") {
  torch::manual_seed(1);
  const int64_t n = 20000;
  // One dim, components at -2 and +2 with weights 0.25 / 0.75 and sigma 0.5.
  Mixture m{torch::tensor({std::log(0.25), std::log(0.75)}).view({1, 1, 2}).expand({n, 1, 2}),
            torch::tensor({-2.0, 2.0}).view({1, 1, 2}).expand({n, 1, 2}),
            torch::full({n, 1, 2}, std::log(0.5))};
  const auto s = agents::mdn_sample(m, 1.0);
  CHECK(s.mean().item<double>() == Approx(0.25 * -2 + 0.75 * 2).margin(0.05));
  CHECK((s > 0).to(torch::kFloat).mean().item<double>() == Approx(0.75).margin(0.02));
  const auto hot = agents::mdn_sample(m, 2.0);
  // Higher temperature: flatter weights (closer to 50/50) and wider components.
  CHECK((hot > 0).to(torch::kFloat).mean().item<double>() < 0.72);
}

TEST_CASE("the controller maps inputs into the action bounds", "[agents][world_model]") {
  const auto low = torch::tensor({-1.f, 0.f, 0.f}), high = torch::tensor({1.f, 1.f, 1.f});
  const int64_t p = agents::controller_parameter_count(5, 3);
  REQUIRE(p == 18);
  auto params = torch::zeros({2, p});
  params[1] = torch::randn({p}) * 100;
  const auto a = agents::controller_actions(params, torch::randn({2, 5}), low, high);
  // Zero weights: the middle of every range.
  CHECK(torch::allclose(a[0], torch::tensor({0.f, 0.5f, 0.5f})));
  CHECK((a >= low).all().item<bool>());
  CHECK((a <= high).all().item<bool>());
  CHECK_THROWS_WITH(agents::controller_actions(torch::zeros({2, 7}), torch::zeros({2, 5}), low, high),
                    Catch::Contains("expected 18"));
}

TEST_CASE("world model stages write their files and are skipped when the files exist", "[agents][world_model]") {
  TempFolder dir("wm_stages");
  const fs::path wm = dir.path / "world_model";
  RecordingSink first;
  const auto r1 = agents::train(tiny_job(dir.path.string(), &first));
  for (const char* f : {"rollouts.dlds", "vae.pt", "mdnrnn.pt", "controller.pt", "vae_reconstructions.png",
                        "dream.gif", "dream.png", "controller_test.gif"})
    CHECK(fs::exists(wm / f));
  for (const char* name : {"losses/vae_recon", "losses/vae_kl", "losses/mdn_nll", "cmaes/best", "cmaes/mean",
                           "eval/return_mean", "time/stage_vae_s", "time/stage_controller_s"})
    CHECK(first.has(name));
  CHECK(first.values("cmaes/best").size() == 2);
  CHECK(r1.steps == 1 + 1 + 1 + 2);

  // A rerun finds every stage done: nothing is trained or rewritten, the controller is evaluated.
  const auto stamp = fs::last_write_time(wm / "vae.pt");
  RecordingSink second;
  const auto r2 = agents::train(tiny_job(dir.path.string(), &second));
  CHECK_FALSE(second.has("losses/vae_recon"));
  CHECK_FALSE(second.has("losses/mdn_nll"));
  CHECK_FALSE(second.has("cmaes/best"));
  REQUIRE(second.has("eval/return_mean"));
  CHECK(fs::last_write_time(wm / "vae.pt") == stamp);
  // The same controller on the same test tracks: the same return.
  CHECK(r2.final_eval_return == Approx(r1.final_eval_return));

  // A run killed during the controller stage resumes there.
  fs::remove(wm / "controller.pt");
  RecordingSink third;
  agents::train(tiny_job(dir.path.string(), &third));
  CHECK_FALSE(third.has("losses/vae_recon"));
  CHECK_FALSE(third.has("losses/mdn_nll"));
  CHECK(third.has("cmaes/best"));
  CHECK(fs::exists(wm / "controller.pt"));
  // Seeded per stage: the resumed controller stage repeats the first run's search.
  CHECK(third.values("cmaes/best") == first.values("cmaes/best"));

  // `drivelab eval RUN` of the run: the same controller on the in-run evaluation's test tracks.
  const auto job = tiny_job(dir.path.string(), nullptr);
  agents::EvalOptions options;
  options.episodes = job.train.eval_episodes;
  options.seed = job.train.seed + 1'000'003;
  options.num_threads = 1;
  options.tracks = job.env.tracks;
  // The run folder resolves to checkpoints/latest.pt, which names the stage files (agents/algorithm.h).
  CHECK(agents::resolve_checkpoint(dir.path.string()) == (dir.path / "checkpoints" / "latest.pt").string());
  envs::EnvConfig test_env = job.env;
  test_env.tracks = "test";
  const agents::EvalResult eval = agents::evaluate(dir.path.string(), options, &test_env);
  REQUIRE(eval.returns.size() == 2);
  CHECK(eval.lengths[0] == job.env.max_steps);
  CHECK((eval.returns[0] + eval.returns[1]) / 2 == Approx(r1.final_eval_return));
  // The actor acts like any other: one observation in, the controller's actions out, memory per env.
  const auto actor = agents::load_actor(dir.path.string());
  CHECK(actor->algo() == "world_model");
  CHECK_THROWS_WITH(agents::evaluate((dir.path / "nothing").string(), options),
                    Catch::Contains("nothing") && Catch::Contains("not found"));
  // The manifest needs its stage files beside it.
  fs::rename(wm / "vae.pt", wm / "vae.moved");
  CHECK_THROWS_WITH(agents::load_actor(dir.path.string()), Catch::Contains("vae.pt") && Catch::Contains("no such file"));
  fs::rename(wm / "vae.moved", wm / "vae.pt");
}

TEST_CASE("a bad world model stage file gives an error naming it", "[agents][world_model]") {
  TempFolder dir("wm_bad");
  const fs::path wm = dir.path / "world_model";
  auto job = tiny_job(dir.path.string(), nullptr);
  job.agent.world_model.generations = 1;
  agents::train(job);

  SECTION("a damaged VAE file") {
    { std::ofstream(wm / "vae.pt") << "not a torch archive"; }
    CHECK_THROWS_WITH(agents::train(job), Catch::Contains((wm / "vae.pt").string()) &&
                                              Catch::Contains("expected the world model's VAE file"));
  }
  SECTION("a stage file of the wrong kind") {
    fs::copy_file(wm / "vae.pt", wm / "mdnrnn.pt", fs::copy_options::overwrite_existing);
    CHECK_THROWS_WITH(agents::train(job), Catch::Contains("mdnrnn.pt") && Catch::Contains("holds a 'vae'"));
  }
  SECTION("a VAE trained with other sizes than the config asks for") {
    job.agent.world_model.z_dim = 6;
    CHECK_THROWS_WITH(agents::train(job), Catch::Contains("vae.pt") && Catch::Contains("z_dim 4") &&
                                              Catch::Contains("delete"));
  }
  SECTION("a damaged rollouts file") {
    { std::ofstream(wm / "rollouts.dlds") << "DLDS?"; }
    CHECK_THROWS_WITH(agents::train(job), Catch::Contains("rollouts.dlds"));
  }
}

TEST_CASE("the world model refuses an env without 64x64 frames", "[agents][world_model]") {
  TempFolder dir("wm_env");
  auto job = tiny_job(dir.path.string(), nullptr);
  job.env.pixels.width = job.env.pixels.height = 96;
  CHECK_THROWS_WITH(agents::train(job), Catch::Contains("64x64x3"));
  job.env = envs::default_env_config("track");
  CHECK_THROWS_WITH(agents::train(job), Catch::Contains("64x64x3"));
}
