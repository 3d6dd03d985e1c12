"""Policies exported by ``drivelab export RUN --out policy.pt``, as plain PyTorch modules.

    import drivelab.policy
    policy = drivelab.policy.load("policy.pt")      # a torch.nn.Module, in eval mode
    action = policy.predict(obs)                    # NumPy in, NumPy out, ready for env.step
    actions = policy(torch.as_tensor(batch))        # [B, obs...] -> [B, action_dim] (the C++ env action)

The network is the C++ actor-critic (agents/policy.h) rebuilt with the same parameter names, so the
state dict loads strictly:
  mlp:  actor_body / critic_body = Linear+activation layers (or, with ``residual``, a first Linear, then
        pre-LayerNorm blocks x + W(act(LN(x))) and a final LayerNorm + activation); actor_head, critic_head.
  cnn:  channels-last uint8 images scaled to [0, 1], three ReLU convolutions (32 8x8/4, 64 4x4/2,
        64 3x3/1) and a ReLU Linear to 512 features shared by both heads.
The action is deterministic, as ``drivelab eval`` and ``watch`` act: the Gaussian's mean (for tanh-squashed
policies low + (tanh(mean) + 1) * (high - low) / 2), or the most likely discrete index (as a float, as the C++
policy returns it; ``predict`` gives an int). Observations are normalized first with the run's running
mean and variance, in float64 as the C++ normalizer does: clip((x - mean) / sqrt(var + eps), -clip, clip).
"""
import json

import numpy as np
import torch
import torch.jit._pickle  # noqa: F401  (restore_type_tag, see read())
from torch import nn

FORMAT = "drivelab-policy"
VERSION = 1


def _activation(name):
    if name == "tanh":
        return torch.tanh
    if name == "relu":
        return torch.relu
    if name == "gelu":
        return nn.functional.gelu
    raise ValueError(f"activation {name!r}: expected tanh, relu or gelu")


class MLP(nn.Module):
    """agents/nn.h's MLP: parameter names linear{i}, norm{i} (i >= 1) and norm_out."""

    def __init__(self, in_features, hidden, activation, residual):
        super().__init__()
        self.activation = _activation(activation)
        self.residual = residual
        self.depth = len(hidden)
        previous = in_features
        for i, width in enumerate(hidden):
            setattr(self, f"linear{i}", nn.Linear(previous, width))
            if residual and i > 0:
                setattr(self, f"norm{i}", nn.LayerNorm(width))
            previous = width
        if residual:
            self.norm_out = nn.LayerNorm(previous)
        self.out_features = previous

    def forward(self, x):
        if not self.residual:
            for i in range(self.depth):
                x = self.activation(getattr(self, f"linear{i}")(x))
            return x
        x = self.linear0(x)
        for i in range(1, self.depth):
            x = x + getattr(self, f"linear{i}")(self.activation(getattr(self, f"norm{i}")(x)))
        return self.activation(self.norm_out(x))


class CNNEncoder(nn.Module):
    """agents/nn.h's Nature-CNN encoder for [B, H, W, C] or stacked [B, K, H, W, C] uint8 images."""

    def __init__(self, image_shape, features=512):
        super().__init__()
        self.stacked = len(image_shape) == 4
        h = 1 if self.stacked else 0
        height, width = image_shape[h], image_shape[h + 1]
        channels = image_shape[h + 2] * (image_shape[0] if self.stacked else 1)
        self.conv1 = nn.Conv2d(channels, 32, 8, stride=4)
        self.conv2 = nn.Conv2d(32, 64, 4, stride=2)
        self.conv3 = nn.Conv2d(64, 64, 3, stride=1)
        with torch.no_grad():
            flat = self.conv3(self.conv2(self.conv1(torch.zeros(1, channels, height, width)))).numel()
        self.fc = nn.Linear(flat, features)

    def forward(self, x):
        x = x.permute(0, 1, 4, 2, 3).flatten(1, 2) if self.stacked else x.permute(0, 3, 1, 2)
        x = x.to(torch.float32) / 255.0
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = torch.relu(self.conv3(x))
        return torch.relu(self.fc(x.flatten(1)))


class DrivelabPolicy(nn.Module):
    """A drivelab actor-critic with its observation normalizer; ``forward`` returns the env action."""

    def __init__(self, spec, obs_mean=None, obs_var=None):
        super().__init__()
        self.spec = dict(spec)
        self.obs_shape = tuple(spec["obs_shape"])
        self.image = spec["obs_dtype"] == "uint8"
        self.discrete = bool(spec["discrete"])
        self.action_dim = int(spec["action_dim"])
        head_out = int(spec["n"]) if self.discrete else self.action_dim
        policy = spec["policy"]
        if self.image:
            if policy != "cnn":
                raise ValueError(f"policy {policy!r}: pixel observations need a cnn policy")
            self.cnn = CNNEncoder(self.obs_shape)
            features = 512
        elif policy == "mlp":
            in_features = int(np.prod(self.obs_shape))
            self.actor_body = MLP(in_features, spec["hidden"], spec["activation"], spec["residual"])
            self.critic_body = MLP(in_features, spec["hidden"], spec["activation"], spec["residual"])
            features = self.actor_body.out_features
        else:
            raise ValueError(f"policy {policy!r}: exported policies are mlp or cnn")
        self.actor_head = nn.Linear(features, head_out)
        self.critic_head = nn.Linear(features, 1)
        self.squash = not self.discrete and bool(spec["tanh_squash"])
        if not self.discrete:
            if spec["state_dependent_std"]:
                self.log_std_head = nn.Linear(features, self.action_dim)
            else:
                self.log_std = nn.Parameter(torch.zeros(self.action_dim))
            if self.squash:
                self.register_buffer("action_low", torch.zeros(self.action_dim))
                self.register_buffer("action_scale", torch.ones(self.action_dim))
        # The normalizer is not part of the C++ state dict: kept in buffers of its own (float64, as in C++).
        self.normalize = obs_mean is not None and not self.image
        if self.normalize:
            self.register_buffer("obs_mean", torch.as_tensor(obs_mean, dtype=torch.float64).clone())
            self.register_buffer("obs_var", torch.as_tensor(obs_var, dtype=torch.float64).clone())
            self.clip_obs = float(spec["clip_obs"])
            self.obs_eps = float(spec["obs_norm_epsilon"])

    # -- what the C++ policy computes ---------------------------------------------------------------------
    def normalize_obs(self, obs):
        if not self.normalize:
            return obs
        z = (obs.to(torch.float64) - self.obs_mean) * (1.0 / torch.sqrt(self.obs_var + self.obs_eps))
        return z.clamp(-self.clip_obs, self.clip_obs).to(torch.float32)

    def _features(self, obs):
        if self.image:
            f = self.cnn(obs)
            return f, f
        x = self.normalize_obs(obs.reshape(obs.shape[0], -1).to(torch.float32))
        return self.actor_body(x), self.critic_body(x)

    def forward(self, obs):
        """[B, obs...] raw observations -> [B, action_dim] float32 env actions (deterministic)."""
        actor, _ = self._features(obs)
        out = self.actor_head(actor)
        if self.discrete:
            return out.argmax(-1).to(torch.float32).unsqueeze(-1)
        if self.squash:
            return self.action_low + (torch.tanh(out) + 1.0) * self.action_scale
        return out

    def value(self, obs):
        """The critic's estimate (in the training's reward units, which are scaled when it normalized rewards)."""
        _, critic = self._features(obs)
        return self.critic_head(critic).squeeze(-1)

    @torch.no_grad()
    def predict(self, obs):
        """One observation (or a batch) as NumPy -> the action to pass to a drivelab env's step()."""
        obs = np.asarray(obs)
        single = obs.shape == self.obs_shape
        batch = torch.as_tensor(obs[None] if single else obs)
        action = self.forward(batch).cpu().numpy()
        if self.discrete:
            action = action[:, 0].astype(np.int64)
        return action[0] if single else action

    @torch.no_grad()
    def verify(self, sample_obs, sample_actions, atol=1e-5):
        """Max abs difference between this module's actions and the C++ actions stored in the file."""
        ours = self.forward(torch.as_tensor(sample_obs))
        diff = (ours - torch.as_tensor(sample_actions)).abs().max().item()
        if diff > atol:
            raise AssertionError(f"exported policy differs from the C++ policy by {diff} (> {atol})")
        return diff


def read(path):
    """The exported file's dict, its format checked.

    LibTorch's pickler tags the dicts it writes with their types (``torch.jit._pickle.restore_type_tag``,
    a torch function that only records the type), so a weights-only load allows that one global::

        with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
            data = torch.load(path, weights_only=True)
    """
    with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
        data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a drivelab policy file (write one with `drivelab export RUN --out FILE`)")
    if int(data.get("version", 0)) > VERSION:
        raise ValueError(f"{path}: format version {data['version']} is newer than this package reads ({VERSION})")
    return data


def load(path, verify=True):
    """The exported policy as a DrivelabPolicy in eval mode. ``verify`` checks it against the C++ actions."""
    data = read(path)
    spec = json.loads(data["spec"])
    policy = DrivelabPolicy(spec, data.get("obs_mean"), data.get("obs_var"))
    missing, unexpected = policy.load_state_dict(data["state_dict"], strict=False)
    allowed_missing = {"obs_mean", "obs_var"}
    if unexpected or set(missing) - allowed_missing:
        raise ValueError(f"{path}: the state dict does not fit the network (missing {sorted(set(missing) - allowed_missing)}, "
                         f"unexpected {sorted(unexpected)})")
    policy.eval()
    if verify:
        policy.verify(data["sample_obs"], data["sample_actions"])
    return policy
