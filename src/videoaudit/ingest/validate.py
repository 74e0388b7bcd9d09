"""Structure checks of a segment tree (pure functions, no I/O).

A segment is a dict with at least ``segment_id``, ``parent_id``, ``level``, ``start`` and
``end``. The checks never reject a tree: they name what is wrong so that the problem can
become a signal. Only the problems that make a tree unusable (no root, a cycle) are
raised by the converters, which use :func:`find_cycles` for that.

Issue codes (see docs/data-model.md):

``nonpositive_duration``  end <= start (on the segment)
``outside_parent``        the segment is not within its parent's [start, end], TOL seconds of slack (on the child)
``overlapping_siblings``  the segment overlaps a sibling by more than TOL seconds (on both children)
``children_gap``          the children leave more than TOL seconds of the parent uncovered (on the parent)
``duplicate_id``          the id occurs more than once (on every copy)
``orphan``                parent_id names no segment (on the child)
``level_mismatch``        level != parent's level + 1, or a parentless segment whose level is not 0 (on the child)
``non_binary``            more than two children (on the parent)

Duplicate ids: the k-th copy (k >= 2) of an id is named ``f"{id}#{k}"`` by :func:`unique_ids`;
the result of :func:`structure_issues` is keyed by those unique names, so callers that
build the segments table use :func:`unique_ids` on the same list. Parent links to a
duplicated id resolve to its first copy.

Parentless segments are roots at level 0; several roots are not an issue here (flat
datasets are lists of roots). Siblings at the top level (several roots) are not checked
for overlap or gaps: a flat list of events may overlap on purpose.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Sequence

#: Seconds of slack in every containment / overlap / gap comparison (float32 noise is ~1e-5).
TOL = 0.05

ISSUE_CODES: tuple[str, ...] = (
    "nonpositive_duration",
    "outside_parent",
    "overlapping_siblings",
    "children_gap",
    "duplicate_id",
    "orphan",
    "level_mismatch",
    "non_binary",
)


def unique_ids(ids: Sequence[str]) -> list[str]:
    """The ids made unique: the k-th copy (k >= 2) of an id becomes ``"{id}#{k}"``.

    A suffixed name that is itself already taken by another id gets a further ``#k``
    bump, so the result is always unique.
    """
    taken = set(ids)
    seen: dict[str, int] = {}
    out: list[str] = []
    assigned: set[str] = set()
    for sid in ids:
        n = seen.get(sid, 0) + 1
        seen[sid] = n
        if n == 1 and sid not in assigned:
            out.append(sid)
            assigned.add(sid)
            continue
        k = max(n, 2)
        name = f"{sid}#{k}"
        while name in taken or name in assigned:
            k += 1
            name = f"{sid}#{k}"
        out.append(name)
        assigned.add(name)
    return out


def find_cycles(segments: Sequence[dict]) -> list[list[str]]:
    """Cycles in the parent links, each as the list of ids on it (empty list: none).

    Follows ``parent_id`` from every segment; a self-parent is a cycle of one. Parent
    links to a duplicated id resolve to its first copy; links to unknown ids end the walk.
    """
    parent: dict[str, str | None] = {}
    for s in segments:
        sid = s["segment_id"]
        if sid not in parent:
            parent[sid] = s.get("parent_id")
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = done
    cycles: list[list[str]] = []
    for start in parent:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and not state.get(node):
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            cycles.append(path[path.index(node):])
        for p in path:
            state[p] = 2
    return cycles


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


class _Issues:
    """Issue codes per segment index, each code once, in the order found."""

    def __init__(self, uids: list[str]):
        self.uids = uids
        self.by_uid: dict[str, list[str]] = defaultdict(list)

    def add(self, i: int, code: str) -> None:
        lst = self.by_uid[self.uids[i]]
        if code not in lst:
            lst.append(code)


def _node_issues(segments: Sequence[dict], raw: list[str], starts: list, ends: list, tol: float,
                 issues: _Issues) -> dict[int, list[int]]:
    """Each segment against itself and its parent; returns the children of each parent index."""
    first: dict[str, int] = {}
    counts: dict[str, int] = defaultdict(int)
    for i, sid in enumerate(raw):
        counts[sid] += 1
        first.setdefault(sid, i)
    children: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(segments):
        if counts[raw[i]] > 1:
            issues.add(i, "duplicate_id")
        st, en = starts[i], ends[i]
        if st is not None and en is not None and en <= st:
            issues.add(i, "nonpositive_duration")
        pid = s.get("parent_id")
        level = s.get("level")
        if pid is None:
            if level is not None and level != 0:
                issues.add(i, "level_mismatch")
            continue
        p = first.get(pid)
        if p is None or p == i:
            # unknown parent (a self-parent is a cycle; converters reject it, here: orphan)
            issues.add(i, "orphan")
            continue
        children[p].append(i)
        plevel = segments[p].get("level")
        if level is not None and plevel is not None and level != plevel + 1:
            issues.add(i, "level_mismatch")
        ps, pe = starts[p], ends[p]
        if None not in (st, en, ps, pe) and (st < ps - tol or en > pe + tol):
            issues.add(i, "outside_parent")
    return children


def _sibling_issues(p: int, kids: list[int], starts: list, ends: list, tol: float, issues: _Issues) -> None:
    """A parent's children: more than two, overlapping each other, or leaving a gap."""
    if len(kids) > 2:
        issues.add(p, "non_binary")
    timed = [k for k in kids if starts[k] is not None and ends[k] is not None]
    timed.sort(key=lambda k: (starts[k], ends[k]))
    # overlaps: compare each child with the furthest end reached so far
    reach_end, reach_k = None, None
    for k in timed:
        if reach_end is not None and reach_end - starts[k] > tol:
            issues.add(k, "overlapping_siblings")
            issues.add(reach_k, "overlapping_siblings")
        if reach_end is None or ends[k] > reach_end:
            reach_end, reach_k = ends[k], k
    ps, pe = starts[p], ends[p]
    if ps is None or pe is None or not timed:
        return
    covered = ps
    gap = False
    for k in timed:
        if starts[k] - covered > tol:
            gap = True
            break
        covered = max(covered, ends[k])
    if gap or pe - covered > tol:
        issues.add(p, "children_gap")


def structure_issues(segments: Sequence[dict], tol: float = TOL) -> dict[str, list[str]]:
    """Map each segment's unique id (see :func:`unique_ids`) to its issue codes.

    Only segments with at least one issue appear in the result. Segments whose
    start/end are missing are skipped by the time checks.
    """
    raw = [s["segment_id"] for s in segments]
    issues = _Issues(unique_ids(raw))
    starts = [_num(s.get("start")) for s in segments]
    ends = [_num(s.get("end")) for s in segments]
    children = _node_issues(segments, raw, starts, ends, tol, issues)
    for p, kids in children.items():
        _sibling_issues(p, kids, starts, ends, tol, issues)
    return dict(issues.by_uid)
