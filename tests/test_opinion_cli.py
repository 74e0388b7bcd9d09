"""`videoaudit opinions run`, `videoaudit run --second-opinion`, status and report, through the CLI."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from videoaudit.cli import app

runner = CliRunner(env={"COLUMNS": "200", "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})


def _ok(args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, f"{args}: exit {res.exit_code}\n{res.output}\n{res.exception!r}"
    return res.output


def test_opinions_run_and_cascade_cli(sample6, tmp_path):
    ws = tmp_path / "ws"
    ops = sample6["paths"]["opinions"]
    _ok(["ingest", sample6["paths"]["annotations"], "-w", ws])
    out = _ok(["opinions", "run", "-w", ws, "--backend", "replay", "--task", "localize", "--opt", f"path={ops}",
               "--source", "simulated-annotator"])
    assert re.search(r"opinions/simulated-annotator/localize: 6 videos answered \(\d+ opinions stored\)", out)
    bad = runner.invoke(app, ["opinions", "run", "-w", str(ws), "--backend", "replay", "--task", "describe",
                              "--only", "uncertain:2"])
    assert bad.exit_code != 0
    bad = runner.invoke(app, ["opinions", "run", "-w", str(ws), "--backend", "nope", "--task", "describe"])
    assert bad.exit_code == 1 and "no opinion backend named 'nope'" in bad.output
    out = _ok(["run", "-w", ws, "--text", "hashing", "--second-opinion", "replay", "--second-opt", f"path={ops}",
               "--budget", "0.5", "--second-source", "sim2"])
    assert "cascade: model calls: 6 spent of 12" in out and "6 avoided" in out
    assert "is REPLAYED from a file, not a model run here" in out  # a replayed source says so
    assert "cascade (sim2 budget 0.5" in _ok(["status", "-w", ws])
    html = (tmp_path / "r.html")
    _ok(["report", "-w", ws, "--out", html])
    text = html.read_text()
    assert 'id="verdicts"' in text and "Model calls: 6 spent of 12" in text
    assert "the second opinion (sim2) is REPLAYED from a file" in text and "no model ran" in text
