// End to end: the real `drivelab` binary on small configs, its outputs and its exit codes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::temp_dir;
using dl::test::write;

namespace {
using dl::test::Result;
using dl::test::run;

bool empty_dir(const fs::path& dir) { return fs::is_empty(dir); }
}  // namespace

TEST_CASE("version names drivelab, LibTorch, Box2D, SDL and CUDA", "[cli]") {
  auto r = run("version");
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("drivelab 0."));
  CHECK_THAT(r.output, Catch::Contains("LibTorch 2."));
  CHECK_THAT(r.output, Catch::Contains("Box2D 2.4"));
  CHECK_THAT(r.output, Catch::Contains("SDL"));
  CHECK_THAT(r.output, Catch::Contains("CUDA"));
}

TEST_CASE("help lists the commands and unknown commands and options are errors", "[cli]") {
  auto help = run("--help");
  CHECK(help.code == 0);
  for (const char* cmd : {"train", "eval", "envs", "bench", "version"}) CHECK_THAT(help.output, Catch::Contains(cmd));
  CHECK(run("train --help").code == 0);
  CHECK(run("eval --help").code == 0);
  auto bad = run("fly");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("unknown command 'fly'"));
  CHECK_THAT(run("trian").output, Catch::Contains("did you mean 'train'"));
  CHECK(run("train --no-such-option").code == 2);
}

TEST_CASE("bad configs exit with code 2, name file and line, and write nothing", "[cli]") {
  const fs::path dir = temp_dir("badcfg");
  const fs::path runs = dir / "runs";
  fs::create_directories(runs);
  write(dir / "unknown.yaml", "env:\n  id: track\ntrain:\n  seeed: 3\n");
  write(dir / "type.yaml", "train:\n  num_envs: two\n");
  const std::string out = " run.dir=" + runs.string();

  auto unknown = run("train " + (dir / "unknown.yaml").string() + out);
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("unknown.yaml:4"));
  CHECK_THAT(unknown.output, Catch::Contains("train.seeed"));
  CHECK_THAT(unknown.output, Catch::Contains("train.seed"));

  auto type = run("train " + (dir / "type.yaml").string() + out);
  CHECK(type.code == 2);
  CHECK_THAT(type.output, Catch::Contains("type.yaml:2"));

  auto missing = run("train " + (dir / "missing.yaml").string() + out);
  CHECK(missing.code == 2);
  CHECK_THAT(missing.output, Catch::Contains("missing.yaml"));

  auto override_error = run("train train.total_steps=-5" + out);
  CHECK(override_error.code == 2);
  CHECK(empty_dir(runs));
  fs::remove_all(dir);
}

TEST_CASE("envs lists every registered env with its specs", "[cli]") {
  auto r = run("envs --json");
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.output);
  std::vector<std::string> ids;
  for (const auto& e : j) ids.push_back(e["id"]);
  CHECK(ids == std::vector<std::string>{"track", "carracing", "traffic", "track-pomdp", "track-blackout", "track-cue", "track-laps"});
  CHECK(j[1]["observation"]["shape"] == nlohmann::json({96, 96, 3}));
}

TEST_CASE("a tiny training run writes its run folder, and eval reads it", "[cli][e2e]") {
  const fs::path dir = temp_dir("train");
  const fs::path run_dir = dir / "run";
  auto r = run("train --no-progress --run-dir " + run_dir.string() +
               " train.total_steps=4096 train.num_envs=4 agent.ppo.num_steps=64 train.eval_every_steps=0 train.eval_episodes=2"
               " env.max_steps=200");
  INFO(r.output);
  REQUIRE(r.code == 0);
  for (const char* f : {"config.yaml", "metrics.csv", "checkpoints/latest.pt", "learning_curve.png", "final_policy.gif"})
    CHECK(fs::exists(run_dir / f));
  std::ifstream metrics(run_dir / "metrics.csv");
  std::string header;
  std::getline(metrics, header);
  CHECK(header == "step,wall_s,name,value");
  std::string all((std::istreambuf_iterator<char>(metrics)), std::istreambuf_iterator<char>());
  for (const char* name : {"charts/SPS", "losses/policy", "losses/value", "losses/entropy", "losses/approx_kl"})
    CHECK_THAT(all, Catch::Contains(name));

  auto e = run("eval " + run_dir.string() + " --episodes 2 --json");
  INFO(e.output);
  REQUIRE(e.code == 0);
  auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  CHECK(j["episodes"] == 2);
  CHECK(j.contains("return_mean"));
  CHECK(j.contains("return_std"));

  // The trained agent can be watched headless into a video.
  auto w = run("watch " + run_dir.string() + " --headless --max-steps 20 --width 160 --height 120 --record " +
               (dir / "watch.gif").string());
  INFO(w.output);
  CHECK(w.code == 0);
  CHECK(fs::file_size(dir / "watch.gif") > 1000);

  // A corrupt checkpoint is a clear error, not a crash.
  write(dir / "corrupt.pt", "not a checkpoint");
  auto corrupt = run("eval " + (dir / "corrupt.pt").string());
  CHECK(corrupt.code != 0);
  CHECK_THAT(corrupt.output, Catch::Contains("corrupt.pt"));
  auto missing = run("eval " + (dir / "nothing").string());
  CHECK(missing.code == 2);
  fs::remove_all(dir);
}

TEST_CASE("plot draws metrics of several runs into a PNG and names a metric it cannot find", "[cli]") {
  const fs::path dir = temp_dir("plot");
  for (const char* run_name : {"a", "b"}) {
    fs::create_directories(dir / run_name);
    std::string csv = "step,wall_s,name,value\n";
    for (int i = 1; i <= 5; ++i) {
      const std::string step = std::to_string(i * 1000);
      csv += step + ",1,eval/return_mean," + std::to_string(10 * i) + "\n";
      csv += step + ",1,moe/actor_expert_0,0.4\n" + step + ",1,moe/actor_expert_1,0.6\n";
    }
    write(dir / run_name / "metrics.csv", csv);
  }
  auto r = run("plot " + (dir / "a").string() + " " + (dir / "b").string() + " --out " + (dir / "eval.png").string());
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("2 series"));
  CHECK(fs::file_size(dir / "eval.png") > 1000);
  auto experts = run("plot " + (dir / "a").string() + " --metric 'moe/actor_expert_*' --out " + (dir / "moe.png").string());
  INFO(experts.output);
  CHECK(experts.code == 0);
  CHECK_THAT(experts.output, Catch::Contains("2 series"));
  auto missing = run("plot " + (dir / "a").string() + " --metric losses/none --out " + (dir / "none.png").string());
  CHECK(missing.code == 2);
  CHECK_THAT(missing.output, Catch::Contains("no metric matches"));
  CHECK(!fs::exists(dir / "none.png"));
  fs::remove_all(dir);
}
