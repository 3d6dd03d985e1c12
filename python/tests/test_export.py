"""`drivelab export`: the Python module gives the C++ policy's actions (max abs difference < 1e-5)."""
import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import drivelab  # noqa: E402
import drivelab.policy  # noqa: E402
from conftest import train_run  # noqa: E402

SMALL = ["train.total_steps=512", "train.num_envs=4", "agent.ppo.num_steps=64", "train.eval_every_steps=0",
         "train.eval_episodes=1", "train.torch_threads=1", "env.max_steps=200"]

VARIANTS = {
    "mlp": ["env.preset=easy"],
    "residual_squashed": ["env.preset=easy", "agent.net.hidden=[32,32,32]", "agent.net.residual=true",
                          "agent.net.activation=relu", "agent.net.tanh_squash=true",
                          "agent.net.state_dependent_std=true"],
    "discrete": ["env.action=discrete", "agent.net.activation=gelu", "agent.normalize_obs=false"],
    "cnn": ["env.id=carracing", "agent.net.policy=cnn", "train.total_steps=128", "train.num_envs=2",
            "env.frame_stack=2"],
}


def export(drivelab_bin, run, out, *extra):
    return subprocess.run([drivelab_bin, "export", str(run), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_python_policy_gives_the_cpp_actions(drivelab_bin, tmp_path, variant):
    run = train_run(drivelab_bin, tmp_path / "run", *SMALL, *VARIANTS[variant])
    out = tmp_path / "policy.pt"
    result = export(drivelab_bin, run, out, "--samples", "128")
    assert result.returncode == 0, result.stdout + result.stderr
    data = drivelab.policy.read(out)  # plain torch.load(weights_only=True) underneath
    policy = drivelab.policy.load(out, verify=False)
    with torch.no_grad():
        ours = policy(torch.as_tensor(data["sample_obs"]))
    diff = (ours - data["sample_actions"]).abs().max().item()
    print(f"{variant}: max abs difference to the C++ actions {diff:.3g}")
    assert diff < 1e-5
    assert policy.verify(data["sample_obs"], data["sample_actions"]) < 1e-5
    # The sample observations are not all alike (they come from episodes, not one state).
    assert data["sample_obs"].float().std(0).max() > 0
    # predict() gives actions the Python env takes.
    env = drivelab.make(policy.spec["env_id"], **({"action": "discrete"} if policy.discrete else {}),
                        **({"frame_stack": 2} if variant == "cnn" else {}))
    obs, _ = env.reset(seed=0)
    action = policy.predict(obs)
    assert env.action_space.contains(action) or not policy.discrete
    env.step(action)


def test_python_policy_drives_the_python_env_along_the_cpp_trajectory(drivelab_bin, tmp_path):
    # The samples come from C++ episodes on test tracks with seeds 12345, 12346, ..., 32 steps each; the
    # Python env with the same seeds and the exported policy must retrace them.
    run = train_run(drivelab_bin, tmp_path / "run", *SMALL, "env.preset=easy")
    out = tmp_path / "policy.pt"
    assert export(drivelab_bin, run, out, "--samples", "60").returncode == 0
    data = drivelab.policy.read(out)
    policy = drivelab.policy.load(out)
    env = drivelab.make("track", preset="easy", max_steps=200, tracks="test")
    for i in range(60):
        if i % 32 == 0:
            obs, _ = env.reset(seed=12345 + i // 32)
        np.testing.assert_allclose(obs, data["sample_obs"][i].numpy(), atol=1e-4, rtol=0)
        obs, *_ = env.step(policy.predict(obs))


def test_export_refuses_what_it_cannot_write(drivelab_bin, tmp_path):
    missing = export(drivelab_bin, tmp_path / "nothing", tmp_path / "p.pt")
    assert missing.returncode == 2 and "no such run folder" in missing.stderr
    run = train_run(drivelab_bin, tmp_path / "gtrxl", *SMALL, "env.id=track-pomdp", "agent.net.policy=gtrxl",
                    "agent.net.gtrxl.d_model=16", "agent.net.gtrxl.n_layers=1", "agent.net.gtrxl.n_heads=2",
                    "agent.net.gtrxl.d_ff=16", "agent.net.gtrxl.memory_length=4")
    refused = export(drivelab_bin, run, tmp_path / "p.pt")
    assert refused.returncode == 2 and "gtrxl" in refused.stderr
    assert not (tmp_path / "p.pt").exists()
    no_folder = export(drivelab_bin, run, tmp_path / "missing" / "p.pt")
    assert no_folder.returncode == 2


def test_reading_a_file_that_is_not_an_export_is_a_value_error(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="not a drivelab policy"):
        drivelab.policy.load(path)
