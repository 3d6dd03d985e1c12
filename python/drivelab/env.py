"""One drivelab env as a gymnasium.Env."""
import numpy as np
import gymnasium as gym

from . import _core
from .config import nest
from .spaces import action_space, observation_space, seed_from

# Default frame size of render(): the viewer's aspect, small enough to be cheap.
RENDER_WIDTH, RENDER_HEIGHT = 600, 400


class DrivelabEnv(gym.Env):
    """A drivelab env (``track``, ``carracing``, ``traffic``, ``track-pomdp``, ``track-blackout``, ``track-cue``) with Gymnasium's API.

    ``config`` holds keys of the YAML ``env:`` section (nested dicts or ``"section.key"`` strings).

    Actions: continuous envs take ``[steer, gas, brake]`` float32 values; values outside the bounds are
    clipped by the env, as in the C++ trainer; a wrong shape, NaN or inf raises ValueError. Discrete envs
    take an integer in ``[0, n)``; anything else raises ValueError.

    ``info`` holds ``speed_mps``, ``lap_progress``, ``tiles_visited``, ``lap_complete``, ``off_track`` and
    ``collisions``; on the step that ends an episode also ``episode_stats`` = ``{r, l, lap_time_s, lap_complete}``
    (``episode`` is left to Gymnasium's RecordEpisodeStatistics wrapper).
    Only the time limit (``max_steps``) sets ``truncated``.

    render_mode ``rgb_array`` returns the viewer's frame (follow camera and HUD) as ``[H, W, 3]`` uint8;
    ``human`` shows it in the SDL window of ``drivelab watch`` (when the package was built with SDL2).
    """

    metadata = {"render_modes": ["rgb_array"] + (["human"] if _core.has_window else []), "render_fps": 25}

    def __init__(self, env_id="track", render_mode=None, render_size=(RENDER_WIDTH, RENDER_HEIGHT),
                 camera="follow", **config):
        if render_mode == "human" and not _core.has_window:
            raise ValueError("render_mode='human' needs the SDL window, and this drivelab package was built without "
                             "SDL2 (install libsdl2-dev and reinstall); use render_mode='rgb_array'")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}: expected one of {self.metadata['render_modes']} or None")
        self.env_id = env_id
        self.config = nest(config)
        self._core = _core.CoreEnv(env_id, self.config)
        spec = self._core.specs()
        self.observation_space = observation_space(spec)
        self.action_space = action_space(spec)
        self._discrete = bool(spec["discrete"])
        self._action_dim = int(spec["action_dim"])
        self._obs_shape = self.observation_space.shape
        self._obs_dtype = self.observation_space.dtype
        resolved = _core.resolve_config(env_id, self.config)
        step_s = resolved["dt_s"] * resolved["action_repeat"]
        self.metadata = dict(self.metadata, render_fps=max(1, round(1.0 / step_s)))
        self.render_mode = render_mode
        self.render_size = (int(render_size[0]), int(render_size[1]))
        self.camera = camera
        self._window = None
        self._frame_start_s = None

    # -- Gymnasium API ------------------------------------------------------------------------------------
    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        obs = np.empty(self._obs_shape, dtype=self._obs_dtype)
        # An explicit seed goes to C++ as it is, so reset(seed=s) is the episode `drivelab` plays with seed s.
        info = self._core.reset(seed if seed is not None else seed_from(self.np_random), obs)
        if self.render_mode == "human":
            self._show()
        return obs, info

    def step(self, action):
        obs = np.empty(self._obs_shape, dtype=self._obs_dtype)
        reward, terminated, truncated, info = self._core.step(self._action_array(action), obs)
        if self.render_mode == "human":
            self._show()
        return obs, float(reward), bool(terminated), bool(truncated), info

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; make the env with render_mode='rgb_array'")
            return None
        frame = self._frame()
        if self.render_mode == "human":
            self._present(frame)
            return None
        return frame

    def close(self):
        self._window = None

    # -- helpers ------------------------------------------------------------------------------------------
    def _action_array(self, action):
        if self._discrete:
            if isinstance(action, (bool, np.bool_)) or not np.issubdtype(np.asarray(action).dtype, np.integer) \
                    or np.ndim(action) != 0:
                raise ValueError(f"action {action!r}: expected an integer in [0, {self.action_space.n})")
            index = int(action)
            if not 0 <= index < self.action_space.n:
                raise ValueError(f"action {index}: out of range, expected an integer in [0, {self.action_space.n})")
            return np.array([index], dtype=np.float32)
        a = np.asarray(action, dtype=np.float32)
        if a.shape != (self._action_dim,):
            raise ValueError(f"action of shape {a.shape}: expected shape ({self._action_dim},) "
                             "[steer, gas, brake]")
        return np.ascontiguousarray(a)

    def _frame(self):
        width, height = self.render_size
        frame = np.empty((height, width, 3), dtype=np.uint8)
        self._core.render(frame, self.camera, 8.0, True)
        return frame

    def _show(self):
        self._present(self._frame())

    def _present(self, frame):
        if self._window is None:
            if not _core.has_window:
                raise RuntimeError("render_mode='human' needs the SDL window, and this drivelab package was built "
                                   "without SDL2 (install libsdl2-dev and reinstall); use render_mode='rgb_array'")
            width, height = self.render_size
            try:
                self._window = _core.CoreWindow(f"drivelab {self.env_id}", width, height)
            except RuntimeError as e:
                raise RuntimeError(f"render_mode='human': {e} (in Python: set the SDL_VIDEODRIVER environment "
                                   "variable, or use render_mode='rgb_array')") from None
        if self._frame_start_s is not None:
            self._window.wait_frame(self._frame_start_s, 1.0 / self.metadata["render_fps"])
        self._frame_start_s = self._window.now_s()
        if not self._window.present(frame):
            self.close()
