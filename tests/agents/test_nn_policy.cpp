#include "catch_torch.h"

#include "agents/nn.h"
#include "agents/policy.h"

using namespace dl::agents;

namespace {
dl::envs::Spec float_spec(int64_t dim) {
  dl::envs::Spec s;
  s.shape = {dim};
  return s;
}
dl::envs::ActionSpec box_action(int dim, float low, float high) {
  dl::envs::ActionSpec a;
  a.box.shape = {dim};
  a.box.low.assign(dim, low);
  a.box.high.assign(dim, high);
  return a;
}
}  // namespace

TEST_CASE("MLP maps [B, in] to [B, last width], residual or not", "[nn]") {
  MLP plain(7, std::vector<int>{32, 16}, Activation::tanh, false);
  CHECK(plain->forward(torch::randn({5, 7})).sizes() == torch::IntArrayRef({5, 16}));
  MLP residual(7, std::vector<int>{24, 24, 24}, Activation::relu, true);
  auto y = residual->forward(torch::randn({5, 7}));
  CHECK(y.sizes() == torch::IntArrayRef({5, 24}));
  CHECK(torch::isfinite(y).all().item<bool>());
  CHECK_THROWS_AS(MLP(7, std::vector<int>{24, 16}, Activation::tanh, true), std::invalid_argument);
  CHECK_THROWS_AS(parse_activation("sigmoid"), std::invalid_argument);
}

TEST_CASE("orthogonal init gives W W^T = gain^2 I and zero bias", "[nn]") {
  torch::nn::Linear layer(64, 16);
  orthogonal_init(layer, 0.01);
  auto wwt = layer->weight.matmul(layer->weight.t());
  CHECK(torch::allclose(wwt, torch::eye(16) * 1e-4, 1e-5, 1e-7));
  CHECK(layer->bias.abs().max().item<double>() == 0.0);
}

TEST_CASE("CNN encoder reads 96x96 RGB pixels, single and frame-stacked", "[nn]") {
  CNNEncoder single(std::vector<int64_t>{96, 96, 3});
  auto img = torch::randint(0, 256, {2, 96, 96, 3}, torch::kUInt8);
  CHECK(single->forward(img).sizes() == torch::IntArrayRef({2, 512}));
  CNNEncoder stacked(std::vector<int64_t>{4, 96, 96, 3});
  auto imgs = torch::randint(0, 256, {2, 4, 96, 96, 3}, torch::kUInt8);
  auto f = stacked->forward(imgs);
  CHECK(f.sizes() == torch::IntArrayRef({2, 512}));
  CHECK((f >= 0).all().item<bool>());
}

TEST_CASE("Gaussian policy: act's log_prob equals evaluate's, deterministic act gives the mean", "[policy]") {
  torch::manual_seed(1);
  NetConfig net;
  ActorCritic policy(float_spec(6), box_action(3, -1, 1), net);
  auto obs = torch::randn({4, 6});
  auto out = policy->act(obs);
  CHECK(out.action.sizes() == torch::IntArrayRef({4, 3}));
  CHECK(out.log_prob.sizes() == torch::IntArrayRef({4}));
  CHECK(out.value.sizes() == torch::IntArrayRef({4}));
  auto ev = policy->evaluate(obs, out.action);
  CHECK(torch::allclose(ev.log_prob, out.log_prob, 1e-5, 1e-6));
  CHECK(torch::allclose(ev.value, out.value));
  CHECK(torch::allclose(ev.value, policy->value(obs)));
  auto det1 = policy->act(obs, true), det2 = policy->act(obs, true);
  CHECK(torch::equal(det1.action, det2.action));
  // Initial policy head gain 0.01: the mean starts near 0 and the entropy is the log_std_init Gaussian's.
  CHECK(det1.action.abs().max().item<double>() < 0.1);
}

TEST_CASE("squashed Gaussian sends actions inside the bounds", "[policy]") {
  NetConfig net;
  net.tanh_squash = true;
  net.state_dependent_std = true;
  net.log_std_init = 1.0f;
  ActorCritic policy(float_spec(4), box_action(2, 0, 3), net);
  auto out = policy->act(torch::randn({256, 4}) * 5);
  CHECK((out.env_action >= 0).all().item<bool>());
  CHECK((out.env_action <= 3).all().item<bool>());
  CHECK(out.env_action.min().item<double>() < 0.5);  // large std: samples reach both ends
  CHECK(out.env_action.max().item<double>() > 2.5);
  auto ev = policy->evaluate(torch::randn({256, 4}), out.action);
  CHECK(torch::isfinite(ev.log_prob).all().item<bool>());
}

TEST_CASE("categorical policy on discrete actions, CNN policy on pixels", "[policy]") {
  dl::envs::ActionSpec discrete;
  discrete.discrete = true;
  discrete.n = 5;
  discrete.box.shape = {1};
  NetConfig net;
  ActorCritic mlp(float_spec(3), discrete, net);
  auto out = mlp->act(torch::randn({8, 3}));
  CHECK(out.action.sizes() == torch::IntArrayRef({8, 1}));
  CHECK((out.action >= 0).all().item<bool>());
  CHECK((out.action < 5).all().item<bool>());
  CHECK(torch::allclose(mlp->evaluate(torch::randn({8, 3}), out.action).entropy,
                        torch::full({8}, std::log(5.0)), 1e-2, 1e-2));

  dl::envs::Spec pixels;
  pixels.shape = {96, 96, 3};
  pixels.dtype = dl::envs::DType::u8;
  CHECK_THROWS_WITH(ActorCritic(pixels, discrete, net), Catch::Contains("policy: cnn"));
  net.policy = "cnn";
  ActorCritic cnn(pixels, discrete, net);
  auto img = torch::randint(0, 256, {2, 96, 96, 3}, torch::kUInt8);
  CHECK(cnn->act(img).value.sizes() == torch::IntArrayRef({2}));
}
