// drivelab/agents: data-parallel training on c10d (distributed.h).
#include "agents/distributed.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>

// The wheel exports ProcessGroupGloo from libtorch_cpu; its header needs the Gloo names (agents/gloo_names).
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef DRIVELAB_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "io/files.h"

namespace dl::agents::dist {

namespace {

struct Group {
  WorldInfo world;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> host;    // Gloo
  c10::intrusive_ptr<c10d::Backend> device;  // NCCL on CUDA, else the Gloo group
};
std::unique_ptr<Group>& group() {
  static std::unique_ptr<Group> g;
  return g;
}

int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    throw io::InputError(std::string(name) + "='" + v + "': expected an integer in [" + std::to_string(lo) +
                         ", " + std::to_string(hi) + "]");
  return static_cast<int>(x);
}

// Runs a collective and waits for it; a failure (a peer died, or the timeout passed) becomes one clear line.
void run(const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
  try {
    auto work = start();
    work->wait();
  } catch (const std::exception& e) {
    std::string detail = e.what();
    detail = io::first_line(detail);
    const auto& g = *group();
    throw std::runtime_error("distributed: rank " + std::to_string(g.world.rank) + " of " +
                             std::to_string(g.world.world_size) + ": " + what +
                             " failed: a peer died or stopped answering (timeout " +
                             std::to_string(g.timeout.count() / 1000) + " s): " + detail);
  }
}

Group& joined() {
  if (!group()) throw std::logic_error("distributed: no process group joined");
  return *group();
}

thread_local const SampleRows* t_rows = nullptr;

}  // namespace

WorldInfo world_from_env() {
  WorldInfo w;
  w.world_size = env_int("WORLD_SIZE", 1, 1, 1 << 20);
  w.rank = env_int("RANK", 0, 0, w.world_size - 1);
  w.local_rank = env_int("LOCAL_RANK", 0, 0, 1 << 20);
  if (w.world_size > 1) {
    for (const char* name : {"RANK", "MASTER_ADDR", "MASTER_PORT"})
      if (!std::getenv(name) || !*std::getenv(name))
        throw io::InputError(std::string(name) + " is not set, but WORLD_SIZE=" + std::to_string(w.world_size) +
                             " asks for a distributed run (set the torchrun variables, or use --nproc)");
    w.master_addr = std::getenv("MASTER_ADDR");
    w.master_port = env_int("MASTER_PORT", 0, 1, 65535);
  }
  return w;
}

std::chrono::milliseconds timeout_from_env() {
  return std::chrono::seconds(env_int("DRIVELAB_DIST_TIMEOUT_S", 300, 1, 24 * 3600));
}

// One GPU per local rank unless the config named a device other than cuda:0.
static torch::Device rank_device(torch::Device device, const WorldInfo& w) {
  if (!device.is_cuda() || w.world_size <= 1 || (device.has_index() && device.index() != 0)) return device;
  if (w.local_rank >= static_cast<int>(torch::cuda::device_count()))
    throw io::InputError("LOCAL_RANK=" + std::to_string(w.local_rank) + " but only " +
                         std::to_string(torch::cuda::device_count()) + " CUDA device(s) exist");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(w.local_rank));
}

torch::Device join_from_env(torch::Device device) {
  if (group()) return rank_device(device, group()->world);
  const WorldInfo w = world_from_env();
  if (w.world_size <= 1) return device;
  device = rank_device(device, w);
  auto g = std::make_unique<Group>();
  g->world = w;
  g->timeout = timeout_from_env();
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<uint16_t>(w.master_port);
  opts.isServer = w.rank == 0;
  opts.numWorkers = w.world_size;
  opts.waitWorkers = true;
  opts.timeout = g->timeout;
  try {
    g->store = c10::make_intrusive<c10d::TCPStore>(w.master_addr, opts);
    auto gloo_opts = c10d::ProcessGroupGloo::Options::create_default(g->timeout);
    g->host = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", g->store), w.rank, w.world_size, gloo_opts);
  } catch (const std::exception& e) {
    std::string detail = e.what();
    throw std::runtime_error("distributed: rank " + std::to_string(w.rank) + " could not join " +
                             w.master_addr + ":" + std::to_string(w.master_port) + " with " +
                             std::to_string(w.world_size) + " ranks: " + io::first_line(detail));
  }
  g->device = g->host;
  if (device.is_cuda()) {
#ifdef DRIVELAB_WITH_NCCL
    auto nccl_opts = c10d::ProcessGroupNCCL::Options::create();
    nccl_opts->timeout = g->timeout;
    g->device = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("nccl", g->store), w.rank, w.world_size, nccl_opts);
#else
    throw std::runtime_error("distributed: train.device is CUDA but this drivelab was built without NCCL "
                             "(rebuild where CUDA and nccl.h are found; scripts/gpu_check.sh does)");
#endif
  }
  group() = std::move(g);
  return device;
}

void leave() { group().reset(); }

bool active() { return group() != nullptr; }
int rank() { return group() ? group()->world.rank : 0; }
int world_size() { return group() ? group()->world.world_size : 1; }

std::string share_from_rank0(const std::string& key, const std::string& value) {
  if (!active()) return value;
  auto& g = joined();
  const std::string k = "drivelab/" + key;
  try {
    if (g.world.rank == 0) {
      g.store->set(k, std::vector<uint8_t>(value.begin(), value.end()));
      return value;
    }
    auto bytes = g.store->get(k);
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    std::string detail = e.what();
    throw std::runtime_error("distributed: rank " + std::to_string(g.world.rank) + ": no '" + key +
                             "' from rank 0: " + io::first_line(detail));
  }
}

void all_reduce_mean(torch::Tensor& t) {
  if (!active()) return;
  auto& g = joined();
  torch::NoGradGuard no_grad;
  auto& backend = t.is_cuda() ? g.device : g.host;
  std::vector<at::Tensor> tensors{t};
  run("gradient all-reduce", [&] { return backend->allreduce(tensors); });
  t.div_(static_cast<double>(g.world.world_size));
}

torch::Tensor sum_over_ranks(const torch::Tensor& t) {
  if (!active()) return t;
  auto& g = joined();
  torch::NoGradGuard no_grad;
  auto sum = t.detach().clone().contiguous();
  std::vector<at::Tensor> tensors{sum};
  run("all-reduce of sums", [&] { return (sum.is_cuda() ? g.device : g.host)->allreduce(tensors); });
  return sum;
}

torch::Tensor normalize_over_ranks(const torch::Tensor& x, double eps) {
  if (!active()) return (x - x.mean()) / (x.std() + eps);
  torch::Tensor stats;
  {
    torch::NoGradGuard no_grad;
    auto x64 = x.detach().to(torch::kFloat64);
    auto n = torch::full({}, static_cast<double>(x.numel()), x64.options());
    stats = sum_over_ranks(torch::stack({x64.sum(), (x64 * x64).sum(), n}));
  }
  const auto s = stats[0], q = stats[1], n = stats[2];
  const auto mean = s / n;
  const auto var = (q - s * mean) / (n - 1).clamp_min(1.0);
  return (x - mean.to(x.scalar_type())) / (var.clamp_min(0.0).sqrt().to(x.scalar_type()) + eps);
}

void all_reduce_sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
  auto& g = joined();
  auto t = torch::from_blob(values.data(), {static_cast<int64_t>(values.size())}, torch::kFloat64);
  std::vector<at::Tensor> tensors{t};
  run("all-reduce of host sums", [&] { return g.host->allreduce(tensors); });
}

std::vector<char> all_gather_bytes(const void* data, size_t bytes) {
  if (!active()) return std::vector<char>(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
  auto& g = joined();
  const int W = g.world.world_size;
  std::vector<char> out(bytes * W);
  auto input = torch::empty({static_cast<int64_t>(bytes)}, torch::kUInt8);
  std::memcpy(input.data_ptr(), data, bytes);
  auto gathered = torch::empty({static_cast<int64_t>(bytes) * W}, torch::kUInt8);
  run("all-gather of host rows", [&] { return g.host->_allgather_base(gathered, input); });
  std::memcpy(out.data(), gathered.data_ptr(), out.size());
  return out;
}

void barrier() {
  if (!active()) return;
  auto& g = joined();
  run("barrier", [&] { return g.host->barrier(); });
}

void check_identical(const torch::Tensor& params, int64_t step) {
  if (!active()) return;
  auto host = params.detach().to(torch::kCPU).contiguous();
  // FNV-1a over the bytes: any difference in any bit shows.
  uint64_t hash = 1469598103934665603ull;
  const auto* p = static_cast<const unsigned char*>(host.data_ptr());
  for (size_t i = 0, n = host.nbytes(); i < n; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  const auto all = all_gather_bytes(&hash, sizeof hash);
  const auto* hashes = reinterpret_cast<const uint64_t*>(all.data());
  for (int r = 1; r < world_size(); ++r)
    if (hashes[r] != hashes[0])
      throw std::runtime_error("distributed: the parameters of rank " + std::to_string(r) + " differ from rank 0's at step " +
                               std::to_string(step) + " (were the ranks started with different configs or seeds?)");
}

const SampleRows* sample_rows() { return t_rows; }

GlobalRows::GlobalRows(int64_t offset, int64_t total) : previous_(t_rows), rows_{offset, total} { t_rows = &rows_; }
GlobalRows::~GlobalRows() { t_rows = previous_; }

}  // namespace dl::agents::dist
