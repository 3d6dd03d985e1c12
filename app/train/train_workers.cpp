// drivelab/app: data-parallel `drivelab train` (train_workers.h).
#include "app/train/train_workers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agents/distributed.h"
#include "agents/rollout.h"
#include "agents/algorithm.h"
#include "app/commands.h"
#include "app/run_config.h"

namespace dl::app {
namespace {

// A TCP port free on the loopback interface now (the kernel picks it; rank 0's store binds it right after).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("--nproc: no socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("--nproc: no free port: ") + std::strerror(errno));
  }
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

volatile sig_atomic_t g_stop_signal = 0;
extern "C" void on_launcher_signal(int sig) { g_stop_signal = sig; }

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

}  // namespace

int launch_local_workers(int argc, char** argv, int nproc) {
  if (std::getenv("WORLD_SIZE") && std::string(std::getenv("WORLD_SIZE")) != "1")
    throw ConfigError("--nproc: WORLD_SIZE is already set (" + std::string(std::getenv("WORLD_SIZE")) +
                      "); give --nproc or the torchrun variables, not both");
  // This command line without --nproc N / --nproc=N.
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--nproc") {
      ++i;
      continue;
    }
    if (a.rfind("--nproc=", 0) == 0) continue;
    args.push_back(a);
  }
  const std::string port = std::to_string(free_port());
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("--nproc: fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a launcher that dies takes its workers with it
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      std::vector<char*> cargs;
      for (auto& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      ::execv("/proc/self/exe", cargs.data());
      std::fprintf(stderr, "drivelab: --nproc: cannot start a worker: %s\n", std::strerror(errno));
      ::_exit(kExitFailure);
    }
    pids.push_back(pid);
  }
  struct sigaction action {};
  action.sa_handler = on_launcher_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::vector<int> status(nproc, -1);
  bool forwarded = false;
  int running = nproc, first_failure = -1;
  using clock = std::chrono::steady_clock;
  clock::time_point deadline = clock::time_point::max();
  bool terminated = false;
  while (running > 0) {
    int st = 0;
    const pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid > 0) {
      for (int r = 0; r < nproc; ++r)
        if (pids[r] == pid) {
          status[r] = st;
          --running;
          const bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
          if (!ok && first_failure < 0) {
            first_failure = r;
            std::fprintf(stderr, "drivelab: worker rank %d ended with %s; the others stop at their next collective\n",
                         r, describe(st).c_str());
            deadline = clock::now() + agents::dist::timeout_from_env() + std::chrono::seconds(10);
          }
        }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (g_stop_signal && !forwarded) {  // passed on to the workers, which stop as when run alone
      for (int r = 0; r < nproc; ++r)
        if (status[r] == -1) ::kill(pids[r], g_stop_signal);
      forwarded = true;
    }
    if (clock::now() > deadline && !terminated) {
      std::fprintf(stderr, "drivelab: workers still running past the timeout; terminating them\n");
      for (int r = 0; r < nproc; ++r)
        if (status[r] == -1) ::kill(pids[r], SIGKILL);
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (first_failure < 0) return kExitOk;
  const int st = status[first_failure];
  return WIFEXITED(st) ? WEXITSTATUS(st) : kExitFailure;
}

void check_data_parallel(const agents::TrainJob& job, const std::string& origin) {
  agents::dist::WorldInfo world;
  try {
    world = agents::dist::world_from_env();
  } catch (const io::InputError& e) {
    throw ConfigError(std::string("environment: ") + e.what());
  }
  if (world.world_size <= 1) return;
  const std::string& algo = job.agent.algo;
  // PPO, A2C and REINFORCE (and PPO started from a BC policy) train through agents::Session, which
  // all-reduces the gradient; the others have their own loops (datasets, stages, a GAN) not split yet.
  // The algorithm table says which (Algorithm::data_parallel).
  bool allowed = false;
  try {
    allowed = agents::find_algorithm(algo).data_parallel;
  } catch (const io::InputError& e) {
    throw ConfigError(origin + ": " + e.what());
  }
  if (!allowed) {
    std::string which;
    for (const std::string& name : agents::algorithm_names())
      if (agents::find_algorithm(name).data_parallel) which += (which.empty() ? "" : ", ") + name;
    throw ConfigError(origin + ": agent.algo: " + algo + " does not train data-parallel (WORLD_SIZE=" +
                      std::to_string(world.world_size) + "); " + which + " do");
  }
}

void join_data_parallel(const agents::TrainJob& job) {
  if (agents::dist::world_from_env().world_size <= 1) return;
  agents::dist::join_from_env(agents::resolve_device(job.train.device));
}

int train_as_worker(agents::TrainJob job) {
  job.run_dir = agents::dist::share_from_rank0("run_dir", "");
  job.metrics = nullptr;
  agents::train(job);
  return kExitOk;
}

}  // namespace dl::app
