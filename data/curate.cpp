#include "data/curate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "io/crc32.h"
#include "sim/rng.h"

namespace dl::data {
namespace {

// Width of the bars in text histograms, in characters.
constexpr int kBarWidth = 40;

bool all_finite(const float* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

bool episode_finite(const Episode& e, const DatasetSpec& spec) {
  if (spec.observation.dtype == envs::DType::f32 &&
      !all_finite(reinterpret_cast<const float*>(e.obs.data()), e.obs.size() / sizeof(float)))
    return false;
  return all_finite(e.actions.data(), e.actions.size()) && all_finite(e.rewards.data(), e.rewards.size()) &&
         std::isfinite(e.meta.episode_return);
}

// Two independent checksums of everything an episode recorded: 96 bits leave no practical chance that
// two different episodes look alike.
struct ContentKey {
  uint64_t fnv = 0;
  uint32_t crc = 0;
  int64_t length = 0;
  auto operator<=>(const ContentKey&) const = default;
};

uint64_t fnv1a(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

ContentKey content_key(const Episode& e) {
  ContentKey k;
  k.length = e.length();
  uint64_t h = 0xcbf29ce484222325ull;
  uint32_t c = 0;
  auto add = [&](const void* p, size_t n) {
    h = fnv1a(p, n, h);
    c = io::crc32(p, n, c);
  };
  add(e.obs.data(), e.obs.size());
  add(e.actions.data(), e.actions.size() * sizeof(float));
  add(e.rewards.data(), e.rewards.size() * sizeof(float));
  k.fnv = h;
  k.crc = c;
  return k;
}

std::string action_name(const DatasetSpec& spec, int i) {
  if (spec.action.discrete) return "discrete";
  if (spec.action.dim() == 3) return i == 0 ? "steer" : i == 1 ? "gas" : "brake";
  return std::string("a").append(std::to_string(i));
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

DatasetStats dataset_stats(const DatasetReader& reader, int histogram_bins) {
  const DatasetSpec& spec = reader.spec();
  DatasetStats s;
  s.episodes = reader.num_episodes();
  std::vector<double> returns;
  std::map<std::string, int64_t> policies;
  const int dim = spec.action_dim();
  std::vector<std::vector<float>> values(spec.action.discrete ? 1 : dim);
  for (int64_t i = 0; i < reader.num_episodes(); ++i) {
    const Episode e = reader.episode(i);
    s.steps += e.length();
    returns.push_back(e.meta.episode_return);
    if (e.meta.flags & kLapComplete) ++s.laps_completed;
    if (e.meta.flags & kOffPlayfield) ++s.crashed;
    s.length_min = i == 0 ? e.length() : std::min(s.length_min, e.length());
    s.length_max = std::max(s.length_max, e.length());
    ++policies[e.meta.policy];
    for (int64_t t = 0; t < e.length(); ++t)
      for (int d = 0; d < static_cast<int>(values.size()); ++d) values[d].push_back(e.actions[t * dim + d]);
  }
  if (!returns.empty()) {
    double sum = 0;
    for (double r : returns) sum += r;
    s.return_mean = sum / static_cast<double>(returns.size());
    for (double q : kQuantiles) s.return_quantiles.push_back(quantile(returns, q));
  }
  s.policies.assign(policies.begin(), policies.end());
  for (int d = 0; d < static_cast<int>(values.size()); ++d) {
    ActionHistogram h;
    h.name = action_name(spec, d);
    if (spec.action.discrete) {
      h.low = 0;
      h.high = static_cast<float>(spec.action.n - 1);
      h.counts.assign(spec.action.n, 0);
      for (float v : values[d]) {
        const int k = static_cast<int>(std::lround(v));
        if (k >= 0 && k < spec.action.n) ++h.counts[k];
      }
    } else {
      h.low = spec.action.box.low.size() > size_t(d) ? spec.action.box.low[d] : -INFINITY;
      h.high = spec.action.box.high.size() > size_t(d) ? spec.action.box.high[d] : INFINITY;
      // Unbounded (or absurdly wide) dimensions are binned over the data's own range.
      if (!std::isfinite(h.low) || !std::isfinite(h.high) || h.high <= h.low) {
        h.low = values[d].empty() ? 0.f : *std::min_element(values[d].begin(), values[d].end());
        h.high = values[d].empty() ? 1.f : *std::max_element(values[d].begin(), values[d].end());
        if (h.high <= h.low) h.high = h.low + 1;
      }
      h.counts.assign(histogram_bins, 0);
      for (float v : values[d]) {
        if (!std::isfinite(v)) continue;
        // Actions outside the bounds (noisy policies; the env clips them) land in the edge bins.
        const int k = static_cast<int>((v - h.low) / (h.high - h.low) * histogram_bins);
        ++h.counts[std::clamp(k, 0, histogram_bins - 1)];
      }
    }
    s.actions.push_back(std::move(h));
  }
  return s;
}

std::string format_stats(const DatasetStats& s, const DatasetSpec& spec) {
  std::ostringstream out;
  out << "env: " << spec.env_id << "   observation: [";
  for (size_t i = 0; i < spec.observation.shape.size(); ++i) out << (i ? ", " : "") << spec.observation.shape[i];
  out << "] " << (spec.observation.dtype == envs::DType::u8 ? "uint8" : "float32") << "   action: "
      << (spec.action.discrete ? "discrete(" + std::to_string(spec.action.n) + ")"
                               : "continuous(" + std::to_string(spec.action.dim()) + ")")
      << "\n";
  out << "episodes: " << s.episodes << "   steps: " << s.steps;
  if (s.episodes > 0) out << "   length: " << s.length_min << ".." << s.length_max;
  out << "   laps completed: " << s.laps_completed << "   crashed (off playfield): " << s.crashed << "\n";
  if (!s.return_quantiles.empty()) {
    out << "return: mean " << fmt(s.return_mean) << "   min " << fmt(s.return_quantiles[0]) << "  p10 "
        << fmt(s.return_quantiles[1]) << "  p25 " << fmt(s.return_quantiles[2]) << "  median "
        << fmt(s.return_quantiles[3]) << "  p75 " << fmt(s.return_quantiles[4]) << "  p90 "
        << fmt(s.return_quantiles[5]) << "  max " << fmt(s.return_quantiles[6]) << "\n";
  }
  out << "policies:";
  for (const auto& [name, count] : s.policies) out << "  " << name << " " << count;
  out << "\n";
  for (const ActionHistogram& h : s.actions) {
    int64_t peak = 1;
    for (int64_t c : h.counts) peak = std::max(peak, c);
    out << "action " << h.name << ":\n";
    const int bins = static_cast<int>(h.counts.size());
    for (int k = 0; k < bins; ++k) {
      char label[48];
      if (h.name == "discrete") std::snprintf(label, sizeof label, "%13d", k);
      else
        std::snprintf(label, sizeof label, "[%5.2f,%5.2f)", h.low + (h.high - h.low) * k / bins,
                      h.low + (h.high - h.low) * (k + 1) / bins);
      const int bar = static_cast<int>(std::lround(static_cast<double>(h.counts[k]) / peak * kBarWidth));
      out << "  " << label << " " << std::string(bar, '#') << std::string(kBarWidth - bar, ' ') << " "
          << h.counts[k] << "\n";
    }
  }
  return out.str();
}

CleanReport clean_dataset(const std::string& in_path, const std::string& out_path, const CleanRules& rules,
                          OpenMode mode) {
  DatasetReader reader(in_path, mode);
  CleanReport report;
  report.input = reader.num_episodes();
  // The outlier fences come from the whole input's returns (the index has them without reading episodes).
  if (rules.outlier_iqr > 0 && reader.num_episodes() > 0) {
    std::vector<double> returns;
    for (const auto& s : reader.index()) returns.push_back(s.episode_return);
    const double q1 = quantile(returns, 0.25), q3 = quantile(returns, 0.75);
    report.outlier_low = q1 - rules.outlier_iqr * (q3 - q1);
    report.outlier_high = q3 + rules.outlier_iqr * (q3 - q1);
  }
  DatasetWriter writer(out_path, reader.spec());
  std::set<ContentKey> seen;
  for (int64_t i = 0; i < reader.num_episodes(); ++i) {
    const Episode e = reader.episode(i);
    if (rules.drop_non_finite && !episode_finite(e, reader.spec())) {
      ++report.non_finite;
    } else if (e.length() < rules.min_length) {
      ++report.too_short;
    } else if (rules.drop_crashed && (e.meta.flags & kOffPlayfield)) {
      ++report.crashed;
    } else if (rules.drop_duplicates && !seen.insert(content_key(e)).second) {
      ++report.duplicates;
    } else if (rules.outlier_iqr > 0 &&
               (e.meta.episode_return < report.outlier_low || e.meta.episode_return > report.outlier_high)) {
      ++report.outliers;
    } else if (rules.use_min_return && e.meta.episode_return < rules.min_return) {
      ++report.below_min_return;
    } else {
      writer.write_episode(e);
      ++report.kept;
    }
  }
  writer.close();
  return report;
}

std::string format_clean_report(const CleanReport& r, const CleanRules& rules) {
  std::ostringstream out;
  out << "episodes in: " << r.input << "   kept: " << r.kept << "   dropped: " << (r.input - r.kept) << "\n";
  out << "  non-finite (NaN/inf):   " << r.non_finite << (rules.drop_non_finite ? "" : "  (rule off)") << "\n";
  out << "  shorter than " << rules.min_length << " steps: " << r.too_short << "\n";
  out << "  crashed (off playfield): " << r.crashed << (rules.drop_crashed ? "" : "  (rule off)") << "\n";
  out << "  duplicates:             " << r.duplicates << (rules.drop_duplicates ? "" : "  (rule off)") << "\n";
  out << "  return outliers:        " << r.outliers;
  if (rules.outlier_iqr > 0) out << "  (kept returns in [" << fmt(r.outlier_low) << ", " << fmt(r.outlier_high) << "])";
  else out << "  (rule off)";
  out << "\n";
  out << "  below min return:       " << r.below_min_return;
  if (rules.use_min_return) out << "  (< " << fmt(rules.min_return) << ")";
  else out << "  (rule off)";
  out << "\n";
  return out.str();
}

std::vector<bool> validation_mask(int64_t episodes, double fraction, uint64_t seed) {
  std::vector<bool> mask(episodes, false);
  if (episodes == 0) return mask;
  auto count = static_cast<int64_t>(std::llround(fraction * static_cast<double>(episodes)));
  if (episodes >= 2 && fraction > 0 && fraction < 1) count = std::clamp<int64_t>(count, 1, episodes - 1);
  count = std::clamp<int64_t>(count, 0, episodes);
  std::vector<int64_t> order(episodes);
  for (int64_t i = 0; i < episodes; ++i) order[i] = i;
  // Fisher-Yates with our own RNG: std::shuffle's result differs between standard libraries.
  sim::Rng rng(seed);
  for (int64_t i = episodes - 1; i > 0; --i) std::swap(order[i], order[rng.uniform_int(0, i)]);
  for (int64_t k = 0; k < count; ++k) mask[order[k]] = true;
  return mask;
}

SplitReport split_dataset(const std::string& in_path, const std::string& train_path, const std::string& val_path,
                          double val_fraction, uint64_t seed) {
  if (!(val_fraction >= 0 && val_fraction <= 1))
    throw DatasetError("split: validation fraction " + std::to_string(val_fraction) + " is outside [0, 1]");
  DatasetReader reader(in_path);
  const std::vector<bool> val = validation_mask(reader.num_episodes(), val_fraction, seed);
  DatasetWriter train(train_path, reader.spec());
  DatasetWriter valid(val_path, reader.spec());
  SplitReport report;
  for (int64_t i = 0; i < reader.num_episodes(); ++i) {
    const Episode e = reader.episode(i);
    if (val[i]) {
      valid.write_episode(e);
      ++report.val_episodes;
      report.val_steps += e.length();
    } else {
      train.write_episode(e);
      ++report.train_episodes;
      report.train_steps += e.length();
    }
  }
  train.close();
  valid.close();
  return report;
}

int64_t merge_datasets(const std::vector<std::string>& in_paths, const std::string& out_path) {
  if (in_paths.empty()) throw DatasetError("merge: no input datasets");
  std::vector<std::unique_ptr<DatasetReader>> readers;
  for (const auto& path : in_paths) {
    readers.push_back(std::make_unique<DatasetReader>(path));
    const std::string why = spec_mismatch(readers.front()->spec(), readers.back()->spec());
    if (!why.empty())
      throw DatasetError("merge: " + path + " cannot be merged with " + in_paths.front() + ": " + why);
  }
  DatasetSpec spec = readers.front()->spec();
  for (size_t i = 1; i < readers.size(); ++i)
    if (readers[i]->spec().env_id != spec.env_id) spec.env_id += "+" + readers[i]->spec().env_id;
  DatasetWriter writer(out_path, spec);
  for (auto& r : readers)
    for (int64_t i = 0; i < r->num_episodes(); ++i) writer.write_episode(r->episode(i));
  writer.close();
  return writer.episodes();
}

}  // namespace dl::data
