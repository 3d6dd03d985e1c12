// drivelab/python: the `drivelab._core` extension. Binds envs/ (and render/ for frames) without LibTorch.
//
// What crosses the boundary, and why:
//   - Configs arrive as nested Python dicts and are read through the same visit_fields descriptions the
//     YAML loader walks (app/run_config.cpp), so keys, types, ranges and the "did you mean" hints agree with
//     the YAML `env:` section. Unknown keys and out-of-range values raise ValueError, wrong types TypeError.
//   - The single env writes observations into NumPy arrays that Python allocates (one per step, as
//     Gymnasium callers expect a fresh array), so there is no intermediate buffer.
//   - The vector env's arrays are owned by envs::VectorEnv; Python sees them as NumPy views whose owner is
//     the Core object, so nothing is copied and the arrays stay valid while anyone holds them. Each step
//     overwrites them in place.
//   - reset and step release the GIL around the C++ work: the vector env's worker threads never call
//     Python, and other Python threads run meanwhile.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "envs/env_config.h"
#include "envs/env.h"
#include "envs/expert.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "io/names.h"
#include "render/raster/raster.h"
#include "video/episode.h"
#include "video/hud.h"
#include "video/scene.h"
#ifdef DRIVELAB_PY_SDL
#include "viewer/window.h"
#endif

namespace nb = nanobind;
using namespace nb::literals;

namespace dl::python {
namespace {

// ---- Configs from dicts -----------------------------------------------------------------------------

using io::join_path;    // io/names.h: the paths, suggestions and messages the YAML reader uses
using io::nearest_key;

template <class T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) return "a non-negative integer";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else return "a number";
}

std::string describe(nb::handle value) {
  std::string text = nb::cast<std::string>(nb::repr(value));
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text + " (" + nb::cast<std::string>(nb::type_name(value.type())) + ")";
}

[[noreturn]] void fail_value(const std::string& path, const std::string& msg) {
  throw nb::value_error(("key '" + path + "': " + msg).c_str());
}
[[noreturn]] void fail_type(const std::string& path, const std::string& msg) {
  throw nb::type_error(("key '" + path + "': " + msg).c_str());
}

bool is_bool(nb::handle v) {
  if (nb::isinstance<bool>(v)) return true;
  const std::string type = nb::cast<std::string>(nb::type_name(v.type()));
  return type == "numpy.bool" || type == "numpy.bool_";
}
bool is_integer(nb::handle v) {
  return !is_bool(v) && (nb::isinstance<nb::int_>(v) || nb::hasattr(v, "__index__"));
}
bool is_number(nb::handle v) { return !is_bool(v) && (is_integer(v) || nb::isinstance<nb::float_>(v) ||
                                                      nb::hasattr(v, "__float__")); }

// Reads one dict into a struct through visit_fields, then reports keys the struct does not have.
class DictReader {
 public:
  DictReader(nb::dict map, std::string prefix) : map_(std::move(map)), prefix_(std::move(prefix)) {}

  template <class T>
  void field(const char* name, T& value, const char* /*doc*/) {
    known_.push_back(name);
    if (nb::handle node = get(name)) value = parse<T>(name, node);
  }

  template <class T>
  void field(const char* name, T& value, const char* /*doc*/, T lo, T hi) {
    known_.push_back(name);
    const nb::handle node = get(name);
    if (!node) return;
    const T parsed = parse<T>(name, node);
    if (!(parsed >= lo && parsed <= hi))  // also rejects NaN
      fail_value(join_path(prefix_, name), "value " + to_text(parsed) + " is out of range: expected " +
                                               type_name<T>() + " in [" + to_text(lo) + ", " + to_text(hi) + "]");
    value = parsed;
  }

  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>& options,
              const char* /*doc*/) {
    known_.push_back(name);
    const nb::handle node = get(name);
    if (!node) return;
    const std::string error = io::pick_choice(parse<std::string>(name, node), options, value);
    if (!error.empty()) fail_value(join_path(prefix_, name), error);
  }

  template <class S>
  void section(const char* name, S& sub, const char* /*doc*/) {
    known_.push_back(name);
    const nb::handle node = get(name);
    if (!node || node.is_none()) return;
    const std::string path = join_path(prefix_, name);
    if (!nb::isinstance<nb::dict>(node)) fail_type(path, "expected a mapping of keys, got " + describe(node));
    DictReader reader(nb::borrow<nb::dict>(node), path);
    visit_fields(sub, reader);
    reader.check_unknown();
  }

  void check_unknown() const {
    for (auto [k, v] : map_) {
      if (!nb::isinstance<nb::str>(k)) fail_type(join_path(prefix_, "?"), "keys must be strings, got " + describe(k));
      const std::string key = nb::cast<std::string>(k);
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      fail_value(join_path(prefix_, key), io::unknown_key_message(key, known_, prefix_));
    }
  }

 private:
  // The value under `name`, or a null handle (a borrowed reference: the dict keeps it alive).
  nb::handle get(const char* name) const { return PyDict_GetItemString(map_.ptr(), name); }

  template <class T>
  static std::string to_text(const T& value) {
    if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(value));
      return buf;
    } else {
      return std::to_string(value);
    }
  }

  template <class T>
  T parse(const char* name, nb::handle node) const {
    const std::string path = join_path(prefix_, name);
    const auto wrong = [&] { fail_type(path, "expected " + type_name<T>() + ", got " + describe(node)); };
    if constexpr (std::is_same_v<T, bool>) {
      if (!is_bool(node)) wrong();
      return nb::cast<bool>(nb::bool_(node));
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!nb::isinstance<nb::str>(node)) wrong();
      return nb::cast<std::string>(node);
    } else if constexpr (std::is_integral_v<T>) {
      if (!is_integer(node)) wrong();
      nb::object as_int = nb::steal(PyNumber_Index(node.ptr()));
      if (!as_int.is_valid()) {
        PyErr_Clear();
        wrong();
      }
      nb::object zero = nb::int_(0);
      if (std::is_unsigned_v<T> && PyObject_RichCompareBool(as_int.ptr(), zero.ptr(), Py_LT) == 1)
        fail_value(path, "expected " + type_name<T>() + ", got " + describe(node));
      try {
        return nb::cast<T>(as_int);
      } catch (const std::exception&) {
        fail_value(path, "value " + describe(node) + " does not fit " + type_name<T>());
      }
    } else {
      if (!is_number(node)) wrong();
      return static_cast<T>(nb::cast<double>(nb::float_(node)));
    }
  }

  nb::dict map_;
  std::string prefix_;
  std::vector<std::string> known_;
};

// Writes a struct into a nested dict through the same description.
class DictWriter {
 public:
  explicit DictWriter(nb::dict out) : out_(std::move(out)) {}
  template <class T>
  void field(const char* name, T& value, const char*) {
    out_[name] = value;
  }
  template <class T>
  void field(const char* name, T& value, const char* doc, T, T) {
    field(name, value, doc);
  }
  template <class T>
  void choice(const char* name, T& value, const std::vector<std::pair<std::string, T>>& options, const char*) {
    const std::string chosen = io::choice_name(options, value);
    if (!chosen.empty()) out_[name] = chosen;
  }
  template <class S>
  void section(const char* name, S& sub, const char*) {
    nb::dict inner;
    DictWriter writer(inner);
    visit_fields(sub, writer);
    out_[name] = inner;
  }

 private:
  nb::dict out_;
};

// The config of `env_id` with `overrides` applied as the YAML loader applies an `env:` section: the id's
// defaults, then the preset (read first, so explicit track keys override it), then every other key.
envs::EnvConfig make_config(const std::string& env_id, nb::dict overrides) {
  if (!envs::is_registered(env_id)) {
    std::vector<std::string> ids;
    for (const auto& e : envs::registered_envs()) ids.push_back(e.id);
    std::string msg = "unknown env id '" + env_id + "'";
    const std::string near = nearest_key(env_id, ids);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    throw nb::value_error(msg.c_str());
  }
  if (overrides.contains("id")) {
    const std::string given = nb::isinstance<nb::str>(overrides["id"]) ? nb::cast<std::string>(overrides["id"]) : "";
    if (given != env_id)
      fail_value("id", "the env id comes from the name you make ('" + env_id + "'); make 'drivelab/" +
                           (given.empty() ? std::string("<id>") : given) + "-v0' instead");
  }
  // The first pass reads the preset (and checks every key); the second applies the rest over it.
  envs::EnvConfig probe = envs::default_env_config(env_id);
  DictReader first(overrides, "");
  visit_fields(probe, first);
  first.check_unknown();
  envs::EnvConfig config = envs::default_env_config(env_id);
  config.preset = probe.preset;
  envs::apply_preset(config);
  DictReader reader(overrides, "");
  visit_fields(config, reader);
  return config;
}

nb::dict config_to_dict(envs::EnvConfig config) {
  nb::dict out;
  DictWriter writer(out);
  visit_fields(config, writer);
  return out;
}

// ---- Specs and infos ---------------------------------------------------------------------------------

nb::dict spec_dict(const envs::Spec& obs, const envs::ActionSpec& action) {
  nb::dict d;
  d["obs_shape"] = obs.shape;
  d["obs_dtype"] = obs.dtype == envs::DType::u8 ? "uint8" : "float32";
  d["obs_low"] = obs.low;
  d["obs_high"] = obs.high;
  d["discrete"] = action.discrete;
  d["n"] = action.n;
  d["action_dim"] = action.dim();
  d["action_low"] = action.box.low;
  d["action_high"] = action.box.high;
  return d;
}

nb::dict info_dict(const envs::Info& info) {
  nb::dict d;
  d["speed_mps"] = info.speed_mps;
  d["lap_progress"] = info.lap_progress;
  d["tiles_visited"] = info.tiles_visited;
  d["lap_complete"] = info.lap_complete;
  d["off_track"] = info.off_track;
  d["collisions"] = info.collisions;
  if (info.episode_done) {
    nb::dict episode;
    episode["r"] = info.episode_return;
    episode["l"] = info.episode_length;
    episode["lap_time_s"] = info.episode_lap_time_s;
    episode["lap_complete"] = info.episode_lap_complete;
    d["episode_stats"] = episode;  // not "episode": Gymnasium's RecordEpisodeStatistics owns that key
  }
  return d;
}

// (name, byte offset, NumPy type code) of every envs::Info field, so Python can view the vector env's
// std::vector<Info> as a structured array without copying it.
std::vector<std::tuple<std::string, size_t, std::string>> info_layout() {
  using envs::Info;
  return {
      {"speed_mps", offsetof(Info, speed_mps), "<f4"},
      {"lap_progress", offsetof(Info, lap_progress), "<f4"},
      {"tiles_visited", offsetof(Info, tiles_visited), "<i4"},
      {"lap_complete", offsetof(Info, lap_complete), "?"},
      {"off_track", offsetof(Info, off_track), "?"},
      {"collisions", offsetof(Info, collisions), "<i4"},
      {"episode_done", offsetof(Info, episode_done), "?"},
      {"episode_return", offsetof(Info, episode_return), "<f8"},
      {"episode_length", offsetof(Info, episode_length), "<i4"},
      {"episode_lap_time_s", offsetof(Info, episode_lap_time_s), "<f4"},
      {"episode_lap_complete", offsetof(Info, episode_lap_complete), "?"},
      {"lap_time_s", offsetof(Info, lap_time_s), "<f4"},
      {"episode_laps", offsetof(Info, episode_laps), "<i4"},
      {"episode_later_lap_time_s", offsetof(Info, episode_later_lap_time_s), "<f4"},
  };
}
static_assert(sizeof(bool) == 1, "the Info view maps bool to NumPy's one-byte bool");

// ---- Frames ------------------------------------------------------------------------------------------

using Frame = nb::ndarray<uint8_t, nb::numpy, nb::ndim<3>, nb::c_contig, nb::device::cpu>;
using FloatIn = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;
using ByteOut = nb::ndarray<uint8_t, nb::c_contig, nb::device::cpu>;
using AnyOut = nb::ndarray<nb::c_contig, nb::device::cpu>;  // a float32 or uint8 observation

video::CameraMode parse_camera(const std::string& name) {
  if (name == "follow") return video::CameraMode::follow;
  if (name == "rotating") return video::CameraMode::rotating;
  if (name == "track") return video::CameraMode::track;
  throw nb::value_error(("render camera: unknown camera '" + name + "' (expected follow, rotating or track)").c_str());
}

void render_into(const sim::World& world, const video::HudState* hud, const std::string& camera, float pixels_per_m,
                 ByteOut out) {
  if (out.ndim() != 3 || out.shape(2) != 3) throw nb::value_error("render: the frame must be [height, width, 3] uint8");
  if (out.shape(0) < 8 || out.shape(1) < 8) throw nb::value_error("render: frames need at least 8x8 pixels");
  video::View view;
  view.camera = parse_camera(camera);
  view.pixels_per_m = pixels_per_m;
  raster::Image image;
  image.width = static_cast<int>(out.shape(1));
  image.height = static_cast<int>(out.shape(0));
  image.rgb.assign(out.size(), 0);
  sim::DrawList scratch;
  {
    nb::gil_scoped_release release;
    video::render_frame(world, view, hud, scratch, image);
  }
  std::memcpy(out.data(), image.rgb.data(), out.size());
}

// ---- The single env ------------------------------------------------------------------------------------

class CoreEnv {
 public:
  explicit CoreEnv(const envs::EnvConfig& config)
      : config_(config), env_(envs::make_env(config)), world_(envs::find_world(*env_)),
        step_s_(config.dt_s * static_cast<float>(config.action_repeat)) {
    action_.resize(static_cast<size_t>(env_->action_spec().dim()));
  }

  nb::dict specs() const { return spec_dict(env_->observation_spec(), env_->action_spec()); }

  nb::dict reset(uint64_t seed, AnyOut obs) {
    check_obs(obs);
    info_ = envs::Info{};
    {
      nb::gil_scoped_release release;
      env_->reset(seed, obs.data(), info_);
    }
    hud_ = video::HudState{};
    hud_.episode = ++episodes_;
    if (world_) hud_.speed_mps = world_->car().speed_mps;
    started_ = true;
    return info_dict(info_);
  }

  nb::tuple step(FloatIn action, AnyOut obs) {
    check_obs(obs);
    if (!started_) throw std::logic_error("env '" + config_.id + "': step() called before reset()");
    if (action.size() != action_.size())
      throw nb::value_error(("bad action: expected " + std::to_string(action_.size()) + " values, got " +
                             std::to_string(action.size())).c_str());
    std::copy(action.data(), action.data() + action_.size(), action_.begin());
    envs::StepResult r;
    {
      nb::gil_scoped_release release;
      r = env_->step(action_.data(), obs.data(), info_);
    }
    hud_.action = video::to_sim_action(env_->action_spec(), action.data());
    hud_.reward = r.reward;
    hud_.episode_return += r.reward;
    hud_.step += 1;
    hud_.time_s = static_cast<float>(hud_.step) * step_s_;
    hud_.speed_mps = info_.speed_mps;
    hud_.lap_progress = info_.lap_progress;
    if (info_.lap_complete) hud_.last_lap_s = hud_.time_s;
    return nb::make_tuple(r.reward, r.terminated, r.truncated, info_dict(info_));
  }

  void render(ByteOut out, const std::string& camera, float pixels_per_m, bool hud) {
    if (!world_) throw std::runtime_error("env '" + config_.id + "' has no world to render");
    render_into(*world_, hud ? &hud_ : nullptr, camera, pixels_per_m, out);
  }

 private:
  void check_obs(const AnyOut& obs) const {
    const envs::Spec& spec = env_->observation_spec();
    const nb::dlpack::dtype want = spec.dtype == envs::DType::u8 ? nb::dtype<uint8_t>() : nb::dtype<float>();
    if (obs.dtype() != want || obs.nbytes() != spec.bytes())
      throw nb::value_error("observation buffer: expected a C-contiguous array of the observation spec's shape and dtype");
  }

  envs::EnvConfig config_;
  std::unique_ptr<envs::Env> env_;
  const sim::World* world_;
  float step_s_;
  std::vector<float> action_;
  envs::Info info_;
  video::HudState hud_;
  int episodes_ = 0;
  bool started_ = false;
};

// ---- The vector env ------------------------------------------------------------------------------------

class CoreVectorEnv {
 public:
  CoreVectorEnv(const envs::EnvConfig& config, int num_envs, int num_threads) {
    if (num_envs < 1) throw nb::value_error(("num_envs must be >= 1, got " + std::to_string(num_envs)).c_str());
    if (num_threads < 0) throw nb::value_error(("num_threads must be >= 0, got " + std::to_string(num_threads)).c_str());
    vec_ = envs::make_vector_env(config, num_envs, num_threads);
  }

  int num_envs() const { return vec_->num_envs(); }
  nb::dict specs() const { return spec_dict(vec_->observation_spec(), vec_->action_spec()); }

  void reset(uint64_t seed) {
    nb::gil_scoped_release release;
    vec_->reset(seed);
  }

  // actions: [N, action_dim] float32. Returns how many episodes ended in this step.
  int step(FloatIn actions) {
    const size_t expected = static_cast<size_t>(vec_->num_envs()) * static_cast<size_t>(vec_->action_spec().dim());
    if (actions.size() != expected)
      throw nb::value_error(("bad actions: expected " + std::to_string(expected) + " floats ([num_envs, " +
                             std::to_string(vec_->action_spec().dim()) + "]), got " + std::to_string(actions.size()))
                                .c_str());
    nb::gil_scoped_release release;
    vec_->step(actions.data());
    int done = 0;
    const uint8_t* term = vec_->terminated();
    const uint8_t* trunc = vec_->truncated();
    for (int i = 0; i < vec_->num_envs(); ++i) done += (term[i] | trunc[i]) != 0;
    return done;
  }

  // Views. `self` is the owner: the arrays keep this object alive.
  nb::ndarray<nb::numpy> obs_view(nb::handle self, bool final_obs) {
    const envs::Spec& spec = vec_->observation_spec();
    std::vector<size_t> shape{static_cast<size_t>(vec_->num_envs())};
    for (auto d : spec.shape) shape.push_back(static_cast<size_t>(d));
    const nb::dlpack::dtype dtype = spec.dtype == envs::DType::u8 ? nb::dtype<uint8_t>() : nb::dtype<float>();
    return nb::ndarray<nb::numpy>(final_obs ? vec_->final_obs() : vec_->obs(), shape.size(), shape.data(), self,
                                  nullptr, dtype);
  }
  nb::ndarray<nb::numpy, float> rewards_view(nb::handle self) {
    size_t n = static_cast<size_t>(vec_->num_envs());
    return nb::ndarray<nb::numpy, float>(const_cast<float*>(vec_->rewards()), 1, &n, self);
  }
  nb::ndarray<nb::numpy, bool> flag_view(nb::handle self, bool terminated) {
    size_t n = static_cast<size_t>(vec_->num_envs());
    // The flags are 0/1 bytes, so NumPy's one-byte bool reads them as they are.
    void* data = const_cast<uint8_t*>(terminated ? vec_->terminated() : vec_->truncated());
    return nb::ndarray<nb::numpy, bool>(data, 1, &n, self);
  }
  nb::ndarray<nb::numpy, uint8_t> info_bytes(nb::handle self) {
    size_t n = static_cast<size_t>(vec_->num_envs()) * sizeof(envs::Info);
    return nb::ndarray<nb::numpy, uint8_t>(const_cast<envs::Info*>(vec_->infos().data()), 1, &n, self);
  }

  void render(int index, ByteOut out, const std::string& camera, float pixels_per_m) {
    if (index < 0 || index >= vec_->num_envs())
      throw nb::index_error(("render: env index " + std::to_string(index) + " is out of range").c_str());
    const sim::World* world = envs::find_world(vec_->env(index));
    if (!world) throw std::runtime_error("render: env has no world to render");
    video::HudState hud;
    const envs::Info& info = vec_->infos()[static_cast<size_t>(index)];
    hud.speed_mps = world->car().speed_mps;
    hud.lap_progress = info.lap_progress;
    render_into(*world, &hud, camera, pixels_per_m, out);
  }

 private:
  std::unique_ptr<envs::VectorEnv> vec_;
};

#ifdef DRIVELAB_PY_SDL
// The SDL window of `drivelab watch`, for render_mode "human".
class CoreWindow {
 public:
  CoreWindow(const std::string& title, int width, int height) : window_(title, width, height) {}
  // Shows the frame; returns false when the user closed the window (or pressed the quit key).
  bool present(Frame frame) {
    if (static_cast<int>(frame.shape(1)) != window_.width() || static_cast<int>(frame.shape(0)) != window_.height())
      throw nb::value_error("window: the frame size differs from the window's");
    raster::Image image;
    image.width = window_.width();
    image.height = window_.height();
    image.rgb.assign(frame.data(), frame.data() + frame.size());
    window_.present(image);
    std::vector<viewer::Command> commands;
    window_.poll(commands, keys_);
    for (auto c : commands)
      if (c == viewer::Command::quit) return false;
    return true;
  }
  double now_s() const { return window_.now_s(); }
  void wait_frame(double start_s, double frame_s) const {
    nb::gil_scoped_release release;
    window_.wait_frame(start_s, frame_s);
  }

 private:
  viewer::Window window_;
  viewer::KeyState keys_;
};
#endif

}  // namespace
}  // namespace dl::python

NB_MODULE(_core, m) {
  using namespace dl;
  using namespace dl::python;
  m.doc() = "drivelab's C++ environments (sim and envs), bound without LibTorch";

  m.def("registered_envs", [] {
    std::vector<std::tuple<std::string, std::string>> out;
    for (const auto& e : envs::registered_envs()) out.emplace_back(e.id, e.summary);
    return out;
  }, "(id, summary) of every registered env");

  m.def("resolve_config", [](const std::string& env_id, nb::dict overrides) {
    return config_to_dict(make_config(env_id, overrides));
  }, "env_id"_a, "overrides"_a, "The full env config (every key, defaults included) as a nested dict.");

  m.def("info_layout", &info_layout);
  m.attr("info_itemsize") = sizeof(envs::Info);
#ifdef DRIVELAB_PY_SDL
  m.attr("has_window") = true;
#else
  m.attr("has_window") = false;
#endif

  nb::class_<CoreEnv>(m, "CoreEnv")
      .def("__init__", [](CoreEnv* self, const std::string& env_id, nb::dict overrides) {
        new (self) CoreEnv(make_config(env_id, overrides));
      }, "env_id"_a, "overrides"_a)
      .def("specs", &CoreEnv::specs)
      .def("reset", &CoreEnv::reset, "seed"_a, "obs"_a.noconvert())
      .def("step", &CoreEnv::step, "action"_a.noconvert(), "obs"_a.noconvert())
      .def("render", &CoreEnv::render, "out"_a.noconvert(), "camera"_a = "follow", "pixels_per_m"_a = 8.0f,
           "hud"_a = true);

  nb::class_<CoreVectorEnv>(m, "CoreVectorEnv")
      .def("__init__", [](CoreVectorEnv* self, const std::string& env_id, nb::dict overrides, int num_envs,
                          int num_threads) {
        new (self) CoreVectorEnv(make_config(env_id, overrides), num_envs, num_threads);
      }, "env_id"_a, "overrides"_a, "num_envs"_a, "num_threads"_a)
      .def_prop_ro("num_envs", &CoreVectorEnv::num_envs)
      .def("specs", &CoreVectorEnv::specs)
      .def("reset", &CoreVectorEnv::reset, "seed"_a)
      .def("step", &CoreVectorEnv::step, "actions"_a.noconvert())
      .def("obs", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).obs_view(self, false); })
      .def("final_obs", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).obs_view(self, true); })
      .def("rewards", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).rewards_view(self); })
      .def("terminated", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).flag_view(self, true); })
      .def("truncated", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).flag_view(self, false); })
      .def("info_bytes", [](nb::handle self) { return nb::cast<CoreVectorEnv&>(self).info_bytes(self); })
      .def("render", &CoreVectorEnv::render, "index"_a, "out"_a.noconvert(), "camera"_a = "follow",
           "pixels_per_m"_a = 8.0f);

#ifdef DRIVELAB_PY_SDL
  nb::class_<CoreWindow>(m, "CoreWindow")
      .def(nb::init<const std::string&, int, int>(), "title"_a, "width"_a, "height"_a)
      .def("present", &CoreWindow::present, "frame"_a)
      .def("now_s", &CoreWindow::now_s)
      .def("wait_frame", &CoreWindow::wait_frame, "start_s"_a, "frame_s"_a);
  // The window's own error (no display) becomes a RuntimeError naming what to do.
#endif
}
