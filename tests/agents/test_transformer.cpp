#include "catch_torch.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "agents/checkpoint.h"
#include "agents/decision_transformer.h"
#include "agents/transformer.h"
#include "point_mass.h"

using namespace dl::agents;
using dl::testing::max_diff;

namespace {

TransformerOptions small_config(int64_t memory_length = 0) {
  TransformerOptions c;
  c.d_model = 32;
  c.n_heads = 4;
  c.n_layers = 2;
  c.memory_length = memory_length;
  return c;
}

// Small models train fastest on one thread, and on a loaded machine many threads thrash; the previous
// count comes back when the test ends.
struct OneTorchThread {
  int previous = torch::get_num_threads();
  OneTorchThread() { torch::set_num_threads(1); }
  ~OneTorchThread() { torch::set_num_threads(previous); }
};


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

TEST_CASE("one-step inference with cached keys and values equals the uncached forward", "[transformer]") {
  torch::manual_seed(8);
  GatedTransformer net(small_config(/*memory_length=*/5));
  net->eval();
  const auto x = torch::randn({3, 9, 32});
  // Reference: the same steps with gradients on, which never reads or writes the cache.
  std::vector<torch::Tensor> reference;
  auto memory = net->initial_memory(3, torch::kCPU);
  for (int64_t t = 0; t < 9; ++t) {
    auto out = net->forward(x.narrow(1, t, 1), &memory);
    CHECK(out.memory.key_values.empty());
    reference.push_back(out.output.detach());
    memory = out.memory;
  }
  torch::NoGradGuard no_grad;
  memory = net->initial_memory(3, torch::kCPU);
  for (int64_t t = 0; t < 9; ++t) {
    if (t == 4) memory.forget(torch::tensor({false, true, false}));  // a row's episode ends mid-way
    auto out = net->forward(x.narrow(1, t, 1), &memory);
    REQUIRE(out.memory.key_values.size() == 2);
    if (t < 4) CHECK(max_diff(out.output, reference[t]) < 1e-5);
    else CHECK(max_diff(out.output.narrow(0, 0, 1), reference[t].narrow(0, 0, 1)) < 1e-5);
    memory = out.memory;
  }
  // The forgotten row behaves as a fresh episode that began at step 4.
  auto fresh = net->initial_memory(1, torch::kCPU);
  torch::Tensor last;
  for (int64_t t = 4; t < 9; ++t) {
    auto out = net->forward(x.narrow(0, 1, 1).narrow(1, t, 1), &fresh);
    last = out.output;
    fresh = out.memory;
  }
  auto again = memory;  // step 9 of row 1 from the cached memory, against the fresh episode's
  const auto next = torch::randn({3, 1, 32});
  CHECK(max_diff(net->forward(next, &again).output.narrow(0, 1, 1), net->forward(next.narrow(0, 1, 1), &fresh).output) < 1e-5);
}

TEST_CASE("a parameter update makes the transformer recompute its cached keys and values", "[transformer]") {
  torch::manual_seed(9);
  GatedTransformer net(small_config(/*memory_length=*/4));
  net->eval();
  torch::NoGradGuard no_grad;
  auto memory = net->initial_memory(2, torch::kCPU);
  for (int64_t t = 0; t < 6; ++t) memory = net->forward(torch::randn({2, 1, 32}), &memory).memory;
  // An optimizer step writes the parameters in place; the cache was made with the old ones.
  for (auto& p : net->parameters()) p.add_(0.05 * torch::randn_like(p));
  const auto x = torch::randn({2, 1, 32});
  auto uncached = memory;
  uncached.key_values.clear();
  const auto from_cache = net->forward(x, &memory).output;
  const auto recomputed = net->forward(x, &uncached).output;
  CHECK(max_diff(from_cache, recomputed) < 1e-6);
  // ...and the check can fail: reading the stale cache gives something else.
  auto stale = memory;
  stale.key_values_version = net->forward(x, &uncached).memory.key_values_version;
  CHECK(max_diff(net->forward(x, &stale).output, recomputed) > 1e-4);
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

// ---- Decision Transformer ---------------------------------------------------------------------------------

namespace {

dl::data::DatasetSpec box_dataset_spec(int64_t state_dim, int action_dim) {
  dl::data::DatasetSpec spec;
  spec.observation.shape = {state_dim};
  spec.action.box.shape = {action_dim};
  spec.action.box.low.assign(action_dim, -1.f);
  spec.action.box.high.assign(action_dim, 1.f);
  return spec;
}

// An episode whose states are random, whose actions come from `policy(state)` and whose reward per step
// is `reward(action)`.
template <class Policy, class Reward>
dl::data::Episode synthetic_episode(int64_t length, int64_t state_dim, int action_dim, Policy policy,
                                    Reward reward) {
  dl::data::Episode e;
  const auto states = torch::randn({length + 1, state_dim});
  e.obs.resize(static_cast<size_t>((length + 1) * state_dim) * sizeof(float));
  std::memcpy(e.obs.data(), states.data_ptr<float>(), e.obs.size());
  for (int64_t t = 0; t < length; ++t) {
    const auto a = policy(states[t]);
    for (int i = 0; i < action_dim; ++i) e.actions.push_back(a[i].template item<float>());
    e.rewards.push_back(reward(a));
    e.terminated.push_back(t == length - 1);
    e.truncated.push_back(0);
  }
  return e;
}

DecisionTransformerOptions small_dt_options(int64_t context) {
  DecisionTransformerOptions o;
  o.context_length = context;
  o.max_timestep = 64;
  o.transformer.d_model = 32;
  o.transformer.n_heads = 4;
  o.transformer.n_layers = 2;
  return o;
}

double train_steps(DecisionTransformer& model, const DTDataset& data, int steps, double* first_loss) {
  OneTorchThread one_thread;
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(1e-4));
  std::mt19937_64 rng(7);
  double loss_value = 0;
  for (int step = 0; step < steps; ++step) {
    const auto loss = model->loss(data.sample(16, model->options().context_length, 64, rng));
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_value = loss.item<double>();
    if (step == 0 && first_loss) *first_loss = loss_value;
  }
  return loss_value;
}

}  // namespace

TEST_CASE("DT dataset: returns-to-go, state normalization and right-padded windows", "[dt]") {
  torch::manual_seed(10);
  auto spec = box_dataset_spec(2, 1);
  std::vector<dl::data::Episode> episodes;
  int calls = 0;
  episodes.push_back(synthetic_episode(3, 2, 1, [](const torch::Tensor&) { return torch::zeros({1}); },
                                       [&](const torch::Tensor&) { return static_cast<float>(++calls); }));
  DTDataset data(episodes, spec);
  CHECK(data.steps() == 3);
  CHECK(data.rtg_scale == Approx(6.0));   // 1 + 2 + 3
  CHECK(data.best_return == Approx(6.0));
  std::mt19937_64 rng(1);
  const auto b = data.sample(32, 5, 64, rng);
  CHECK(b.states.sizes() == torch::IntArrayRef({32, 5, 2}));
  for (int64_t i = 0; i < 32; ++i) {
    const int64_t real = b.mask[i].sum().item<int64_t>();
    REQUIRE(real >= 1);
    REQUIRE(real <= 3);
    const int64_t start = b.timesteps[i][0].item<int64_t>();
    CHECK(real == 3 - start);  // the window runs to the episode end, then padding
    const double expected[] = {1.0, 5.0 / 6.0, 0.5};
    CHECK(b.rtg[i][0].item<double>() == Approx(expected[start]));
    CHECK(b.rtg[i].narrow(0, real, 5 - real).abs().sum().item<double>() == 0.0);
  }
}

TEST_CASE("DT learns a deterministic task: actions a fixed function of the state", "[dt]") {
  torch::manual_seed(11);
  const auto w = torch::randn({3, 2});
  auto policy = [&](const torch::Tensor& s) { return torch::tanh(s.matmul(w)); };
  std::vector<dl::data::Episode> episodes;
  for (int i = 0; i < 20; ++i)
    episodes.push_back(synthetic_episode(30, 3, 2, policy, [](const torch::Tensor&) { return 1.f; }));
  DTDataset data(episodes, box_dataset_spec(3, 2));
  DecisionTransformer model(3, box_dataset_spec(3, 2).action, small_dt_options(8));
  double first = 0;
  const double last = train_steps(model, data, 200, &first);
  INFO("action MSE " << first << " -> " << last);
  CHECK(last < 0.1 * first);
}

TEST_CASE("DT learns a discrete task by cross-entropy", "[dt]") {
  torch::manual_seed(12);
  dl::data::DatasetSpec spec;
  spec.observation.shape = {2};
  spec.action.discrete = true;
  spec.action.n = 3;
  spec.action.box.shape = {1};
  // Action 0, 1 or 2 by which third of the line the first state component falls in.
  auto policy = [](const torch::Tensor& s) {
    const float x = s[0].item<float>();
    return torch::tensor({x < -0.43f ? 0.f : (x < 0.43f ? 1.f : 2.f)});
  };
  std::vector<dl::data::Episode> episodes;
  for (int i = 0; i < 20; ++i)
    episodes.push_back(synthetic_episode(30, 2, 1, policy, [](const torch::Tensor&) { return 0.f; }));
  DTDataset data(episodes, spec);
  DecisionTransformer model(2, spec.action, small_dt_options(6));
  double first = 0;
  const double last = train_steps(model, data, 200, &first);
  INFO("cross-entropy " << first << " -> " << last);
  CHECK(last < 0.25 * first);
}

TEST_CASE("DT conditions its actions on the asked return", "[dt]") {
  torch::manual_seed(13);
  // Half the episodes act +0.5 and earn 1 a step, half act -0.5 and earn nothing; the states say
  // nothing, so only the return-to-go tells the two behaviours apart.
  std::vector<dl::data::Episode> episodes;
  for (int i = 0; i < 20; ++i) {
    const float a = i % 2 ? 0.5f : -0.5f;
    episodes.push_back(synthetic_episode(20, 2, 1, [a](const torch::Tensor&) { return torch::tensor({a}); },
                                         [](const torch::Tensor& act) { return act[0].item<float>() > 0 ? 1.f : 0.f; }));
  }
  DTDataset data(episodes, box_dataset_spec(2, 1));
  DecisionTransformer model(2, box_dataset_spec(2, 1).action, small_dt_options(4));
  train_steps(model, data, 150, nullptr);
  model->eval();
  torch::NoGradGuard no_grad;
  auto first_step = [&](double target) {
    DTBatch b;
    b.rtg = torch::full({1, 1}, static_cast<float>(target / data.rtg_scale));
    b.states = torch::zeros({1, 1, 2});
    b.actions = torch::zeros({1, 1, 1});
    b.timesteps = torch::zeros({1, 1}, torch::kLong);
    b.mask = torch::ones({1, 1});
    return model->forward(b).item<double>();
  };
  const double high = first_step(20.0), low = first_step(0.0);
  INFO("action for target 20: " << high << ", for target 0: " << low);
  CHECK(high > 0.3);
  CHECK(low < -0.3);
}

TEST_CASE("DT checkpoint round trip gives identical outputs", "[dt]") {
  torch::manual_seed(14);
  const auto spec = box_dataset_spec(3, 2);
  DecisionTransformer model(3, spec.action, small_dt_options(5));
  model->eval();
  DTRuntime runtime{torch::randn({3}), torch::rand({3}) + 0.5, 123.0, 456.0};
  const auto path = (std::filesystem::temp_directory_path() / "drivelab_test_dt.pt").string();
  save_dt_checkpoint(path, model, runtime, dl::envs::EnvConfig{}, AgentConfig{}, TrainConfig{}, spec.action);
  auto loaded = read_dt_checkpoint(path);
  std::filesystem::remove(path);
  loaded.model->eval();
  CHECK(loaded.runtime.rtg_scale == 123.0);
  CHECK(loaded.runtime.target_return == 456.0);
  CHECK(torch::equal(loaded.runtime.state_mean, runtime.state_mean));
  CHECK(loaded.model->options().context_length == 5);
  torch::NoGradGuard no_grad;
  DTBatch b{torch::randn({2, 5}), torch::randn({2, 5, 3}), torch::rand({2, 5, 2}) * 2 - 1,
            torch::randint(0, 64, {2, 5}, torch::kLong), torch::ones({2, 5})};
  CHECK(torch::equal(model->forward(b), loaded.model->forward(b)));
}

TEST_CASE("DT trained on mixed-quality point-mass data, asked for the best return, drives nearer the expert",
          "[dt]") {
  OneTorchThread one_thread;
  torch::manual_seed(15);
  dl::envs::EnvConfig env;
  env.max_steps = 40;
  dl::testing::PointMass pm(env);
  dl::data::DatasetSpec spec;
  spec.observation = pm.observation_spec();
  spec.action = pm.action_spec();
  // Half the episodes push towards 0 (the expert), half act at random.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<dl::data::Episode> episodes;
  double random_return = 0, expert_return = 0;
  for (int i = 0; i < 40; ++i) {
    const bool expert = i % 2 == 0;
    dl::data::Episode e;
    float obs[2];
    dl::envs::Info info;
    pm.reset(100 + i, obs, info);
    e.obs.insert(e.obs.end(), reinterpret_cast<uint8_t*>(obs), reinterpret_cast<uint8_t*>(obs) + sizeof obs);
    for (;;) {
      float a = expert ? std::clamp(-3.f * obs[0], -1.f, 1.f) : uniform(rng);
      const auto r = pm.step(&a, obs, info);
      e.obs.insert(e.obs.end(), reinterpret_cast<uint8_t*>(obs), reinterpret_cast<uint8_t*>(obs) + sizeof obs);
      e.actions.push_back(a);
      e.rewards.push_back(r.reward);
      e.terminated.push_back(r.terminated);
      e.truncated.push_back(r.truncated);
      if (r.terminated || r.truncated) break;
    }
    (expert ? expert_return : random_return) += info.episode_return / 20;
    episodes.push_back(std::move(e));
  }
  DTDataset data(episodes, spec);
  auto options = small_dt_options(8);
  DecisionTransformer model(2, spec.action, options);
  train_steps(model, data, 300, nullptr);
  const DTRuntime runtime{data.state_mean, data.state_std, data.rtg_scale, data.best_return};
  model->eval();
  const auto actor = make_dt_actor(model, runtime, env, spec.action, torch::kCPU);
  const auto result = run_episodes(*actor, env, dl::testing::point_mass_factory(), 8, 777, /*deterministic=*/true, 1);
  REQUIRE(result.returns.size() == 8);
  double mean = 0;
  for (double r : result.returns) mean += r / 8;
  INFO("DT mean return " << mean << "; in the data: random " << random_return << ", expert " << expert_return);
  // Nearer the expert's return than the random driver's.
  CHECK(mean > 0.5 * (random_return + expert_return));
}

TEST_CASE("agent.algo decision_transformer trains from a DLDS file through train() and writes checkpoints",
          "[dt]") {
  OneTorchThread one_thread;
  const auto dir = std::filesystem::temp_directory_path() / "drivelab_test_dt_run";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  dl::envs::EnvConfig env;
  env.max_steps = 30;
  dl::testing::PointMass pm(env);
  dl::data::DatasetSpec spec;
  spec.observation = pm.observation_spec();
  spec.action = pm.action_spec();
  spec.env_id = "point-mass";
  const std::string path = (dir / "expert.dlds").string();
  {
    dl::data::DatasetWriter writer(path, spec);
    for (int i = 0; i < 10; ++i) {
      float obs[2];
      dl::envs::Info info;
      pm.reset(50 + i, obs, info);
      dl::data::EpisodeMeta meta;
      meta.policy = "expert";
      meta.env_id = "point-mass";
      meta.seed = 50 + i;
      writer.begin_episode(obs, meta);
      for (;;) {
        float a = std::clamp(-3.f * obs[0], -1.f, 1.f);
        const auto r = pm.step(&a, obs, info);
        writer.step(&a, r.reward, r.terminated, r.truncated, obs);
        if (r.terminated || r.truncated) break;
      }
      writer.end_episode(0);
    }
    writer.close();
  }
  TrainJob job;
  job.env = env;
  job.agent.algo = "decision_transformer";
  job.agent.dt.data = path;
  job.agent.dt.context_length = 5;
  job.agent.dt.d_model = 32;
  job.agent.dt.n_heads = 4;
  job.agent.dt.n_layers = 1;
  job.agent.dt.gradient_steps = 60;
  job.agent.dt.batch_size = 16;
  job.agent.learning_rate = 1e-3f;
  job.train.eval_episodes = 4;
  job.train.device = "cpu";
  job.train.torch_threads = 1;
  job.train.num_threads = 1;
  job.run_dir = (dir / "run").string();
  job.env_factory = dl::testing::point_mass_factory();
  dl::testing::RecordingSink sink;
  job.metrics = &sink;
  const auto result = train(job);
  CHECK(result.steps == 60);
  const auto losses = sink.values("losses/dt_action_mse");
  REQUIRE(losses.size() >= 2);
  CHECK(losses.back() < losses.front());
  CHECK(sink.values("eval/return_mean").size() == 1);
  const auto checkpoint = read_dt_checkpoint((dir / "run" / "checkpoints" / "latest.pt").string());
  CHECK(checkpoint.agent.dt.context_length == 5);
  CHECK(std::filesystem::exists(dir / "run" / "checkpoints" / "best.pt"));

  // `drivelab eval`'s entry point reads the DT's own format through the algorithm table and plays it as
  // the DT's actor in the one evaluation loop does.
  const std::string latest = (dir / "run" / "checkpoints" / "latest.pt").string();
  CHECK(checkpoint_algo(latest) == "decision_transformer");
  EvalOptions eval_options;
  eval_options.episodes = 3;
  eval_options.seed = 21;
  eval_options.num_threads = 1;
  eval_options.env_factory = dl::testing::point_mass_factory();
  const EvalResult evaluated = evaluate(latest, eval_options);
  REQUIRE(evaluated.returns.size() == 3);
  auto direct_env = checkpoint.env;
  direct_env.tracks = "test";
  auto model = checkpoint.model;
  model->eval();
  const auto probe = dl::testing::point_mass_factory()(checkpoint.env, 0);
  const auto actor = make_dt_actor(model, checkpoint.runtime, checkpoint.env, probe->action_spec(), torch::kCPU);
  const EvalResult direct = run_episodes(*actor, direct_env, dl::testing::point_mass_factory(), 3, 21,
                                         /*deterministic=*/true, 1);
  CHECK(evaluated.returns == direct.returns);
  CHECK(evaluated.lengths == direct.lengths);
  std::filesystem::remove_all(dir);
}
