#include "agents/policy.h"

#include <stdexcept>

namespace dl::agents {

namespace {
// Keeps exp(log_std) finite and non-degenerate when the std is a network output.
constexpr double kMinLogStd = -20.0, kMaxLogStd = 2.0;
}  // namespace

ActorCriticImpl::ActorCriticImpl(const envs::Spec& obs_spec, const envs::ActionSpec& action_spec,
                                 const NetConfig& net, int64_t road_ahead_outputs) {
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
    cnn_ = register_module("cnn", CNNEncoder(obs_spec.shape, 512, net.cnn == "small"));
    features = cnn_->out_features();
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  } else if (net.policy == "gtrxl") {
    if (net.moe.experts > 0)
      throw std::invalid_argument("policy: net.moe applies to MLP bodies; set net.moe.experts: 0 with policy gtrxl");
    obs_features_ = obs_spec.size();
    const GTrXLConfig& g = net.gtrxl;
    TransformerOptions tc;
    tc.d_model = g.d_model;
    tc.n_heads = g.n_heads;
    tc.n_layers = g.n_layers;
    tc.d_ff = g.d_ff;
    tc.memory_length = g.memory_length;
    tc.max_distance = g.memory_length;  // the window never reaches further (transformer.h)
    tc.gate_bias = g.gate_bias;
    if (tc.memory_length < 1) throw std::invalid_argument("policy: net.gtrxl.memory_length must be at least 1");
    embed_ = register_module("embed", torch::nn::Linear(obs_features_, tc.d_model));
    orthogonal_init(embed_, 1.0);
    transformer_ = register_module("transformer", GatedTransformer(tc));
    features = tc.d_model;
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  } else if (net.policy == "lstm") {
    if (net.moe.experts > 0)
      throw std::invalid_argument("policy: net.moe applies to MLP bodies; set net.moe.experts: 0 with policy lstm");
    obs_features_ = obs_spec.size();
    const LSTMConfig& l = net.lstm;
    embed_ = register_module("embed", torch::nn::Linear(obs_features_, l.hidden_size));
    orthogonal_init(embed_, 1.0);
    lstm_ = register_module("lstm", RecurrentLSTM(l.hidden_size, l.hidden_size, l.layers));
    features = l.hidden_size;
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  } else {
    if (net.policy != "mlp")
      throw std::invalid_argument("policy: this env observes a float vector; set agent.net.policy: mlp, gtrxl or lstm (got '" +
                                  net.policy + "')");
    obs_features_ = obs_spec.size();
    if (net.moe.experts > 0) {
      MoEOptions o;
      o.experts = net.moe.experts;
      o.top_k = net.moe.top_k;
      o.noisy = net.moe.noisy;
      if (o.top_k > o.experts)
        throw std::invalid_argument("policy: net.moe.top_k " + std::to_string(o.top_k) + " exceeds net.moe.experts " +
                                    std::to_string(o.experts));
      actor_moe_ = register_module("actor_moe", MoE(obs_features_, net.hidden, act, net.residual, o));
      critic_moe_ = register_module("critic_moe", MoE(obs_features_, net.hidden, act, net.residual, o));
      features = actor_moe_->out_features();
    } else {
      actor_body_ = register_module("actor_body", MLP(obs_features_, net.hidden, act, net.residual));
      critic_body_ = register_module("critic_body", MLP(obs_features_, net.hidden, act, net.residual));
      features = actor_body_->out_features();
    }
    actor_head_ = register_module("actor_head", torch::nn::Linear(features, head_out));
    critic_head_ = register_module("critic_head", torch::nn::Linear(features, 1));
  }
  orthogonal_init(actor_head_, kPolicyHeadGain);
  orthogonal_init(critic_head_, kValueHeadGain);
  if (road_ahead_outputs > 0) {
    road_ahead_head_ = register_module("road_ahead_head", torch::nn::Linear(features, road_ahead_outputs));
    orthogonal_init(road_ahead_head_, 1.0);
  }

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

torch::Tensor ActorCriticImpl::actor_body(const torch::Tensor& x) {
  return actor_moe_ ? actor_moe_->forward(x) : actor_body_->forward(x);
}
torch::Tensor ActorCriticImpl::critic_body(const torch::Tensor& x) {
  return critic_moe_ ? critic_moe_->forward(x) : critic_body_->forward(x);
}

ActorCriticImpl::Heads ActorCriticImpl::heads_from(const torch::Tensor& actor_features,
                                                   const torch::Tensor& critic_features, bool road_ahead) {
  Heads h;
  if (critic_features.defined()) h.value = critic_head_->forward(critic_features).squeeze(-1);
  h.actor_out = actor_head_->forward(actor_features);
  if (road_ahead && road_ahead_head_) h.road_ahead = road_ahead_head_->forward(actor_features);
  if (!discrete_)
    h.log_std = state_dependent_std_
                    ? log_std_head_->forward(actor_features).clamp(kMinLogStd, kMaxLogStd)
                    : log_std_;
  return h;
}

ActorCriticImpl::Heads ActorCriticImpl::heads(const torch::Tensor& obs, bool need_value, bool road_ahead) {
  if (image_) {
    auto f = cnn_->forward(obs);
    return heads_from(f, need_value ? f : torch::Tensor(), road_ahead);
  }
  auto x = obs.reshape({obs.size(0), obs_features_});
  return heads_from(actor_body(x), need_value ? critic_body(x) : torch::Tensor(), road_ahead);
}

torch::Tensor ActorCriticImpl::critic_only(const torch::Tensor& obs) {
  if (image_) return critic_head_->forward(cnn_->forward(obs)).squeeze(-1);
  auto x = obs.reshape({obs.size(0), obs_features_});
  return critic_head_->forward(critic_body(x)).squeeze(-1);
}

TransformerMemory ActorCriticImpl::initial_memory(int64_t batch, torch::Device device) const {
  if (lstm_) return lstm_->initial_memory(batch, device);
  return recurrent() ? transformer_->initial_memory(batch, device) : TransformerMemory{};
}

void ActorCriticImpl::check_recurrent_memory(const TransformerMemory* memory, int64_t batch) const {
  if (!memory || !memory->defined())
    throw std::logic_error("policy: a recurrent (gtrxl, lstm) policy needs its memory (initial_memory) on every call");
  if (memory->valid.size(0) != batch)
    throw std::logic_error("policy: the memory has " + std::to_string(memory->valid.size(0)) +
                           " rows for a batch of " + std::to_string(batch));
}

TransformerOutput ActorCriticImpl::trunk(const torch::Tensor& obs, const TransformerMemory* memory,
                                         const torch::Tensor& starts) {
  const auto x = obs.reshape({obs.size(0), obs.size(1), obs_features_}).to(torch::kFloat32);
  if (lstm_) return lstm_->forward(torch::tanh(embed_->forward(x)), memory, starts);
  return transformer_->forward(embed_->forward(x), memory, starts);
}

ActOutput ActorCriticImpl::act(const torch::Tensor& obs, bool deterministic, TransformerMemory* memory) {
  Heads h;
  if (recurrent()) {
    check_recurrent_memory(memory, obs.size(0));
    auto out = trunk(obs.unsqueeze(1), memory, {});
    *memory = std::move(out.memory);
    const auto f = out.output.squeeze(1);
    h = heads_from(f, f);
  } else {
    h = heads(obs);
  }
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
  if (recurrent())
    throw std::logic_error("policy: a recurrent net.policy (gtrxl, lstm) trains with agent.algo ppo only "
                           "(evaluate_sequence)");
  return evaluate_heads(heads(obs, /*need_value=*/true, /*road_ahead=*/true), raw_actions);
}

EvalOutput ActorCriticImpl::evaluate_sequence(const torch::Tensor& obs, const torch::Tensor& raw_actions,
                                              const TransformerMemory& memory, const torch::Tensor& starts) {
  if (!recurrent()) throw std::logic_error("policy: evaluate_sequence needs a recurrent (gtrxl, lstm) policy");
  check_recurrent_memory(&memory, obs.size(0));
  const auto f = trunk(obs, &memory, starts).output.flatten(0, 1);
  return evaluate_heads(heads_from(f, f, /*road_ahead=*/true), raw_actions.flatten(0, 1));
}

EvalOutput ActorCriticImpl::evaluate_heads(const Heads& h, const torch::Tensor& raw_actions) {
  EvalOutput out;
  out.value = h.value;
  out.road_ahead = h.road_ahead;
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

torch::Tensor ActorCriticImpl::value(const torch::Tensor& obs, const TransformerMemory* memory) {
  if (!recurrent()) return critic_only(obs);
  check_recurrent_memory(memory, obs.size(0));
  return critic_head_->forward(trunk(obs.unsqueeze(1), memory, {}).output.squeeze(1)).squeeze(-1);
}

torch::Tensor ActorCriticImpl::moe_aux_loss() const {
  if (!has_moe()) return torch::zeros({});
  auto loss = actor_moe_->aux_loss();
  if (critic_moe_->aux_loss().defined()) loss = loss.defined() ? loss + critic_moe_->aux_loss() : critic_moe_->aux_loss();
  return loss.defined() ? loss : torch::zeros({});
}

std::vector<std::pair<std::string, torch::Tensor>> ActorCriticImpl::moe_last_usage() const {
  if (!has_moe()) return {};
  return {{"actor", actor_moe_->last_usage()}, {"critic", critic_moe_->last_usage()}};
}

}  // namespace dl::agents
