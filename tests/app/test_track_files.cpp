// End to end: `tracks import`, `eval --track-files`, and env overrides on top of a run's own env (eval,
// collect, watch), through the real binary.
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
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
using dl::test::run;

// An ellipse racing line, 5 m between points, with the given right and left widths.
std::string ellipse_csv(double a_m, double b_m, double w_right, double w_left) {
  std::string text = "# x_m,y_m,w_tr_right_m,w_tr_left_m\n";
  const int n = static_cast<int>(2 * 3.14159265 * std::sqrt((a_m * a_m + b_m * b_m) / 2) / 5);
  char buf[128];
  for (int i = 0; i < n; ++i) {
    const double t = 2 * 3.14159265 * i / n;
    std::snprintf(buf, sizeof buf, "%.3f,%.3f,%.2f,%.2f\n", a_m * std::cos(t), b_m * std::sin(t), w_right, w_left);
    text += buf;
  }
  return text;
}

// A stadium racing line: two straights straight_m long, 2 * radius_m apart, joined by half circles.
std::string stadium_csv(double straight_m, double radius_m, double width_m) {
  std::string text = "x_m,y_m,w_tr_right_m,w_tr_left_m\n";  // column names without '#' are accepted too
  char buf[128];
  auto add = [&](double x, double y) {
    std::snprintf(buf, sizeof buf, "%.3f,%.3f,%.2f,%.2f\n", x, y, width_m / 2, width_m / 2);
    text += buf;
  };
  const double pi = 3.14159265;
  for (double x = 0; x < straight_m; x += 4) add(x, -radius_m);
  for (double a = -pi / 2; a < pi / 2; a += 2 / radius_m) add(straight_m + radius_m * std::cos(a), radius_m * std::sin(a));
  for (double x = straight_m; x > 0; x -= 4) add(x, radius_m);
  for (double a = pi / 2; a < 3 * pi / 2; a += 2 / radius_m) add(radius_m * std::cos(a), radius_m * std::sin(a));
  return text;
}

std::string one_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t;
}

}  // namespace

TEST_CASE("tracks import converts a racing-line CSV, reports repairs and rejects what it cannot repair", "[cli][tracks]") {
  const fs::path dir = temp_dir("import");
  write(dir / "oval.csv", ellipse_csv(120, 60, 6, 5));
  auto ok = run("tracks import " + (dir / "oval.csv").string() + " --out " + (dir / "oval.track").string());
  INFO(ok.output);
  REQUIRE(ok.code == 0);
  CHECK_THAT(ok.output, Catch::Contains("repairs: 0 points (none needed)"));
  std::ifstream in(dir / "oval.track");
  std::string header;
  std::getline(in, header);
  CHECK(header == "drivelab-track 2");

  // A 14 m road around a stadium of 6 m radius: the edge would fold at both ends, and the straights,
  // 12 m apart, would overlap. Narrowed at the ends and along the straights, it is a (narrow) road.
  write(dir / "tight.csv", stadium_csv(200, 6, 14));
  auto tight = run("tracks import " + (dir / "tight.csv").string() + " --out " + (dir / "tight.track").string());
  INFO(tight.output);
  REQUIRE(tight.code == 0);
  CHECK_THAT(tight.output, Catch::Contains("hairpin of radius") && Catch::Contains("m away"));
  std::ifstream tight_file(dir / "tight.track");
  const std::string tight_text((std::istreambuf_iterator<char>(tight_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(tight_text, Catch::Contains("# repair point "));

  write(dir / "bad.csv", "# x_m,y_m,w_tr_right_m,w_tr_left_m\n0,0,5,5\n1,1,5\n");
  auto bad = run("tracks import " + (dir / "bad.csv").string() + " --out " + (dir / "bad.track").string());
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("bad.csv:3:"));
  CHECK(one_line(bad.output).find('\n') == std::string::npos);
  CHECK_FALSE(fs::exists(dir / "bad.track"));

  write(dir / "narrow.csv", stadium_csv(200, 2.5, 14));  // straights 5 m apart: no room for two roads
  auto narrow = run("tracks import " + (dir / "narrow.csv").string() + " --out " + (dir / "narrow.track").string());
  CHECK(narrow.code == 2);
  CHECK_THAT(narrow.output, Catch::Contains("cannot repair the layout"));
  const size_t at = narrow.output.find("narrow.csv:");  // names the CSV line near the trouble
  REQUIRE(at != std::string::npos);
  CHECK(std::isdigit(static_cast<unsigned char>(narrow.output[at + 11])));
  fs::remove_all(dir);
}

TEST_CASE("eval --track-files reports each track, and env overrides keep the run's own env", "[cli][e2e][tracks]") {
  const fs::path dir = temp_dir("track_files");
  const fs::path run_dir = dir / "run";
  // A run whose network takes 8 lidar rays (the default is 16): an override that dropped the run's env
  // would give a shape error.
  auto r = run("train --no-progress --no-video --run-dir " + run_dir.string() +
               " train.total_steps=1024 train.num_envs=2 agent.ppo.num_steps=64 train.eval_every_steps=0 env.lidar.rays=8"
               " env.max_steps=100");
  INFO(r.output);
  REQUIRE(r.code == 0);

  const fs::path tracks = dir / "tracks";
  auto show = run("tracks show -n 2 --set test --out " + (dir / "show.png").string() + " --save-dir " + tracks.string());
  REQUIRE(show.code == 0);
  write(dir / "oval.csv", ellipse_csv(100, 50, 6, 6));
  REQUIRE(run("tracks import " + (dir / "oval.csv").string() + " --out " + (tracks / "oval.track").string()).code == 0);

  auto e = run("eval " + run_dir.string() + " --track-files " + tracks.string() + " env.max_steps=60 --json");
  INFO(e.output);
  REQUIRE(e.code == 0);
  const auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
  REQUIRE(j["tracks"].size() == 3);
  for (const auto& t : j["tracks"]) {
    CHECK(t["episodes"] == 1);
    CHECK(t["lap"] == false);  // 60 steps are not a lap
    CHECK(t["lap_time_s"].is_null());
    CHECK(t["progress"].get<double>() >= 0);
    CHECK(t["progress"].get<double>() < 1);
  }
  CHECK(j["summary"]["tracks"] == 3);
  CHECK(j["summary"]["tracks_lapped"] == 0);
  // The tracks run side by side, each on its own env: each row is what that track alone gives.
  for (const auto& t : j["tracks"]) {
    auto alone = run("eval " + run_dir.string() + " --track-files " + t["file"].get<std::string>() + " env.max_steps=60 --json");
    REQUIRE(alone.code == 0);
    const auto a = nlohmann::json::parse(alone.output.substr(alone.output.find('{')));
    CHECK(a["tracks"][0]["return_mean"] == t["return_mean"]);
    CHECK(a["tracks"][0]["progress"] == t["progress"]);
  }

  auto text = run("eval " + run_dir.string() + " --track-files " + (tracks / "oval.track").string() + " --episodes 2 env.max_steps=30");
  INFO(text.output);
  REQUIRE(text.code == 0);
  CHECK_THAT(text.output, Catch::Contains("oval.track") && Catch::Contains("0/2") && Catch::Contains("summary"));

  // The same overrides on the plain evaluation, collect and watch: the run's 8 rays stay.
  CHECK(run("eval " + run_dir.string() + " --episodes 1 env.max_steps=30 env.preset=hard").code == 0);
  auto c = run("collect --policy " + run_dir.string() + " --episodes 1 --no-progress --out " + (dir / "d.dlds").string() +
               " env.max_steps=30");
  INFO(c.output);
  CHECK(c.code == 0);
  auto w = run("watch " + run_dir.string() + " --headless --max-steps 10 --width 96 --height 96 --screenshot-step 5 --screenshot " +
               (dir / "w.png").string() + " env.reward.step_penalty=0.2");
  INFO(w.output);
  CHECK(w.code == 0);

  // Bad input: exit 2, one line naming the file and line, or the override.
  write(tracks / "zz_bad.track", "drivelab-track 2\n0 0 5 5\n1e12 0 5 5\n");
  auto bad = run("eval " + run_dir.string() + " --track-files " + tracks.string());
  CHECK(bad.code == 2);
  CHECK_THAT(bad.output, Catch::Contains("zz_bad.track:3:"));
  auto not_env = run("eval " + run_dir.string() + " agent.learning_rate=1");
  CHECK(not_env.code == 2);
  CHECK_THAT(not_env.output, Catch::Contains("only env."));
  auto unknown = run("collect --policy " + run_dir.string() + " --episodes 1 --out " + (dir / "e.dlds").string() + " env.lidar.rayz=3");
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("rayz"));
  fs::remove_all(dir);
}
