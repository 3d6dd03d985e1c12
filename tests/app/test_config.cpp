// Config loading: every error kind names the file, the line and the key; every shipped config loads.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "app/run_config.h"
#include "envs/registry.h"

using dl::app::ConfigError;
using dl::app::parse_run_config;
using dl::app::to_yaml;
namespace fs = std::filesystem;

namespace {
std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_run_config(yaml, "test.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("every config in configs/ loads", "[config]") {
  int loaded = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(DRIVELAB_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    if (entry.path().string().find("/sweeps/") != std::string::npos) continue;  // sweep files: tested by sweeps
    INFO(entry.path());
    REQUIRE_NOTHROW(dl::app::load_run_config(entry.path().string()));
    ++loaded;
  }
  CHECK(loaded >= 1);
}

TEST_CASE("the embedded default is configs/ppo_track.yaml", "[config]") {
  auto embedded = dl::app::load_run_config("");
  auto file = dl::app::load_run_config(std::string(DRIVELAB_SOURCE_DIR) + "/configs/ppo_track.yaml");
  CHECK(dl::app::to_yaml(embedded) == dl::app::to_yaml(file));
  CHECK(embedded.agent.algo == "ppo");
  CHECK(embedded.env.id == "track");
}

TEST_CASE("an unknown key names file, line, key and the nearest known key", "[config]") {
  const std::string msg = error_of("env:\n  id: track\nagent:\n  algo: ppo\n  lerning_rate: 0.1\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:5"));
  CHECK_THAT(msg, Catch::Contains("agent.lerning_rate"));
  CHECK_THAT(msg, Catch::Contains("did you mean 'agent.learning_rate'"));
}

TEST_CASE("an unknown top-level section is an error", "[config]") {
  CHECK_THAT(error_of("trian:\n  seed: 1\n"), Catch::Contains("did you mean 'train'"));
}

TEST_CASE("a wrong type names the line and what was expected", "[config]") {
  const std::string msg = error_of("train:\n  seed: 1\n  num_envs: many\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:3"));
  CHECK_THAT(msg, Catch::Contains("train.num_envs"));
  CHECK_THAT(msg, Catch::Contains("expected an integer"));
  CHECK_THAT(error_of("agent:\n  ppo:\n    norm_adv: maybe\n"), Catch::Contains("expected true or false"));
  CHECK_THAT(error_of("agent:\n  net:\n    hidden: 64\n"), Catch::Contains("expected a list of integers"));
  CHECK_THAT(error_of("env: 3\n"), Catch::Contains("expected a mapping"));
  CHECK_THAT(error_of("train:\n  seed: -4\n"), Catch::Contains("non-negative integer"));
}

TEST_CASE("an out-of-range value names the range", "[config]") {
  const std::string msg = error_of("agent:\n  ppo:\n    gamma: 1.5\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:3"));
  CHECK_THAT(msg, Catch::Contains("agent.ppo.gamma"));
  CHECK_THAT(msg, Catch::Contains("[0, 1]"));
  CHECK_THAT(error_of("agent:\n  ppo:\n    gamma: .nan\n"), Catch::Contains("out of range"));
}

TEST_CASE("a key of the flat agent section names its new place, for the file's algorithm", "[config]") {
  const std::string msg = error_of("env:\n  id: track\nagent:\n  algo: a2c\n  num_steps: 5\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:5"));
  CHECK_THAT(msg, Catch::Contains("'agent.num_steps'") && Catch::Contains("now 'agent.a2c.num_steps'"));
  CHECK_THAT(error_of("agent:\n  clip_coef: 0.1\n"), Catch::Contains("now 'agent.ppo.clip_coef'"));
  CHECK_THAT(error_of("agent:\n  algo: decision_transformer\n  batch_size: 8\n"), Catch::Contains("now 'agent.dt.batch_size'"));
  CHECK_THAT(error_of("agent:\n  algo: bc\n  batch_size: 8\n"), Catch::Contains("now 'agent.bc.batch_size'"));
  CHECK_THAT(error_of("agent:\n  dagger_iterations: 2\n"), Catch::Contains("now 'agent.dagger.iterations'"));
  CHECK_THAT(error_of("train:\n  eval_every: 2\n"), Catch::Contains("test.yaml:2") && Catch::Contains("now 'train.eval_every_steps'"));
  CHECK_THAT(error_of("agent:\n  algo: track_gan\ntrain:\n  checkpoint_every: 2\n"),
             Catch::Contains("now 'agent.gan.checkpoint_every_generator_steps'"));
  CHECK_THAT(error_of("agent:\n  world_model:\n    eval_every: 2\n"), Catch::Contains("now 'agent.world_model.eval_every_generations'"));
  // On the command line too.
  try {
    parse_run_config("", "x.yaml", {"agent.gamma=0.9"});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("agent.gamma=0.9") && Catch::Contains("now 'agent.ppo.gamma'"));
  }
}

TEST_CASE("an agent key the algorithm does not read is an error naming the line", "[config]") {
  // Another algorithm's section.
  std::string msg = error_of("agent:\n  algo: bc\n  ppo:\n    num_steps: 64\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:3") && Catch::Contains("agent.ppo") && Catch::Contains("bc does not read"));
  CHECK_THAT(msg, Catch::Contains("agent.bc"));
  // A shared key the algorithm ignores: track_gan has its own learning rate.
  msg = error_of("agent:\n  algo: track_gan\n  learning_rate: 0.001\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:3") && Catch::Contains("agent.learning_rate") && Catch::Contains("agent.gan"));
  CHECK_THAT(error_of("agent:\n  algo: world_model\n  net:\n    hidden: [8]\n"), Catch::Contains("agent.net"));
  CHECK_THAT(error_of("agent:\n  algo: bc\n  optimizer: rmsprop\n"), Catch::Contains("agent.optimizer"));
  // DAgger reads bc's section and its own; PPO the embedded default's.
  CHECK(error_of("agent:\n  algo: dagger\n  bc:\n    epochs: 2\n  dagger:\n    iterations: 1\n").empty());
  CHECK(error_of("agent:\n  ppo:\n    num_steps: 64\n").empty());
  CHECK_THAT(error_of("agent:\n  algo: bc\n", {"agent.a2c.num_steps=8"}),
             Catch::Contains("command-line override 'agent.a2c.num_steps=8'") && Catch::Contains("bc does not read"));
  // The env-step budget belongs to the algorithms that count env steps.
  CHECK_THAT(error_of("agent:\n  algo: bc\ntrain:\n  total_steps: 5\n"),
             Catch::Contains("test.yaml:4") && Catch::Contains("train.total_steps") && Catch::Contains("does not count env steps"));
  CHECK_THAT(error_of("agent:\n  algo: decision_transformer\ntrain:\n  eval_every_steps: 5\n"),
             Catch::Contains("train.eval_every_steps"));
  CHECK(error_of("agent:\n  algo: reinforce\ntrain:\n  total_steps: 5\n").empty());
  // `drivelab train agent.algo=a2c`: no file, so the embedded default's PPO section is not the user's.
  const auto a2c = dl::app::load_run_config("", {"agent.algo=a2c", "agent.a2c.num_steps=7"});
  CHECK(a2c.agent.a2c.num_steps == 7);
  try {
    dl::app::load_run_config("", {"agent.algo=a2c", "agent.ppo.clip_coef=0.1"});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("command-line override 'agent.ppo.clip_coef=0.1'"));
  }
  // An override that switches the algorithm of a file with another's section.
  try {
    parse_run_config("agent:\n  ppo:\n    num_steps: 64\n", "x.yaml", {"agent.algo=a2c"});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("x.yaml:2") && Catch::Contains("a2c does not read"));
  }
}

TEST_CASE("a resolved config shows only its algorithm's agent keys and reads back to the same config", "[config]") {
  for (const char* algo :
       {"ppo", "a2c", "reinforce", "bc", "dagger", "decision_transformer", "track_gan", "world_model", "distill"}) {
    INFO(algo);
    auto config = parse_run_config(std::string("agent:\n  algo: ") + algo + "\n", "x.yaml");
    const std::string yaml = to_yaml(config);
    auto again = parse_run_config(yaml, "resolved.yaml");
    CHECK(to_yaml(again) == yaml);
    CHECK((yaml.find("\n  ppo:") != std::string::npos) == (std::string(algo) == "ppo"));
    CHECK((yaml.find("\n  bc:") != std::string::npos) == (std::string(algo) == "bc" || std::string(algo) == "dagger"));
    const bool env_steps = std::string(algo) == "ppo" || std::string(algo) == "a2c" || std::string(algo) == "reinforce";
    CHECK((yaml.find("total_steps:") != std::string::npos) == env_steps);
  }
}

TEST_CASE("an unknown choice lists the allowed values", "[config]") {
  const std::string msg = error_of("env:\n  id: trak\n");
  CHECK_THAT(msg, Catch::Contains("test.yaml:2"));
  CHECK_THAT(msg, Catch::Contains("did you mean 'track'"));
  CHECK_THAT(error_of("train:\n  device: tpu\n"), Catch::Contains("expected auto, cpu, cuda or cuda:N"));
}

TEST_CASE("malformed YAML names the line", "[config]") {
  const std::string msg = error_of("env:\n  id: [track\nagent: {\n");
  CHECK_THAT(msg, Catch::Contains("malformed YAML"));
  CHECK_THAT(msg, Catch::Contains("test.yaml:"));
}

TEST_CASE("a missing config file is named", "[config]") {
  try {
    dl::app::load_run_config("/nonexistent/run.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("/nonexistent/run.yaml"));
  }
}

TEST_CASE("key.path=value overrides any field and are checked like the file", "[config]") {
  auto c = parse_run_config("agent:\n  learning_rate: 0.1\n", "test.yaml",
                            {"agent.learning_rate=0.002", "env.lidar.rays=8", "agent.net.hidden=[32,16]"});
  CHECK(c.agent.learning_rate == Approx(0.002));
  CHECK(c.env.lidar.rays == 8);
  CHECK(c.agent.net.hidden == std::vector<int>{32, 16});
  CHECK_THAT(error_of("", {"agent.lr=3"}), Catch::Contains("command-line override 'agent.lr=3'"));
  CHECK_THAT(error_of("", {"train.seed=x"}), Catch::Contains("command-line override 'train.seed=x'"));
  CHECK_THAT(error_of("", {"noequals"}), Catch::Contains("expected key.path=value"));
}

TEST_CASE("the env id picks that env's defaults before the section's values apply", "[config]") {
  auto c = parse_run_config("env:\n  id: traffic\n", "test.yaml");
  CHECK(c.env.id == "traffic");
  CHECK(c.env.traffic.cars == dl::envs::default_env_config("traffic").traffic.cars);
  auto easy = parse_run_config("env:\n  preset: easy\n  track:\n    width_m: 20\n", "test.yaml");
  CHECK(easy.env.track.width_m == 20.0f);
  CHECK(easy.env.track.checkpoints == dl::sim::track_preset(dl::sim::TrackPreset::easy).checkpoints);
}

TEST_CASE("the resolved config reads back to the same config", "[config]") {
  auto c = parse_run_config("env:\n  id: carracing\nagent:\n  algo: a2c\n  a2c:\n    gamma: 0.9\n", "test.yaml",
                            {"train.total_steps=12345"});
  const std::string text = dl::app::to_yaml(c);
  auto again = parse_run_config(text, "resolved.yaml");
  CHECK(dl::app::to_yaml(again) == text);
  CHECK(again.train.total_steps == 12345);
  CHECK(again.agent.a2c.gamma == 0.9f);
}

TEST_CASE("nearest_key suggests close names only", "[config]") {
  CHECK(dl::app::nearest_key("lerning_rate", {"learning_rate", "gamma"}) == "learning_rate");
  CHECK(dl::app::nearest_key("zzzzzz", {"learning_rate", "gamma"}).empty());
}
