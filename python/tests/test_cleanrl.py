"""CleanRL-style PPO (examples/cleanrl_ppo.py) learns to drive on the easy preset with the vector env."""
import pytest

pytest.importorskip("torch")

from _examples import load_example  # noqa: E402


def test_cleanrl_style_ppo_learns_to_drive_on_the_easy_preset():
    example = load_example("cleanrl_ppo")
    # 100k steps take ~20 s on 2 busy cores; the deterministic policy is evaluated on 8 unseen test tracks.
    args = example.Args(total_timesteps=100_000, num_envs=8, preset="easy", max_steps=300, seed=1, eval_episodes=8)
    before, after = example.train(args)
    print(f"CleanRL-style PPO test-track return: before {before:.1f}, after {after:.1f}")
    # Standing still costs 0.1 a step (-30 over 300 steps); driving along the road earns tile rewards.
    assert after > 100 and after > before + 100, (before, after)
