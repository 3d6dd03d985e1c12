"""N drivelab envs stepped by C++ threads, as a gymnasium.vector.VectorEnv.

The observation, reward, terminated and truncated arrays are NumPy views of the C++ vector env's own
buffers: step() writes them in place with the GIL released and returns the same array objects every time
(nothing is copied). Keep a copy (``obs.copy()``) of anything you need after the next step, or make the env
with ``copy=True``.

Autoreset mode: SAME_STEP (``metadata["autoreset_mode"]``). When env i's episode ends, step() returns the
first observation of its next episode in ``obs[i]``; the last observation of the finished episode is in
``info["final_obs"][i]`` (with ``info["_final_obs"][i]`` True) and its statistics in
``info["episode_stats"]`` (``r``, ``l``, ``lap_time_s``, ``lap_complete``, masked by ``info["_episode_stats"]``).
The ``episode`` key is left to Gymnasium's RecordEpisodeStatistics wrapper, which works on this env.
"""
import os

import numpy as np
import gymnasium as gym
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from . import _core
from .config import nest
from .spaces import action_space, observation_space, seed_from

# Per-step info fields, views into the C++ infos (zero-copy).
_STEP_FIELDS = ("speed_mps", "lap_progress", "tiles_visited", "lap_complete", "off_track", "collisions")
# Episode statistics, valid where info["_episode_stats"].
_EPISODE_FIELDS = {"r": "episode_return", "l": "episode_length", "lap_time_s": "episode_lap_time_s",
                   "lap_complete": "episode_lap_complete"}


def _info_dtype():
    names, offsets, formats = [], [], []
    for name, offset, fmt in _core.info_layout():
        names.append(name)
        offsets.append(offset)
        formats.append(fmt)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": _core.info_itemsize})


def _default_threads(num_envs):
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, num_envs))


class DrivelabVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` drivelab envs on ``num_threads`` C++ threads (0 = one per core, at most num_envs).

    ``reset(seed=s)`` seeds env i with ``s + i`` (as ``drivelab train`` does); later episodes draw their
    seeds from each env's own generator, so results do not depend on the thread count.
    Actions: ``[num_envs, 3]`` float32 for continuous envs, ``[num_envs]`` integers for discrete ones.
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": ["rgb_array"]}

    def __init__(self, env_id="track", num_envs=16, num_threads=0, copy=False, render_mode=None,
                 render_size=(600, 400), **config):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}: the vector env renders 'rgb_array' only")
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs {num_envs!r}: expected an integer >= 1")
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) or num_threads < 0:
            raise ValueError(f"num_threads {num_threads!r}: expected an integer >= 0 (0 = one per core)")
        self.env_id = env_id
        self.config = nest(config)
        self.num_threads = int(num_threads) or _default_threads(int(num_envs))
        self._core = _core.CoreVectorEnv(env_id, self.config, int(num_envs), self.num_threads)
        spec = self._core.specs()
        self.num_envs = int(num_envs)
        self.single_observation_space = observation_space(spec)
        self.single_action_space = action_space(spec)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._discrete = bool(spec["discrete"])
        self._action_dim = int(spec["action_dim"])
        self.copy = bool(copy)
        self.render_mode = render_mode
        self.render_size = (int(render_size[0]), int(render_size[1]))
        self.metadata = dict(self.metadata)

        # Views of the C++ buffers, made once: they stay valid for the env's life.
        self._obs = self._core.obs()
        self._final_obs = self._core.final_obs()
        self._rewards = self._core.rewards()
        self._terminated = self._core.terminated()
        self._truncated = self._core.truncated()
        infos = self._core.info_bytes().view(_info_dtype())
        self._infos = infos
        self._step_info = {name: infos[name] for name in _STEP_FIELDS}
        self._episode_info = {key: infos[field] for key, field in _EPISODE_FIELDS.items()}
        self._episode_mask = infos["episode_done"]
        self._action_buffer = np.zeros((self.num_envs, self._action_dim), dtype=np.float32)
        self._needs_reset = True

    # -- Gymnasium API ------------------------------------------------------------------------------------
    def reset(self, *, seed=None, options=None):
        if seed is None:
            base = seed_from(self.np_random)
        elif isinstance(seed, (list, tuple, np.ndarray)):
            seeds = [int(s) for s in seed]
            if len(seeds) != self.num_envs or any(s != seeds[0] + i for i, s in enumerate(seeds)):
                raise ValueError("seed: a drivelab vector env seeds env i with seed + i; pass one int "
                                 f"(or the list [s, s+1, ..., s+{self.num_envs - 1}])")
            base = seeds[0]
        else:
            base = int(seed)
            self._np_random, self._np_random_seed = gym.utils.seeding.np_random(base)
        if base < 0:
            raise ValueError(f"seed {base}: expected a non-negative integer")
        self._core.reset(base)
        self._needs_reset = False
        return self._out(self._obs), dict(self._step_info)

    def step(self, actions):
        if self._needs_reset:
            raise RuntimeError("step() before reset(): call reset(seed=...) first")
        done = self._core.step(self._actions(actions))
        info = dict(self._step_info)
        if done:
            mask = self._terminated | self._truncated
            final = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(mask):
                final[i] = self._out(self._final_obs[i])
            info["final_obs"] = final
            info["_final_obs"] = mask
            info["episode_stats"] = {key: value.copy() for key, value in self._episode_info.items()}
            info["_episode_stats"] = self._episode_mask & mask
        return (self._out(self._obs), self._out(self._rewards), self._out(self._terminated),
                self._out(self._truncated), info)

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; make the env with render_mode='rgb_array'")
            return None
        width, height = self.render_size
        frames = []
        for i in range(self.num_envs):
            frame = np.empty((height, width, 3), dtype=np.uint8)
            self._core.render(i, frame)
            frames.append(frame)
        return tuple(frames)

    def close_extras(self, **kwargs):
        pass

    # -- helpers ------------------------------------------------------------------------------------------
    @property
    def final_obs(self):
        """The [num_envs, ...] array of last observations (rows valid where an episode just ended)."""
        return self._out(self._final_obs)

    def _out(self, array):
        return array.copy() if self.copy else array

    def _actions(self, actions):
        if self._discrete:
            a = np.asarray(actions)
            if a.shape != (self.num_envs,) or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"actions of shape {a.shape} and dtype {a.dtype}: expected {self.num_envs} integers "
                                 f"in [0, {self.single_action_space.n})")
            bad = (a < 0) | (a >= self.single_action_space.n)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"env {i}: action {int(a[i])} is out of range [0, {self.single_action_space.n})")
            self._action_buffer[:, 0] = a
            return self._action_buffer
        a = actions
        if not (isinstance(a, np.ndarray) and a.dtype == np.float32 and a.flags.c_contiguous):
            a = np.ascontiguousarray(a, dtype=np.float32)
        if a.shape != (self.num_envs, self._action_dim):
            raise ValueError(f"actions of shape {a.shape}: expected ({self.num_envs}, {self._action_dim})")
        return a
