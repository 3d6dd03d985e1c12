#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/crc32.h"
#include "data/dataset.h"
#include "data_test_util.h"

using namespace dl::data;
using dl::io::crc32;
namespace fs = std::filesystem;

TEST_CASE("crc32 matches the standard check value and is incremental", "[data]") {
  const std::string text = "123456789";
  CHECK(crc32(text.data(), text.size()) == 0xCBF43926u);
  CHECK(crc32(text.data() + 4, 5, crc32(text.data(), 4)) == 0xCBF43926u);
}

TEST_CASE("a dataset round-trips episodes, specs and metadata", "[data]") {
  TempDir dir;
  const DatasetSpec spec = small_spec();
  const std::string path = dir.file("a.dlds");
  std::vector<Episode> written;
  {
    DatasetWriter w(path, spec);
    for (int i = 0; i < 4; ++i) {
      written.push_back(make_episode(spec, 3 + i, static_cast<float>(i)));
      written.back().meta.policy = "expert";
      written.back().meta.seed = 100 + i;
      written.back().meta.flags = i == 2 ? kLapComplete : 0;
      w.write_episode(written.back());
    }
    w.close();
  }
  CHECK_FALSE(fs::exists(path + ".tmp"));
  DatasetReader r(path);
  CHECK(r.spec().observation.shape == spec.observation.shape);
  CHECK(r.spec().action.dim() == 3);
  CHECK(r.spec().action.box.low == spec.action.box.low);
  CHECK(r.spec().env_id == "track");
  CHECK(r.spec().notes == spec.notes);
  REQUIRE(r.num_episodes() == 4);
  CHECK(r.num_steps() == 3 + 4 + 5 + 6);
  // Random access: read them backwards.
  for (int i = 3; i >= 0; --i) {
    const Episode e = r.episode(i);
    CHECK(e.obs == written[i].obs);
    CHECK(e.actions == written[i].actions);
    CHECK(e.rewards == written[i].rewards);
    CHECK(e.terminated == written[i].terminated);
    CHECK(e.truncated == written[i].truncated);
    CHECK(e.meta.policy == "expert");
    CHECK(e.meta.seed == 100u + i);
    CHECK(e.meta.flags == (i == 2 ? kLapComplete : 0u));
    CHECK(e.meta.episode_return == written[i].meta.episode_return);
    CHECK(r.index()[i].length == 3 + i);
  }
}

TEST_CASE("the streaming writer sums the return and keeps the final observation", "[data]") {
  TempDir dir;
  const DatasetSpec spec = small_spec();
  const std::string path = dir.file("s.dlds");
  {
    DatasetWriter w(path, spec);
    std::vector<float> obs(4, 0.f);
    w.begin_episode(obs.data(), {"random", "track", 7, 0, 0});
    for (int t = 0; t < 3; ++t) {
      const float action[3] = {0.1f * t, 1, 0};
      obs.assign(4, static_cast<float>(t + 1));
      w.step(action, 1.5f, t == 2, false, obs.data());
    }
    w.end_episode(kOffPlayfield);
    w.close();
  }
  const std::vector<Episode> all = read_all(path);
  REQUIRE(all.size() == 1);
  CHECK(all[0].length() == 3);
  CHECK(all[0].meta.episode_return == Approx(4.5));
  CHECK(all[0].meta.flags == kOffPlayfield);
  CHECK(all[0].obs_f32(3, 16)[0] == 3.f);
  CHECK(all[0].terminated == std::vector<uint8_t>{0, 0, 1});
}

TEST_CASE("uint8 observations are stored as bytes", "[data]") {
  TempDir dir;
  DatasetSpec spec = small_spec();
  spec.observation = {{2, 2, 3}, dl::envs::DType::u8, {}, {}};
  Episode e;
  e.obs.resize(3 * 12);
  for (size_t i = 0; i < e.obs.size(); ++i) e.obs[i] = static_cast<uint8_t>(i * 7);
  e.actions = {0, 1, 0, 0, 1, 0};
  e.rewards = {1, 2};
  e.terminated = {0, 0};
  e.truncated = {0, 1};
  const std::string path = dir.file("u8.dlds");
  DatasetWriter w(path, spec);
  w.write_episode(e);
  w.close();
  DatasetSpec read_spec;
  const auto all = read_all(path, &read_spec);
  CHECK(read_spec.observation.dtype == dl::envs::DType::u8);
  CHECK(all.at(0).obs == e.obs);
}

TEST_CASE("an unclosed writer leaves only the .tmp file", "[data]") {
  TempDir dir;
  const std::string path = dir.file("x.dlds");
  {
    DatasetWriter w(path, small_spec());
    w.write_episode(make_episode(small_spec(), 5, 0));
  }
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::exists(path + ".tmp"));
  // The leftover is recoverable.
  DatasetReader r(path + ".tmp", OpenMode::recover);
  CHECK(r.num_episodes() == 1);
}

TEST_CASE("a flipped byte in a chunk is an error naming the chunk and the CRCs", "[data]") {
  TempDir dir;
  const std::string path = dir.file("c.dlds");
  write_dataset(path, 3);
  uint64_t offset;
  {
    DatasetReader r(path);
    offset = r.index()[1].offset;
  }
  flip_byte(path, offset + 40);
  DatasetReader r(path);  // the index is intact, so opening works
  CHECK_NOTHROW(r.episode(0));
  try {
    r.episode(1);
    FAIL("a corrupt chunk was read without error");
  } catch (const DatasetError& e) {
    const std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains(path));
    CHECK_THAT(msg, Catch::Contains("chunk 1"));
    CHECK_THAT(msg, Catch::Contains("CRC mismatch: expected 0x"));
    CHECK_THAT(msg, Catch::Contains("actual 0x"));
  }
  CHECK_NOTHROW(r.episode(2));
}

TEST_CASE("recovery keeps the intact chunks around a corrupt one", "[data]") {
  TempDir dir;
  const std::string path = dir.file("c.dlds");
  const auto written = write_dataset(path, 4);
  uint64_t offset;
  {
    DatasetReader r(path);
    offset = r.index()[2].offset;
  }
  flip_byte(path, offset + 50);
  DatasetReader r(path, OpenMode::recover);
  REQUIRE(r.num_episodes() == 3);
  CHECK(r.episode(0).actions == written[0].actions);
  CHECK(r.episode(1).actions == written[1].actions);
  CHECK(r.episode(2).actions == written[3].actions);
  REQUIRE(r.problems().size() == 1);
  CHECK_THAT(r.problems()[0], Catch::Contains("chunk 2"));
  CHECK_THAT(r.problems()[0], Catch::Contains("CRC mismatch"));
}

TEST_CASE("a truncated file is an error in strict mode and keeps its whole chunks in recovery", "[data]") {
  TempDir dir;
  const std::string path = dir.file("t.dlds");
  const auto written = write_dataset(path, 3);
  uint64_t cut;
  {
    DatasetReader r(path);
    cut = r.index()[2].offset + 30;  // inside the last episode's chunk
  }
  fs::resize_file(path, cut);
  try {
    DatasetReader r(path);
    FAIL("a truncated file opened in strict mode");
  } catch (const DatasetError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("truncated or never closed"));
    CHECK_THAT(std::string(e.what()), Catch::Contains(path));
  }
  DatasetReader r(path, OpenMode::recover);
  REQUIRE(r.num_episodes() == 2);
  CHECK(r.episode(1).rewards == written[1].rewards);
  REQUIRE(r.problems().size() == 1);
  CHECK_THAT(r.problems()[0], Catch::Contains("chunk 2"));
  CHECK_THAT(r.problems()[0], Catch::Contains("truncated"));
}

TEST_CASE("files that are not datasets are named as such", "[data]") {
  TempDir dir;
  const std::string path = dir.file("n.dlds");
  std::ofstream(path) << "hello, this is not a dataset at all";
  CHECK_THROWS_WITH(DatasetReader(path), Catch::Contains("magic is not 'DLDS'"));
  CHECK_THROWS_WITH(DatasetReader(dir.file("missing.dlds")), Catch::Contains("cannot open"));
  const std::string good = dir.file("g.dlds");
  write_dataset(good, 1);
  flip_byte(good, 4);  // the version field
  CHECK_THROWS_WITH(DatasetReader(good), Catch::Contains("version"));
}

TEST_CASE("a damaged header is an error even in recovery mode", "[data]") {
  TempDir dir;
  const std::string path = dir.file("h.dlds");
  write_dataset(path, 2);
  flip_byte(path, 25);  // inside the spec payload
  CHECK_THROWS_WITH(DatasetReader(path, OpenMode::recover), Catch::Contains("header CRC mismatch"));
}
