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
