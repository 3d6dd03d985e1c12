// drivelab/app: hyperparameter sweeps.
//
// A sweep file names a base run config, the parameters to vary and a metric to optimise. Each
// configuration (one assignment of the parameters) is trained with `seeds` seeds; one (configuration,
// seed) pair is a trial, run as its own `drivelab train` process in SWEEP/trials/NNN/. Trials live in
// SWEEP/sweep.db (SQLite), which is the whole state of the sweep: a trial is pending, running, done,
// failed or pruned, and a scheduler takes pending trials from it in a transaction, so a killed sweep
// resumes and several workers can share one sweep.
//
// This header holds the pure parts (the sweep file, grid and random proposals, early-stopping rules) so
// they can be tested without processes; sweep_store.h and sweep_runner.h hold the rest.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.h"

namespace dl::app {

enum class SweepMethod { grid, random, tpe };
enum class Goal { maximize, minimize };
enum class Distribution { values, uniform, log_uniform, int_uniform, categorical };
enum class EarlyStopMethod { none, median, asha };

struct ParamSpec {
  std::string path;  // a run-config key path, e.g. agent.learning_rate
  Distribution dist = Distribution::values;
  double min = 0, max = 0;          // uniform, log_uniform, int_uniform (inclusive)
  std::vector<std::string> values;  // values and categorical: each a YAML flow text ("3e-4", "[64, 64]")
  int line = 0;                     // where it is in the sweep file (1-based), for messages
};

struct EarlyStopSpec {
  EarlyStopMethod method = EarlyStopMethod::none;
  int64_t min_steps = 0;     // never stop a trial before this many env steps (ASHA: the first rung)
  int min_trials = 3;        // median: completed trials needed at a step before comparing with them
  int reduction_factor = 3;  // ASHA: keep the best 1/reduction_factor at each rung
};

// Tree-structured Parzen estimator (Bergstra et al. 2011), parameters modelled independently.
struct TpeSpec {
  int startup = 10;     // configurations drawn at random before the model is used
  double gamma = 0.25;  // fraction of finished trials that count as good
  int candidates = 24;  // draws from the good model, of which the best l(x)/g(x) is proposed
};

struct SweepSpec {
  std::string name;         // label of the sweep folder
  std::string base_text;    // the base run config, YAML text
  std::string base_origin;  // names base_text in messages (its file, or "SWEEP:LINE (inline base)")
  SweepMethod method = SweepMethod::grid;
  std::string metric = "eval/return_mean";
  Goal goal = Goal::maximize;
  std::vector<ParamSpec> parameters;
  int trials = 10;    // random, tpe: configurations to try (each run with `seeds` seeds)
  int parallel = 1;   // trial processes at once
  int seeds = 1;      // seeds per configuration: train.seed = base seed + k
  uint64_t seed = 0;  // seeds the random proposals
  EarlyStopSpec early_stop;
  TpeSpec tpe;
};

// Parses a sweep file. `base_dir` resolves a relative `base:` path; a non-empty `base_file` replaces
// whatever `base:` says (a resumed sweep uses the copy in its folder). Validates the base config and every
// parameter path and value against it. Throws ConfigError naming file, line and key.
SweepSpec parse_sweep(const std::string& yaml_text, const std::string& origin, const std::string& base_dir,
                      const std::string& base_file = "");
SweepSpec load_sweep(const std::string& path, const std::string& base_file = "");

// One configuration: (path, YAML flow text) in the order of the sweep file's parameters.
using Assignment = std::vector<std::pair<std::string, std::string>>;

// Every combination of the parameters' values, the first parameter varying slowest. Distributions have no
// grid: ConfigError.
std::vector<Assignment> expand_grid(const SweepSpec& spec);
// Configuration number `index` of a random search: a function of (spec.seed, index) only, so proposals do
// not depend on which worker asks or in which order.
Assignment sample_assignment(const SweepSpec& spec, uint64_t index);
// The configurations a new sweep starts with (grid: all of them; random: `trials` draws; tpe: the random
// startup draws, the rest is proposed as results come in).
std::vector<Assignment> initial_assignments(const SweepSpec& spec);

// A finished trial as TPE sees it. Pruned trials count as bad whatever their last value.
struct Observation {
  Assignment assignment;
  double value = 0;
  bool pruned = false;
};
// TPE's proposal number `index` given what has finished: random (as sample_assignment) until
// spec.tpe.startup trials finished; then, per parameter, the candidate drawn from the good trials' Parzen
// estimator l(x) with the highest l(x)/g(x), g from the other trials.
Assignment tpe_propose(const SweepSpec& spec, const std::vector<Observation>& history, uint64_t index);
// The canonical text of a value (as stored in the database), so "[64, 64]" and "[64,64]" compare equal.
std::string canonical_value(const std::string& text);

// `key=value` overrides for `drivelab train`, and the JSON text stored in the database.
std::vector<std::string> assignment_overrides(const Assignment& a);
std::string assignment_json(const Assignment& a);
Assignment assignment_from_json(const std::string& json);
// "lr=0.001 ent=0" with the last path component as the name, for tables and progress lines.
std::string assignment_label(const Assignment& a);

// ---- Early stopping ----------------------------------------------------------------------------------
// A learning curve of the sweep metric: (env step, value), steps increasing.
using Curve = std::vector<std::pair<int64_t, double>>;

// The last value reported at or before `step`; NaN if none.
double value_at(const Curve& curve, int64_t step);
// true when `a` is strictly worse than `b` for the goal.
bool worse(double a, double b, Goal goal);

// Median rule: stop a running trial whose best value so far is worse than the median of the completed
// trials' values at its latest step, once it is past min_steps and at least min_trials completed trials
// reached that step.
bool median_rule_stops(const Curve& running, const std::vector<Curve>& completed, Goal goal, const EarlyStopSpec& spec);

// ASHA rungs: min_steps * reduction_factor^k below `max_step`.
std::vector<int64_t> asha_rungs(const EarlyStopSpec& spec, int64_t max_step);
// At a rung, a trial goes on if its value is among the best max(1, n / reduction_factor) of the n values
// recorded at that rung (its own included; the first trial to arrive always goes on).
bool asha_keeps(double value, const std::vector<double>& others_at_rung, Goal goal, int reduction_factor);

// ---- The command -------------------------------------------------------------------------------------
CommandHook add_sweep_command(CLI::App& app);

}  // namespace dl::app
