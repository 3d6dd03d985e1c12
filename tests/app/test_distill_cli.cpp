// End to end: a distilled pixel student (agent.algo: distill) through the real binary: train, eval, watch
// (the viewer's AgentDriver, headless), collect --policy RUN, and bad teachers as exit code 2.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::temp_dir;
using dl::test::run;

namespace {

// The cheap-pixel env at its smallest, two short rounds.
const std::string kTiny =
    " agent.algo=distill agent.net.policy=cnn agent.net.cnn=small env.id=carracing env.pixels.width=40"
    " env.pixels.height=40 env.pixels.grayscale=true env.action_repeat=2 env.max_steps=60"
    " agent.distill.rounds=2 agent.distill.steps_per_round=120 agent.distill.epochs=1 agent.distill.batch_size=32"
    " train.num_envs=2 train.eval_episodes=2";

}  // namespace

TEST_CASE("a distilled student trains, evaluates, is watched and collects through the CLI", "[cli][e2e][distill]") {
  const fs::path dir = temp_dir("distill");
  const fs::path run_dir = dir / "run";
  auto t = run("train --no-progress --run-dir " + run_dir.string() + kTiny);
  INFO(t.output);
  REQUIRE(t.code == 0);
  CHECK(fs::exists(run_dir / "checkpoints" / "latest.pt"));

  auto e = run("eval " + run_dir.string() + " --episodes 2");
  INFO(e.output);
  CHECK(e.code == 0);

  auto w = run("watch " + run_dir.string() + " --headless --max-steps 20 --width 160 --height 120 --record " +
               (dir / "watch.gif").string());
  INFO(w.output);
  CHECK(w.code == 0);
  CHECK(fs::file_size(dir / "watch.gif") > 1000);

  auto c = run("collect --policy " + run_dir.string() + " --episodes 1 --no-progress --out " +
               (dir / "student.dlds").string());
  INFO(c.output);
  CHECK(c.code == 0);
  CHECK(fs::file_size(dir / "student.dlds") > 1000);
  fs::remove_all(dir);
}

TEST_CASE("an unknown distillation teacher is a one-line error with exit code 2", "[cli][distill]") {
  const fs::path dir = temp_dir("distill_bad");
  auto r = run("train --no-progress --run-dir " + (dir / "run").string() + kTiny + " agent.distill.teacher=" +
               (dir / "missing").string());
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK_THAT(r.output, Catch::Contains("agent.distill.teacher: "));
  CHECK_THAT(r.output, Catch::Contains("missing"));
  CHECK(!fs::exists(dir / "run"));
  fs::remove_all(dir);
}
