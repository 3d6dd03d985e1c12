// drivelab/app: running a sweep. The scheduler takes pending trials from SWEEP/sweep.db, runs each as a
// `drivelab train` process (fork + exec) with its output in SWEEP/trials/NNN/log.txt, polls the running
// trials' metrics.csv for early stopping, and records how each one ended. Nothing but the database is
// shared between workers, so one sweep folder can be served by several `drivelab sweep` processes.
#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "app/sweep/sweep.h"

namespace dl::app {

struct SweepRunOptions {
  std::string executable;                   // the drivelab binary; "" = this process's own (/proc/self/exe)
  int parallel = 0;                         // trial processes at once; 0 = the sweep file's `parallel`
  bool progress = true;                     // a line per started and ended trial
  double poll_s = 5.0;                      // how often running trials' metrics are read (drivelab train rewrites
                                            // metrics.csv every 5 s; exits are noticed within 0.1 s regardless)
  std::string worker;                       // this worker's name in the database; "" = host:pid
  std::optional<int64_t> only_trial;        // run just this trial (drivelab sweep --run-trial)
  int gpus = -1;                            // GPUs to spread trials over; -1 = ask LibTorch when the base wants CUDA
  const std::atomic<bool>* stop = nullptr;  // set (by a signal handler) to stop: running trials are requeued
};

struct SweepCounts {
  int pending = 0, running = 0, done = 0, failed = 0, pruned = 0;
};

// Creates a sweep folder (`out_dir`, or sweeps/<name>__<time>/ when empty) from a sweep file: a copy of the
// sweep file and of its base config, and sweep.db with every initial trial pending. Returns the folder.
// Throws ConfigError for a bad sweep file or a folder that already holds a sweep.
std::string create_sweep(const std::string& sweep_file, const std::string& out_dir);
// The sweep file of a sweep folder, read against the folder's copy of the base config.
SweepSpec load_sweep_dir(const std::string& dir);
// Adds `n` random configurations (each with the sweep's seeds) to an existing sweep.
void extend_sweep(const std::string& dir, int n);

// Runs pending trials until none is left (or `stop`). `requeue_running`: trials left running by a killed
// sweep are run again (drivelab sweep --resume); workers sharing a sweep pass false.
SweepCounts run_sweep(const std::string& dir, const SweepRunOptions& options, bool requeue_running);

// results.md, results.csv, best.yaml and the plots; prints the table when `print`.
void write_sweep_report(const std::string& dir, bool print, bool plots = true);

int cuda_device_count();  // app/sweep/sweep_gpu.cpp: the one place the sweep code touches LibTorch

}  // namespace dl::app
