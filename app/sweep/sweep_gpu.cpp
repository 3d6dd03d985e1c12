// drivelab/app: how many GPUs a sweep can spread trials over. Kept apart so that only this file of the
// sweep code pays for LibTorch's headers.
#include <torch/cuda.h>

#include "app/sweep/sweep_runner.h"

namespace dl::app {

int cuda_device_count() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

}  // namespace dl::app
