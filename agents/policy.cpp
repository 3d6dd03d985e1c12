#include "agents/policy.h"

#include <stdexcept>

namespace dl::agents {

namespace {
// Keeps exp(log_std) finite and non-degenerate when the std is a network output.
constexpr double kMinLogStd = -20.0, kMaxLogStd = 2.0;
}  // namespace

ActorCriticImpl::ActorCriticImpl(const envs::Spec& obs_spec, const envs::ActionSpec& action_spec,
                                 const NetConfig& net) {
  const Activation act = parse_activation(net.activation);
  image_ = obs_spec.dtype == envs::DType::u8;
  discrete_ = action_spec.discrete;
  squash_ = !discrete_ && net.tanh_squash;
  state_dependent_std_ = !discrete_ && net.state_dependent_std;
  action_dim_ = discrete_ ? 1 : action_spec.box.size();
  const int64_t head_out = discrete_ ? action_spec.n : action_dim_;
  if (discrete_ && action_spec.n < 2)
    throw std::invalid_argument("policy: a discrete action spec needs n >= 2 actions");
  if (!discrete_ && action_dim_ < 1)
    throw std::invalid_argument("policy: the continuous action spec has no components");

  int64_t features = 0;
  if (image_) {
    if (obs_spec.shape.size() != 3 && obs_spec.shape.size() != 4)
      throw std::invalid_argument("policy: uint8 observations must be images [H, W, C] or [K, H, W, C]");
    if (net.policy != "cnn")
      throw std::invalid_argument("policy: this env observes pixels; set agent.net.policy: cnn (got '" +
                                  net.policy + "')");
    cnn_ = register_module("cnn", CNNEncoder(obs_spec.shape));
    features = cnn_->out_features();
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  } else {
    if (net.policy != "mlp")
      throw std::invalid_argument("policy: this env observes a float vector; set agent.net.policy: mlp (got '" +
                                  net.policy + "')");
    obs_features_ = obs_spec.size();
    actor_body_ = register_module("actor_body", MLP(obs_features_, net.hidden, act, net.residual));
    critic_body_ = register_module("critic_body", MLP(obs_features_, net.hidden, act, net.residual));
    features = actor_body_->out_features();
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  }
  orthogonal_init(actor_head_, kPolicyHeadGain);
  orthogonal_init(critic_head_, kValueHeadGain);

  if (!discrete_) {
    if (state_dependent_std_) {
      log_std_head_ = register_module("log_std_head", torch::nn::Linear(features, action_dim_));
      orthogonal_init(log_std_head_, kPolicyHeadGain);
      torch::NoGradGuard no_grad;
      log_std_head_->bias.fill_(net.log_std_init);
    } else {
      log_std_ = register_parameter("log_std", torch::full({action_dim_}, net.log_std_init));
    }
    if (squash_) {
      const auto& box = action_spec.box;
      std::vector<float> low(action_dim_, -1.f), scale(action_dim_, 1.f);
      if (box.low.size() == size_t(action_dim_) && box.high.size() == size_t(action_dim_)) {
        for (int64_t i = 0; i < action_dim_; ++i) {
          low[i] = box.low[i];
          scale[i] = 0.5f * (box.high[i] - box.low[i]);
        }
      }
      // Buffers, so .to(device) moves them and checkpoints carry them.
      action_low_ = register_buffer("action_low", torch::tensor(low));
      action_scale_ = register_buffer("action_scale", torch::tensor(scale));
    }
  }
}

ActorCriticImpl::Heads ActorCriticImpl::heads(const torch::Tensor& obs, bool need_value) {
  Heads h;
  torch::Tensor actor_features;
  if (image_) {
    auto f = cnn_->forward(obs);
    actor_features = f;
    if (need_value) h.value = critic_head_->forward(f).squeeze(-1);
  } else {
    auto x = obs.reshape({obs.size(0), obs_features_});
    actor_features = actor_body_->forward(x);
    if (need_value) h.value = critic_head_->forward(critic_body_->forward(x)).squeeze(-1);
  }
  h.actor_out = actor_head_->forward(actor_features);
  if (!discrete_)
    h.log_std = state_dependent_std_
                    ? log_std_head_->forward(actor_features).clamp(kMinLogStd, kMaxLogStd)
                    : log_std_;
  return h;
}

torch::Tensor ActorCriticImpl::critic_only(const torch::Tensor& obs) {
  if (image_) return critic_head_->forward(cnn_->forward(obs)).squeeze(-1);
  auto x = obs.reshape({obs.size(0), obs_features_});
  return critic_head_->forward(critic_body_->forward(x)).squeeze(-1);
}

ActOutput ActorCriticImpl::act(const torch::Tensor& obs, bool deterministic) {
  auto h = heads(obs);
  ActOutput out;
  out.value = h.value;
  if (discrete_) {
    Categorical dist(h.actor_out);
    auto index = deterministic ? dist.mode() : dist.sample();
    out.log_prob = dist.log_prob(index);
    out.action = index.to(torch::kFloat32).unsqueeze(-1);
    out.env_action = out.action;
  } else {
    DiagGaussian dist(h.actor_out, h.log_std, squash_);
    out.action = deterministic ? dist.mode() : dist.sample();
    out.log_prob = dist.log_prob(out.action);
    out.env_action = squash_ ? action_low_ + (torch::tanh(out.action) + 1.0) * action_scale_ : out.action;
  }
  return out;
}

EvalOutput ActorCriticImpl::evaluate(const torch::Tensor& obs, const torch::Tensor& raw_actions) {
  auto h = heads(obs);
  EvalOutput out;
  out.value = h.value;
  if (discrete_) {
    Categorical dist(h.actor_out);
    out.log_prob = dist.log_prob(raw_actions);
    out.entropy = dist.entropy();
  } else {
    DiagGaussian dist(h.actor_out, h.log_std, squash_);
    out.log_prob = dist.log_prob(raw_actions);
    out.entropy = dist.entropy();
  }
  return out;
}

torch::Tensor ActorCriticImpl::value(const torch::Tensor& obs) { return critic_only(obs); }

}  // namespace dl::agents
