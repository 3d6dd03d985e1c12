// End to end: a tiny track_gan run through the drivelab binary, `tracks sample` on its generator,
// a PPO run on generated tracks, and the errors for bad model paths.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;

namespace {
using dl::test::Result;
using dl::test::run;

bool is_png(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return std::string(magic + 1, 3) == "PNG";
}
}  // namespace

TEST_CASE("a tiny track_gan run feeds tracks sample and a PPO run on generated tracks", "[cli][e2e][gan]") {
  const fs::path dir = dl::test::temp_dir("tracks");
  const fs::path gan = dir / "gan";
  auto t = run("train " + std::string(DRIVELAB_SOURCE_DIR) + "/configs/track_gan.yaml --no-progress --run-dir " +
               gan.string() +
               " agent.gan.train_tracks=48 agent.gan.generator_steps=6 agent.gan.hidden=[32] agent.gan.eval_tracks=8"
               " agent.gan.eval_every_generator_steps=3 agent.gan.checkpoint_every_generator_steps=3");
  INFO(t.output);
  REQUIRE(t.code == 0);
  const fs::path model = gan / "generator.dltg";
  REQUIRE(fs::exists(model));
  CHECK(fs::exists(gan / "checkpoints" / "latest.pt"));
  CHECK(fs::exists(gan / "learning_curve.png"));

  auto s = run("tracks sample --model " + model.string() + " -n 6 --out " + (dir / "grid.png").string() +
               " --save-dir " + (dir / "saved").string() + " --reference 10");
  INFO(s.output);
  REQUIRE(s.code == 0);
  CHECK_THAT(s.output, Catch::Contains("validity after repair:"));
  CHECK_THAT(s.output, Catch::Contains("before repair:"));
  CHECK_THAT(s.output, Catch::Contains("diversity"));
  CHECK_THAT(s.output, Catch::Contains("novelty"));
  CHECK(is_png(dir / "grid.png"));
  CHECK(fs::file_size(dir / "grid.png") > 1000);
  CHECK_FALSE(fs::is_empty(dir / "saved"));

  auto show = run("tracks show -n 4 --set test --out " + (dir / "test.png").string());
  INFO(show.output);
  CHECK(show.code == 0);
  CHECK(is_png(dir / "test.png"));

  // PPO trains on generated tracks (a handful of steps: the env side reads the generator file).
  auto p = run("train --no-progress --no-video --run-dir " + (dir / "ppo").string() + " env.track_source=gan:" +
               model.string() + " train.total_steps=256 train.num_envs=2 agent.ppo.num_steps=64 train.eval_every_steps=0"
               " train.eval_episodes=0 env.max_steps=100");
  INFO(p.output);
  CHECK(p.code == 0);

  auto missing = run("tracks sample --model " + (dir / "nothing.dltg").string() + " -n 2 --out " + (dir / "x.png").string());
  CHECK(missing.code == 2);
  CHECK_THAT(missing.output, Catch::Contains("nothing.dltg: cannot open"));
  std::ofstream(dir / "bad.dltg") << "not a model";
  auto bad = run("tracks sample --model " + (dir / "bad.dltg").string() + " -n 2");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("not a drivelab track generator"));
  auto bad_env = run("train --no-progress --run-dir " + (dir / "ppo2").string() + " env.track_source=gan:" +
                     (dir / "nothing.dltg").string() + " train.total_steps=64 train.num_envs=1");
  CHECK(bad_env.code != 0);
  CHECK_THAT(bad_env.output, Catch::Contains("nothing.dltg: cannot open"));
  CHECK_FALSE(fs::exists(dir / "x.png"));
  fs::remove_all(dir);
}
