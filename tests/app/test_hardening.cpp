// Hostile input through the real binary and the config loader: every case is an exit-2 error naming the
// file (and key, line or tensor), never a crash, a silent default or a replaced device.
#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "app/run_config.h"
#include "app/run_dir.h"
#include "app/sweep/sweep.h"
#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::temp_dir;
using dl::test::write;
using dl::test::slurp;
using dl::app::ConfigError;
using dl::app::parse_run_config;
using dl::test::run;

namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_run_config(yaml, "test.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A tiny PPO run's options: seconds, not minutes.
const std::string kQuiet = " --no-progress --no-video train.num_envs=2 train.eval_episodes=0 env.max_steps=100";
const std::string kTiny =
    kQuiet + " train.total_steps=256 train.checkpoint_every_steps=128 agent.ppo.num_steps=64";

}  // namespace

TEST_CASE("what a config leaves out, a whole section included, has the embedded default's value", "[config]") {
  auto embedded = dl::app::load_run_config("");
  auto empty = parse_run_config("", "empty.yaml");
  CHECK(dl::app::to_yaml(empty) == dl::app::to_yaml(embedded));

  auto seed_only = parse_run_config("train: {seed: 3}\n", "seed.yaml");
  embedded.train.seed = 3;
  CHECK(dl::app::to_yaml(seed_only) == dl::app::to_yaml(embedded));
  CHECK(seed_only.env.track.radius_m == embedded.env.track.radius_m);
  CHECK(seed_only.env.action_repeat == 2);

  // Another env id or algorithm starts from its own defaults, not from values tuned for ppo on track.
  auto carracing = parse_run_config("env: {id: carracing}\n", "c.yaml");
  CHECK(carracing.env.action_repeat == 1);
  auto bc = parse_run_config("agent: {algo: bc}\n", "bc.yaml");
  CHECK(bc.agent.net.hidden == dl::agents::AgentConfig{}.net.hidden);
}

TEST_CASE("repeated keys, keys that are lists or maps, and a second document are errors with a line",
          "[config]") {
  CHECK_THAT(error_of("train:\n  seed: 1\n  seed: 2\n"), Catch::Contains("test.yaml:3") && Catch::Contains("'seed' appears twice"));
  CHECK_THAT(error_of("train: {seed: 1}\ntrain: {seed: 2}\n"), Catch::Contains("test.yaml:2"));
  CHECK_THAT(error_of("? [a, b]\n: 1\n"), Catch::Contains("test.yaml:1") && Catch::Contains("a list used as a key"));
  CHECK_THAT(error_of("train:\n  ? {a: 1}\n  : 2\n"), Catch::Contains("a mapping used as a key"));
  CHECK_THAT(error_of("train: {seed: 1}\n---\ntrain: {seed: 2}\n"),
             Catch::Contains("test.yaml:3") && Catch::Contains("second YAML document"));
  CHECK_THAT(error_of("", {"train.seed={a: 1, a: 2}"}), Catch::Contains("train.seed={a: 1, a: 2}"));
}

TEST_CASE("overrides with an empty key part, huge device numbers and huge layers are errors", "[config]") {
  for (const char* bad : {"train.seed.=1", ".train.seed=1", "train..seed=1"})
    CHECK_THAT(error_of("", {bad}), Catch::Contains(std::string("'") + bad + "'") && Catch::Contains("empty key"));
  CHECK_THAT(error_of("train: {device: 'cuda:99999999999999999999'}\n"),
             Catch::Contains("test.yaml:1") && Catch::Contains("train.device"));
  CHECK_THAT(error_of("agent: {net: {hidden: [100000000, 100000000]}}\n"),
             Catch::Contains("agent.net.hidden") && Catch::Contains("[1, 4096]"));
  CHECK_THAT(error_of("agent: {gan: {hidden: [0]}}\n"), Catch::Contains("agent.gan.hidden"));
  CHECK_THAT(error_of("", {"agent.net.hidden=[8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8]"}), Catch::Contains("at most 16"));
  CHECK(error_of("agent: {net: {hidden: [4096, 4096]}}\n").empty());
  // A value over several lines is shown on one.
  const std::string multi = error_of("", {"train.seed=- 1\n- 2"});
  CHECK_THAT(multi, Catch::Contains("train.seed=- 1\\n- 2"));
  CHECK(multi.find('\n') == std::string::npos);
}

TEST_CASE("a directory, a device or an oversized file as the config is an error naming it", "[config]") {
  const fs::path dir = temp_dir("cfgfiles");
  for (const std::string& path : {dir.string(), std::string("/dev/zero")}) {
    try {
      dl::app::load_run_config(path);
      FAIL("no error for " + path);
    } catch (const ConfigError& e) {
      CHECK_THAT(e.what(), Catch::Contains(path));
    }
  }
  write(dir / "big.yaml", std::string((16 << 20) + 1, '#'));
  CHECK_THROWS_WITH(dl::app::load_run_config((dir / "big.yaml").string()), Catch::Contains("larger than 16 MiB"));
  fs::remove_all(dir);
}

TEST_CASE("run folders are claimed with mkdir: the same name twice gives two folders", "[cli]") {
  const fs::path dir = temp_dir("rundirs");
  const std::string a = dl::app::make_run_dir(dir.string(), "track", "ppo", 1, "x", "");
  const std::string b = dl::app::make_run_dir(dir.string(), "track", "ppo", 1, "x", "");
  CHECK(a != b);
  CHECK(fs::is_directory(fs::path(a) / "checkpoints"));
  CHECK(fs::is_directory(fs::path(b) / "checkpoints"));
  fs::remove_all(dir);
}

TEST_CASE("train finds run-time config errors before it makes a run folder, with exit code 2", "[cli][e2e]") {
  const fs::path dir = temp_dir("preflight");
  const fs::path run_dir = dir / "run";
  struct Case {
    std::string args, expect;
  };
  const Case cases[] = {
      {"agent.algo=bc agent.bc.data=" + (dir / "none.dlds").string() + kQuiet, "agent.bc.data"},
      {"agent.ppo.init_from=" + (dir / "none").string() + kTiny, "agent.ppo.init_from"},
      {"env.track_source=gan:" + (dir / "none.dltg").string() + kTiny, "none.dltg"},
      {"env.id=carracing agent.net.policy=mlp" + kTiny, "agent.net"},
      {"agent.net.residual=true agent.net.hidden=[64,32]" + kTiny, "agent.net"},
      {"train.device=cuda:999" + kTiny, "train.device"},
  };
  for (const auto& c : cases) {
    auto r = run("train --run-dir " + run_dir.string() + " " + c.args);
    INFO(c.args << "\n" << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.expect));
    CHECK_THAT(r.output, Catch::Contains("<embedded default config>"));
    CHECK_FALSE(fs::exists(run_dir));
  }
  fs::remove_all(dir);
}

TEST_CASE("outputs refuse to replace what is not a regular file", "[cli][e2e]") {
  const fs::path dir = temp_dir("outputs");
  const fs::path fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto collect = run("collect --policy expert --episodes 1 --no-progress --out " + fifo.string() + " env.max_steps=20");
  CHECK(collect.code == 2);
  CHECK_THAT(collect.output, Catch::Contains(fifo.string()) && Catch::Contains("not a regular file"));
  auto sub = run("collect --policy expert --episodes 1 --no-progress --out " + dir.string() + " env.max_steps=20");
  CHECK(sub.code == 2);
  struct stat st {};
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_THROWS_WITH(dl::io::write_file_atomic(fifo.string(), "x"), Catch::Contains("refusing to replace it"));
  fs::remove_all(dir);
}

TEST_CASE("damaged checkpoints are exit-2 errors naming the file, and resume without one starts cleanly",
          "[cli][e2e]") {
  const fs::path dir = temp_dir("ckpt");
  const fs::path run_dir = dir / "run";
  auto r = run("train --run-dir " + run_dir.string() + kTiny);
  INFO(r.output);
  REQUIRE(r.code == 0);
  const fs::path latest = run_dir / "checkpoints" / "latest.pt";
  const std::string good = slurp(latest);
  REQUIRE(good.size() > 1000);

  // One flipped bit anywhere is found by the CRC (LibTorch alone would load most of them).
  for (const size_t at : {size_t{200}, good.size() / 2, good.size() - 40}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    write(dir / "bad.pt", bad);
    auto e = run("eval " + (dir / "bad.pt").string() + " --episodes 1");
    INFO(at << "\n" << e.output);
    CHECK(e.code == 2);
    CHECK_THAT(e.output, Catch::Contains("bad.pt") && Catch::Contains("damaged"));
  }
  write(dir / "short.pt", good.substr(0, good.size() - 100));
  CHECK(run("eval " + (dir / "short.pt").string() + " --episodes 1").code == 2);

  // A corrupt latest.pt stops --resume with exit 2.
  write(latest, good.substr(0, good.size() / 2));
  auto resume_bad = run("train --resume " + run_dir.string() + " --no-progress --no-video");
  CHECK(resume_bad.code == 2);
  CHECK_THAT(resume_bad.output, Catch::Contains("latest.pt"));

  // No checkpoint at all: the run starts again from step 0 and its record has no older rows.
  fs::remove(latest);
  auto resume_none = run("train --resume " + run_dir.string() + " --no-progress --no-video");
  INFO(resume_none.output);
  CHECK(resume_none.code == 0);
  CHECK_THAT(resume_none.output, Catch::Contains("starting the run from step 0"));
  CHECK(fs::exists(latest));
  fs::remove_all(dir);
}

TEST_CASE("resume cuts metrics.csv back to the checkpoint's step", "[cli][e2e]") {
  const fs::path dir = temp_dir("metrics");
  const fs::path run_dir = dir / "run";
  auto r = run("train --run-dir " + run_dir.string() + kTiny + " train.checkpoint_every_steps=100000");
  REQUIRE(r.code == 0);  // one checkpoint, at the end (step 256)
  const std::string rows = slurp(run_dir / "metrics.csv");
  // As if killed after logging later rows: they must go, and the finished run appends nothing before 256.
  write(run_dir / "metrics.csv", rows + "384,99.0,losses/policy,0.5\n512,99.5,losses/policy,0.5\n");
  auto resumed = run("train --resume " + run_dir.string() + " --no-progress --no-video");
  INFO(resumed.output);
  REQUIRE(resumed.code == 0);  // already at total_steps: nothing to train
  const std::string after = slurp(run_dir / "metrics.csv");
  CHECK(after.find("384,99.0") == std::string::npos);
  CHECK(after.find("512,99.5") == std::string::npos);
  CHECK(after.rfind(rows, 0) == 0);
  fs::remove_all(dir);
}

TEST_CASE("sweep files are checked as configs are: repeated keys and list keys are errors with a line",
          "[config]") {
  auto sweep_error = [](const std::string& yaml) {
    try {
      dl::app::parse_sweep(yaml, "sweep.yaml", ".", "");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string ok = "method: grid\nmetric: {name: eval/return_mean, goal: maximize}\n"
                         "parameters:\n  agent.ppo.ent_coef: [0.0, 0.01]\n";
  CHECK(sweep_error(ok).empty());
  CHECK_THAT(sweep_error(ok + "method: random\n"), Catch::Contains("sweep.yaml:5") && Catch::Contains("appears twice"));
  CHECK_THAT(sweep_error("? [a]\n: 1\n" + ok), Catch::Contains("sweep.yaml:1") && Catch::Contains("used as a key"));
}
