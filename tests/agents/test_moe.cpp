#include "catch_torch.h"

#include <filesystem>

#include "agents/moe.h"

using namespace dl::agents;

TEST_CASE("MoE load-balancing loss is 1 for uniform routing and grows as routing collapses", "[moe]") {
  const int64_t n = 64, e = 4;
  const auto uniform_probs = torch::full({n, e}, 1.0 / e);
  const auto round_robin = torch::arange(n).remainder(e).unsqueeze(1);
  CHECK(load_balancing_loss(uniform_probs, round_robin).item<double>() == Approx(1.0));

  // Half the inputs on expert 0, then all of them: the loss rises towards E.
  auto half = round_robin.clone();
  half.narrow(0, 0, n / 2).fill_(0);
  auto half_probs = uniform_probs.clone();
  half_probs.narrow(0, 0, n / 2).copy_(torch::tensor({0.7, 0.1, 0.1, 0.1}).expand({n / 2, e}));
  const double partly = load_balancing_loss(half_probs, half).item<double>();
  const auto collapsed_probs = torch::tensor({0.97, 0.01, 0.01, 0.01}).expand({n, e});
  const double collapsed = load_balancing_loss(collapsed_probs, torch::zeros({n, 1}, torch::kLong)).item<double>();
  CHECK(partly > 1.2);
  CHECK(collapsed > partly);
  CHECK(collapsed == Approx(e * 0.97));
}

TEST_CASE("MoE has the MLP's interface and reports usage", "[moe]") {
  torch::manual_seed(1);
  MoE moe(6, std::vector<int>{16, 16}, Activation::tanh, false, MoEOptions{4, 2, true});
  CHECK(moe->out_features() == 16);
  CHECK(moe->forward(torch::randn({5, 6})).sizes() == torch::IntArrayRef({5, 16}));
  CHECK(moe->forward(torch::randn({3, 7, 6})).sizes() == torch::IntArrayRef({3, 7, 16}));
  CHECK(moe->last_usage().sum().item<double>() == Approx(1.0));
  CHECK(moe->usage().sum().item<double>() == Approx(1.0));
  CHECK(moe->aux_loss().item<double>() >= 1.0 - 1e-6);
  CHECK_THROWS_AS(MoE(6, std::vector<int>{16}, Activation::tanh, false, MoEOptions{2, 3, true}),
                  std::invalid_argument);
}

TEST_CASE("MoE with top-1 routing passes a gradient to the router", "[moe]") {
  torch::manual_seed(2);
  MoE moe(3, std::vector<int>{8}, Activation::tanh, false, MoEOptions{2, 1, false});
  moe->forward(torch::randn({16, 3})).pow(2).sum().backward();
  bool router_grad = false;
  for (const auto& p : moe->named_parameters())
    if (p.key() == "router.weight") router_grad = p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0;
  CHECK(router_grad);
}

TEST_CASE("MoE learns to route two clusters to two different experts", "[moe]") {
  // Small models train fastest on one thread; a loaded machine thrashes with many.
  const int threads = torch::get_num_threads();
  torch::set_num_threads(1);
  torch::manual_seed(3);
  // Cluster A (x0 = +2) wants y = sin(3 u), cluster B (x0 = -2) wants y = -sin(3 u): one small expert per
  // cluster fits its own rule easily, so the router should learn to separate them.
  const int64_t n = 128;
  const auto u = torch::rand({2 * n, 1}) * 2 - 1;
  const auto side = torch::cat({torch::ones({n, 1}), -torch::ones({n, 1})});
  const auto x = torch::cat({side * 2, u}, 1);
  const auto y = side * torch::sin(3 * u);

  MoE moe(2, std::vector<int>{16}, Activation::tanh, false, MoEOptions{2, 1, true});
  torch::nn::Linear head(16, 1);
  std::vector<torch::Tensor> params = moe->parameters();
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 200; ++step) {
    const auto mse = (head(moe->forward(x)) - y).pow(2).mean();
    const auto loss = mse + 0.01 * moe->aux_loss();
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step == 0) first_loss = mse.item<double>();
    last_loss = mse.item<double>();
  }
  torch::set_num_threads(threads);
  moe->eval();
  torch::NoGradGuard no_grad;
  moe->forward(x.narrow(0, 0, n));
  const auto usage_a = moe->last_usage();
  moe->forward(x.narrow(0, n, n));
  const auto usage_b = moe->last_usage();
  INFO("loss " << first_loss << " -> " << last_loss << "; usage A " << usage_a << " usage B " << usage_b);
  CHECK(last_loss < 0.2 * first_loss);
  CHECK(usage_a.max().item<double>() > 0.9);
  CHECK(usage_b.max().item<double>() > 0.9);
  CHECK(usage_a.argmax().item<int64_t>() != usage_b.argmax().item<int64_t>());
}

TEST_CASE("MoE checkpoint round trip gives identical outputs", "[moe]") {
  torch::manual_seed(4);
  MoE saved(5, std::vector<int>{12}, Activation::relu, false, MoEOptions{3, 2, true});
  // A trained-looking router, so routing is not decided by ties.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : saved->parameters()) p.add_(torch::randn_like(p) * 0.5);
  }
  saved->eval();
  const auto path = (std::filesystem::temp_directory_path() / "drivelab_test_moe.pt").string();
  torch::save(saved, path);
  torch::manual_seed(5);
  MoE loaded(5, std::vector<int>{12}, Activation::relu, false, MoEOptions{3, 2, true});
  loaded->eval();
  torch::load(loaded, path);
  std::filesystem::remove(path);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({9, 5});
  CHECK(torch::equal(saved->forward(x), loaded->forward(x)));
}
