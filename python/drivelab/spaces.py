"""Gymnasium spaces from the C++ specs."""
import numpy as np
from gymnasium import spaces


def observation_space(spec):
    shape = tuple(int(d) for d in spec["obs_shape"])
    if spec["obs_dtype"] == "uint8":
        return spaces.Box(0, 255, shape=shape, dtype=np.uint8)
    size = int(np.prod(shape))
    low = np.asarray(spec["obs_low"], dtype=np.float32) if len(spec["obs_low"]) == size else np.full(size, -np.inf, np.float32)
    high = np.asarray(spec["obs_high"], dtype=np.float32) if len(spec["obs_high"]) == size else np.full(size, np.inf, np.float32)
    return spaces.Box(low.reshape(shape), high.reshape(shape), dtype=np.float32)


def action_space(spec):
    if spec["discrete"]:
        return spaces.Discrete(int(spec["n"]))
    return spaces.Box(np.asarray(spec["action_low"], dtype=np.float32),
                      np.asarray(spec["action_high"], dtype=np.float32), dtype=np.float32)


def seed_from(rng):
    """A 63-bit C++ seed drawn from a NumPy generator (so reset(seed) then reset() repeats)."""
    return int(rng.integers(0, 2**63 - 1))
