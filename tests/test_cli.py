"""The ``videoaudit`` command line, end to end through typer's CliRunner (in process)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conftest import read_jsonl
from videoaudit.cli import app

# a wide terminal so rich never wraps the lines we look for
runner = CliRunner(env={"COLUMNS": "200", "HF_HUB_OFFLINE": "1", "NO_COLOR": "1"})


def _ok(args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, f"{args}: exit {res.exit_code}\n{res.output}\n{res.exception!r}"
    return res.output


@pytest.fixture(scope="module")
def cli_ws(tmp_path_factory):
    """sample -> ingest -> opinions import -> run, each through the CLI; returns paths and outputs."""
    root = tmp_path_factory.mktemp("cli")
    out, ws = root / "sample", root / "ws"
    outputs = {"sample": _ok(["sample", out, "--videos", 3, "--no-media", "--seed", 4])}
    outputs["ingest"] = _ok(["ingest", out / "annotations.parquet", "--workspace", ws])
    outputs["opinions"] = _ok(["opinions", "import", out / "opinions.jsonl", "-w", ws, "--source", "simulated-annotator"])
    outputs["run"] = _ok(["run", "--workspace", ws])
    return {"root": root, "sample": out, "ws": ws, "out": outputs}


def test_sample(cli_ws):
    text = cli_ws["out"]["sample"]
    info = json.loads(text[text.index("{"):])
    assert info["videos"] == 3 and info["seed"] == 4
    assert info["paths"]["videos"] is None
    sample = cli_ws["sample"]
    assert (sample / "annotations.parquet").is_file() and (sample / "opinions.jsonl").is_file()
    assert (sample / "truth.jsonl").is_file() and not (sample / "videos").exists()


def test_ingest_opinions_run_output(cli_ws):
    from videoaudit.api import Workspace

    out = cli_ws["out"]
    ws = Workspace(cli_ws["ws"])
    n_seg = ws.store.count("segments")
    assert f"ingested 3 videos, {n_seg} segments; skipped 0 already present; rejected 0" in out["ingest"]
    n_op = len(read_jsonl(cli_ws["sample"] / "opinions.jsonl"))
    assert f"imported {n_op} opinions for 3 videos; 0 errors" in out["opinions"]
    assert "signals: 3 done, 0 already finished, 0 failed" in out["run"]
    assert "confidence: 3 done, 0 already finished, 0 failed" in out["run"]
    assert "media:" not in out["run"]  # no media given
    audited = sum(ws.table("segments").column("has_gpt").to_pylist())
    assert ws.confidence_map().num_rows == audited > 0


def test_ingest_again_skips_and_run_again_resumes(cli_ws):
    ws = cli_ws["ws"]
    out = _ok(["ingest", cli_ws["sample"] / "annotations.parquet", "-w", ws])
    assert "ingested 0 videos, 0 segments; skipped 3 already present" in out
    out = _ok(["run", "-w", ws])
    assert "signals: 0 done, 3 already finished, 0 failed" in out


def test_status(cli_ws):
    out = _ok(["status", "--workspace", cli_ws["ws"]])
    for table in ("videos", "segments", "opinions", "signals", "confidence", "progress"):
        assert re.search(rf"\b{table}\b", out), table
    assert re.search(r"\bvideos\s*│\s*3\b", out)
    for stage in ("ingest", "signals", "confidence"):
        assert re.search(rf"\b{stage}\s*│\s*3\s*│\s*0\b", out), (stage, out)
    assert "errors recorded" not in out


def test_export_jsonl(cli_ws):
    from videoaudit.api import Workspace

    dest = cli_ws["root"] / "exports" / "review.jsonl"
    out = _ok(["export", "-w", cli_ws["ws"], "-f", "jsonl", "-o", dest])
    assert "wrote" in out and dest.name in out
    recs = read_jsonl(dest)
    assert len(recs) == Workspace(cli_ws["ws"]).confidence_map().num_rows
    confs = [r["confidence"] for r in recs]
    assert confs == sorted(confs)
    from videoaudit.export.records import EVIDENCE_FIELDS

    assert set(recs[0]) == {"video_id", "segment_id", "level", "start", "end", "confidence", "tier", "reasons",
                            "signals", *EVIDENCE_FIELDS}


def test_report(cli_ws):
    dest = cli_ws["root"] / "report.html"
    out = _ok(["report", "-w", cli_ws["ws"], "-o", dest, "--truth", cli_ws["sample"] / "truth.jsonl"])
    assert "report:" in out and dest.name in out
    html = dest.read_text(encoding="utf-8")
    for section in ("summary", "review-queue", "faults"):
        assert f'id="{section}"' in html


def test_ingest_missing_file(tmp_path):
    missing = tmp_path / "nope.parquet"
    res = runner.invoke(app, ["ingest", str(missing), "-w", str(tmp_path / "ws")])
    assert res.exit_code != 0
    assert "does not exist" in res.output and "nope.parquet" in res.output
    assert not (tmp_path / "ws").exists()  # nothing created for a bad command


def test_export_unknown_format(cli_ws, tmp_path):
    res = runner.invoke(app, ["export", "-w", str(cli_ws["ws"]), "-f", "nope", "-o", str(tmp_path / "x.out")])
    assert res.exit_code != 0
    assert "nope" in res.output, res.output  # the message names the bad format ...
    assert "jsonl" in res.output  # ... and the valid ones
    assert not isinstance(res.exception, ValueError), "a user error should be a message, not a traceback"
    assert not (tmp_path / "x.out").exists()


def test_no_args_shows_help():
    res = runner.invoke(app, [])
    assert "ingest" in res.output and "export" in res.output


def test_ingest_unknown_format(cli_ws, tmp_path):
    res = runner.invoke(app, ["ingest", str(cli_ws["sample"] / "annotations.parquet"), "-f", "csv",
                              "-w", str(tmp_path / "ws")])
    assert res.exit_code != 0 and not isinstance(res.exception, ValueError)
    assert "csv" in res.output and "action100m" in res.output
    assert not (tmp_path / "ws").exists()
