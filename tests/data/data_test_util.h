// Shared helpers for the data tests: temporary folders and small crafted datasets.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tests/temp_folder.h"

using TempDir = dl::testing::TempFolder;

// Observations of 4 floats, continuous (steer, gas, brake) actions.
inline dl::data::DatasetSpec small_spec() {
  dl::data::DatasetSpec spec;
  spec.observation.shape = {4};
  spec.observation.dtype = dl::envs::DType::f32;
  spec.action.box.shape = {3};
  spec.action.box.low = {-1, 0, 0};
  spec.action.box.high = {1, 1, 1};
  spec.env_id = "track";
  spec.notes = "env.id=track\n";
  return spec;
}

// An episode whose values all derive from `base`, so different bases give different episodes.
inline dl::data::Episode make_episode(const dl::data::DatasetSpec& spec, int length, float base) {
  dl::data::Episode e;
  std::vector<float> obs((length + 1) * 4);
  for (size_t i = 0; i < obs.size(); ++i) obs[i] = base + 0.01f * static_cast<float>(i);
  e.obs.resize(obs.size() * 4);
  std::memcpy(e.obs.data(), obs.data(), e.obs.size());
  double ret = 0;
  for (int t = 0; t < length; ++t) {
    e.actions.insert(e.actions.end(), {0.1f * base, 0.5f, 0.f});
    e.rewards.push_back(base + 1);
    ret += base + 1;
    e.terminated.push_back(t == length - 1);
    e.truncated.push_back(0);
  }
  e.meta.episode_return = ret;
  e.meta.env_id = spec.env_id;
  e.meta.policy = "test";
  return e;
}

inline std::vector<dl::data::Episode> write_dataset(const std::string& path, int episodes) {
  std::vector<dl::data::Episode> out;
  dl::data::DatasetWriter w(path, small_spec());
  for (int i = 0; i < episodes; ++i) {
    out.push_back(make_episode(small_spec(), 6 + i, static_cast<float>(i)));
    w.write_episode(out.back());
  }
  w.close();
  return out;
}

inline void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5A);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}
