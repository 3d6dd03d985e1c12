"""Shared fixtures: the drivelab binary of this build (for export and TensorBoard) and small trained runs."""
import os
import subprocess
from pathlib import Path

import pytest

# render_mode="human" tests open SDL's invisible offscreen window, never a real one.
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")


def binary_path():
    path = os.environ.get("DRIVELAB_BIN", "")
    return path if path and Path(path).is_file() else None


@pytest.fixture(scope="session")
def drivelab_bin():
    path = binary_path()
    if not path:
        pytest.skip("DRIVELAB_BIN is not set to the drivelab binary (ctest sets it; built with LibTorch only)")
    return path


def train_run(drivelab_bin, run_dir, *overrides, timeout=600):
    """Trains a small run into run_dir with `drivelab train` and returns its folder."""
    cmd = [drivelab_bin, "train", f"--run-dir={run_dir}", "--no-progress", "--no-video", *overrides]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return Path(run_dir)
