"""Start-up stays light, every model picks its device the same way, and the run manifest says which.

No GPU here: device selection is tested with ``torch.cuda.is_available`` monkeypatched; what
a CUDA box would do beyond the choice (moving weights) is not exercised.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "sentence_transformers", "transformers", "lancedb", "lance", "sklearn", "umap", "cv2", "av",
         "fiftyone", "pandas", "pyarrow", "model2vec", "ray")


def _modules_after(code: str) -> set[str]:
    """Heavy modules loaded by ``code`` in a fresh interpreter (this checkout's src first)."""
    probe = code + f"\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return set(json.loads(res.stdout.strip().splitlines()[-1]))


def test_import_cli_loads_no_heavy_module():
    assert _modules_after("import videoaudit.cli") == set()


def test_help_loads_no_heavy_module():
    code = ("import sys, runpy\nsys.argv = ['videoaudit', '--help']\n"
            "try:\n    runpy.run_module('videoaudit.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n")
    assert _modules_after(code) == set()


def test_status_reads_without_lancedb_or_models(tmp_path):
    from videoaudit import Workspace

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.store.mark("ingest", ["v1", "v2"])
    ws.store.record_errors("signals", [("v1", None, "video v1: boom")])
    code = ("import sys, runpy\n"
            f"sys.argv = ['videoaudit', 'status', '-w', {str(tmp_path / 'ws')!r}]\n"
            "try:\n    runpy.run_module('videoaudit.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n")
    loaded = _modules_after(code)
    assert not loaded & {"torch", "sentence_transformers", "transformers", "lancedb", "sklearn", "umap", "cv2",
                         "av", "model2vec"}, loaded
    st = ws.status()
    assert st["tables"]["progress"] == 2 and st["stages"] == {"ingest": {"ok": 2}} and st["errors"] == {"signals": 1}
    assert st == ws.store.status() | {k: v for k, v in st.items() if k not in ("tables", "stages", "errors")}


def test_status_after_a_write_opens_no_table_until_the_next_write(tmp_path):
    from videoaudit import Workspace
    from videoaudit.status import SNAPSHOT, _read_tables, table_status

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    with ws.writing():
        ws.store.mark("ingest", ["v1", "v2"])
    assert (tmp_path / "ws" / SNAPSHOT).exists()  # left by the writer as it let go
    code = ("import sys, runpy\n"
            f"sys.argv = ['videoaudit', 'status', '-w', {str(tmp_path / 'ws')!r}]\n"
            "try:\n    runpy.run_module('videoaudit.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n")
    assert not _modules_after(code) & {"lance", "lancedb", "pandas", "torch"}
    assert table_status(ws.path) == _read_tables(ws.path)
    # a write nobody remembered (another tool, a killed run) adds a version file: the tables are read again
    ws.store.mark("signals", ["v1"])
    assert table_status(ws.path)["stages"] == {"ingest": {"ok": 2}, "signals": {"ok": 1}}
    (tmp_path / "ws" / SNAPSHOT).write_text("not json")  # a damaged snapshot is only a cache
    assert table_status(ws.path) == _read_tables(ws.path)


# -- device ---------------------------------------------------------------------------------
@pytest.fixture
def fake_gpu(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    return torch


def test_device_cpu_fp32_without_gpu(monkeypatch):
    import torch

    from videoaudit.models.device import half_dtype, pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == "cpu" and pick_device("auto") == "cpu"
    assert half_dtype("cpu") is torch.float32


def test_device_cuda_half_with_gpu(fake_gpu, monkeypatch):
    from videoaudit.models.device import half_dtype, pick_device
    from videoaudit.models.hf_vlm import choose_device, choose_dtype

    assert pick_device() == "cuda" and choose_device() == "cuda"
    assert pick_device("cpu") == "cpu" and choose_device("cpu") == "cpu"  # an explicit device wins
    assert half_dtype("cuda") is fake_gpu.bfloat16 and choose_dtype(None, "cuda") is fake_gpu.bfloat16
    monkeypatch.setattr(fake_gpu.cuda, "is_bf16_supported", lambda *a, **k: False)  # e.g. a T4
    assert half_dtype("cuda:0") is fake_gpu.float16


def test_device_goes_to_backends_that_take_one(fake_gpu):
    from videoaudit.models.device import with_device

    assert with_device(None, "cuda:1", "visual", "qwen3-vl-embedding") == {"device": "cuda:1"}
    assert with_device({"model": "m"}, "cuda", "grounding", "molmo2") == {"model": "m", "device": "cuda"}
    assert with_device({"device": "cpu"}, "cuda", "visual", "qwen3-vl-embedding") == {"device": "cpu"}
    assert with_device(None, "cuda", "visual", "appearance") is None  # weight-free: no device option
    assert with_device(None, "cuda", "opinion", "qwen3-vl") == {"device": "cuda"}
    assert with_device(None, "cuda", "opinion", "replay") is None
    assert with_device(None, None, "visual", "qwen3-vl-embedding") is None


def test_run_records_the_device_in_the_manifest(fake_gpu, sample6, tmp_path):
    from videoaudit import Workspace
    from videoaudit.manifest import read_manifest

    ws = Workspace(tmp_path / "ws", text_model="hashing")
    ws.ingest(sample6["paths"]["annotations"])
    ws.run(stages=["signals"])
    assert read_manifest(ws.path)["device"] == "cuda" and read_manifest(ws.path)["format_version"] == 1
    Workspace(tmp_path / "ws", text_model="hashing", device="cpu").run(stages=["signals"])
    assert read_manifest(ws.path)["device"] == "cpu"
    assert json.loads((ws.path / "manifest.json").read_text())["format_version"] == 1


def test_cli_device_option_overrides(fake_gpu, sample6, tmp_path):
    from typer.testing import CliRunner

    from videoaudit.cli import app
    from videoaudit.manifest import read_manifest

    ws = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(sample6["paths"]["annotations"]), "-w", str(ws)]).exit_code == 0
    res = runner.invoke(app, ["run", "-w", str(ws), "--text", "hashing", "--device", "cpu", "--transcript", "none",
                              "--visual", "none", "--grounding", "none"])
    assert res.exit_code == 0, res.output
    assert read_manifest(ws)["device"] == "cpu"


# -- the static text model ------------------------------------------------------------------------
@pytest.mark.slow
def test_static_model_is_distilled_once_and_embeds_meaning():
    """minilm-static: built from the local MiniLM on first use (minutes, once per cache dir)."""
    from videoaudit.models import get
    from videoaudit.models.static import distilled_path

    emb = get("text", "minilm-static")
    assert (distilled_path() / "model.safetensors").exists()
    v = emb.embed(["a man whisks eggs in a bowl", "someone beats eggs in a bowl", "a red car drives down a road",
                   "a man whisks eggs in a bowl"])
    assert v.shape == (4, emb.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v[0], v[3])
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert emb.embed([]).shape == (0, emb.dim)


# -- the text cache -----------------------------------------------------------------------------
class _Counting:
    """A real embedder (hashing) that counts the texts it is asked for."""

    def __init__(self):
        from videoaudit.models.hashing import HashingEmbedder

        self.inner = HashingEmbedder()
        self.name, self.dim, self.asked = "counting-hashing", self.inner.dim, []

    def embed(self, texts):
        self.asked += list(texts)
        return self.inner.embed(texts)


def test_text_cache_embeds_each_text_once_and_survives_a_new_process(tmp_path):
    from videoaudit.models.text_cache import CachedEmbedder, text_key

    inner = _Counting()
    c = CachedEmbedder(inner, tmp_path / "ws")
    texts = ["a man whisks eggs", "someone beats eggs", "a man whisks eggs"]
    first = c.embed(texts)
    assert inner.asked == ["a man whisks eggs", "someone beats eggs"]
    assert np.array_equal(first, inner.inner.embed(texts))  # identical vectors, duplicates included
    again = c.embed(["someone beats eggs", "a new text"])
    assert inner.asked[2:] == ["a new text"] and np.array_equal(again[0], first[1])
    fresh_inner = _Counting()
    fresh = CachedEmbedder(fresh_inner, tmp_path / "ws")  # another process: the table, not memory
    assert np.array_equal(fresh.embed(texts), first) and fresh_inner.asked == []
    assert text_key("a", "b") != text_key("ab", "") and len(text_key("m", "t")) == 32
    assert c.embed([]).shape == (0, c.dim)


def test_text_vectors_do_not_depend_on_what_shares_their_batch():
    """The local and Ray engines batch different texts together; each vector must be the text's own."""
    from videoaudit.models import get
    from videoaudit.models.text import padded_length

    emb = get("text", "minilm")
    rng = np.random.default_rng(0)
    words = "a man woman whisks beats eggs bowl kitchen slowly then pours batter into pan while talking".split()
    texts = [" ".join(rng.choice(words, size=int(n))) for n in rng.integers(2, 60, size=40)]
    texts.append("word " * 400)  # truncated at the model's cap
    alone = np.stack([emb.embed([t])[0] for t in texts])
    together = emb.embed(texts)
    order = rng.permutation(len(texts))
    shuffled = np.empty_like(together)
    shuffled[order] = emb.embed([texts[i] for i in order])
    assert np.array_equal(alone, together) and np.array_equal(together, shuffled)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # the padding changes the vector by float noise only, not its meaning
    plain = emb.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(plain - together).max() < 1e-5
    assert [padded_length(n, 128) for n in (1, 8, 9, 127, 500)] == [8, 8, 16, 128, 128]
