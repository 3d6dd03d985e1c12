"""Every `drivelab train` run writes TensorBoard events that TensorBoard's own reader reads back."""
import csv

import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from conftest import train_run  # noqa: E402


def test_tensorboard_reads_the_metrics_config_and_curve_of_a_run(drivelab_bin, tmp_path):
    run = train_run(drivelab_bin, tmp_path / "run", "train.total_steps=1024", "train.num_envs=4", "agent.ppo.num_steps=64",
                    "train.eval_every_steps=512", "train.eval_episodes=1", "env.max_steps=100", "env.preset=easy")
    events = list(run.glob("events.out.tfevents.*"))
    assert len(events) == 1
    acc = EventAccumulator(str(run), size_guidance={"scalars": 0, "tensors": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()

    with open(run / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    names = {row["name"] for row in rows}
    assert {"charts/SPS", "losses/policy", "losses/value"} <= names
    assert set(tags["scalars"]) == names
    for name in names:
        csv_points = [(int(r["step"]), float(r["value"])) for r in rows if r["name"] == name]
        tb_points = [(e.step, e.value) for e in acc.Scalars(name)]
        assert [s for s, _ in tb_points] == [s for s, _ in csv_points], name
        for (_, a), (_, b) in zip(tb_points, csv_points):
            assert a == pytest.approx(b, rel=1e-6, abs=1e-6), name  # float32 in the event file

    assert "config" in tags["tensors"]
    config_text = acc.Tensors("config")[0].tensor_proto.string_val[0].decode()
    assert "preset: easy" in config_text and "total_steps: 1024" in config_text
    assert "learning_curve" in tags["images"]
    image = acc.Images("learning_curve")[-1]
    assert image.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n" and image.width > 0 and image.height > 0
