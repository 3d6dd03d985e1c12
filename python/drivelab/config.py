"""Env configs from keyword arguments: the YAML ``env:`` section's keys, checked by the C++ description."""
from collections.abc import Mapping

from . import _core


def nest(config):
    """Turns ``{"lidar.rays": 16, "track": {"walls": True}}`` into nested dicts the C++ reader walks.

    Dotted keys exist because keyword arguments cannot hold dots: ``gym.make(id, **{"lidar.rays": 16})``.
    """
    out = {}
    for key, value in config.items():
        if not isinstance(key, str):
            raise TypeError(f"key {key!r}: keys must be strings")
        parts = key.split(".")
        if any(not p for p in parts):
            raise ValueError(f"key '{key}': empty part in a dotted key")
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise TypeError(f"key '{'.'.join(parts[:depth + 1])}': expected a mapping of keys, got {child!r}")
            node = child
        leaf = parts[-1]
        if isinstance(value, Mapping):
            value = nest(dict(value))
            if isinstance(node.get(leaf), dict):
                node[leaf].update(value)
                continue
        node[leaf] = value
    return out


def resolve_config(env_id="track", **config):
    """The full config of ``env_id`` with ``config`` applied (every key, defaults included), as nested dicts.

    Raises ValueError for an unknown env id, unknown key or out-of-range value, TypeError for a wrong type,
    with the message the YAML loader gives (``key 'lidar.rayz': unknown key (did you mean 'lidar.rays'?)``).
    """
    return _core.resolve_config(env_id, nest(config))
