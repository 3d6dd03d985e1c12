// drivelab/app: `drivelab export RUN --out policy.pt`: a trained policy for plain PyTorch.
//
// The file is torch.save's format (torch::pickle_save), so `torch.load(path, weights_only=True)` reads it
// in Python without drivelab's C++; it holds one dict:
//   format        "drivelab-policy"     version  1
//   spec          JSON text: observation and action specs, the network's shape (policy, hidden widths,
//                 activation, residual, std and squash options) and the normalizer's clip and epsilon
//   state_dict    the actor-critic's parameters and buffers, under the C++ module's names
//   obs_mean, obs_var   the observation normalizer (float64), absent when the run did not normalize
//   sample_obs, sample_actions   raw observations from episodes on test tracks (seeds --seed, --seed + 1,
//                 ..., each cut after 32 steps) and the C++ policy's deterministic actions on them, so a
//                 reader can check its network (python/drivelab/policy.py does, in DrivelabPolicy.verify)
//   resolved_config   the run's YAML, for people
// A state dict and a small documented module (drivelab.policy.DrivelabPolicy) rather than TorchScript:
// LibTorch's C++ modules cannot be scripted, and tracing would freeze shapes and hide the normalizer.
// Feed-forward policies (net.policy mlp or cnn, without MoE) are exported; memory policies (gtrxl), MoE
// bodies and non-PPO-style algorithms (decision_transformer, world_model, track_gan) are refused by name.
#include <CLI/CLI.hpp>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agents/algorithm.h"
#include "agents/checkpoint.h"
#include "agents/policy.h"
#include "app/view/agent_driver.h"
#include "app/commands.h"
#include "app/run_config.h"
#include "envs/normalize.h"
#include "envs/registry.h"

namespace fs = std::filesystem;

namespace dl::app {
namespace {

struct ExportArgs {
  std::string target;
  std::string out;
  int samples = 256;
  unsigned long long seed = 12345;
};

constexpr int kFormatVersion = 1;
constexpr double kObsNormEpsilon = 1e-8;  // envs::ObsNormalizer's default, which training uses
// Sample episodes are cut after this many steps (the next starts with seed + 1, ...), so the samples span
// several tracks even when an untrained policy stands still.
constexpr int kSampleEpisodeSteps = 32;

torch::Tensor obs_tensor(const envs::Spec& spec, int64_t rows) {
  std::vector<int64_t> shape{rows};
  shape.insert(shape.end(), spec.shape.begin(), spec.shape.end());
  return torch::empty(shape, spec.dtype == envs::DType::u8 ? torch::kUInt8 : torch::kFloat32);
}

// Raw observations from deterministic episodes of the policy on test tracks, and its actions on them
// (the same computation as AgentDriver::act: normalize, then the distribution's mode).
std::pair<torch::Tensor, torch::Tensor> sample_actions(agents::ActorCritic& policy, const envs::ObsNormalizer* norm,
                                                       envs::EnvConfig env_config, int samples, uint64_t seed) {
  env_config.tracks = "test";
  auto env = envs::make_env(env_config);
  const envs::Spec& spec = env->observation_spec();
  const int action_dim = env->action_spec().dim();
  torch::Tensor all_obs = obs_tensor(spec, samples);
  torch::Tensor all_actions = torch::empty({samples, action_dim}, torch::kFloat32);
  torch::Tensor one = obs_tensor(spec, 1);
  envs::Info info;
  uint64_t episode = 0;
  env->reset(seed, one.data_ptr(), info);
  torch::InferenceMode inference;
  for (int i = 0; i < samples; ++i) {
    all_obs[i].copy_(one[0]);
    torch::Tensor input = one.clone();
    if (norm && spec.dtype == envs::DType::f32) norm->normalize(input.data_ptr<float>(), 1);
    const torch::Tensor action = policy->act(input, /*deterministic=*/true).env_action.to(torch::kFloat32).contiguous();
    all_actions[i].copy_(action[0]);
    std::vector<float> a(action.data_ptr<float>(), action.data_ptr<float>() + action_dim);
    const envs::StepResult r = env->step(a.data(), one.data_ptr(), info);
    if (r.terminated || r.truncated || (i + 1) % kSampleEpisodeSteps == 0)
      env->reset(seed + ++episode, one.data_ptr(), info);
  }
  return {all_obs, all_actions};
}

int cmd_export(const ExportArgs& args) {
  const std::string path = agents::resolve_checkpoint(args.target);
  std::string algo;
  agents::CheckpointData data;
  try {
    algo = agents::checkpoint_algo(path);
    if (!agents::find_algorithm(algo).actor_critic)
      throw ConfigError(path + ": a " + algo + " checkpoint; export writes actor-critic policies only");
    data = agents::read_checkpoint_data(path);
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw ConfigError(path + ": cannot read the checkpoint: " + e.what());
  }
  const agents::NetConfig& net = data.agent.net;
  if (agents::recurrent_policy(net))
    throw ConfigError(path + ": net.policy " + net.policy +
                      " carries a memory between steps; export supports mlp and cnn policies");
  if (net.moe.experts > 0)
    throw ConfigError(path + ": net.moe bodies are not exported (mixture of experts); export supports dense mlp and cnn policies");

  auto probe = envs::make_env(data.env);
  const envs::Spec obs_spec = probe->observation_spec();
  const envs::ActionSpec action_spec = probe->action_spec();
  agents::ActorCritic policy(obs_spec, action_spec, net);
  try {
    agents::load_checkpoint_state(path, policy, nullptr, /*restore_rng=*/false);
  } catch (const std::exception& e) {
    throw ConfigError(path + ": the checkpoint does not fit its own config: " + e.what());
  }
  policy->eval();
  std::unique_ptr<envs::ObsNormalizer> norm;
  if (!data.obs_norm.empty() && obs_spec.dtype == envs::DType::f32) {
    norm = std::make_unique<envs::ObsNormalizer>(static_cast<int>((data.obs_norm.size() - 1) / 2), data.agent.clip_obs,
                                                 kObsNormEpsilon);
    norm->load_state(data.obs_norm);
  }

  nlohmann::json spec = {
      {"env_id", data.env.id},
      {"algo", algo},
      {"obs_shape", obs_spec.shape},
      {"obs_dtype", obs_spec.dtype == envs::DType::u8 ? "uint8" : "float32"},
      {"discrete", action_spec.discrete},
      {"n", action_spec.n},
      {"action_dim", action_spec.dim()},
      {"action_low", action_spec.box.low},
      {"action_high", action_spec.box.high},
      {"policy", net.policy},
      {"hidden", net.hidden},
      {"activation", net.activation},
      {"residual", net.residual},
      {"state_dependent_std", net.state_dependent_std},
      {"tanh_squash", net.tanh_squash},
      {"normalize_obs", norm != nullptr},
      {"clip_obs", data.agent.clip_obs},
      {"obs_norm_epsilon", kObsNormEpsilon},
      {"global_step", data.global_step},
  };

  c10::Dict<std::string, at::Tensor> state;
  for (const auto& item : policy->named_parameters()) state.insert(item.key(), item.value().detach().clone());
  for (const auto& item : policy->named_buffers()) state.insert(item.key(), item.value().detach().clone());

  c10::impl::GenericDict file(c10::StringType::get(), c10::AnyType::get());
  file.insert(std::string("format"), c10::IValue(std::string("drivelab-policy")));
  file.insert(std::string("version"), c10::IValue(int64_t{kFormatVersion}));
  file.insert(std::string("spec"), c10::IValue(spec.dump()));
  file.insert(std::string("state_dict"), c10::IValue(state));
  if (norm) {
    const auto& s = norm->stats();
    file.insert(std::string("obs_mean"), torch::tensor(s.mean(), torch::TensorOptions().dtype(torch::kFloat64)));
    file.insert(std::string("obs_var"), torch::tensor(s.var(), torch::TensorOptions().dtype(torch::kFloat64)));
  }
  auto [sample_obs, sample_act] = sample_actions(policy, norm.get(), data.env, args.samples, args.seed);
  file.insert(std::string("sample_obs"), sample_obs);
  file.insert(std::string("sample_actions"), sample_act);
  file.insert(std::string("resolved_config"), c10::IValue(data.resolved_config));

  const std::vector<char> bytes = torch::pickle_save(c10::IValue(file));
  const fs::path out(args.out);
  if (out.has_parent_path() && !fs::exists(out.parent_path()))
    throw ConfigError(args.out + ": the folder " + out.parent_path().string() + " does not exist");
  io::write_file_atomic(args.out, std::string(bytes.begin(), bytes.end()));
  std::printf("exported %s (%s, %s policy, %d sample actions) to %s\n", path.c_str(), data.env.id.c_str(),
              net.policy.c_str(), args.samples, args.out.c_str());
  std::printf("load it in Python: drivelab.policy.load(\"%s\")\n", args.out.c_str());
  return kExitOk;
}

}  // namespace

CommandHook add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Write a trained policy (with its observation normalizer) for PyTorch.");
  cmd->add_option("target", args->target, "Run folder (uses checkpoints/best.pt, else latest.pt) or checkpoint file")
      ->required();
  cmd->add_option("--out", args->out, "Output file, e.g. policy.pt")->required();
  cmd->add_option("--samples", args->samples, "Observations (with the C++ actions) stored for checking")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", args->seed, "Seed of the episodes the sample observations come from");
  cmd->footer(
      "Load in Python with `drivelab.policy.load(\"policy.pt\")` (needs torch), or read the dict with\n"
      "torch.load(path, weights_only=True). mlp and cnn policies only. Exit codes: 0 done, 2 bad input.");
  return {cmd, [args] { return cmd_export(*args); }};
}

}  // namespace dl::app
