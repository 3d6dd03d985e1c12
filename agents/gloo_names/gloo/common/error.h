// See agents/gloo_names/README.md: names only, for torch/csrc/distributed/c10d/ProcessGroupGloo.hpp.
#pragma once
