"""PPO for continuous actions in one file, in the manner of CleanRL's ppo_continuous_action.py, on a drivelab
vector env. Written for drivelab (not copied): the same algorithm and implementation details (orthogonal
init, GAE, clipped surrogate and value loss, advantage normalization, annealed learning rate, global
gradient clipping, observation and reward normalization), but the env is DrivelabVectorEnv, whose C++
threads step every env at once, and truncated episodes bootstrap from the final observation that the
same-step autoreset keeps.

    python python/examples/cleanrl_ppo.py --total-timesteps 200000 --preset easy

train() returns the deterministic policy's mean return on unseen test tracks before and after training,
which python/tests/test_cleanrl.py uses as its learning signal.
"""
import argparse
import dataclasses
import time

import numpy as np
import torch
from torch import nn

import drivelab


@dataclasses.dataclass
class Args:
    env_id: str = "track"              # drivelab env id
    preset: str = "easy"               # track preset
    max_steps: int = 300               # env time limit (agent steps)
    seed: int = 1                      # seeds torch, NumPy and the envs
    total_timesteps: int = 100_000     # env steps, all envs together
    num_envs: int = 8                  # parallel envs (C++ threads)
    num_steps: int = 128               # rollout length per env per update
    learning_rate: float = 3e-4        # Adam step size, annealed linearly to 0
    gamma: float = 0.99                # discount
    gae_lambda: float = 0.95           # GAE lambda
    num_minibatches: int = 4           # minibatches per epoch
    update_epochs: int = 4             # passes over each rollout
    clip_coef: float = 0.2             # surrogate clipping
    ent_coef: float = 0.0              # entropy bonus
    vf_coef: float = 0.5               # value loss weight
    max_grad_norm: float = 0.5         # global gradient norm clip
    eval_episodes: int = 5             # test-track episodes before and after training
    torch_threads: int = 1             # small MLPs run fastest on one thread


class RunningMeanStd:
    """Running mean and variance of a batch stream (parallel-variance update)."""

    def __init__(self, shape=()):
        self.mean = np.zeros(shape, np.float64)
        self.var = np.ones(shape, np.float64)
        self.count = 1e-4

    def update(self, batch):
        batch_mean, batch_var, n = batch.mean(0), batch.var(0), batch.shape[0]
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.count = total

    def normalize(self, x, clip=10.0):
        return np.clip((x - self.mean) / np.sqrt(self.var + 1e-8), -clip, clip).astype(np.float32)


def layer(in_features, out_features, gain=np.sqrt(2)):
    linear = nn.Linear(in_features, out_features)
    nn.init.orthogonal_(linear.weight, gain)
    nn.init.zeros_(linear.bias)
    return linear


class Agent(nn.Module):
    def __init__(self, obs_dim, action_dim):
        super().__init__()
        self.critic = nn.Sequential(layer(obs_dim, 64), nn.Tanh(), layer(64, 64), nn.Tanh(), layer(64, 1, 1.0))
        self.actor_mean = nn.Sequential(layer(obs_dim, 64), nn.Tanh(), layer(64, 64), nn.Tanh(),
                                        layer(64, action_dim, 0.01))
        self.actor_logstd = nn.Parameter(torch.zeros(1, action_dim))

    def value(self, x):
        return self.critic(x).squeeze(-1)

    def act(self, x, action=None):
        mean = self.actor_mean(x)
        dist = torch.distributions.Normal(mean, self.actor_logstd.expand_as(mean).exp())
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action).sum(-1), dist.entropy().sum(-1), self.value(x)


def evaluate(agent, obs_rms, args):
    """Mean return of the deterministic (mean) action on test tracks, one vector env of eval_episodes envs."""
    envs = drivelab.make_vec(args.env_id, num_envs=args.eval_episodes, preset=args.preset,
                             max_steps=args.max_steps, tracks="test")
    obs, _ = envs.reset(seed=10_000 + args.seed)
    returns = np.zeros(args.eval_episodes)
    finished = np.zeros(args.eval_episodes, bool)
    with torch.no_grad():
        while not finished.all():
            action = agent.actor_mean(torch.as_tensor(obs_rms.normalize(obs))).numpy()
            obs, reward, terminated, truncated, _ = envs.step(action)
            returns += np.where(finished, 0.0, reward)
            finished |= terminated | truncated
    return float(returns.mean())


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.torch_threads)
    envs = drivelab.make_vec(args.env_id, num_envs=args.num_envs, preset=args.preset, max_steps=args.max_steps)
    obs_dim = envs.single_observation_space.shape[0]
    action_dim = envs.single_action_space.shape[0]
    agent = Agent(obs_dim, action_dim)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    obs_rms, return_rms = RunningMeanStd((obs_dim,)), RunningMeanStd()
    discounted = np.zeros(args.num_envs)

    T, N = args.num_steps, args.num_envs
    batch_size = T * N
    minibatch_size = batch_size // args.num_minibatches
    num_updates = max(1, args.total_timesteps // batch_size)
    # Rollout storage, preallocated [T, N, ...].
    obs_buf = torch.zeros((T, N, obs_dim))
    actions_buf = torch.zeros((T, N, action_dim))
    logprobs_buf = torch.zeros((T, N))
    rewards_buf = torch.zeros((T, N))
    dones_buf = torch.zeros((T, N))
    values_buf = torch.zeros((T, N))

    raw_obs, _ = envs.reset(seed=args.seed)
    obs_rms.update(raw_obs)
    before = evaluate(agent, obs_rms, args)
    next_obs = torch.as_tensor(obs_rms.normalize(raw_obs))
    next_done = torch.zeros(N)
    episode_returns = []
    start = time.time()
    global_step = 0
    for update in range(1, num_updates + 1):
        for group in optimizer.param_groups:
            group["lr"] = (1.0 - (update - 1.0) / num_updates) * args.learning_rate
        for t in range(T):
            global_step += N
            obs_buf[t] = next_obs
            dones_buf[t] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.act(next_obs)
            actions_buf[t], logprobs_buf[t], values_buf[t] = action, logprob, value
            raw_obs, reward, terminated, truncated, info = envs.step(action.numpy())
            reward = reward.astype(np.float64)
            done = terminated | truncated
            # Truncated episodes did not fail: bootstrap them from the value of their final observation.
            if truncated.any():
                final = np.stack([info["final_obs"][i] for i in np.flatnonzero(truncated)])
                with torch.no_grad():
                    final_value = agent.value(torch.as_tensor(obs_rms.normalize(final))).numpy()
                reward_scale = np.sqrt(return_rms.var + 1e-8)
                reward[truncated] += args.gamma * final_value * reward_scale
            # Reward scaling by the std of the discounted return (as Gymnasium's NormalizeReward).
            discounted = discounted * args.gamma + reward
            return_rms.update(discounted)
            discounted[done] = 0.0
            rewards_buf[t] = torch.as_tensor(np.clip(reward / np.sqrt(return_rms.var + 1e-8), -10, 10))
            obs_rms.update(raw_obs)
            next_obs = torch.as_tensor(obs_rms.normalize(raw_obs))
            next_done = torch.as_tensor(done, dtype=torch.float32)
            if "episode_stats" in info:
                episode_returns += list(info["episode_stats"]["r"][info["_episode_stats"]])

        # Generalized advantage estimation.
        with torch.no_grad():
            next_value = agent.value(next_obs)
            advantages = torch.zeros_like(rewards_buf)
            last = torch.zeros(N)
            for t in reversed(range(T)):
                not_done = 1.0 - (next_done if t == T - 1 else dones_buf[t + 1])
                following = next_value if t == T - 1 else values_buf[t + 1]
                delta = rewards_buf[t] + args.gamma * following * not_done - values_buf[t]
                last = delta + args.gamma * args.gae_lambda * not_done * last
                advantages[t] = last
            returns = advantages + values_buf

        b_obs, b_actions = obs_buf.reshape(batch_size, obs_dim), actions_buf.reshape(batch_size, action_dim)
        b_logprobs, b_adv = logprobs_buf.reshape(-1), advantages.reshape(-1)
        b_returns, b_values = returns.reshape(-1), values_buf.reshape(-1)
        for _ in range(args.update_epochs):
            order = torch.randperm(batch_size)
            for first in range(0, batch_size, minibatch_size):
                mb = order[first:first + minibatch_size]
                _, logprob, entropy, value = agent.act(b_obs[mb], b_actions[mb])
                ratio = (logprob - b_logprobs[mb]).exp()
                adv = b_adv[mb]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)).mean()
                clipped = b_values[mb] + (value - b_values[mb]).clamp(-args.clip_coef, args.clip_coef)
                value_loss = 0.5 * torch.max((value - b_returns[mb]) ** 2, (clipped - b_returns[mb]) ** 2).mean()
                loss = policy_loss - args.ent_coef * entropy.mean() + args.vf_coef * value_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()
        if episode_returns and (update % 10 == 0 or update == num_updates):
            sps = global_step / (time.time() - start)
            print(f"step {global_step}  charts/episodic_return {np.mean(episode_returns[-20:]):.1f}  "
                  f"charts/SPS {sps:.0f}", flush=True)
    after = evaluate(agent, obs_rms, args)
    return before, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for field in dataclasses.fields(Args):
        parser.add_argument("--" + field.name.replace("_", "-"), type=field.type,
                            default=field.default)
    args = Args(**vars(parser.parse_args()))
    before, after = train(args)
    print(f"test-track return: {before:.1f} before training, {after:.1f} after")


if __name__ == "__main__":
    main()
