// Sweeps: the sweep file, proposals, early stopping, the scheduler with a fake trial command, and a tiny
// real sweep through the drivelab binary.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "app/run_config.h"
#include "app/train/metrics.h"
#include "app/sweep/sweep.h"
#include "app/sweep/sweep_runner.h"
#include "app/sweep/sweep_store.h"
#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::temp_dir;
using dl::test::write;
using dl::test::slurp;
using namespace dl::app;

namespace {

const std::string kBase = std::string(DRIVELAB_SOURCE_DIR) + "/configs/ppo_track.yaml";

int count_lines(const fs::path& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

SweepSpec parse(const std::string& body) { return parse_sweep("base: " + kBase + "\n" + body, "sw.yaml", "."); }

// A stand-in for `drivelab train`: logs its arguments, fails for learning_rate 0.5, otherwise writes a
// metrics.csv whose eval/return_mean is the learning rate (so the best trial is the largest rate).
fs::path fake_trainer(const fs::path& dir) {
  const fs::path script = dir / "fake_train.sh";
  write(script,
        "#!/bin/sh\n"
        "echo \"$*\" >> \"" +
            (dir / "calls.txt").string() +
            "\"\n"
            "run_dir=''; lr=''; prev=''\n"
            "for a in \"$@\"; do\n"
            "  [ \"$prev\" = --run-dir ] && run_dir=\"$a\"\n"
            "  case \"$a\" in agent.learning_rate=*) lr=\"${a#*=}\";; esac\n"
            "  prev=\"$a\"\n"
            "done\n"
            "if [ \"$lr\" = 0.5 ]; then echo 'loss is NaN' >&2; exit 3; fi\n"
            "printf 'step,wall_s,name,value\\n100,0.1,eval/return_mean,%s\\n200,0.2,eval/return_mean,%s\\n' \"$lr\" "
            "\"$lr\""
            " > \"$run_dir/metrics.csv\"\n");
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

fs::path grid_sweep_file(const fs::path& dir, const std::string& rates) {
  const fs::path file = dir / "grid.yaml";
  write(file, "name: grid\nbase: " + kBase + "\nmethod: grid\nparameters:\n  agent.learning_rate: [" + rates +
                  "]\nparallel: 2\n");
  return file;
}

SweepRunOptions fake_options(const fs::path& dir) {
  SweepRunOptions o;
  o.executable = fake_trainer(dir).string();
  o.progress = false;
  o.poll_s = 0.05;
  o.gpus = 0;
  return o;
}

}  // namespace

TEST_CASE("a grid holds every combination, the first parameter varying slowest", "[sweep]") {
  const SweepSpec spec = parse(
      "parameters:\n  agent.learning_rate: [0.001, 0.002, 0.003]\n"
      "  agent.net.hidden: {values: [[64, 64], [32]]}\n");
  const auto grid = expand_grid(spec);
  REQUIRE(grid.size() == 6);
  CHECK(grid[0] == Assignment{{"agent.learning_rate", "0.001"}, {"agent.net.hidden", "[64, 64]"}});
  CHECK(grid[1] == Assignment{{"agent.learning_rate", "0.001"}, {"agent.net.hidden", "[32]"}});
  CHECK(grid[5] == Assignment{{"agent.learning_rate", "0.003"}, {"agent.net.hidden", "[32]"}});
  // The overrides a trial gets are accepted by the run-config loader, lists included.
  const RunConfig config = load_run_config(kBase, assignment_overrides(grid[0]));
  CHECK(config.agent.net.hidden == std::vector<int>{64, 64});
  // Stored as JSON and read back unchanged.
  CHECK(assignment_from_json(assignment_json(grid[3])) ==
        Assignment{{"agent.learning_rate", "0.002"}, {"agent.net.hidden", "[32]"}});
}

TEST_CASE("random proposals are reproducible per trial index, within bounds, and log-uniform in log space", "[sweep]") {
  const SweepSpec spec = parse(
      "method: random\nseed: 11\nparameters:\n"
      "  agent.ppo.gae_lambda: {distribution: uniform, min: 0.8, max: 0.9}\n"
      "  agent.learning_rate: {distribution: log_uniform, min: 0.00001, max: 0.1}\n"
      "  agent.ppo.update_epochs: {distribution: int_uniform, min: 2, max: 5}\n"
      "  agent.net.activation: {distribution: categorical, values: [tanh, relu, gelu]}\n");
  CHECK(sample_assignment(spec, 3) == sample_assignment(spec, 3));
  CHECK(sample_assignment(spec, 0) != sample_assignment(spec, 1));  // two workers' first proposals differ
  SweepSpec other_seed = spec;
  other_seed.seed = 12;
  CHECK(sample_assignment(other_seed, 0) != sample_assignment(spec, 0));

  constexpr int kDraws = 2000;
  int lower_decades = 0;
  std::set<std::string> epochs, activations;
  for (int i = 0; i < kDraws; ++i) {
    const Assignment a = sample_assignment(spec, i);
    const double lambda = std::stod(a[0].second), lr = std::stod(a[1].second);
    CHECK((lambda >= 0.8 && lambda <= 0.9));
    CHECK((lr >= 1e-5 && lr <= 0.1));
    lower_decades += lr < 1e-3;  // half of the log range lies below 1e-3, under 1% of the linear range
    epochs.insert(a[2].second);
    activations.insert(a[3].second);
  }
  CHECK(lower_decades > 0.45 * kDraws);
  CHECK(lower_decades < 0.55 * kDraws);
  CHECK(epochs == std::set<std::string>{"2", "3", "4", "5"});
  CHECK(activations == std::set<std::string>{"tanh", "relu", "gelu"});
  CHECK(
      initial_assignments(
          parse("method: random\ntrials: 7\nparameters:\n  agent.ppo.ent_coef: {distribution: uniform, min: 0, max: 1}\n"))
          .size() == 7);
}

TEST_CASE("TPE proposals move towards the better region as trials finish", "[sweep]") {
  const SweepSpec spec = parse(
      "method: tpe\ntrials: 60\nseed: 3\ntpe: {startup: 10}\nparameters:\n"
      "  agent.learning_rate: {distribution: log_uniform, min: 0.00001, max: 0.1}\n"
      "  agent.net.activation: {distribution: categorical, values: [tanh, relu, gelu]}\n"
      "  agent.ppo.update_epochs: {distribution: int_uniform, min: 1, max: 9}\n");
  CHECK(initial_assignments(spec).size() == 10);  // the random startup; the rest is proposed later
  // Best at learning_rate 1e-3, relu and 5 epochs.
  auto objective = [](const Assignment& a) {
    const double decades = std::log10(std::stod(a[0].second)) + 3;
    return -decades * decades + (a[1].second == "relu" ? 1.0 : 0.0) - 0.1 * std::abs(std::stoi(a[2].second) - 5);
  };
  std::vector<Observation> history;
  for (int i = 0; i < 60; ++i) {
    const Assignment a = tpe_propose(spec, history, i);
    if (i < 10) CHECK(a == sample_assignment(spec, i));
    const int epochs = std::stoi(a[2].second);
    CHECK((epochs >= 1 && epochs <= 9));
    history.push_back({a, objective(a), false});
  }
  CHECK(tpe_propose(spec, history, 60) == tpe_propose(spec, history, 60));
  double decades_off = 0;
  int relu = 0;
  for (int i = 40; i < 60; ++i) {
    decades_off += std::abs(std::log10(std::stod(history[i].assignment[0].second)) + 3) / 20;
    relu += history[i].assignment[1].second == "relu";
  }
  // Random search would be 1 decade off on average (uniform over [-5, -1]) and pick relu a third of the time.
  CHECK(decades_off < 0.5);
  CHECK(relu > 10);

  // Through the scheduler: the startup draws, then one proposal per free slot up to `trials`; --extend
  // raises the target.
  const fs::path dir = temp_dir("tpe");
  write(dir / "tpe.yaml", "base: " + kBase +
                              "\nmethod: tpe\ntrials: 5\ntpe: {startup: 2}\nparallel: 2\nparameters:\n"
                              "  agent.learning_rate: {distribution: log_uniform, min: 0.01, max: 0.4}\n");
  const std::string sweep_dir = create_sweep((dir / "tpe.yaml").string(), (dir / "out").string());
  CHECK(SweepStore((fs::path(sweep_dir) / "sweep.db").string()).count("pending") == 2);
  CHECK(run_sweep(sweep_dir, fake_options(dir), true).done == 5);
  extend_sweep(sweep_dir, 2);
  CHECK(run_sweep(sweep_dir, fake_options(dir), true).done == 7);
  CHECK(count_lines(dir / "calls.txt") == 7);
  fs::remove_all(dir);
}

TEST_CASE("sweep file errors name the file, the line and the key, with the nearest key", "[sweep]") {
  using Catch::Contains;
  CHECK_THROWS_WITH(parse("method: grid\nparalel: 2\nparameters:\n  agent.ppo.ent_coef: [0]\n"),
                    Contains("sw.yaml:3") && Contains("'paralel'") && Contains("did you mean 'parallel'"));
  CHECK_THROWS_WITH(
      parse("method: random\nparameters:\n  agent.ppo.ent_coef: {distribution: log_unifrom, min: 0.1, max: 1}\n"),
      Contains("sw.yaml:4") && Contains("log_unifrom") && Contains("did you mean 'log_uniform'"));
  CHECK_THROWS_WITH(parse("parameters:\n  agent.learnig_rate: [0.1]\n"),
                    Contains("sw.yaml:3") && Contains("agent.learnig_rate") && Contains("agent.learning_rate"));
  CHECK_THROWS_WITH(parse("parameters:\n  train.num_envs: [4, 0]\n"),
                    Contains("sw.yaml:3") && Contains("out of range"));
  CHECK_THROWS_WITH(
      parse("method: random\nparameters:\n  agent.learning_rate: {distribution: log_uniform, min: 0, max: 1}\n"),
      Contains("sw.yaml:4") && Contains("min > 0"));
  CHECK_THROWS_WITH(parse("method: grid\nparameters:\n  agent.ppo.ent_coef: {distribution: uniform, min: 0, max: 1}\n"),
                    Contains("sw.yaml:4") && Contains("method: random"));
  CHECK_THROWS_WITH(parse("metric: {name: eval/return_mean, goal: maximise}\nparameters:\n  agent.ppo.ent_coef: [0]\n"),
                    Contains("sw.yaml:2") && Contains("did you mean 'maximize'"));
  CHECK_THROWS_WITH(parse("early_stop: {method: asha}\nparameters:\n  agent.ppo.ent_coef: [0]\n"), Contains("min_steps"));
  // An inline base keeps the sweep file's line numbers.
  CHECK_THROWS_WITH(
      parse_sweep("name: x\nbase:\n  env: {id: track}\n  train:\n    seeed: 2\nparameters:\n  agent.ppo.ent_coef: [0]\n",
                  "inline.yaml", "."),
      Contains("inline.yaml:5") && Contains("train.seed"));
}

TEST_CASE("every example sweep in configs/sweeps loads", "[sweep]") {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(std::string(DRIVELAB_SOURCE_DIR) + "/configs/sweeps")) {
    INFO(entry.path().string());
    const SweepSpec spec = load_sweep(entry.path().string());
    CHECK_FALSE(initial_assignments(spec).empty());
    ++n;
  }
  CHECK(n >= 3);
  const SweepSpec tiny = load_sweep(std::string(DRIVELAB_SOURCE_DIR) + "/configs/sweeps/tiny.yaml");
  CHECK(expand_grid(tiny).size() == 4);
  CHECK(parse_run_config(tiny.base_text, tiny.base_origin).train.total_steps <= 20000);
}

TEST_CASE("the median rule stops a trial below the median of completed trials at the same step", "[sweep]") {
  const std::vector<Curve> completed = {
      {{100, 1}, {200, 2}, {300, 3}}, {{100, 2}, {200, 4}, {300, 6}}, {{100, 3}, {200, 6}, {300, 9}}};
  EarlyStopSpec rule;
  rule.method = EarlyStopMethod::median;
  rule.min_steps = 100;
  rule.min_trials = 3;
  CHECK(median_rule_stops({{100, 0.5}, {200, 1.5}}, completed, Goal::maximize, rule));        // 1.5 < median 4
  CHECK_FALSE(median_rule_stops({{100, 0.5}, {200, 5.0}}, completed, Goal::maximize, rule));  // 5 > 4
  CHECK_FALSE(median_rule_stops({{100, 5.0}, {200, 1.0}}, completed, Goal::maximize, rule));  // its best so far counts
  CHECK_FALSE(median_rule_stops({{50, -100}}, completed, Goal::maximize, rule));              // before min_steps
  CHECK_FALSE(median_rule_stops({{200, -100}}, {completed[0], completed[1]}, Goal::maximize, rule));  // too few
  CHECK_FALSE(median_rule_stops({{400, -100}}, completed, Goal::maximize, rule));  // no completed trial got there
  CHECK(median_rule_stops({{200, 5.0}}, completed, Goal::minimize, rule));         // for a loss, 5 > 4 is worse
}

TEST_CASE("ASHA keeps the best 1/eta of the trials at each rung", "[sweep]") {
  EarlyStopSpec rule;
  rule.method = EarlyStopMethod::asha;
  rule.min_steps = 100;
  rule.reduction_factor = 3;
  CHECK(asha_rungs(rule, 1000) == std::vector<int64_t>{100, 300, 900});
  CHECK(asha_rungs(rule, 99).empty());
  CHECK(asha_keeps(-5, {}, Goal::maximize, 3));      // the first trial at a rung goes on
  const std::vector<double> rung = {1, 2, 3, 4, 5};  // with one more, the best 6/3 = 2 go on
  CHECK(asha_keeps(5.5, rung, Goal::maximize, 3));
  CHECK(asha_keeps(4.5, rung, Goal::maximize, 3));
  CHECK_FALSE(asha_keeps(3.5, rung, Goal::maximize, 3));
  CHECK(asha_keeps(1.5, rung, Goal::minimize, 3));
  CHECK_FALSE(asha_keeps(4.5, rung, Goal::minimize, 3));
  // Values at a rung come from the curve at or before the rung's step.
  CHECK(value_at({{90, 1}, {150, 2}, {310, 3}}, 300) == 2);
  CHECK(std::isnan(value_at({{150, 2}}, 100)));
}

TEST_CASE("a resumed sweep reruns only the trials that did not finish, and --extend adds trials", "[sweep]") {
  const fs::path dir = temp_dir("resume");
  const std::string sweep_dir =
      create_sweep(grid_sweep_file(dir, "0.1, 0.2, 0.3, 0.4").string(), (dir / "out").string());
  {
    // A sweep killed after trial 1 finished and while trial 2 was running.
    SweepStore store((fs::path(sweep_dir) / "sweep.db").string());
    REQUIRE(store.count("pending") == 4);
    const auto first = store.claim("killed-worker");
    REQUIRE(first);
    store.finish(first->id, "done", 0.1, "");
    REQUIRE(store.claim("killed-worker"));
    CHECK(store.count("running") == 1);
  }
  SweepRunOptions options = fake_options(dir);
  options.gpus = 2;  // as if LibTorch saw two GPUs: the two worker slots get one each
  const SweepCounts counts = run_sweep(sweep_dir, options, true);
  CHECK(counts.done == 4);
  CHECK(counts.pending == 0);
  CHECK(count_lines(dir / "calls.txt") == 3);  // trials 2, 3, 4
  CHECK(slurp(dir / "calls.txt").find("trials/001") == std::string::npos);
  CHECK(slurp(dir / "calls.txt").find("train.seed=1") != std::string::npos);
  CHECK(slurp(dir / "calls.txt").find("train.device=cuda:0") != std::string::npos);
  CHECK(slurp(dir / "calls.txt").find("train.device=cuda:1") != std::string::npos);
  CHECK(slurp(dir / "calls.txt").find("train.num_threads=") != std::string::npos);  // a share of the cores each

  write_sweep_report(sweep_dir, false);
  CHECK(load_run_config((fs::path(sweep_dir) / "best.yaml").string()).agent.learning_rate == Approx(0.4f));
  CHECK_THAT(slurp(fs::path(sweep_dir) / "results.csv"), Catch::Contains("1,3,0.4,eval/return_mean,0.4"));
  CHECK(fs::exists(fs::path(sweep_dir) / "sweep.png"));
  CHECK(fs::exists(fs::path(sweep_dir) / "sweep_agent.learning_rate.png"));

  extend_sweep(sweep_dir, 2);
  CHECK(run_sweep(sweep_dir, options, true).done == 6);
  CHECK(count_lines(dir / "calls.txt") == 5);

  // One trial on its own (a cluster array task), even one that already finished, runs again.
  SweepRunOptions one = options;
  one.only_trial = 2;
  CHECK(run_sweep(sweep_dir, one, false).done == 6);
  CHECK(count_lines(dir / "calls.txt") == 6);
  fs::remove_all(dir);
}

TEST_CASE("two workers sharing a sweep never run the same trial", "[sweep]") {
  const fs::path dir = temp_dir("workers");
  const std::string sweep_dir =
      create_sweep(grid_sweep_file(dir, "0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9").string(), (dir / "out").string());
  SweepRunOptions a = fake_options(dir), b = a;
  a.worker = "node-a";
  b.worker = "node-b";
  std::thread other([&] { run_sweep(sweep_dir, b, false); });
  run_sweep(sweep_dir, a, false);
  other.join();
  std::set<std::string> run_dirs;
  std::ifstream calls(dir / "calls.txt");
  int n = 0;
  for (std::string line; std::getline(calls, line); ++n) run_dirs.insert(line.substr(line.find("--run-dir")));
  CHECK(n == 8);
  CHECK(run_dirs.size() == 8);
  SweepStore store((fs::path(sweep_dir) / "sweep.db").string());
  CHECK(store.count("done") == 8);
  fs::remove_all(dir);
}

TEST_CASE("a trial that fails is marked failed with its log and the sweep goes on", "[sweep]") {
  const fs::path dir = temp_dir("failed");
  const std::string sweep_dir = create_sweep(grid_sweep_file(dir, "0.1, 0.5, 0.3").string(), (dir / "out").string());
  const SweepCounts counts = run_sweep(sweep_dir, fake_options(dir), true);
  CHECK(counts.done == 2);
  CHECK(counts.failed == 1);
  SweepStore store((fs::path(sweep_dir) / "sweep.db").string());
  const auto failed = store.trial(2);
  REQUIRE(failed);
  CHECK(failed->status == "failed");
  CHECK_THAT(failed->error, Catch::Contains("exit code 3") && Catch::Contains("trials/002/log.txt"));
  CHECK_THAT(slurp(fs::path(sweep_dir) / failed->log_path), Catch::Contains("loss is NaN"));
  CHECK(store.trial(3)->metric == Approx(0.3));
  CHECK(store.curve(3).size() == 2);  // the intermediate values are kept

  // A trial command that cannot even start fails the same way.
  SweepRunOptions missing = fake_options(dir);
  missing.executable = (dir / "no_such_binary").string();
  store.requeue(1);
  CHECK(run_sweep(sweep_dir, missing, false).failed == 2);
  fs::remove_all(dir);
}

TEST_CASE("the tiny sweep runs end to end through the drivelab binary", "[sweep][e2e]") {
  const fs::path dir = temp_dir("tiny");
  const fs::path out = dir / "tiny";
  const std::string cmd = std::string(DRIVELAB_BINARY_DIR) + "/drivelab sweep " + DRIVELAB_SOURCE_DIR +
                          "/configs/sweeps/tiny.yaml --out " + out.string() + " > " + (dir / "out.txt").string() +
                          " 2>&1";
  const int status = std::system(cmd.c_str());
  INFO(slurp(dir / "out.txt"));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  SweepStore store((out / "sweep.db").string());
  CHECK(store.count("done") == 4);
  for (const auto& t : store.trials()) {
    CHECK(t.metric.has_value());
    CHECK(fs::exists(out / t.run_dir / "config.yaml"));
    CHECK(fs::exists(out / t.run_dir / "metrics.csv"));
  }
  CHECK_THAT(slurp(out / "results.md"), Catch::Contains("charts/episodic_return"));
  CHECK_THAT(slurp(dir / "out.txt"), Catch::Contains("best:"));
  const RunConfig best = load_run_config((out / "best.yaml").string());
  CHECK(best.train.total_steps == 16384);
  for (const char* png :
       {"sweep.png", "best_curves.png", "sweep_agent.learning_rate.png", "sweep_agent.ppo.update_epochs.png"})
    CHECK(fs::exists(out / png));

  // A bad sweep file is bad input (exit code 2) and names the file and line.
  std::ofstream(dir / "bad.yaml") << "base: " << kBase << "\nparameters:\n  agent.learnig_rate: [0.1]\n";
  const std::string bad = std::string(DRIVELAB_BINARY_DIR) + "/drivelab sweep " + (dir / "bad.yaml").string() +
                          " --out " + (dir / "bad").string() + " > " + (dir / "bad.txt").string() + " 2>&1";
  const int bad_status = std::system(bad.c_str());
  CHECK(WEXITSTATUS(bad_status) == 2);
  CHECK_THAT(slurp(dir / "bad.txt"), Catch::Contains("bad.yaml:3"));
  CHECK_FALSE(fs::exists(dir / "bad"));
  fs::remove_all(dir);
}
