"""What a new user hits first: format inference, ingest warnings, flag messages, offline cascade,
terminal width, hub progress bars."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_jsonl

runner = CliRunner()
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _generic(tmp_path) -> Path:
    return write_jsonl(tmp_path / "x.jsonl", [
        {"video_id": "v1", "title": "Making tea", "colour": "green", "segments": [
            {"id": "s1", "start": 0, "end": 10, "summary_brief": "A person makes tea."},
            {"id": "s2", "parent": "s1", "start": 0, "end": 5, "summary_brief": "Boils the water."}]},
        {"video_id": "v2", "segments": [{"id": "a", "start": 0, "end": 4, "summary_brief": "Someone pours."}],
         "extra": 1},
    ])


def test_ingest_infers_the_format_and_shows_warnings(tmp_path, sample6):
    from videoaudit.cli import app

    path = _generic(tmp_path)
    r = runner.invoke(app, ["ingest", str(path), "-w", str(tmp_path / "ws")])
    assert r.exit_code == 0, r.output
    assert "ingested 2 videos" in r.output and "(format jsonl)" in r.output and "rejected 0" in r.output
    # the warnings are shown, counted by kind, not only counted
    assert "warnings 2" in r.output and "unknown field(s) kept in metadata (2)" in r.output
    assert "warning video v1: unknown field(s) kept in metadata: colour" in r.output
    # the release parquet is recognised too
    r = runner.invoke(app, ["ingest", str(sample6["paths"]["annotations"]), "-w", str(tmp_path / "ws2")])
    assert r.exit_code == 0 and "(format action100m)" in r.output
    # an explicit format the content contradicts says which one fits, before anything is read
    r = runner.invoke(app, ["ingest", str(path), "--format", "action100m", "-w", str(tmp_path / "ws3")])
    assert r.exit_code == 2 and "looks like --format jsonl" in r.output and "rejected video None" not in r.output
    assert not (tmp_path / "ws3").exists()
    odd = write_jsonl(tmp_path / "odd.jsonl", [{"id": 1, "caption": "x"}])
    r = runner.invoke(app, ["ingest", str(odd), "-w", str(tmp_path / "ws4")])
    assert r.exit_code == 2 and "--format action100m needs video_uid and nodes" in r.output
    assert "--format jsonl needs video_id and segments" in r.output


def test_missing_media_folder_is_an_error(tmp_path, sample6):
    from videoaudit.api import Workspace
    from videoaudit.cli import app

    r = runner.invoke(app, ["ingest", str(sample6["paths"]["annotations"]), "--media", str(tmp_path / "none"),
                            "-w", str(tmp_path / "ws")])
    assert r.exit_code == 2 and "no such folder" in r.output and not (tmp_path / "ws").exists()
    with pytest.raises(ValueError, match="no such folder"):
        Workspace(tmp_path / "ws5").ingest(sample6["paths"]["annotations"], media=tmp_path / "none")


def test_warning_kinds():
    from videoaudit.ingest.warnings import WarningTally, kind

    assert kind("video abc: media not found: /x/abc.mp4") == "media not found"
    assert kind("video a: node n1: unparseable level 'x', derived") == "unparseable level …, derived"
    t = WarningTally()
    t.add([f"video v{i}: media not found: /m/v{i}.mp4" for i in range(7)])
    assert t.kinds == {"media not found": 7} and len(t.examples) == 5


def test_grounding_people_without_second_opinion_names_its_flag(tmp_path):
    from videoaudit.cli import app

    r = runner.invoke(app, ["run", "-w", str(tmp_path / "ws"), "--grounding", "people"])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "needs --second-opinion" in out and "--second-opinion imported" in out and "motion" in out


@pytest.mark.slow
def test_offline_cascade_on_imported_opinions_with_people_grounding(audited_media, tmp_path):
    """--second-opinion imported: the opinions already in the workspace, no endpoint; people grounds."""
    from videoaudit.api import Workspace
    from videoaudit.cli import app

    shutil.copytree(audited_media.ws.path, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    before = ws.store.read("opinions")
    r = runner.invoke(app, ["run", "-w", str(ws.path), "--second-opinion", "imported", "--grounding", "people",
                            "--budget", "0.5", "--visual", "none", "--transcript", "none"])
    assert r.exit_code == 0, r.output
    assert "cascade: model calls" in r.output and "verdicts:" in r.output
    from videoaudit.manifest import section

    summary = section(ws.path, "cascade")
    assert summary["second"] == "simulated-annotator" and summary["grounding"] == "people"
    after = ws.store.read("opinions")
    sim = [o for o in after.to_pylist() if o["source"] == "simulated-annotator"]
    assert len(sim) == sum(1 for o in before.to_pylist() if o["source"] == "simulated-annotator")  # no duplicates
    assert ws.store.count("verdicts") > 0
    r = runner.invoke(app, ["run", "-w", str(ws.path), "--second-opinion", "imported", "--second-opt",
                            "source=nobody", "--visual", "none", "--transcript", "none"])
    assert r.exit_code == 1 and "no opinions of source 'nobody'" in r.output


def test_help_is_not_cut_off_a_terminal(tmp_path):
    """Piped (not a terminal): help uses a wide page instead of cutting at 80 columns."""
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("COLUMNS", None)
    env.pop("TERMINAL_WIDTH", None)
    out = subprocess.run([sys.executable, "-m", "videoaudit.cli", "run", "--help"], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    assert "any sentence-transformers model id/path" in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_no_hub_loading_bar(tmp_path):
    env = {**os.environ, "PYTHONPATH": SRC, "HF_HUB_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-c", "from videoaudit.models import get; print(get('text', 'minilm')"
                        ".embed(['a cook']).shape)"], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "(1, 384)" in p.stdout and "Loading weights" not in p.stderr + p.stdout


@pytest.mark.slow
def test_terminal_width_in_tmux(tmp_path):
    """On a real terminal rich measures it: a 100-column tmux pane gets help wrapped at 100, not cut."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux not installed")
    sock = f"va-{os.getpid()}"
    out = tmp_path / "help.txt"
    cmd = (f"env -u TERMINAL_WIDTH -u COLUMNS PYTHONPATH={SRC} {sys.executable} -m videoaudit.cli run --help "
           f"> /dev/tty; "
           f"tmux -L {sock} capture-pane -p -J > {out}; tmux -L {sock} wait-for -S done")
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "100", "-y", "200", cmd], check=True)
    try:
        subprocess.run(["tmux", "-L", sock, "wait-for", "done"], timeout=120, check=True)
        text = out.read_text()
        assert "Usage:" in text and "--workspace" in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 100
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
