// The memory tasks (envs/memory_tasks.h): schedules and cues deterministic by seed, what a blackout hides,
// and what the cue's gate pays a driver that remembers, one that guesses and one that is wrong.
#include <catch2/catch.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "envs/driving_env.h"
#include "envs/expert.h"
#include "envs/memory_tasks.h"
#include "envs/registry.h"

using namespace dl::envs;

namespace {

struct Runner {
  std::unique_ptr<Env> env;
  std::vector<float> obs;
  Info info;
  explicit Runner(const EnvConfig& c) : env(make_env(c)), obs(static_cast<size_t>(env->observation_spec().size())) {}
  void reset(uint64_t seed) { env->reset(seed, obs.data(), info); }
  StepResult step(const std::array<float, 3>& a) { return env->step(a.data(), obs.data(), info); }
};

// Steers toward a lateral offset (a share of the half width, + = left) at a modest speed, from the
// vector observation's heading error and lateral offset.
std::array<float, 3> keep_offset(const VectorObsLayout& l, const float* obs, float target_offset) {
  const float speed_mps = obs[l.car_first()] * kSpeedScale_mps;
  const float lateral = obs[l.track_first()];
  const float heading_pi = obs[l.track_first() + 1];
  const float steer = std::clamp(3.0f * heading_pi + 0.8f * (lateral - target_offset), -1.0f, 1.0f);
  return {steer, speed_mps < 10 ? 0.6f : 0.0f, 0.0f};
}

VectorObsLayout layout_of(const EnvConfig& c) { return vector_obs_layout(c, world_config(c)); }

std::vector<int> blackout_flags(uint64_t seed, int steps) {
  const EnvConfig c = default_env_config("track-blackout");
  Runner r(c);
  r.reset(seed);
  const auto flag = static_cast<size_t>(layout_of(c).size());
  std::vector<int> flags;
  for (int i = 0; i < steps && !r.step({0, 0.3f, 0}).terminated; ++i) flags.push_back(static_cast<int>(r.obs[flag]));
  return flags;
}

// Lengths of the runs of equal flags, without the last (cut) run.
std::vector<std::pair<int, int>> runs_of(const std::vector<int>& flags) {
  std::vector<std::pair<int, int>> runs;  // (flag, length)
  for (int f : flags) {
    if (runs.empty() || runs.back().first != f) runs.push_back({f, 0});
    ++runs.back().second;
  }
  if (!runs.empty()) runs.pop_back();
  return runs;
}

}  // namespace

TEST_CASE("track-blackout: blackouts of 1-3 s between clear stretches of 1-3 s, the same for the same seed",
          "[envs][memory]") {
  const auto a = blackout_flags(3, 480), b = blackout_flags(3, 480), other = blackout_flags(4, 480);
  CHECK(a == b);
  CHECK(a != other);
  const auto runs = runs_of(a);
  REQUIRE(runs.size() >= 4);
  // 25 agent steps a second (dt 0.02 s, action repeat 2); the first stretch starts at the reset, one step
  // before the flags recorded here.
  for (size_t i = 0; i < runs.size(); ++i) {
    CHECK(runs[i].second >= (i == 0 ? 24 : 25));
    CHECK(runs[i].second <= 75);
  }
  CHECK(runs.front().first == 0);  // episodes start with the sensors on
}

TEST_CASE("track-blackout hides every road element and keeps the car's own state", "[envs][memory]") {
  EnvConfig c = default_env_config("track-blackout");
  EnvConfig plain = c;
  plain.id = "track";  // the same world without the blackouts
  const VectorObsLayout l = layout_of(c);
  Runner r(c), p(plain);
  r.reset(11);
  p.reset(11);
  int dark = 0, lit = 0;
  for (int i = 0; i < 400; ++i) {
    const auto act = keep_offset(l, p.obs.data(), 0);  // both driven by the sighted observation
    const StepResult sr = r.step(act), sp = p.step(act);
    REQUIRE(sr.reward == sp.reward);
    if (sr.terminated) break;
    const bool blackout = r.obs[static_cast<size_t>(l.size())] == 1.0f;
    for (int k = 0; k < l.size(); ++k) {
      const bool road = k < l.lidar_rays || (k >= l.track_first() && k < l.size() - 1);
      const float expect = blackout && road ? 0.0f : p.obs[static_cast<size_t>(k)];
      if (r.obs[static_cast<size_t>(k)] != expect) FAIL("element " << k << " at step " << i);
    }
    (blackout ? dark : lit) += 1;
  }
  CHECK(dark > 80);
  CHECK(lit > 80);
}

TEST_CASE("track-cue: the cue is shown for cue_steps steps, drawn by seed, about half of each side",
          "[envs][memory]") {
  const EnvConfig c = default_env_config("track-cue");
  const auto cue_at = static_cast<size_t>(layout_of(c).size());
  int plus = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Runner r(c), again(c);
    r.reset(seed);
    again.reset(seed);
    const float cue = r.obs[cue_at];
    REQUIRE(std::abs(cue) == 1.0f);
    CHECK(again.obs[cue_at] == cue);
    plus += cue > 0;
    if (seed < 5) {
      for (int i = 1; i < c.max_steps; ++i) {
        r.step({0, 0.2f, 0});
        CHECK(r.obs[cue_at] == (i < c.memory.cue_steps ? cue : 0.0f));
        CHECK(r.obs[cue_at + 1] == (i >= c.memory.gate_step && i < c.memory.gate_step + c.memory.gate_steps ? 1.0f : 0.0f));
      }
    }
  }
  CHECK(plus > 70);
  CHECK(plus < 130);
}

TEST_CASE("track-cue pays the remembered side, half of it to a fixed guess and nothing to the wrong side",
          "[envs][memory]") {
  const EnvConfig c = default_env_config("track-cue");
  const VectorObsLayout l = layout_of(c);
  const auto cue_at = static_cast<size_t>(l.size());
  // A driver that holds the centre, then in the gate drives at 0.7 of the half width on a side chosen by
  // `side(cue)`. Returns the mean return over the episodes minus that of a driver who stays centred.
  auto gate_return = [&](auto side) {
    double total = 0;
    const int episodes = 16;
    for (int e = 0; e < episodes; ++e) {
      Runner r(c);
      r.reset(100 + e);
      const float cue = r.obs[cue_at];
      Runner centre(c);
      centre.reset(100 + e);
      for (int i = 0; i < c.max_steps; ++i) {
        const bool gate = r.obs[cue_at + 1] == 1.0f || i >= c.memory.gate_step - 10;  // move over just before
        const StepResult s = r.step(keep_offset(l, r.obs.data(), gate ? 0.7f * side(cue) : 0.0f));
        const StepResult s0 = centre.step(keep_offset(l, centre.obs.data(), 0.0f));
        total += s.reward - s0.reward;
        if (s.terminated || s.truncated) break;
      }
    }
    return total / episodes;
  };
  const double remembered = gate_return([](float cue) { return cue; });
  const double left_always = gate_return([](float) { return 1.0f; });
  const double wrong = gate_return([](float cue) { return -cue; });
  INFO("remembered " << remembered << ", always left " << left_always << ", wrong " << wrong);
  // The scripted driver needs part of the gate to move over, so it earns a share of cue_reward; a fixed
  // guess earns about half of that share, the wrong side nothing.
  CHECK(remembered > 0.5 * c.memory.cue_reward);
  CHECK(std::abs(wrong) < 0.1 * c.memory.cue_reward);
  CHECK(left_always > 0.3 * remembered);
  CHECK(left_always < 0.7 * remembered);
}

TEST_CASE("track-cue: a gate past the time limit or a cue into the gate is a config error", "[envs][memory]") {
  EnvConfig c = default_env_config("track-cue");
  c.max_steps = c.memory.gate_step;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("max_steps"));
  c = default_env_config("track-cue");
  c.memory.cue_steps = c.memory.gate_step;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("memory.cue_steps"));
  c = default_env_config("track-blackout");
  c.memory.blackout_min_s = 4;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("memory.blackout_min_s"));
}

namespace {

struct LapRun {
  std::vector<float> lap_times_s;     // info.lap_time_s at each completed lap
  std::vector<float> lap_returns;     // reward summed per lap (the step completing a lap counts to it)
  std::vector<float> lap_flags;       // the appended element after each lap completion
  Info last;                          // info of the final step
  bool terminated = false, truncated = false;
};

// The privileged scripted expert (envs/expert.h) driving one episode of track-laps.
LapRun expert_laps(const EnvConfig& c, uint64_t seed) {
  Runner r(c);
  r.reset(seed);
  ExpertDriver expert;
  const auto flag = static_cast<size_t>(layout_of(c).size());
  LapRun run;
  run.lap_returns.push_back(0);
  CHECK(r.obs[flag] == 0.0f);
  for (int i = 0; i < c.max_steps; ++i) {
    const dl::sim::Action a = expert.act(*find_world(*r.env));
    const StepResult s = r.step({a.steer, a.gas, a.brake});
    run.lap_returns.back() += s.reward;
    if (r.info.lap_complete) {
      run.lap_times_s.push_back(r.info.lap_time_s);
      run.lap_flags.push_back(r.obs[flag]);
      run.lap_returns.push_back(0);
    } else {
      CHECK(r.info.lap_time_s == -1.0f);
    }
    if (s.terminated || s.truncated) {
      run.terminated = s.terminated;
      run.truncated = s.truncated;
      break;
    }
  }
  run.last = r.info;
  return run;
}

}  // namespace

TEST_CASE("track-laps: one episode is memory.laps laps of one track, each lap's time reported", "[envs][memory]") {
  const EnvConfig c = default_env_config("track-laps");
  REQUIRE(c.memory.laps == 3);
  CHECK(layout_of(c).lookahead_points == 0);  // nothing of the road ahead but a 20 m lidar
  const LapRun run = expert_laps(c, 11);
  // The episode ends at the third lap, not the first, and is terminated (not cut by the time limit).
  REQUIRE(run.lap_times_s.size() == 3);
  CHECK(run.terminated);
  CHECK_FALSE(run.truncated);
  CHECK(run.lap_flags == std::vector<float>{1.0f / 3, 2.0f / 3, 1.0f});
  for (float t : run.lap_times_s) {
    CHECK(t > 10);  // 340-400 m laps
    CHECK(t < 40);
  }
  CHECK(run.last.episode_done);
  CHECK(run.last.episode_laps == 3);
  CHECK(run.last.episode_lap_time_s == Approx(run.lap_times_s[0]));
  CHECK(run.last.episode_later_lap_time_s == Approx(0.5 * (run.lap_times_s[1] + run.lap_times_s[2])));
  CHECK(run.last.episode_length * c.dt_s * c.action_repeat ==
        Approx(run.lap_times_s[0] + run.lap_times_s[1] + run.lap_times_s[2]));
  // The same track every lap: a driver that knows it laps in about the same time each time.
  CHECK(std::abs(run.lap_times_s[2] - run.lap_times_s[1]) < 0.1 * run.lap_times_s[1]);
}

TEST_CASE("track-laps pays lap 1 first_lap_scale of its reward and later laps in full", "[envs][memory]") {
  EnvConfig c = default_env_config("track-laps");
  c.memory.first_lap_scale = 1;
  const LapRun full = expert_laps(c, 12);
  c.memory.first_lap_scale = 0.25f;
  const LapRun scaled = expert_laps(c, 12);
  REQUIRE(full.lap_returns.size() >= 3);
  REQUIRE(scaled.lap_returns.size() == full.lap_returns.size());
  CHECK(full.lap_returns[0] > 500);  // the tiles of a lap pay 1000 less the step penalties
  CHECK(scaled.lap_returns[0] == Approx(0.25 * full.lap_returns[0]));
  CHECK(scaled.lap_returns[1] == Approx(full.lap_returns[1]));
  CHECK(scaled.lap_returns[2] == Approx(full.lap_returns[2]));
}

TEST_CASE("track-laps: two laps count, and look-ahead is refused", "[envs][memory]") {
  EnvConfig c = default_env_config("track-laps");
  c.memory.laps = 2;
  const LapRun run = expert_laps(c, 13);
  CHECK(run.lap_times_s.size() == 2);
  CHECK(run.terminated);
  CHECK(run.last.episode_laps == 2);
  c = default_env_config("track-laps");
  c.lookahead.points = 5;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("lookahead.points"));
}

TEST_CASE("track-laps: progress_features append the lap progress's phase as sin/cos harmonics", "[envs][memory]") {
  EnvConfig c = default_env_config("track-laps");
  REQUIRE(c.memory.progress_features == 0);
  const int64_t plain = make_env(c)->observation_spec().size();
  c.memory.progress_features = 3;
  Runner r(c);
  const Spec& spec = r.env->observation_spec();
  REQUIRE(spec.size() == plain + 6);
  const auto layout = layout_of(c);
  const auto progress = static_cast<size_t>(layout.size() - 1);  // the lidar layout's last element
  const auto first = static_cast<size_t>(layout.size() + 1);      // after the laps-completed element
  for (size_t i = first; i < first + 6; ++i) {
    CHECK(spec.low[i] == -1.0f);
    CHECK(spec.high[i] == 1.0f);
  }
  r.reset(21);
  ExpertDriver expert;
  float highest = 0;
  for (int step = 0; step < 400; ++step) {
    const dl::sim::Action a = expert.act(*find_world(*r.env));
    r.step({a.steer, a.gas, a.brake});
    const double phase = 2 * std::numbers::pi * r.obs[progress];
    highest = std::max(highest, r.obs[progress]);
    for (int k = 1; k <= 3; ++k) {
      CHECK(r.obs[first + 2 * (k - 1)] == Approx(std::sin(k * phase)).margin(1e-6));
      CHECK(r.obs[first + 2 * (k - 1) + 1] == Approx(std::cos(k * phase)).margin(1e-6));
    }
  }
  CHECK(highest > 0.5f);  // the expert got well into the lap, so the phases were not all near 0
}

TEST_CASE("track-laps: later_lidar_m shortens the lidar from lap 2 on and leaves lap 1 alone", "[envs][memory]") {
  EnvConfig c = default_env_config("track-laps");
  Runner full(c);
  c.memory.later_lidar_m = 5;
  Runner cut(c);
  const auto layout = layout_of(c);
  const float scale = c.lidar.range_m / 5;
  full.reset(31);
  cut.reset(31);
  ExpertDriver expert;
  int laps = 0, lap1_steps = 0, later_steps = 0, hidden = 0;
  for (int step = 0; step < c.max_steps && laps < 2; ++step) {
    // The same actions in both (the expert reads the world, which the sensors do not change).
    const dl::sim::Action a = expert.act(*find_world(*full.env));
    full.step({a.steer, a.gas, a.brake});
    cut.step({a.steer, a.gas, a.brake});
    if (full.info.lap_complete) ++laps;
    for (int i = 0; i < static_cast<int>(full.obs.size()); ++i) {
      const auto k = static_cast<size_t>(i);
      const bool ray = i >= layout.lidar_first() && i < layout.lidar_first() + layout.lidar_rays;
      if (laps == 0 || !ray) {
        CHECK(cut.obs[k] == full.obs[k]);
      } else {
        CHECK(cut.obs[k] == Approx(std::min(full.obs[k] * scale, 1.0f)));
        hidden += full.obs[k] < 1 && cut.obs[k] == 1 ? 1 : 0;  // seen by the 20 m lidar, beyond 5 m
      }
    }
    (laps == 0 ? lap1_steps : later_steps) += 1;
  }
  CHECK(laps == 2);
  CHECK(lap1_steps > 100);
  CHECK(later_steps > 100);
  CHECK(hidden > 0);
  c.memory.later_lidar_m = 25;  // longer than the 20 m lidar
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("memory.later_lidar_m"));
}

TEST_CASE("track-laps: first_lap_lookahead shows the road ahead on lap 1 and zeros it from lap 2 on", "[envs][memory]") {
  EnvConfig c = default_env_config("track-laps");
  c.lookahead.points = 5;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("memory.first_lap_lookahead"));  // look-ahead on every lap: no
  c.memory.first_lap_lookahead = true;
  Runner cut(c);
  // Lap 1 against the plain lidar env on the same world, which shows the look-ahead and ends at lap 1.
  EnvConfig plain = c;
  plain.id = "track";
  plain.memory = {};
  Runner full(plain);
  const auto layout = layout_of(plain);
  const int ahead_first = layout.track_first() + 2, ahead_end = layout.size() - 1;
  full.reset(31);
  cut.reset(31);
  ExpertDriver expert;
  int laps = 0, lap1_steps = 0, later_steps = 0, lap1_ahead = 0;
  for (int step = 0; step < 1500 && laps < 2; ++step) {
    const dl::sim::Action a = expert.act(*find_world(*cut.env));
    cut.step({a.steer, a.gas, a.brake});
    if (laps == 0) full.step({a.steer, a.gas, a.brake});  // the plain env ends at its first lap
    if (cut.info.lap_complete) ++laps;
    for (int i = 0; i < layout.size(); ++i) {
      const auto k = static_cast<size_t>(i);
      const bool ahead = i >= ahead_first && i < ahead_end;
      if (laps == 0) {
        CHECK(cut.obs[k] == full.obs[k]);
        lap1_ahead += ahead && cut.obs[k] != 0 ? 1 : 0;
      } else if (ahead) {
        CHECK(cut.obs[k] == 0.0f);
      }
    }
    (laps == 0 ? lap1_steps : later_steps) += 1;
  }
  CHECK(laps == 2);
  CHECK(lap1_steps > 100);
  CHECK(later_steps > 100);
  CHECK(lap1_ahead > lap1_steps);  // lap 1 did show the road ahead
  c.lookahead.points = 0;
  c.memory.first_lap_lookahead = true;
  CHECK_THROWS_WITH(make_env(c), Catch::Contains("lookahead.points"));
}
