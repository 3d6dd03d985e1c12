"""The vector env: a real gymnasium VectorEnv, zero-copy arrays, same-step autoreset, C++ threads."""
import sys
import threading
import time

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import drivelab


def steer_actions(n, t):
    a = np.zeros((n, 3), np.float32)
    a[:, 0] = 0.4 * np.sin(t / 7 + np.arange(n))
    a[:, 1] = 0.6
    return a


def test_it_is_a_gymnasium_vector_env_with_same_step_autoreset():
    envs = gym.make_vec("drivelab/track-v0", num_envs=4, vectorization_mode="vector_entry_point", preset="easy")
    assert isinstance(envs.unwrapped, gym.vector.VectorEnv)
    assert envs.num_envs == 4
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert envs.single_observation_space.shape == envs.observation_space.shape[1:]
    assert envs.action_space.shape == (4, 3)
    obs, info = envs.reset(seed=0)
    assert obs in envs.observation_space
    obs, rewards, terminated, truncated, info = envs.step(envs.action_space.sample())
    assert rewards.dtype == np.float32 and terminated.dtype == np.bool_ and truncated.shape == (4,)


def test_arrays_view_the_cpp_buffers_without_copies():
    envs = drivelab.make_vec("track", num_envs=3)
    obs0, _ = envs.reset(seed=1)
    obs1, rewards1, term1, _, _ = envs.step(steer_actions(3, 0))
    assert obs1 is obs0  # the same array, written in place
    assert not obs1.flags.owndata and obs1.base is not None
    before = obs1.copy()
    obs2, rewards2, _, _, _ = envs.step(steer_actions(3, 1))
    assert rewards2 is rewards1 and np.shares_memory(obs2, obs0)
    assert not np.array_equal(before, obs2)
    copying = drivelab.make_vec("track", num_envs=3, copy=True)
    a, _ = copying.reset(seed=1)
    b, *_ = copying.step(steer_actions(3, 0))
    assert a is not b and b.flags.owndata


def test_vector_env_i_is_single_env_with_seed_plus_i():
    n, seed, steps = 3, 40, 80
    envs = drivelab.make_vec("track", num_envs=n, num_threads=2, preset="easy")
    singles = [drivelab.make("track", preset="easy") for _ in range(n)]
    vobs, _ = envs.reset(seed=seed)
    sobs = [e.reset(seed=seed + i)[0] for i, e in enumerate(singles)]
    for t in range(steps):
        np.testing.assert_array_equal(vobs, np.stack(sobs))
        actions = steer_actions(n, t)
        vobs, vrew, vterm, vtrunc, _ = envs.step(actions)
        results = [e.step(actions[i]) for i, e in enumerate(singles)]
        sobs = [r[0] for r in results]
        np.testing.assert_array_equal(vrew, [r[1] for r in results])
        np.testing.assert_array_equal(vterm, [r[2] for r in results])


def test_results_do_not_depend_on_the_thread_count():
    traces = []
    for threads in (1, 3):
        envs = drivelab.make_vec("track", num_envs=6, num_threads=threads, max_steps=40)
        obs, _ = envs.reset(seed=9)
        trace = []
        for t in range(100):
            obs, rew, *_ = envs.step(steer_actions(6, t))
            trace.append(np.append(obs.ravel(), rew))
        traces.append(np.concatenate(trace))
    np.testing.assert_array_equal(traces[0], traces[1])


def test_same_step_autoreset_keeps_the_final_observation_and_statistics():
    envs = drivelab.make_vec("track", num_envs=2, max_steps=10, preset="easy")
    single = drivelab.make("track", max_steps=10, preset="easy")
    obs, _ = envs.reset(seed=5)
    single.reset(seed=5)
    for t in range(10):
        actions = steer_actions(2, t)
        obs, rewards, terminated, truncated, info = envs.step(actions)
        last, *_ = single.step(actions[0])
        if t < 9:
            assert "final_obs" not in info and "episode_stats" not in info
    assert truncated.all() and not terminated.any()
    assert info["_final_obs"].all() and info["_episode_stats"].all()
    np.testing.assert_array_equal(info["final_obs"][0], last)  # the finished episode's last observation
    assert not np.array_equal(obs[0], last)                     # obs holds the next episode's first one
    np.testing.assert_array_equal(info["episode_stats"]["l"], [10, 10])
    # The next step continues the new episodes.
    _, _, _, truncated, info = envs.step(steer_actions(2, 0))
    assert not truncated.any() and "episode_stats" not in info


def test_gymnasium_vector_wrappers_that_allow_same_step_autoreset_work():
    envs = gym.make_vec("drivelab/track-v0", num_envs=3, vectorization_mode="vector_entry_point", max_steps=10)
    envs = gym.wrappers.vector.RecordEpisodeStatistics(gym.wrappers.vector.ClipAction(envs))
    envs.reset(seed=0)
    for t in range(10):
        *_, info = envs.step(steer_actions(3, t) * 3)
    assert info["_episode"].all() and (info["episode"]["l"] == 10).all()
    np.testing.assert_allclose(info["episode"]["r"], info["episode_stats"]["r"], rtol=1e-5)
    # Observation wrappers need next-step autoreset (they would not see final_obs): Gymnasium refuses them.
    with pytest.raises(ValueError, match="autoreset"):
        gym.wrappers.vector.NormalizeObservation(envs)


def test_bad_actions_and_arguments_raise_clear_errors():
    envs = drivelab.make_vec("track", num_envs=2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.zeros((2, 3), np.float32))
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        envs.step(np.zeros((3, 3), np.float32))
    bad = np.zeros((2, 3), np.float32)
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="env 1"):
        envs.step(bad)
    discrete = drivelab.make_vec("track", num_envs=2, action="discrete")
    discrete.reset(seed=0)
    with pytest.raises(ValueError, match="env 1: action 7"):
        discrete.step(np.array([0, 7]))
    discrete.step(np.array([3, 4]))
    with pytest.raises(ValueError, match="num_envs"):
        drivelab.make_vec("track", num_envs=0)
    with pytest.raises(ValueError, match="lidar.rayz"):
        drivelab.make_vec("track", num_envs=2, lidar={"rayz": 3})
    with pytest.raises(ValueError, match="seed"):
        envs.reset(seed=[1, 5])


def test_step_releases_the_gil():
    # With a huge switch interval the interpreter never takes the GIL from the stepping thread; a Python
    # thread can then run only while the C++ step has released it.
    envs = drivelab.make_vec("track", num_envs=16, num_threads=1)
    envs.reset(seed=0)
    actions = steer_actions(16, 0)
    done = threading.Event()
    ticks = [0]

    def count():
        while not done.is_set():
            ticks[0] += 1
            time.sleep(0)

    counter = threading.Thread(target=count)
    counter.start()
    old = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        time.sleep(0.05)
        before = ticks[0]
        for _ in range(100):
            envs.step(actions)
        during = ticks[0] - before
    finally:
        sys.setswitchinterval(old)
        done.set()
        counter.join()
    assert during > 0


def test_rgb_array_renders_every_env():
    envs = drivelab.make_vec("track", num_envs=2, render_mode="rgb_array", render_size=(120, 80))
    envs.reset(seed=0)
    frames = envs.render()
    assert len(frames) == 2 and frames[0].shape == (80, 120, 3)
