// drivelab/agents: the built-in algorithms, one line each (agents/algorithm.h). Each is defined in its own
// file; adding an algorithm = its files + one line here (docs/adding-an-algorithm.md).
#include "agents/algorithm.h"

namespace dl::agents {

Algorithm ppo_algorithm();                   // agents/ppo.cpp (+ ppo_init.cpp)
Algorithm a2c_algorithm();                   // agents/a2c.cpp
Algorithm reinforce_algorithm();             // agents/reinforce.cpp
Algorithm bc_algorithm();                    // agents/bc.cpp
Algorithm dagger_algorithm();                // agents/bc.cpp
Algorithm decision_transformer_algorithm();  // agents/decision_transformer.cpp
Algorithm track_gan_algorithm();             // agents/track_gan.cpp
Algorithm world_model_algorithm();           // agents/world_model_stages.cpp
Algorithm distill_algorithm();               // agents/distill.cpp

std::vector<Algorithm> builtin_algorithms() {
  return {
      ppo_algorithm(),
      a2c_algorithm(),
      reinforce_algorithm(),
      bc_algorithm(),
      dagger_algorithm(),
      decision_transformer_algorithm(),
      track_gan_algorithm(),
      world_model_algorithm(),
      distill_algorithm(),
  };
}

}  // namespace dl::agents
