"""The Ray Data engine (pipeline/ray_engine.py) against the local engine, on a local 2-CPU Ray cluster.

Every table of a run with media must equal the local engine's; a video whose media is broken is
recorded and the others go on; a second run skips finished videos.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from golden_tables import _table_names, canonical, diff

N_VIDEOS = 4
#: fast, deterministic lens and signal settings; the transcript lens (MiniLM) is the model stage
#: that runs in an actor pool, the hashing signals and the weight-free pixel lenses run as tasks
RUN = {"map_method": "pca", "grounding": None}


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict:
    from videoaudit.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("ray-sample"), videos=N_VIDEOS, seed=5, media=True)


def _workspace(path, info, media=None):
    from videoaudit import Workspace

    ws = Workspace(path, text_model="hashing")
    ws.ingest(info["paths"]["annotations"], format="action100m", media=media or info["paths"]["videos"])
    ws.import_opinions(info["paths"]["opinions"], source="simulated-annotator")
    return ws


@pytest.mark.slow
def test_ray_tables_equal_local_and_resume_skips(ray_cluster, sample, tmp_path):
    local = _workspace(tmp_path / "local", sample)
    local.run(**RUN)
    ray_ws = _workspace(tmp_path / "ray", sample)
    reports = ray_ws.run(engine="ray", **RUN)
    assert {k: (r.done, len(r.failed)) for k, r in reports.items() if k != "lenses"} == {
        s: (N_VIDEOS, 0) for s in ("pixels", "transcript", "signals", "lens_signals", "confidence")}

    names = _table_names(local)
    assert names == _table_names(ray_ws)
    assert {"media", "thumbnails", "embeddings_visual", "embeddings_transcript", "signals", "confidence"} <= set(names)
    assert all(local.store.count(n) for n in ("media", "embeddings_visual", "embeddings_transcript", "confidence"))
    problems = []
    for name in names:
        got = canonical(ray_ws.store.read(name), tmp_path / "ray")
        want = canonical(local.store.read(name), tmp_path / "local")
        problems += diff(name, got, want)
    assert not problems, "\n".join(problems)

    before = {n: ray_ws.store.count(n) for n in names if n != "progress"}
    again = ray_ws.run(engine="ray", **RUN)
    assert all(r.done == 0 and r.skipped == N_VIDEOS for r in again.values()), again
    assert {n: ray_ws.store.count(n) for n in before} == before  # nothing rewritten, nothing duplicated


@pytest.mark.slow
def test_ray_isolates_a_broken_video_and_resumes(ray_cluster, sample, tmp_path):
    media = tmp_path / "videos"
    shutil.copytree(sample["paths"]["videos"], media)
    ws = _workspace(tmp_path / "ws", sample, media=media)
    ids = ws.video_ids()
    broken = ids[1]
    path = ws.store.read("videos", [broken], columns=["media_path"]).column("media_path")[0].as_py()
    with open(path, "wb") as fh:
        fh.write(b"not a video at all" * 64)

    rep = ws.run(engine="ray", stages=["pixels"], **RUN)["pixels"]
    assert rep.done == N_VIDEOS - 1 and list(rep.failed) == [broken]
    assert broken in rep.failed[broken]  # the one line names the video
    assert sorted(ws.store.read("media").column("video_id").to_pylist()) == sorted(v for v in ids if v != broken)
    assert ws.store.finished("pixels") == set(ids) - {broken}
    errors = ws.store.read("errors", where="stage = 'pixels'")
    assert errors.column("video_id").to_pylist() == [broken]

    again = ws.run(engine="ray", stages=["pixels"], **RUN)["pixels"]  # finished skipped, the broken one retried
    assert (again.done, again.skipped, list(again.failed)) == (0, N_VIDEOS - 1, [broken])
    assert ws.store.count("media") == N_VIDEOS - 1


def test_engine_options_are_checked(tmp_path, monkeypatch):
    from videoaudit.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["run", "-w", str(tmp_path / "ws"), "--engine", "spark"])
    assert res.exit_code == 2 and "unknown engine 'spark'" in res.output
    res = runner.invoke(app, ["run", "-w", str(tmp_path / "ws"), "--ray-address", "auto"])
    assert res.exit_code == 2 and "--ray-address needs --engine ray" in res.output
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    res = runner.invoke(app, ["run", "-w", str(tmp_path / "ws"), "--engine", "ray"])
    assert res.exit_code == 1
    assert res.output.strip().splitlines()[-1] == "error: the ray engine needs `pip install videoaudit[ray]`"
    assert not (tmp_path / "ws").exists()  # refused before a workspace was made


def test_help_does_not_import_ray():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom videoaudit.cli import app\n"
            "assert CliRunner().invoke(app, ['run', '--help']).exit_code == 0\n"
            "print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_ray_model_that_cannot_load_stops_the_stage_like_local(ray_cluster, sample, tmp_path):
    """``setup()`` fails (a model folder that does not exist): both engines raise, nothing is marked done."""
    from videoaudit.pipeline import LocalEngine
    from videoaudit.pipeline.ray_engine import RayEngine, StageSetupError
    from videoaudit.signals.stage import signals_stage

    ws = _workspace(tmp_path / "ws", sample)
    missing = str(tmp_path / "no-such-text-model")
    stage = signals_stage(missing)
    assert stage.resources.uses_model  # a sentence-transformers path: the actor-pool path
    with pytest.raises(FileNotFoundError, match="no-such-text-model"):
        LocalEngine(ws.store).run(stage)
    with pytest.raises(StageSetupError, match="stage signals: a worker could not set it up: "
                                              "FileNotFoundError: .*no-such-text-model") as err:
        RayEngine(ws.store).run(stage)
    assert "\n" not in str(err.value)  # one line
    assert not ws.store.finished("signals") and not ws.store.count("signals")
