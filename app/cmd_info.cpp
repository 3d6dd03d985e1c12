// drivelab/app: `drivelab version` and `drivelab envs`.
#include <box2d/box2d.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "app/commands.h"
#include "app/run_config.h"
#include "envs/registry.h"
#ifdef DRIVELAB_WITH_SDL
#include "viewer/sdl_info.h"
#endif

namespace dl::app {
namespace {

// The GPU's name through NVML, loaded at run time: no CUDA headers needed, and no failure without a driver.
std::string gpu_name(int index) {
  void* nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY);
  if (!nvml) return "unknown GPU";
  using InitFn = int (*)();
  using HandleFn = int (*)(unsigned, void**);
  using NameFn = int (*)(void*, char*, unsigned);
  auto init = reinterpret_cast<InitFn>(dlsym(nvml, "nvmlInit_v2"));
  auto handle_of = reinterpret_cast<HandleFn>(dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
  auto name_of = reinterpret_cast<NameFn>(dlsym(nvml, "nvmlDeviceGetName"));
  std::string name = "unknown GPU";
  void* handle = nullptr;
  char buf[96] = {0};
  if (init && handle_of && name_of && init() == 0 && handle_of(static_cast<unsigned>(index), &handle) == 0 &&
      name_of(handle, buf, sizeof buf) == 0)
    name = buf;
  return name;
}

const char* dtype_name(envs::DType d) { return d == envs::DType::u8 ? "uint8" : "float32"; }

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

int cmd_version() {
  std::printf("drivelab %s\n", DRIVELAB_VERSION);
  std::printf("LibTorch %s\n", TORCH_VERSION);
  std::printf("Box2D %d.%d.%d\n", b2_version.major, b2_version.minor, b2_version.revision);
#ifdef DRIVELAB_WITH_SDL
  std::printf("SDL %s\n", viewer::sdl_version().c_str());
#else
  std::printf("SDL not built in\n");
#endif
  if (torch::cuda::is_available()) {
    const auto n = torch::cuda::device_count();
    std::printf("CUDA available: %zu device(s)\n", static_cast<size_t>(n));
    for (size_t i = 0; i < static_cast<size_t>(n); ++i)
      std::printf("  cuda:%zu %s\n", i, gpu_name(static_cast<int>(i)).c_str());
  } else {
    std::printf("CUDA not available (training runs on the CPU)\n");
  }
  return kExitOk;
}

int cmd_envs(bool json) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& info : envs::registered_envs()) {
    envs::EnvConfig config = envs::default_env_config(info.id);
    auto env = envs::make_env(config, 0);
    const auto& obs = env->observation_spec();
    const auto& act = env->action_spec();
    const std::string action_text = act.discrete ? "discrete(" + std::to_string(act.n) + ")"
                                                 : "box" + shape_text(act.box.shape) + " float32";
    if (json) {
      all.push_back({{"id", info.id},
                     {"summary", info.summary},
                     {"observation", {{"shape", obs.shape}, {"dtype", dtype_name(obs.dtype)}}},
                     {"action", {{"discrete", act.discrete}, {"n", act.n}, {"shape", act.box.shape},
                                 {"low", act.box.low}, {"high", act.box.high}}},
                     {"defaults", env_config_yaml(config)}});
      continue;
    }
    std::printf("%-12s %s\n", info.id.c_str(), info.summary.c_str());
    std::printf("  observation  %s %s\n", shape_text(obs.shape).c_str(), dtype_name(obs.dtype));
    std::printf("  action       %s\n", action_text.c_str());
    std::printf("  defaults     preset %s, max_steps %d, lidar %d rays, traffic %d cars, action %s\n\n",
                config.preset.c_str(), config.max_steps, config.lidar.rays, config.traffic.cars,
                config.action.c_str());
  }
  if (json) std::printf("%s\n", all.dump(2).c_str());
  else std::printf("Every parameter: `drivelab envs --json`, or docs/envs.md.\n");
  return kExitOk;
}

}  // namespace dl::app
