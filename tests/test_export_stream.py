"""The exports' streamed reads (export/stream.py): the review-queue order from spilled, merged runs
equals one stable sort of the whole map, and the exporters read the tables a bounded chunk at a time."""

from __future__ import annotations

import lance
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from videoaudit.export import stream


def _keys_dataset(tmp_path, n: int, seed: int = 0, risk: bool = True):
    """A Lance dataset of ``n`` review-queue keys with many ties, NaNs and nulls, in 3 fragments."""
    rng = np.random.default_rng(seed)
    conf = rng.choice([0.1, 0.2, 0.5, np.nan], size=n).astype(float)
    cols = {
        "video_id": pa.array([f"v{int(x)}" if x else None for x in rng.integers(0, 4, n)], pa.string()),
        "start": pa.array(rng.choice([0.0, 1.0, 2.0], size=n), pa.float64()),
        "confidence": pa.array(conf, pa.float64(), mask=rng.random(n) < 0.1),
        "tier": pa.array(rng.choice(["trusted", "uncertain", "unverified", "review", "reviewed-ok",
                                     "reviewed-wrong"], size=n), pa.string()),
    }
    if risk:
        cols["risk"] = pa.array(rng.choice([0.0, 1.0, np.nan], size=n), pa.float64(), mask=rng.random(n) < 0.1)
    t = pa.table(cols)
    uri = str(tmp_path / f"keys{seed}.lance")
    lance.write_dataset(t, uri, max_rows_per_file=max(1, n // 3))
    return lance.dataset(uri), t


def _reference(t: pa.Table, min_tier: str | None) -> list[int]:
    """One stable sort of the whole table (the order the exports had before streaming), kept tiers only."""
    tie = [("risk", "descending")] if "risk" in t.column_names else []
    order = pc.sort_indices(t, sort_keys=[("confidence", "ascending"), *tie, ("video_id", "ascending"),
                                          ("start", "ascending")])
    if min_tier is not None:
        mask = pc.fill_null(pc.is_in(t.column("tier"), value_set=stream.kept_tiers(min_tier)), False)
        order = pc.filter(order, pc.take(mask, order))
    return order.to_pylist()


@pytest.mark.parametrize("risk", [True, False])
def test_spilled_runs_merge_into_the_order_of_one_stable_sort(tmp_path, monkeypatch, risk):
    monkeypatch.setattr(stream, "MERGE_ROWS", 7)  # tiny runs, batches and fan-in: every merge path runs
    monkeypatch.setattr(stream, "FAN_IN", 3)
    ds, t = _keys_dataset(tmp_path, 1000, seed=1, risk=risk)
    for run_rows in (50, 130, 1000, 5000):  # 20 runs (two merge levels), 8 runs, one run exactly, one run
        for min_tier, filt in ((None, False), ("uncertain", True), ("trusted", True)):
            got = np.concatenate(list(stream.queue_order(ds, min_tier or "review", filt, run_rows=run_rows)))
            assert got.tolist() == _reference(t, min_tier), (run_rows, min_tier)
    for k in (0, 1, 9, 999, 1000, 2000):
        assert stream.queue_head(ds, k, batch_rows=64).tolist() == _reference(t, None)[:k]


def test_spilled_runs_are_removed(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    ds, _ = _keys_dataset(tmp_path, 300)
    it = stream.queue_order(ds, "review", False, run_rows=40)
    next(it)
    assert any((tmp_path / "tmp").iterdir())  # runs spilled while the export reads
    it.close()  # an export stopped early (an error, a closed pipe) leaves nothing behind
    assert not any((tmp_path / "tmp").iterdir())
    assert len(np.concatenate(list(stream.queue_order(ds, "review", False, run_rows=40)))) == 300
    assert not any((tmp_path / "tmp").iterdir())


# ------------------------------------------------------------------ the exporters read in bounded chunks

#: columns a read may return for every row at once: the sort keys and ids (a few bytes a row)
KEY_COLUMNS = {"video_id", "segment_id", "confidence", "risk", "start", "tier", stream.POS}
VIDEOS, SEGMENTS_PER_VIDEO = 8, 11
#: tables whose rows carry the texts and signals (what must never be read whole), and the most rows a
#: read of them may return with the chunks shrunk as the test does: 4 records, the segments of 2 videos
MAX_READ = {"confidence": 4, "segments": 2 * SEGMENTS_PER_VIDEO, "videos": 2}


class ReadSpy:
    """Records every read of a workspace table, at the two libraries' read calls: (table, columns, rows)."""

    def __init__(self):
        self.reads: list[tuple[str, tuple[str, ...], int]] = []

    def record(self, name: str, t) -> None:
        name = str(name).rstrip("/").rsplit("/", 1)[-1].removesuffix(".lance")
        self.reads.append((name, tuple(t.schema.names), t.num_rows))

    def too_big(self, max_rows: dict[str, int]) -> list[tuple[str, tuple[str, ...], int]]:
        """Reads of a table of ``max_rows`` that returned more rows than it says, with a non-key column."""
        return [r for r in self.reads if r[2] > max_rows.get(r[0], r[2]) and set(r[1]) - KEY_COLUMNS]


def wrap_reads(monkeypatch, spy: ReadSpy) -> None:
    """Make ``spy`` record pylance's take / to_table / to_batches and LanceDB's table and query ``to_arrow``."""
    import lancedb.query
    import lancedb.table

    def wrap(cls, meth, name_of, batches=False):
        orig = getattr(cls, meth)

        def spied(self, *a, **kw):
            out = orig(self, *a, **kw)
            if not batches:
                spy.record(name_of(self), out)
                return out

            def gen():
                for rb in out:
                    spy.record(name_of(self), rb)
                    yield rb
            return gen()

        monkeypatch.setattr(cls, meth, spied)

    wrap(lance.LanceDataset, "take", lambda ds: ds.uri)
    wrap(lance.LanceDataset, "to_table", lambda ds: ds.uri)
    wrap(lance.LanceDataset, "to_batches", lambda ds: ds.uri, batches=True)
    wrap(lancedb.table.LanceTable, "to_arrow", lambda t: t.name)
    for cls in (lancedb.query.LanceEmptyQueryBuilder, lancedb.query.LanceQueryBuilder):
        wrap(cls, "to_arrow", lambda q: q._table.name)


@pytest.fixture
def read_spy(monkeypatch):
    spy = ReadSpy()
    wrap_reads(monkeypatch, spy)
    return spy


@pytest.fixture(scope="module")
def queue_ws(tmp_path_factory):
    """8 audited videos of 11 segments each, texts of a few kB, one review decision."""
    from conftest import write_jsonl

    from videoaudit.api import Workspace

    tmp = tmp_path_factory.mktemp("stream")
    text = "word " * 800
    segs = [{"id": "r", "start": 0, "end": 20, "summary_brief": "a cook " + text, "summary_detailed": text,
             "action_brief": "cook", "action_detailed": text, "actor": "a cook"}]
    segs += [{"id": f"c{i}", "parent": "r", "start": 2 * i, "end": 2 * i + 2, "summary_brief": f"step {i} " + text,
              "summary_detailed": text, "action_brief": "chop", "action_detailed": text, "actor": "a cook"}
             for i in range(SEGMENTS_PER_VIDEO - 1)]
    src = write_jsonl(tmp / "in.jsonl", [{"video_id": f"v{v}", "title": f"video {v} " + text, "segments": segs,
                                           "transcript": [{"start": 1, "text": text}]} for v in range(VIDEOS)])
    ws = Workspace(tmp / "ws", text_model="hashing")
    ws.ingest(src, format="jsonl")
    ws.run(stages=["signals", "confidence"])
    q = ws.review_queue(1).to_pylist()[0]
    ws.review(q["video_id"], q["segment_id"], verdict="fixed", field="actor", text="a baker")
    return ws


def test_exports_read_the_tables_in_bounded_chunks(queue_ws, read_spy, monkeypatch, tmp_path):
    """Every export reads the texts and signals a chunk of rows at a time (chunks shrunk here to 4 rows,
    2 videos, runs of 16 keys), whatever the table's size: a whole-table read anywhere in the path fails.
    Cheap where an RSS ceiling is not: it counts rows, so it discriminates at any test size."""
    from videoaudit.export import action100m

    monkeypatch.setattr(stream, "MAX_ROWS", 4)
    monkeypatch.setattr(stream, "RUN_ROWS", 16)
    monkeypatch.setattr(action100m, "MAX_VIDEOS", 2)
    ws = queue_ws
    n = ws.store.count("confidence")
    assert n == VIDEOS * SEGMENTS_PER_VIDEO
    for fmt in ("jsonl", "parquet", "csv", "action100m"):
        for apply in (False, True):
            read_spy.reads.clear()
            ws.export(tmp_path / f"x-{apply}.{fmt}", format=fmt, apply_reviews=apply)
            assert read_spy.reads, "the spy saw no read: it no longer wraps the read path"
            assert not read_spy.too_big(MAX_READ), (fmt, apply, read_spy.too_big(MAX_READ))
    lines = (tmp_path / "x-True.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == n  # everything exported, a chunk at a time
    read_spy.reads.clear()
    top = ws.review_queue(3)
    assert top.num_rows == 3 and not read_spy.too_big({"confidence": 3}), read_spy.reads
