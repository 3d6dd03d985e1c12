// Threading pipeline of the vector env, in one place:
//
//   The caller's thread is worker 0; num_threads - 1 persistent threads are workers 1..T-1. Env i belongs
//   to worker i * T / N (a fixed, contiguous partition), and every per-env random draw comes from env i's
//   own generator, so which thread runs an env never changes a result.
//   A call (reset or step) publishes the task under the mutex and bumps `generation_`; each worker runs
//   its slice, then decrements `pending_`; the caller runs slice 0 and waits until `pending_` is 0.
//   A worker never touches another slice's rows, so the arrays need no locking.
//   Exceptions are caught per env and rethrown on the caller's thread after every slice has finished
//   (the lowest env index first), ActionErrors prefixed with the env index.
//   num_threads 0 or 1: no threads at all; the caller steps every env inline.
#include "envs/vector_env.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "sim/rng.h"

namespace dl::envs {
namespace {
// Separates the autoreset seed stream from the env's own stream seeded with the same number.
constexpr uint64_t kEpisodeSeedSalt = 0x6570697365ULL;
}  // namespace

struct VectorEnv::Impl {
  enum class Task { reset, step };

  std::vector<std::unique_ptr<Env>> envs;
  Spec obs_spec;
  ActionSpec action_spec;
  size_t obs_bytes = 0;
  std::vector<uint8_t> obs, final_obs;
  std::vector<float> rewards;
  std::vector<uint8_t> terminated, truncated;
  std::vector<Info> infos;
  std::vector<sim::Rng> episode_rngs;  // env i's source of later episode seeds
  std::vector<std::exception_ptr> errors;

  // Task of the current call.
  Task task = Task::step;
  const float* actions = nullptr;
  uint64_t seed = 0;

  int num_workers = 1;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable start_cv, done_cv;
  uint64_t generation = 0;
  int pending = 0;
  bool stopping = false;

  int n() const { return static_cast<int>(envs.size()); }
  uint8_t* obs_row(int i) { return obs.data() + i * obs_bytes; }

  void reset_one(int i) {
    episode_rngs[i].reseed(sim::Rng::mix(seed + i, kEpisodeSeedSalt));
    envs[i]->reset(seed + i, obs_row(i), infos[i]);
    rewards[i] = 0;
    terminated[i] = truncated[i] = 0;
  }

  void step_one(int i) {
    const float* action = actions + static_cast<size_t>(i) * action_spec.dim();
    const StepResult r = envs[i]->step(action, obs_row(i), infos[i]);
    rewards[i] = r.reward;
    terminated[i] = r.terminated;
    truncated[i] = r.truncated;
    if (!r.terminated && !r.truncated) return;
    // Same-step autoreset: keep the last observation and the finished episode's info.
    std::memcpy(final_obs.data() + i * obs_bytes, obs_row(i), obs_bytes);
    Info first_info;
    envs[i]->reset(episode_rngs[i].next_u64(), obs_row(i), first_info);
  }

  void run_slice(int worker) {
    const int begin = worker * n() / num_workers, end = (worker + 1) * n() / num_workers;
    for (int i = begin; i < end; ++i) {
      try {
        task == Task::reset ? reset_one(i) : step_one(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  }

  void worker_loop(int worker) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        start_cv.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      run_slice(worker);
      std::lock_guard lock(mutex);
      if (--pending == 0) done_cv.notify_one();
    }
  }

  void run_all() {
    std::fill(errors.begin(), errors.end(), nullptr);
    if (threads.empty()) {
      run_slice(0);
    } else {
      {
        std::lock_guard lock(mutex);
        pending = num_workers - 1;
        ++generation;
      }
      start_cv.notify_all();
      run_slice(0);
      std::unique_lock lock(mutex);
      done_cv.wait(lock, [&] { return pending == 0; });
    }
    rethrow_first_error();
  }

  void rethrow_first_error() {
    for (int i = 0; i < n(); ++i) {
      if (!errors[i]) continue;
      try {
        std::rethrow_exception(errors[i]);
      } catch (const ActionError& e) {
        throw ActionError("env " + std::to_string(i) + ": " + e.what());
      }
    }
  }
};

VectorEnv::VectorEnv(const Factory& make, int num_envs, int num_threads) : impl_(std::make_unique<Impl>()) {
  if (num_envs < 1) throw std::invalid_argument("VectorEnv: num_envs must be >= 1, got " + std::to_string(num_envs));
  if (num_threads < 0)
    throw std::invalid_argument("VectorEnv: num_threads must be >= 0, got " + std::to_string(num_threads));
  auto& m = *impl_;
  for (int i = 0; i < num_envs; ++i) m.envs.push_back(make(i));
  m.obs_spec = m.envs[0]->observation_spec();
  m.action_spec = m.envs[0]->action_spec();
  for (int i = 1; i < num_envs; ++i) {
    if (m.envs[i]->observation_spec().shape != m.obs_spec.shape ||
        m.envs[i]->observation_spec().dtype != m.obs_spec.dtype || m.envs[i]->action_spec().dim() != m.action_spec.dim())
      throw std::invalid_argument("VectorEnv: env " + std::to_string(i) + " has other specs than env 0");
  }
  m.obs_bytes = m.obs_spec.bytes();
  m.obs.assign(m.obs_bytes * num_envs, 0);
  m.final_obs.assign(m.obs_bytes * num_envs, 0);
  m.rewards.assign(num_envs, 0);
  m.terminated.assign(num_envs, 0);
  m.truncated.assign(num_envs, 0);
  m.infos.assign(num_envs, Info{});
  m.episode_rngs.assign(num_envs, sim::Rng(0));
  m.errors.assign(num_envs, nullptr);
  m.num_workers = std::clamp(num_threads, 1, num_envs);
  for (int w = 1; w < m.num_workers; ++w) m.threads.emplace_back([this, w] { impl_->worker_loop(w); });
}

VectorEnv::~VectorEnv() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->start_cv.notify_all();
  for (auto& t : impl_->threads) t.join();
}

int VectorEnv::num_envs() const { return impl_->n(); }
const Spec& VectorEnv::observation_spec() const { return impl_->obs_spec; }
const ActionSpec& VectorEnv::action_spec() const { return impl_->action_spec; }

void VectorEnv::reset(uint64_t seed) {
  impl_->task = Impl::Task::reset;
  impl_->seed = seed;
  impl_->run_all();
}

void VectorEnv::step(const float* actions) {
  impl_->task = Impl::Task::step;
  impl_->actions = actions;
  impl_->run_all();
}

void* VectorEnv::obs() { return impl_->obs.data(); }
void* VectorEnv::final_obs() { return impl_->final_obs.data(); }
const float* VectorEnv::rewards() const { return impl_->rewards.data(); }
const uint8_t* VectorEnv::terminated() const { return impl_->terminated.data(); }
const uint8_t* VectorEnv::truncated() const { return impl_->truncated.data(); }
const std::vector<Info>& VectorEnv::infos() const { return impl_->infos; }
Env& VectorEnv::env(int i) { return *impl_->envs.at(i); }

}  // namespace dl::envs
