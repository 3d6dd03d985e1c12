// drivelab/agents: the world model's networks, losses and stage files (see world_model.h).
#include "agents/world_model.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "agents/checkpoint.h"

namespace fs = std::filesystem;

namespace dl::agents {

namespace {
constexpr double kHalfLogTwoPi = 0.9189385332046727;  // 0.5 * ln(2 pi)
// Encoder output: 8c channels on a 2x2 grid; the decoder starts from 32c features on a 1x1 grid.
constexpr int64_t kEncoderGrid = 2 * 2;
constexpr int kFileVersion = 1;
}  // namespace

// ---- VAE ---------------------------------------------------------------------------------------------------

ConvVAEImpl::ConvVAEImpl(const VAEOptions& o) : options_(o) {
  if (o.z_dim < 1 || o.channels < 1) throw std::invalid_argument("vae: z_dim and channels must be >= 1");
  const int64_t c = o.channels;
  using torch::nn::Conv2dOptions;
  using torch::nn::ConvTranspose2dOptions;
  enc1_ = register_module("enc1", torch::nn::Conv2d(Conv2dOptions(3, c, 4).stride(2)));
  enc2_ = register_module("enc2", torch::nn::Conv2d(Conv2dOptions(c, 2 * c, 4).stride(2)));
  enc3_ = register_module("enc3", torch::nn::Conv2d(Conv2dOptions(2 * c, 4 * c, 4).stride(2)));
  enc4_ = register_module("enc4", torch::nn::Conv2d(Conv2dOptions(4 * c, 8 * c, 4).stride(2)));
  fc_mu_ = register_module("fc_mu", torch::nn::Linear(8 * c * kEncoderGrid, o.z_dim));
  fc_logvar_ = register_module("fc_logvar", torch::nn::Linear(8 * c * kEncoderGrid, o.z_dim));
  fc_decode_ = register_module("fc_decode", torch::nn::Linear(o.z_dim, 32 * c));
  dec1_ = register_module("dec1", torch::nn::ConvTranspose2d(ConvTranspose2dOptions(32 * c, 4 * c, 5).stride(2)));
  dec2_ = register_module("dec2", torch::nn::ConvTranspose2d(ConvTranspose2dOptions(4 * c, 2 * c, 5).stride(2)));
  dec3_ = register_module("dec3", torch::nn::ConvTranspose2d(ConvTranspose2dOptions(2 * c, c, 6).stride(2)));
  dec4_ = register_module("dec4", torch::nn::ConvTranspose2d(ConvTranspose2dOptions(c, 3, 6).stride(2)));
}

torch::Tensor frames_to_float(const torch::Tensor& frames_u8) {
  return frames_u8.permute({0, 3, 1, 2}).to(torch::kFloat32).div(255.0).contiguous();
}

ConvVAEImpl::Encoded ConvVAEImpl::encode(const torch::Tensor& frames) {
  const auto x = frames.scalar_type() == torch::kUInt8 ? frames_to_float(frames) : frames;
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != kWorldModelImageSize || x.size(3) != kWorldModelImageSize)
    throw std::invalid_argument("vae: expected 64x64x3 frames, got a tensor of shape " +
                                c10::str(frames.sizes()));
  auto h = torch::relu(enc1_(x));
  h = torch::relu(enc2_(h));
  h = torch::relu(enc3_(h));
  h = torch::relu(enc4_(h)).flatten(1);
  return {fc_mu_(h), fc_logvar_(h)};
}

torch::Tensor ConvVAEImpl::decode(const torch::Tensor& z) {
  auto h = fc_decode_(z).view({z.size(0), 32 * options_.channels, 1, 1});
  h = torch::relu(dec1_(h));
  h = torch::relu(dec2_(h));
  h = torch::relu(dec3_(h));
  return torch::sigmoid(dec4_(h));
}

ConvVAEImpl::Output ConvVAEImpl::forward(const torch::Tensor& frames, bool sample) {
  const auto e = encode(frames);
  const auto z = sample ? e.mu + torch::exp(0.5 * e.logvar) * torch::randn_like(e.mu) : e.mu;
  return {decode(z), e.mu, e.logvar};
}

VAELoss vae_loss(const ConvVAEImpl::Output& out, const torch::Tensor& target, double kl_tolerance, double beta) {
  const int64_t z_dim = out.mu.size(1);
  const auto recon = (out.reconstruction - target).pow(2).flatten(1).sum(1);
  const auto kl = 0.5 * (out.mu.pow(2) + out.logvar.exp() - 1 - out.logvar).sum(1);
  const auto kl_floored = kl.clamp_min(kl_tolerance * static_cast<double>(z_dim));
  return {(recon + beta * kl_floored).mean(), recon.mean(), kl.mean()};
}

// ---- MDN ---------------------------------------------------------------------------------------------------

torch::Tensor mdn_nll(const Mixture& m, const torch::Tensor& target) {
  const auto x = target.unsqueeze(-1);
  const auto log_normal = -0.5 * ((x - m.mu) * torch::exp(-m.log_sigma)).pow(2) - m.log_sigma - kHalfLogTwoPi;
  return -torch::logsumexp(torch::log_softmax(m.logit_pi, -1) + log_normal, -1);
}

torch::Tensor mdn_sample(const Mixture& m, double temperature) {
  const auto probs = torch::softmax(m.logit_pi / temperature, -1);
  const auto flat = probs.reshape({-1, probs.size(-1)});
  const auto k = torch::multinomial(flat, 1).view(probs.sizes().slice(0, probs.dim() - 1)).unsqueeze(-1);
  const auto mu = m.mu.gather(-1, k).squeeze(-1);
  const auto sigma = m.log_sigma.gather(-1, k).squeeze(-1).exp() * std::sqrt(temperature);
  return mu + sigma * torch::randn_like(mu);
}

MDNRNNImpl::MDNRNNImpl(const MDNRNNOptions& o) : options_(o) {
  if (o.z_dim < 1 || o.action_dim < 1 || o.hidden < 1 || o.components < 1)
    throw std::invalid_argument("mdnrnn: sizes must be >= 1");
  lstm_ = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(o.z_dim + o.action_dim, o.hidden).batch_first(true)));
  head_ = register_module("head", torch::nn::Linear(o.hidden, 3 * o.z_dim * o.components + 2));
}

MDNRNNImpl::State MDNRNNImpl::initial_state(int64_t batch, torch::Device device) const {
  auto zeros = torch::zeros({1, batch, options_.hidden}, torch::TensorOptions().device(device));
  return {zeros, zeros.clone()};
}

MDNRNNImpl::Output MDNRNNImpl::forward(const torch::Tensor& z, const torch::Tensor& actions, const State& state) {
  const int64_t b = z.size(0), t = z.size(1), zd = options_.z_dim, k = options_.components;
  const auto input = torch::cat({z, actions}, -1);
  auto [h, new_state] = std::get<0>(state).defined() ? lstm_->forward(input, state) : lstm_->forward(input);
  const auto out = head_(h);
  const int64_t mixture_size = zd * k;
  auto part = [&](int64_t i) { return out.narrow(-1, i * mixture_size, mixture_size).view({b, t, zd, k}); };
  Output o;
  o.next_z = {part(0), part(1), part(2)};
  o.reward = out.select(-1, 3 * mixture_size);
  o.done_logit = out.select(-1, 3 * mixture_size + 1);
  o.hidden = h;
  o.state = new_state;
  return o;
}

// ---- controller --------------------------------------------------------------------------------------------

int64_t controller_parameter_count(int64_t input_dim, int64_t action_dim) {
  return action_dim * input_dim + action_dim;
}

torch::Tensor controller_actions(const torch::Tensor& params, const torch::Tensor& inputs, const torch::Tensor& low,
                                 const torch::Tensor& high) {
  const int64_t n = inputs.size(0), in = inputs.size(1), a = low.size(0);
  if (params.size(1) != controller_parameter_count(in, a))
    throw std::invalid_argument("controller: " + std::to_string(params.size(1)) + " parameters for " +
                                std::to_string(in) + " inputs and " + std::to_string(a) + " actions (expected " +
                                std::to_string(controller_parameter_count(in, a)) + ")");
  const auto w = params.narrow(1, 0, a * in).view({n, a, in});
  const auto b = params.narrow(1, a * in, a);
  const auto x = torch::bmm(w, inputs.unsqueeze(-1)).squeeze(-1) + b;
  return low + (high - low) * (torch::tanh(x) + 1) * 0.5;
}

// ---- stage files -------------------------------------------------------------------------------------------

namespace {

// Opens a stage file and checks its kind; `what` names the file's role in messages.
struct StageReader {
  std::string path, what;
  torch::serialize::InputArchive archive;
  StageReader(const std::string& p, const std::string& kind, const std::string& w) : path(p), what(w) {
    if (!fs::exists(path)) throw fail("no such file");
    try {
      load_archive(path, archive);  // agents/checkpoint.h: size limit and CRC trailer
    } catch (const CheckpointError& e) {
      throw fail(std::string(e.what()) + "; delete it to redo the stage");
    }
    c10::IValue v;
    if (!archive.try_read("kind", v) || !v.isString())
      throw fail("no 'kind' entry; delete it to redo the stage");
    if (v.toStringRef() != kind)
      throw fail("holds a '" + v.toStringRef() + "', not a '" + kind + "'");
    if (int_value("version") != kFileVersion)
      throw fail("version " + std::to_string(int_value("version")) + ", this build reads version " +
                 std::to_string(kFileVersion));
  }
  CheckpointError fail(const std::string& why) const {
    return CheckpointError(path + ": expected the world model's " + what + " file: " + why);
  }
  int64_t int_value(const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v) || !v.isInt()) throw fail("missing integer entry '" + key + "'");
    return v.toInt();
  }
  double double_value(const std::string& key) {
    c10::IValue v;
    if (!archive.try_read(key, v) || !v.isDouble()) throw fail("missing number entry '" + key + "'");
    return v.toDouble();
  }
  torch::Tensor tensor(const std::string& key) {
    torch::Tensor t;
    if (!archive.try_read(key, t)) throw fail("missing tensor '" + key + "'");
    if (t.is_floating_point() && t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
      throw fail("tensor '" + key + "' has NaN or infinite values");
    return t;
  }
  void load_module(torch::nn::Module& module) {
    torch::serialize::InputArchive weights;
    if (!archive.try_read("model", weights)) throw fail("missing the model weights");
    try {
      module.load(weights);
    } catch (const std::exception& e) {
      throw fail("weights do not fit the recorded shape (" + io::first_line(e.what()) + ")");
    }
    for (const auto& item : module.named_parameters())
      if (item.value().numel() > 0 && !torch::isfinite(item.value()).all().item<bool>())
        throw fail("tensor '" + item.key() + "' has NaN or infinite values");
  }
};

torch::serialize::OutputArchive header(const std::string& kind) {
  torch::serialize::OutputArchive a;
  a.write("kind", c10::IValue(kind));
  a.write("version", c10::IValue(static_cast<int64_t>(kFileVersion)));
  return a;
}

}  // namespace

void save_vae(const std::string& path, ConvVAE& vae) {
  auto a = header("vae");
  a.write("z_dim", c10::IValue(vae->options().z_dim));
  a.write("channels", c10::IValue(vae->options().channels));
  torch::serialize::OutputArchive weights;
  vae->save(weights);
  a.write("model", weights);
  save_archive(a, path);
}

ConvVAE load_vae(const std::string& path) {
  StageReader r(path, "vae", "VAE");
  VAEOptions o;
  o.z_dim = r.int_value("z_dim");
  o.channels = r.int_value("channels");
  if (o.z_dim < 1 || o.channels < 1) throw r.fail("bad sizes");
  ConvVAE vae(o);
  r.load_module(*vae);
  return vae;
}

void save_mdnrnn(const std::string& path, MDNRNN& rnn) {
  auto a = header("mdnrnn");
  const auto& o = rnn->options();
  a.write("z_dim", c10::IValue(o.z_dim));
  a.write("action_dim", c10::IValue(o.action_dim));
  a.write("hidden", c10::IValue(o.hidden));
  a.write("components", c10::IValue(o.components));
  torch::serialize::OutputArchive weights;
  rnn->save(weights);
  a.write("model", weights);
  save_archive(a, path);
}

MDNRNN load_mdnrnn(const std::string& path) {
  StageReader r(path, "mdnrnn", "MDN-RNN");
  MDNRNNOptions o;
  o.z_dim = r.int_value("z_dim");
  o.action_dim = r.int_value("action_dim");
  o.hidden = r.int_value("hidden");
  o.components = r.int_value("components");
  if (o.z_dim < 1 || o.action_dim < 1 || o.hidden < 1 || o.components < 1) throw r.fail("bad sizes");
  MDNRNN rnn(o);
  r.load_module(*rnn);
  return rnn;
}

void save_controller(const std::string& path, const ControllerFile& c) {
  auto a = header("controller");
  a.write("z_dim", c10::IValue(c.z_dim));
  a.write("hidden", c10::IValue(c.hidden));
  a.write("action_dim", c10::IValue(c.action_dim));
  a.write("params", c.params.cpu());
  a.write("best_params", c.best_params.cpu());
  a.write("best_train_return", c10::IValue(c.best_train_return));
  a.write("generations", c10::IValue(c.generations));
  save_archive(a, path);
}

ControllerFile load_controller(const std::string& path) {
  StageReader r(path, "controller", "controller");
  ControllerFile c;
  c.z_dim = r.int_value("z_dim");
  c.hidden = r.int_value("hidden");
  c.action_dim = r.int_value("action_dim");
  c.params = r.tensor("params");
  c.best_params = r.tensor("best_params");
  c.best_train_return = r.double_value("best_train_return");
  c.generations = r.int_value("generations");
  const int64_t expected = controller_parameter_count(c.z_dim + c.hidden, c.action_dim);
  if (c.params.numel() != expected || c.best_params.numel() != expected)
    throw r.fail(std::to_string(c.params.numel()) + " parameters, expected " + std::to_string(expected));
  return c;
}

}  // namespace dl::agents
