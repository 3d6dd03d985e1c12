// drivelab/agents: the config sections of the transformer-memory policy (net.gtrxl) and of the
// mixture-of-experts bodies (net.moe), kept out of agent_config.h so each stays a small section of NetConfig.
#pragma once
#include <cstdint>

namespace dl::agents {

// net.policy: gtrxl (agents/policy.h): observation -> Linear to d_model -> GTrXL with segment memory ->
// actor and critic heads. PPO updates run on sequences of sequence_length steps (see agents/ppo.cpp).
struct GTrXLConfig {
  int d_model = 64;          // transformer width
  int n_heads = 4;           // attention heads (must divide d_model)
  int n_layers = 2;          // gated blocks
  int d_ff = 0;              // feed-forward width (0 = 4 * d_model)
  int memory_length = 32;    // earlier steps each step attends to (the policy's memory)
  int sequence_length = 16;  // PPO: steps per training sequence; must divide agent.ppo.num_steps
  float gate_bias = 2.0f;    // GRU-gate bias: larger starts each block nearer the identity
};

// net.policy: lstm (agents/lstm.h): observation -> Linear + tanh to hidden_size -> stacked LSTM cells ->
// actor and critic heads. The recurrent baseline beside gtrxl: the same rollout memory and the same PPO
// sequences, trained by backpropagation through each sequence (truncated BPTT of sequence_length steps).
struct LSTMConfig {
  int hidden_size = 64;      // LSTM state width (and the input embedding's)
  int layers = 1;            // stacked LSTM cells
  int sequence_length = 16;  // PPO: steps per training sequence (the BPTT length); must divide agent.ppo.num_steps
};

// net.moe: the policy and value MLP bodies as mixtures of experts (agents/moe.h). experts 0 = dense MLPs.
// Each expert has the `hidden` widths; top_k of them run per input.
struct MoEConfig {
  int experts = 0;          // 0 = dense MLP bodies
  int top_k = 2;            // experts per input
  float aux_coef = 0.01f;   // weight of the load-balancing loss in the PPO loss
  // Noisy routing samples a different routing in the update than in the rollout, which PPO's ratio
  // would read as a policy change; off by default.
  bool noisy = false;
};

template <class V>
void visit_fields(GTrXLConfig& c, V& v) {
  v.field("d_model", c.d_model, "transformer width", 4, 4096);
  v.field("n_heads", c.n_heads, "attention heads (divide d_model)", 1, 64);
  v.field("n_layers", c.n_layers, "gated transformer blocks", 1, 64);
  v.field("d_ff", c.d_ff, "feed-forward width (0 = 4 * d_model)", 0, 1 << 16);
  v.field("memory_length", c.memory_length, "steps of memory each step attends to", 1, 4096);
  v.field("sequence_length", c.sequence_length, "ppo: steps per training sequence (divides num_steps)", 1,
          1 << 16);
  v.field("gate_bias", c.gate_bias, "GRU-gate bias (larger = nearer the identity at init)", -10.f, 20.f);
}

template <class V>
void visit_fields(LSTMConfig& c, V& v) {
  v.field("hidden_size", c.hidden_size, "LSTM state width", 1, 4096);
  v.field("layers", c.layers, "stacked LSTM cells", 1, 16);
  v.field("sequence_length", c.sequence_length, "ppo: steps per training sequence, the BPTT length (divides num_steps)",
          1, 1 << 16);
}

template <class V>
void visit_fields(MoEConfig& c, V& v) {
  v.field("experts", c.experts, "experts per body (0 = dense MLP)", 0, 256);
  v.field("top_k", c.top_k, "experts run per input", 1, 256);
  v.field("aux_coef", c.aux_coef, "load-balancing loss weight", 0.f, 100.f);
  v.field("noisy", c.noisy, "noisy top-k routing in training mode");
}

}  // namespace dl::agents
