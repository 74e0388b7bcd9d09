"""The review queue's order: the one home of "what should a person look at next".

Lowest confidence first, ties broken by the strength of the evidence of a fault (``risk``),
then video and start. Two more rules serve the review loop:

* decided segments (tier ``reviewed-*``) go last: they need no second look;
* every :data:`EXPLORE_EVERY`-th place goes to the undecided segment whose confidence is
  nearest :data:`BOUNDARY`, where the map cannot tell right from wrong. The top of a pure
  lowest-first queue is almost only faults, so a person working it gives the refit
  (review/learn.py) one class to learn from; a segment at the boundary is the decision that
  teaches it most (uncertainty sampling, as in active learning). Exploring costs the reviewer
  one place in five, and the table says which places those are (``queued_for``).

Exports and the report keep the plain order (:func:`sort_keys`; ``explore=False``): a file of
the map is not a work list.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EXPLORE_EVERY = 5  # one place in five teaches the refit; the other four are the likeliest faults
BOUNDARY = 0.5  # confidence where "right" and "wrong" are equally likely
DECIDED = ("reviewed-ok", "reviewed-wrong")
LOWEST = "lowest confidence"
EXPLORE = "uncertain: deciding it teaches the refit most"
REVIEWED = "already reviewed"
KEY_COLUMNS = ("confidence", "risk", "video_id", "start", "tier")


def sort_keys(names, position: str | None = None) -> list[tuple[str, str]]:
    """The plain order over a table with columns ``names``: confidence up, risk down (stronger
    evidence of a fault first), video, start, then ``position`` when given (a stable sort)."""
    tie = [("risk", "descending")] if "risk" in names else []
    return [("confidence", "ascending"), *tie, ("video_id", "ascending"), ("start", "ascending"),
            *([(position, "ascending")] if position else [])]


def _sort(keys: pa.Table, first: pa.Array | None = None) -> np.ndarray:
    """Stable sort by (``first`` when given, then) :func:`sort_keys`."""
    t = keys if first is None else keys.append_column("_first", first)
    lead = [] if first is None else [("_first", "ascending")]
    order = pc.sort_indices(t, sort_keys=[*lead, *sort_keys(keys.column_names)])
    return order.to_numpy(zero_copy_only=False).astype(np.int64)


def queue_order(keys: pa.Table, explore: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(row positions of ``keys`` in queue order, why each is there: :data:`LOWEST` |
    :data:`EXPLORE` | :data:`REVIEWED`). ``keys`` holds the confidence table's
    :data:`KEY_COLUMNS` (``risk`` and ``tier`` optional). ``explore=False``: the plain order of
    :func:`sort_keys` (the exports' and the report's), decided segments where their confidence
    puts them."""
    n = keys.num_rows
    tiers = keys.column("tier") if "tier" in keys.column_names else pa.nulls(n, pa.string())
    decided = pc.fill_null(pc.is_in(tiers, value_set=pa.array(DECIDED, pa.string())), False)
    decided = decided.to_numpy(zero_copy_only=False)
    if not explore:
        order = _sort(keys)
        return order, np.where(decided[order], REVIEWED, LOWEST).astype(object)
    conf = keys.column("confidence").to_numpy(zero_copy_only=False).astype(float)
    order = _sort(keys, pa.array(decided))
    open_ = ~decided & ~np.isnan(conf)
    slots = np.arange(EXPLORE_EVERY - 1, int(open_.sum()), EXPLORE_EVERY)
    if not len(slots):
        return order, np.where(decided[order], REVIEWED, LOWEST).astype(object)
    near = np.where(open_, np.abs(np.nan_to_num(conf) - BOUNDARY), np.inf)
    # the same order with the distance to the boundary in place of the confidence (ties as usual)
    picks = _sort(keys.select([c for c in keys.column_names if c != "confidence"]).append_column(
        "confidence", pa.array(near)))[:len(slots)]
    rest = order[~np.isin(order, picks)]
    out = np.empty(n, np.int64)
    mask = np.zeros(n, bool)
    mask[slots] = True
    out[mask], out[~mask] = picks, rest
    why = np.where(decided[out], REVIEWED, LOWEST).astype(object)
    why[slots] = EXPLORE
    return out, why
