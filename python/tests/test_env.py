"""The single env: Gymnasium registration, the env checker, config keys and their errors, actions, render."""
import os
import subprocess
import sys
import textwrap

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import drivelab


def test_every_registered_env_is_a_gymnasium_id():
    ids = drivelab.env_ids()
    assert {"track", "carracing", "traffic", "track-pomdp"} <= set(ids)
    for env_id in ids:
        assert drivelab.gym_id(env_id) in gym.registry


@pytest.mark.parametrize("env_id", ["track", "carracing", "traffic", "track-pomdp"])
def test_gymnasium_env_checker_accepts_every_env(env_id):
    env = gym.make(drivelab.gym_id(env_id), render_mode="rgb_array", max_steps=50).unwrapped
    check_env(env, skip_render_check=True)
    env.close()


def run_isolated(code):
    """Runs code in a fresh interpreter. SDL's offscreen driver loads Mesa's libLLVM, and a process that has
    it cannot load triton afterwards (two LLVMs: a crash in triton's static initializers), so tests that
    open the window stay out of the pytest process, where later tests import torch."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, SDL_VIDEODRIVER="offscreen"))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_gymnasium_env_checker_accepts_the_render_modes():
    # check_env renders with every mode in metadata["render_modes"]: rgb_array, and human when built with SDL2.
    out = run_isolated("""
        import gymnasium as gym, drivelab
        from gymnasium.utils.env_checker import check_env
        env = gym.make("drivelab/track-v0", render_mode="rgb_array", max_steps=20).unwrapped
        check_env(env, skip_render_check=False)
        print("checked", env.metadata["render_modes"])
    """)
    assert "checked" in out and "rgb_array" in out


def test_env_checker_accepts_discrete_actions():
    env = gym.make("drivelab/carracing-v0", action="discrete", max_steps=30).unwrapped
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == 5
    check_env(env)


def test_spaces_follow_the_config():
    env = gym.make("drivelab/track-v0", lidar={"rays": 7})
    env2 = gym.make("drivelab/track-v0", lidar={"rays": 21})
    assert env2.observation_space.shape[0] - env.observation_space.shape[0] == 14
    assert env.observation_space.dtype == np.float32
    assert env.action_space.shape == (3,)
    np.testing.assert_array_equal(env.action_space.low, [-1, 0, 0])
    pixels = gym.make("drivelab/carracing-v0")
    assert pixels.observation_space.shape == (96, 96, 3) and pixels.observation_space.dtype == np.uint8


def test_reset_with_a_seed_repeats_the_episode():
    env = gym.make("drivelab/track-v0", preset="easy")
    actions = [np.array([0.3 * np.sin(i / 5), 0.7, 0.0], np.float32) for i in range(60)]

    def rollout(seed):
        obs, _ = env.reset(seed=seed)
        trace = [obs]
        for a in actions:
            obs, reward, terminated, truncated, _ = env.step(a)
            trace.append(np.append(obs, reward))
        return np.concatenate(trace)

    np.testing.assert_array_equal(rollout(3), rollout(3))
    assert not np.array_equal(rollout(3), rollout(4))


def test_episode_statistics_and_time_limit_truncation():
    env = drivelab.make("track", preset="easy", max_steps=25)
    env.reset(seed=1)
    total = 0.0
    for step in range(25):
        _, reward, terminated, truncated, info = env.step(np.array([0, 0.5, 0], np.float32))
        total += reward
        assert not terminated
        if step < 24:
            assert not truncated and "episode_stats" not in info
    assert truncated
    assert info["episode_stats"]["l"] == 25
    assert info["episode_stats"]["r"] == pytest.approx(total, rel=1e-5)
    # Gymnasium's own episode statistics wrapper agrees (and owns the "episode" key).
    env = gym.wrappers.RecordEpisodeStatistics(drivelab.make("track", preset="easy", max_steps=25))
    env.reset(seed=1)
    for _ in range(25):
        *_, info = env.step(np.array([0, 0.5, 0], np.float32))
    assert info["episode"]["l"] == 25 and info["episode"]["r"] == pytest.approx(total, rel=1e-5)
    assert {"speed_mps", "lap_progress", "tiles_visited", "off_track", "collisions"} <= set(info)


def test_keyword_arguments_are_the_yaml_env_keys():
    cfg = drivelab.resolve_config("track", preset="easy", lidar={"rays": 9}, **{"reward.speed_bonus": 0.5})
    assert cfg["preset"] == "easy" and cfg["lidar"]["rays"] == 9 and cfg["reward"]["speed_bonus"] == 0.5
    # Explicit track keys override the preset, as in YAML.
    assert drivelab.resolve_config("track", preset="easy", track={"width_m": 30})["track"]["width_m"] == 30
    easy = drivelab.resolve_config("track", preset="easy")["track"]
    hard = drivelab.resolve_config("track", preset="hard")["track"]
    assert easy != hard


@pytest.mark.parametrize("kwargs, error, words", [
    ({"lidar": {"rayz": 5}}, ValueError, ["lidar.rayz", "unknown key", "did you mean 'lidar.rays'"]),
    ({"max_stepz": 5}, ValueError, ["max_stepz", "did you mean 'max_steps'"]),
    ({"lidar.rays": 0}, ValueError, ["lidar.rays", "out of range"]),
    ({"max_steps": "many"}, TypeError, ["max_steps", "expected an integer"]),
    ({"max_steps": 2.5}, TypeError, ["max_steps", "expected an integer"]),
    ({"track": {"walls": 1}}, TypeError, ["track.walls", "true or false"]),
    ({"lidar": 5}, TypeError, ["lidar", "mapping"]),
    ({"preset": "eazy"}, ValueError, ["preset", "did you mean 'easy'"]),
    ({"dt_s": float("nan")}, ValueError, ["dt_s", "out of range"]),
    ({"id": "carracing"}, ValueError, ["id", "drivelab/carracing-v0"]),
])
def test_bad_keys_raise_errors_naming_the_key(kwargs, error, words):
    with pytest.raises(error) as caught:
        if "id" in kwargs:  # gymnasium.make's own first argument is called id
            drivelab.make("track", **kwargs)
        else:
            gym.make("drivelab/track-v0", **kwargs)
    for word in words:
        assert word in str(caught.value)


def test_unknown_env_id_is_a_value_error():
    with pytest.raises(ValueError, match="unknown env id 'trak'.*did you mean 'track'"):
        drivelab.make("trak")


@pytest.mark.parametrize("action", [
    np.zeros(2, np.float32), np.zeros((1, 3), np.float32), np.array([np.nan, 0, 0], np.float32),
    np.array([0, np.inf, 0], np.float32), "left",
])
def test_bad_continuous_actions_raise_value_error(action):
    env = drivelab.make("track")
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(action)
    env.step(np.zeros(3, np.float32))  # the env still works


def test_out_of_bounds_continuous_actions_are_clipped_as_in_cpp():
    env = drivelab.make("track", preset="easy")
    env.reset(seed=5)
    a, _, _, _, _ = env.step(np.array([5, 3, 0], np.float32))
    env.reset(seed=5)
    b, _, _, _, _ = env.step(np.array([1, 1, 0], np.float32))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("action", [5, -1, 2.0, True, np.array([1, 2])])
def test_bad_discrete_actions_raise_value_error(action):
    env = drivelab.make("track", action="discrete")
    env.reset(seed=0)
    with pytest.raises(ValueError):
        env.step(action)


def test_step_before_reset_is_an_error_not_a_crash():
    env = drivelab.make("track")
    with pytest.raises(RuntimeError, match="before reset"):
        env.step(np.zeros(3, np.float32))


def test_rgb_array_frames_show_the_track():
    env = drivelab.make("track", render_mode="rgb_array", render_size=(320, 200))
    env.reset(seed=2)
    frame = env.render()
    assert frame.shape == (200, 320, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 5  # road, grass, car, HUD: not a blank image
    env.step(np.array([0, 1, 0], np.float32))
    assert not np.array_equal(env.render(), frame)


def test_human_mode_shows_frames_in_the_sdl_window():
    if "human" not in drivelab.DrivelabEnv.metadata["render_modes"]:
        with pytest.raises(ValueError, match="SDL2"):
            drivelab.make("track", render_mode="human")
        pytest.skip("this drivelab package was built without SDL2")
    out = run_isolated("""
        import numpy as np, drivelab
        env = drivelab.make("track", render_mode="human", render_size=(160, 120))
        env.reset(seed=0)
        env.step(np.zeros(3, np.float32))
        assert env.render() is None
        env.close()
        print("shown")
    """)
    assert "shown" in out
