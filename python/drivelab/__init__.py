"""drivelab's C++ driving environments for Gymnasium.

``import drivelab`` registers every drivelab env with Gymnasium as ``drivelab/<id>-v0``::

    import gymnasium as gym
    import drivelab

    env = gym.make("drivelab/track-v0", preset="easy", lidar={"rays": 16})
    envs = gym.make_vec("drivelab/track-v0", num_envs=16, vectorization_mode="vector_entry_point")

Keyword arguments are the keys of the YAML ``env:`` section (nested dicts or ``"section.key"`` strings), with
the YAML loader's checks: an unknown key or out-of-range value raises ValueError, a wrong type TypeError.
See docs/python.md.
"""
from ._core import registered_envs as _registered_envs
from .config import resolve_config
from .env import DrivelabEnv
from .vector import DrivelabVectorEnv

__all__ = ["DrivelabEnv", "DrivelabVectorEnv", "env_ids", "gym_id", "make", "make_vec", "resolve_config"]
__version__ = "0.1.0"


def env_ids():
    """The registered drivelab env ids (``track``, ``carracing``, ...)."""
    return [env_id for env_id, _ in _registered_envs()]


def gym_id(env_id):
    """The Gymnasium id of a drivelab env: ``track`` -> ``drivelab/track-v0``."""
    return f"drivelab/{env_id}-v0"


def make(env_id="track", render_mode=None, **config):
    """One env, as gymnasium.make would build it but without Gymnasium's wrappers."""
    return DrivelabEnv(env_id, render_mode=render_mode, **config)


def make_vec(env_id="track", num_envs=16, num_threads=0, **config):
    """A vector env of ``num_envs`` envs stepped on C++ threads (see DrivelabVectorEnv)."""
    return DrivelabVectorEnv(env_id, num_envs=num_envs, num_threads=num_threads, **config)


def _register():
    import gymnasium

    for env_id, _summary in _registered_envs():
        name = gym_id(env_id)
        if name in gymnasium.registry:
            continue
        gymnasium.register(
            id=name,
            entry_point=DrivelabEnv,
            vector_entry_point=DrivelabVectorEnv,
            kwargs={"env_id": env_id},
            disable_env_checker=False,
        )


_register()
