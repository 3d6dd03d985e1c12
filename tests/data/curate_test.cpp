#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <set>

#include "data/curate.h"
#include "data_test_util.h"

using namespace dl::data;

namespace {

// Episodes with given returns: make_episode(length, base) earns (base + 1) per step.
std::string write_episodes(const TempDir& dir, const std::string& name, const std::vector<Episode>& episodes,
                           const DatasetSpec& spec = small_spec()) {
  const std::string path = dir.file(name);
  DatasetWriter w(path, spec);
  for (const auto& e : episodes) w.write_episode(e);
  w.close();
  return path;
}

CleanRules all_rules_off() {
  CleanRules r;
  r.drop_non_finite = false;
  r.min_length = 0;
  r.drop_crashed = false;
  r.drop_duplicates = false;
  r.outlier_iqr = 0;
  r.use_min_return = false;
  return r;
}

}  // namespace

TEST_CASE("clean with every rule off keeps every episode", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 5, 0), make_episode(spec, 5, 0)});
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), all_rules_off());
  CHECK(r.input == 2);
  CHECK(r.kept == 2);
}

TEST_CASE("clean drops episodes with NaN or inf", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  Episode nan_action = make_episode(spec, 5, 1);
  nan_action.actions[4] = std::numeric_limits<float>::quiet_NaN();
  Episode inf_obs = make_episode(spec, 5, 2);
  const float inf = std::numeric_limits<float>::infinity();
  std::memcpy(inf_obs.obs.data() + 8, &inf, sizeof inf);
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 5, 0), nan_action, inf_obs});
  CleanRules rules = all_rules_off();
  rules.drop_non_finite = true;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.non_finite == 2);
  CHECK(r.kept == 1);
  CHECK(DatasetReader(dir.file("out.dlds")).num_episodes() == 1);
}

TEST_CASE("clean drops episodes shorter than the minimum length", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 1, 0), make_episode(spec, 3, 1),
                                                  make_episode(spec, 10, 2)});
  CleanRules rules = all_rules_off();
  rules.min_length = 3;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.too_short == 1);
  CHECK(r.kept == 2);
}

TEST_CASE("clean drops crashed episodes when asked", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  Episode crashed = make_episode(spec, 5, 1);
  crashed.meta.flags = kOffPlayfield;
  Episode lap = make_episode(spec, 5, 2);
  lap.meta.flags = kLapComplete;
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 5, 0), crashed, lap});
  CleanRules rules = all_rules_off();
  rules.drop_crashed = true;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.crashed == 1);
  CHECK(r.kept == 2);
  const auto kept = read_all(dir.file("out.dlds"));
  for (const auto& e : kept) CHECK((e.meta.flags & kOffPlayfield) == 0);
}

TEST_CASE("clean keeps the first of duplicate episodes", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  Episode twin = make_episode(spec, 5, 0);
  twin.meta.seed = 99;  // metadata differs, the recorded data does not
  Episode near_twin = make_episode(spec, 5, 0);
  near_twin.rewards[2] += 0.5f;
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 5, 0), twin, near_twin, make_episode(spec, 5, 0)});
  CleanRules rules = all_rules_off();
  rules.drop_duplicates = true;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.duplicates == 2);
  CHECK(r.kept == 2);
  CHECK(read_all(dir.file("out.dlds")).at(0).meta.seed == 0);
}

TEST_CASE("clean drops return outliers by the IQR rule", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  // Returns 10 * (base + 1): 10, 20, 30, 40, 50 and one far out at 1000.
  std::vector<Episode> eps;
  for (int b = 0; b < 5; ++b) eps.push_back(make_episode(spec, 10, static_cast<float>(b)));
  eps.push_back(make_episode(spec, 10, 99));
  const auto in = write_episodes(dir, "in.dlds", eps);
  CleanRules rules = all_rules_off();
  rules.outlier_iqr = 1.5;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.outliers == 1);
  CHECK(r.kept == 5);
  CHECK(r.outlier_high < 1000);
  for (const auto& e : read_all(dir.file("out.dlds"))) CHECK(e.meta.episode_return < 100);
}

TEST_CASE("clean drops returns below a minimum", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  const auto in = write_episodes(dir, "in.dlds", {make_episode(spec, 10, 0), make_episode(spec, 10, 5)});
  CleanRules rules = all_rules_off();
  rules.use_min_return = true;
  rules.min_return = 30;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.below_min_return == 1);
  CHECK(r.kept == 1);
  CHECK_THAT(format_clean_report(r, rules), Catch::Contains("below min return:       1"));
}

TEST_CASE("an episode dropped by several rules is counted once", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  Episode bad = make_episode(spec, 1, 0);
  bad.rewards[0] = std::numeric_limits<float>::quiet_NaN();
  bad.meta.flags = kOffPlayfield;
  const auto in = write_episodes(dir, "in.dlds", {bad, make_episode(spec, 5, 1)});
  CleanRules rules;
  rules.drop_crashed = true;
  const CleanReport r = clean_dataset(in, dir.file("out.dlds"), rules);
  CHECK(r.non_finite == 1);
  CHECK(r.too_short == 0);
  CHECK(r.crashed == 0);
  CHECK(r.kept == 1);
}

TEST_CASE("split puts every episode in exactly one part, reproducibly", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  std::vector<Episode> eps;
  for (int i = 0; i < 20; ++i) {
    eps.push_back(make_episode(spec, 3, static_cast<float>(i)));
    eps.back().meta.seed = i;
  }
  const auto in = write_episodes(dir, "in.dlds", eps);
  const SplitReport r = split_dataset(in, dir.file("train.dlds"), dir.file("val.dlds"), 0.25, 7);
  CHECK(r.val_episodes == 5);
  CHECK(r.train_episodes == 15);
  std::set<uint64_t> train, val;
  for (const auto& e : read_all(dir.file("train.dlds"))) train.insert(e.meta.seed);
  for (const auto& e : read_all(dir.file("val.dlds"))) val.insert(e.meta.seed);
  CHECK(train.size() == 15);
  CHECK(val.size() == 5);
  for (uint64_t s : val) CHECK(train.count(s) == 0);
  CHECK(validation_mask(20, 0.25, 7) == validation_mask(20, 0.25, 7));
  CHECK(validation_mask(20, 0.25, 7) != validation_mask(20, 0.25, 8));
}

TEST_CASE("a small split still leaves an episode on each side", "[data]") {
  const auto mask = validation_mask(3, 0.01, 1);
  CHECK(std::count(mask.begin(), mask.end(), true) == 1);
  const auto most = validation_mask(3, 0.99, 1);
  CHECK(std::count(most.begin(), most.end(), true) == 2);
}

TEST_CASE("merge concatenates datasets with equal specs", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  const auto a = write_episodes(dir, "a.dlds", {make_episode(spec, 3, 0), make_episode(spec, 4, 1)});
  const auto b = write_episodes(dir, "b.dlds", {make_episode(spec, 5, 2)});
  CHECK(merge_datasets({a, b}, dir.file("ab.dlds")) == 3);
  const auto all = read_all(dir.file("ab.dlds"));
  REQUIRE(all.size() == 3);
  CHECK(all[2].length() == 5);
}

TEST_CASE("merge refuses datasets whose specs differ, naming the file and the difference", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  DatasetSpec other = spec;
  other.observation.shape = {5};
  Episode e5;
  e5.obs.assign(2 * 5 * 4, 0);
  e5.actions = {0, 0, 0};
  e5.rewards = {0};
  e5.terminated = {0};
  e5.truncated = {1};
  const auto a = write_episodes(dir, "a.dlds", {make_episode(spec, 3, 0)});
  const auto b = write_episodes(dir, "b.dlds", {e5}, other);
  try {
    merge_datasets({a, b}, dir.file("ab.dlds"));
    FAIL("datasets with different specs were merged");
  } catch (const DatasetError& err) {
    CHECK_THAT(std::string(err.what()), Catch::Contains(b));
    CHECK_THAT(std::string(err.what()), Catch::Contains("observation specs differ: [4] float32 vs [5] float32"));
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("ab.dlds")));
}

TEST_CASE("stats count episodes and steps and bin actions", "[data]") {
  TempDir dir;
  const auto spec = small_spec();
  Episode lap = make_episode(spec, 4, 0);
  lap.meta.flags = kLapComplete;
  const auto in = write_episodes(dir, "in.dlds", {lap, make_episode(spec, 6, 1)});
  DatasetReader reader(in);
  const DatasetStats s = dataset_stats(reader, 4);
  CHECK(s.episodes == 2);
  CHECK(s.steps == 10);
  CHECK(s.laps_completed == 1);
  CHECK(s.return_quantiles.front() == Approx(4));
  CHECK(s.return_quantiles.back() == Approx(12));
  REQUIRE(s.actions.size() == 3);
  CHECK(s.actions[1].name == "gas");
  // Every gas value is 0.5: the third of four bins over [0, 1].
  CHECK(s.actions[1].counts == std::vector<int64_t>{0, 0, 10, 0});
  const std::string text = format_stats(s, reader.spec());
  CHECK_THAT(text, Catch::Contains("episodes: 2"));
  CHECK_THAT(text, Catch::Contains("action steer"));
}

TEST_CASE("quantiles interpolate between sorted values", "[data]") {
  CHECK(quantile({3, 1, 2, 4}, 0.5) == Approx(2.5));
  CHECK(quantile({5}, 0.9) == Approx(5));
  CHECK(std::isnan(quantile({}, 0.5)));
}
