"""CleanRL-style PPO (examples/cleanrl_ppo.py) learns to drive on the easy preset with the vector env."""
import pytest

pytest.importorskip("torch")

from _examples import load_example  # noqa: E402


def test_cleanrl_style_ppo_learns_to_drive_on_the_easy_preset():
    example = load_example("cleanrl_ppo")
    args = example.Args(total_timesteps=40_000, num_envs=8, preset="easy", max_steps=300, seed=1)
    before, after = example.train(args)
    print(f"CleanRL-style PPO test-track return: before {before:.1f}, after {after:.1f}")
    assert after > before + 50, (before, after)
