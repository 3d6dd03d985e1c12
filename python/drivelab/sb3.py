"""A drivelab vector env as a Stable-Baselines3 VecEnv (needs stable-baselines3).

    from stable_baselines3 import PPO
    from drivelab.sb3 import DrivelabSB3VecEnv
    venv = DrivelabSB3VecEnv("track", num_envs=8, preset="easy")
    model = PPO("MlpPolicy", venv).learn(100_000)

SB3's collection loop keeps the previous observation array while it steps, so this adapter hands SB3 a
copy of the observations each step (one memcpy of [num_envs, obs_dim]); the stepping itself is the C++
vector env's. Episode ends follow SB3's conventions: ``infos[i]["terminal_observation"]``,
``infos[i]["TimeLimit.truncated"]`` and ``infos[i]["episode"] = {"r", "l"}`` (as SB3's Monitor writes it).
"""
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from .spaces import seed_from
from .vector import DrivelabVectorEnv


class DrivelabSB3VecEnv(VecEnv):
    def __init__(self, env_id="track", num_envs=8, num_threads=0, **config):
        self.venv = DrivelabVectorEnv(env_id, num_envs=num_envs, num_threads=num_threads, **config)
        super().__init__(num_envs, self.venv.single_observation_space, self.venv.single_action_space)
        self._actions = None
        self._rng = np.random.default_rng()

    def reset(self):
        if self._seeds and self._seeds[0] is not None:
            seed = int(self._seeds[0])
            # Later resets without a seed (SB3's learn() makes one) follow from this seed, so a seeded run
            # repeats; an unseeded adapter draws from fresh entropy.
            self._rng = np.random.default_rng(seed)
        else:
            seed = seed_from(self._rng)
        obs, _ = self.venv.reset(seed=int(seed))
        self._reset_seeds()
        self._reset_options()
        return obs.copy()

    def step_async(self, actions):
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        infos = [{} for _ in range(self.num_envs)]
        if "final_obs" in info:
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = info["final_obs"][i].copy()
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                stats = info["episode_stats"]
                infos[i]["episode"] = {"r": float(stats["r"][i]), "l": int(stats["l"][i])}
        return obs.copy(), rewards.copy(), dones, infos

    def close(self):
        self.venv.close()

    def get_attr(self, attr_name, indices=None):
        return [getattr(self.venv, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name, value, indices=None):
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
        raise NotImplementedError("the drivelab envs run in C++; env_method is not available")

    def env_is_wrapped(self, wrapper_class, indices=None):
        return [False for _ in self._get_indices(indices)]
