#include "catch_torch.h"

#include <filesystem>
#include <limits>

#include "agents/transformer.h"

using namespace dl::agents;

namespace {

TransformerConfig small_config(int64_t memory_length = 0) {
  TransformerConfig c;
  c.d_model = 32;
  c.n_heads = 4;
  c.n_layers = 2;
  c.memory_length = memory_length;
  return c;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Plain causal mask for a single block: -inf above the diagonal.
torch::Tensor causal_mask(int64_t t) {
  return torch::full({t, t}, -std::numeric_limits<float>::infinity()).triu(1).view({1, 1, t, t});
}

double relative_change(TransformerBlock& block, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  const auto y = block->forward(x, torch::Tensor(), causal_mask(x.size(1)));
  return ((y - x).norm() / x.norm()).item<double>();
}

}  // namespace

TEST_CASE("transformer attention never looks ahead: a future token leaves earlier outputs unchanged",
          "[transformer]") {
  torch::manual_seed(1);
  GatedTransformer net(small_config());
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 10, 32});
  auto perturbed = x.clone();
  perturbed.narrow(1, 6, 4).add_(torch::randn({2, 4, 32}) * 3);
  const auto a = net->forward(x).output, b = net->forward(perturbed).output;
  CHECK(max_diff(a.narrow(1, 0, 6), b.narrow(1, 0, 6)) == 0.0);
  CHECK(max_diff(a.narrow(1, 6, 4), b.narrow(1, 6, 4)) > 1e-2);  // the perturbation did reach later steps
}

TEST_CASE("GTrXL gates start near the identity, nearer with a larger bias, and ungated blocks do not",
          "[transformer]") {
  torch::manual_seed(2);
  const auto x = torch::randn({4, 12, 32});
  auto config = small_config();
  TransformerBlock gated(config);
  config.gate_bias = 6.0;
  TransformerBlock strongly_gated(config);
  config.gated = false;
  TransformerBlock plain(config);
  const double g = relative_change(gated, x), g6 = relative_change(strongly_gated, x);
  const double p = relative_change(plain, x);
  INFO("relative change: gated(b=2) " << g << ", gated(b=6) " << g6 << ", ungated " << p);
  CHECK(g < 0.3);
  CHECK(g6 < 0.02);
  CHECK(g6 < g);
  CHECK(g < p);
}

TEST_CASE("transformer memory: running in segments gives the outputs of the whole sequence", "[transformer]") {
  torch::manual_seed(3);
  GatedTransformer net(small_config(/*memory_length=*/12));
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({3, 12, 32});
  const auto whole = net->forward(x).output;

  // Two segments of 5 and 7 steps.
  auto memory = net->initial_memory(3, torch::kCPU);
  auto first = net->forward(x.narrow(1, 0, 5), &memory);
  auto second = net->forward(x.narrow(1, 5, 7), &first.memory);
  CHECK(max_diff(torch::cat({first.output, second.output}, 1), whole) < 1e-5);

  // One step at a time, as a rollout runs.
  memory = net->initial_memory(3, torch::kCPU);
  std::vector<torch::Tensor> steps;
  for (int64_t t = 0; t < 12; ++t) {
    auto out = net->forward(x.narrow(1, t, 1), &memory);
    steps.push_back(out.output);
    memory = out.memory;
  }
  CHECK(max_diff(torch::cat(steps, 1), whole) < 1e-5);
}

TEST_CASE("transformer memory is detached: no gradient reaches earlier segments", "[transformer]") {
  torch::manual_seed(4);
  GatedTransformer net(small_config(/*memory_length=*/4));
  const auto x = torch::randn({2, 6, 32}, torch::requires_grad());
  auto first = net->forward(x.narrow(1, 0, 3));
  for (const auto& h : first.memory.hidden) CHECK_FALSE(h.requires_grad());
  auto second = net->forward(x.narrow(1, 3, 3), &first.memory);
  second.output.sum().backward();
  CHECK(x.grad().narrow(1, 0, 3).abs().max().item<double>() == 0.0);
  CHECK(x.grad().narrow(1, 3, 3).abs().max().item<double>() > 0.0);
}

TEST_CASE("forgetting one batch element's memory leaves the others untouched", "[transformer]") {
  torch::manual_seed(5);
  GatedTransformer net(small_config(/*memory_length=*/8));
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({3, 8, 32});
  const auto first = net->forward(x.narrow(1, 0, 4), nullptr);
  const auto kept = net->forward(x.narrow(1, 4, 4), &first.memory).output;

  auto memory = first.memory;
  memory.forget(torch::tensor({true, false, false}));
  const auto after_reset = net->forward(x.narrow(1, 4, 4), &memory).output;
  // Elements 1 and 2 are exactly as before; element 0 behaves as if its episode started here.
  CHECK(max_diff(after_reset.narrow(0, 1, 2), kept.narrow(0, 1, 2)) == 0.0);
  const auto fresh = net->forward(x.narrow(0, 0, 1).narrow(1, 4, 4)).output;
  CHECK(max_diff(after_reset.narrow(0, 0, 1), fresh) < 1e-5);
  CHECK(max_diff(after_reset.narrow(0, 0, 1), kept.narrow(0, 0, 1)) > 1e-3);
}

TEST_CASE("an episode start inside a segment hides everything before it", "[transformer]") {
  torch::manual_seed(6);
  GatedTransformer net(small_config(/*memory_length=*/6));
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 9, 32});
  auto memory = net->forward(torch::randn({2, 3, 32})).memory;  // some earlier history
  auto starts = torch::zeros({2, 9}, torch::kBool);
  starts[0][5] = true;
  const auto out = net->forward(x, &memory, starts);
  const auto alone = net->forward(x.narrow(0, 0, 1).narrow(1, 5, 4)).output;
  CHECK(max_diff(out.output.narrow(0, 0, 1).narrow(1, 5, 4), alone) < 1e-5);
  // The new memory of element 0 holds only the new episode's 4 steps; element 1 keeps all 6 slots.
  CHECK(out.memory.valid[0].sum().item<int64_t>() == 4);
  CHECK(out.memory.valid[1].sum().item<int64_t>() == 6);
  // ...and continuing from it matches running the new episode whole.
  const auto next = torch::randn({2, 2, 32});
  const auto continued = net->forward(next, &out.memory).output;
  const auto episode = torch::cat({x.narrow(0, 0, 1).narrow(1, 5, 4), next.narrow(0, 0, 1)}, 1);
  CHECK(max_diff(continued.narrow(0, 0, 1), net->forward(episode).output.narrow(1, 4, 2)) < 1e-5);
}

TEST_CASE("transformer checkpoint round trip gives identical outputs", "[transformer]") {
  torch::manual_seed(7);
  GatedTransformer saved(small_config(/*memory_length=*/4));
  saved->eval();
  const auto path = (std::filesystem::temp_directory_path() / "drivelab_test_transformer.pt").string();
  torch::save(saved, path);
  torch::manual_seed(99);
  GatedTransformer loaded(small_config(/*memory_length=*/4));
  loaded->eval();
  torch::load(loaded, path);
  std::filesystem::remove(path);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 5, 32});
  auto a = saved->forward(x), b = loaded->forward(x);
  CHECK(torch::equal(a.output, b.output));
  CHECK(torch::equal(saved->forward(x, &a.memory).output, loaded->forward(x, &b.memory).output));
}

TEST_CASE("transformer rejects a d_model that the heads do not divide", "[transformer]") {
  auto c = small_config();
  c.n_heads = 5;
  CHECK_THROWS_AS(GatedTransformer(c), std::invalid_argument);
}
