// tools/migrate_config.py: its table of moved keys is the reader's (agents::moved_config_key), and a config
// written before the agent section was split loads after the tool rewrote it, comments kept.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "agents/agent_config.h"
#include "tests/app/app_test_util.h"

namespace fs = std::filesystem;
using dl::test::run;
using dl::test::sh;
using dl::test::slurp;
using dl::test::temp_dir;
using dl::test::write;

namespace {

const std::string kTool = std::string(DRIVELAB_SOURCE_DIR) + "/tools/migrate_config.py";

// Every key that moved, some that did not, and paths that only look like them.
const std::vector<std::string> kPaths = {
    "agent.gamma", "agent.normalize_reward", "agent.clip_reward", "agent.norm_adv", "agent.ent_coef",
    "agent.vf_coef", "agent.num_steps", "agent.gae_lambda", "agent.num_minibatches", "agent.update_epochs",
    "agent.clip_coef", "agent.clip_vloss", "agent.target_kl", "agent.init_from", "agent.value_warmup",
    "agent.data", "agent.batch_size", "agent.epochs", "agent.val_fraction", "agent.patience", "agent.obs_noise",
    "agent.shift_pad", "agent.dagger_iterations", "agent.dagger_episodes", "agent.context_length",
    "agent.d_model", "agent.n_heads", "agent.n_layers", "agent.target_return", "agent.gradient_steps",
    "train.eval_every", "train.checkpoint_every", "agent.world_model.eval_every",
    // not moved
    "agent.learning_rate", "agent.algo", "agent.ppo.gamma", "agent.dt.batch_size", "train.eval_every_steps",
    "train.total_steps", "env.max_steps", "agent.world_model.eval_every_generations", "agentgamma"};

}  // namespace

TEST_CASE("migrate_config.py moves every key where the config reader says it went, for every algorithm",
          "[config][migrate]") {
  std::vector<std::string> algos;
  for (const auto& [name, value] : dl::agents::algorithm_choices()) algos.push_back(name);
  REQUIRE(algos.size() >= 8);
  std::string paths, algo_list;
  for (const auto& p : kPaths) paths += (paths.empty() ? "" : ",") + p;
  for (const auto& a : algos) algo_list += (algo_list.empty() ? "" : ",") + a;
  // One line per (path, algo): "path algo new" with "-" for a key that did not move.
  const auto r = sh("python3 -c \"import sys; sys.path.insert(0, '" + std::string(DRIVELAB_SOURCE_DIR) +
                    "/tools'); from migrate_config import moved\n"
                    "for p in '" + paths + "'.split(','):\n"
                    "  for a in '" + algo_list + "'.split(','):\n"
                    "    print(p, a, moved(p, a) or '-')\"");
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::istringstream lines(r.output);
  int compared = 0, moved = 0;
  std::string path, algo, python_new;
  while (lines >> path >> algo >> python_new) {
    const std::string cpp_new = dl::agents::moved_config_key(path, algo);
    INFO(path << " for " << algo);
    CHECK((cpp_new.empty() ? "-" : cpp_new) == python_new);
    ++compared;
    moved += !cpp_new.empty();
  }
  CHECK(compared == static_cast<int>(kPaths.size() * algos.size()));
  CHECK(moved >= 33 * static_cast<int>(algos.size()) - 1);  // every listed old key moves, whatever the algorithm
}

TEST_CASE("a pre-split config loads after migrate_config.py rewrote it, comments kept", "[config][migrate][cli]") {
  const fs::path dir = temp_dir("migrate");
  const fs::path file = dir / "old_a2c.yaml";
  write(file,
        "# an A2C run from before the split\n"
        "env:\n"
        "  id: track\n"
        "agent:\n"
        "  algo: a2c\n"
        "  num_steps: 8     # steps per env per update\n"
        "  gamma: 0.97\n"
        "  ent_coef: 0.01\n"
        "train:\n"
        "  total_steps: 2048\n"
        "  eval_every: 1024\n");
  const auto before = run("train " + file.string() + " --print-config");
  INFO(before.output);
  CHECK(before.code == 2);
  CHECK_THAT(before.output, Catch::Contains("now 'agent.a2c.num_steps'"));
  CHECK(sh("python3 " + kTool + " --check " + file.string()).code == 1);

  const auto migrated = sh("python3 " + kTool + " " + file.string());
  INFO(migrated.output);
  REQUIRE(migrated.code == 0);
  const std::string text = slurp(file);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("# an A2C run from before the split"));
  CHECK_THAT(text, Catch::Contains("num_steps: 8     # steps per env per update"));
  CHECK_THAT(text, Catch::Contains("eval_every_steps: 1024"));
  CHECK(sh("python3 " + kTool + " --check " + file.string()).code == 0);

  const auto after = run("train " + file.string() + " --print-config");
  INFO(after.output);
  REQUIRE(after.code == 0);
  // The resolved config holds the values under their new keys.
  CHECK_THAT(after.output, Catch::Contains("a2c:"));
  CHECK_THAT(after.output, Catch::Contains("num_steps: 8"));
  CHECK_THAT(after.output, Catch::Contains("gamma: 0.97"));
  CHECK_THAT(after.output, Catch::Contains("eval_every_steps: 1024"));
  fs::remove_all(dir);
}
