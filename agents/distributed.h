// drivelab/agents: data-parallel training on LibTorch's c10d (the engine under torch.distributed).
//
// A run of W ranks is launched the way torchrun launches one: every process has MASTER_ADDR, MASTER_PORT,
// RANK, WORLD_SIZE and LOCAL_RANK in its environment (`drivelab train --nproc N` sets them for N local
// workers; Slurm scripts derive them from SLURM_* variables, examples/slurm/). join_from_env() meets the
// others through a c10d TCPStore that rank 0 serves, then opens
//   - a Gloo process group, always: host tensors (normalizer inputs, episode tallies, step counts);
//   - a NCCL process group when the training device is CUDA: the gradients, where they live.
// The process-group timeout (DRIVELAB_DIST_TIMEOUT_S, default 300 s) bounds every collective, so a peer
// that died or hangs makes the others fail with a clear error instead of waiting for ever.
//
// What data parallelism means here (docs/scaling.md): rank r steps envs r*N .. r*N+N-1 of one global vector
// env of W*N envs, seeded exactly as a 1-process run over W*N envs seeds them; the per-step host statistics
// (observation normalizer, reward scaler) see all W*N envs' rows, in global order; action noise is drawn
// for all W*N rows and each rank keeps its own; the flat gradient is averaged with one all-reduce per
// gradient step. So a W-rank run equals the 1-process run over W*N envs (to float summation order) when
// each rank's update sees the whole of its batch at once (A2C; PPO with one minibatch, no per-minibatch
// advantage normalization). With several minibatches each rank shuffles its own rows.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace dl::agents::dist {

// The torchrun variables of this process. world_size 1 (and rank 0) when WORLD_SIZE is unset.
struct WorldInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
};
// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Throws io::InputError naming the variable
// when one is malformed or missing while WORLD_SIZE > 1.
WorldInfo world_from_env();
// DRIVELAB_DIST_TIMEOUT_S (seconds, default 300): rendezvous and every collective.
std::chrono::milliseconds timeout_from_env();

// Joins the process group of world_from_env() when WORLD_SIZE > 1 (no-op otherwise). `device` picks the
// gradient backend: NCCL for CUDA, Gloo for CPU. On CUDA, a device given as plain "cuda" becomes
// cuda:LOCAL_RANK (the returned device). Call once per process, before building the policy.
torch::Device join_from_env(torch::Device device);
void leave();  // destroys the groups (also at exit)

bool active();  // joined a group of world_size > 1
int rank();
int world_size();

// Rank 0 publishes `value` under `key` in the rendezvous store; the others wait for it (timeout above).
std::string share_from_rank0(const std::string& key, const std::string& value);

// Gradient averaging: t (any device, float32) <- mean over ranks, in place. One collective call.
void all_reduce_mean(torch::Tensor& t);
// t summed over ranks (any device; a copy; t itself alone). One collective call.
torch::Tensor sum_over_ranks(const torch::Tensor& t);
// (x - mean) / (std + eps) with the mean and unbiased std of every rank's x together (one all-reduce of three
// numbers), as one process holding all the rows would compute them. Alone: exactly x's own mean and std.
torch::Tensor normalize_over_ranks(const torch::Tensor& x, double eps);
// Host sums over ranks (double), in place.
void all_reduce_sum(std::vector<double>& values);
// Host gather: every rank gives `bytes` bytes; returns W * bytes, rank 0's first.
std::vector<char> all_gather_bytes(const void* data, size_t bytes);
// Barrier over the Gloo group.
void barrier();
// Compares a 64-bit hash of `params`' bytes across ranks; throws std::runtime_error naming the ranks and
// `step` when they differ (data-parallel ranks must stay bitwise identical: the same init, the same
// averaged gradients, the same optimizer). Session calls it wherever it checkpoints.
void check_identical(const torch::Tensor& params, int64_t step);

// Sampling over the global batch: while a GlobalRows is alive on this thread, a distribution sampling B
// rows draws its noise for `total` rows and keeps rows [offset, offset + B) (agents/distributions.cpp), so
// rank r's actions are the ones a 1-process run over all rows would draw for its envs.
struct SampleRows {
  int64_t offset = 0;
  int64_t total = 0;
};
const SampleRows* sample_rows();  // null outside a GlobalRows
class GlobalRows {
 public:
  GlobalRows(int64_t offset, int64_t total);
  ~GlobalRows();
  GlobalRows(const GlobalRows&) = delete;
  GlobalRows& operator=(const GlobalRows&) = delete;

 private:
  const SampleRows* previous_;
  SampleRows rows_;
};

}  // namespace dl::agents::dist
