"""Stable-Baselines3 PPO on a drivelab env, stepping through the C++ vector env.

    python python/examples/sb3_ppo.py --timesteps 200000

train() returns the deterministic policy's mean return on unseen test tracks before and after training
(python/tests/test_sb3.py uses it as the learning signal).
"""
import argparse

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecNormalize

import drivelab
from drivelab.sb3 import DrivelabSB3VecEnv


def evaluate(model, venv_norm, env_id, episodes, seed, **config):
    """Mean return of model.predict(deterministic=True) on test tracks, normalizing as training did."""
    envs = drivelab.make_vec(env_id, num_envs=episodes, tracks="test", **config)
    obs, _ = envs.reset(seed=seed)
    returns = np.zeros(episodes)
    finished = np.zeros(episodes, bool)
    while not finished.all():
        action, _ = model.predict(venv_norm.normalize_obs(obs), deterministic=True)
        obs, reward, terminated, truncated, _ = envs.step(action.astype(np.float32))
        returns += np.where(finished, 0.0, reward)
        finished |= terminated | truncated
    return float(returns.mean())


def train(timesteps=50_000, seed=1, num_envs=8, eval_episodes=5, env_id="track", **config):
    torch.set_num_threads(1)
    venv = VecNormalize(DrivelabSB3VecEnv(env_id, num_envs=num_envs, **config), gamma=0.99)
    venv.seed(seed)
    model = PPO("MlpPolicy", venv, n_steps=128, batch_size=256, n_epochs=4, learning_rate=3e-4,
                gae_lambda=0.95, gamma=0.99, seed=seed, verbose=0, device="cpu")
    venv.reset()
    before = evaluate(model, venv, env_id, eval_episodes, 10_000 + seed, **config)
    model.learn(total_timesteps=timesteps)
    after = evaluate(model, venv, env_id, eval_episodes, 10_000 + seed, **config)
    return before, after


def main():
    parser = argparse.ArgumentParser(description="SB3 PPO on a drivelab env")
    parser.add_argument("--env", default="track")
    parser.add_argument("--preset", default="easy")
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    before, after = train(args.timesteps, args.seed, env_id=args.env, preset=args.preset, max_steps=args.max_steps)
    print(f"test-track return: {before:.1f} before training, {after:.1f} after")


if __name__ == "__main__":
    main()
