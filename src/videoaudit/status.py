"""What a workspace holds, read without opening LanceDB (``videoaudit status`` starts in well under a second).

LanceDB keeps each table of a local workspace as a Lance dataset ``<root>/<name>.lance``;
pylance reads its row counts and the two small tables the summary needs (progress, errors)
directly. Importing ``lancedb`` itself costs seconds (its REST namespace client), which is
the whole budget of a status call; pylance still needs pyarrow.dataset, which imports pandas
(~0.5 s of a 1.5 s call). So the writer leaves the answer behind when it lets go of the
workspace (``remember``), stamped with each table's version files, and ``table_status``
returns it without importing either while every stamp still matches; any write since adds a
version file, so the stamps differ and the counts are read again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = "status.json"


def _datasets(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.name[: -len(".lance")]: p for p in sorted(root.glob("*.lance")) if p.is_dir()}


def _stamps(root: Path) -> dict[str, list[int]]:
    """Per table: how many version files, their newest mtime and their total size."""
    out = {}
    for name, path in _datasets(root).items():
        try:
            st = [e.stat() for e in os.scandir(path / "_versions") if e.name.endswith(".manifest")]
        except OSError:
            st = []
        out[name] = [len(st), max((x.st_mtime_ns for x in st), default=0), sum(x.st_size for x in st)]
    return out


def table_status(root: str | Path) -> dict:
    """Counts per table and per stage and errors per stage (what ``Store.status`` returns)."""
    root = Path(root)
    try:
        snap = json.loads((root / SNAPSHOT).read_text(encoding="utf-8"))
        if snap.get("stamps") == _stamps(root):
            return snap["status"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    return _read_tables(root)


def remember(root: str | Path) -> None:
    """Leave the current status behind for the next ``table_status`` (the writer, as it lets go).

    A cache: on any failure (a read-only folder, an unreadable table) nothing is written.
    """
    root = Path(root)
    tmp = root / f".{SNAPSHOT}.{os.getpid()}.tmp"
    try:
        stamps = _stamps(root)
        if not stamps:  # no table yet (a failed first ingest leaves nothing behind)
            return
        status = _read_tables(root)
        if _stamps(root) == stamps:
            tmp.write_text(json.dumps({"stamps": stamps, "status": status}), encoding="utf-8")
            os.replace(tmp, root / SNAPSHOT)
    except Exception:  # noqa: BLE001 - never fail a write command for its cache
        tmp.unlink(missing_ok=True)


def _read_tables(root: Path) -> dict:
    import lance

    from . import schema as S

    def open_(name: str, path: Path):
        try:
            ds = lance.dataset(str(path))
            ds.count_rows()
            return ds
        except Exception as exc:  # corrupt or truncated: one line naming the table
            from .errors import unreadable_table

            raise unreadable_table(name, path, exc) from None

    opened = {name: open_(name, path) for name, path in _datasets(Path(root)).items()}

    def count(name: str) -> int:
        return opened[name].count_rows() if name in opened else 0

    tables = {name: count(name) for name in S.TABLES}
    tables.update({name: count(name) for name in sorted(opened) if S.is_embeddings_table(name)})
    stages: dict[str, dict[str, int]] = {}
    if count("progress"):
        prog = opened["progress"].to_table(columns=["stage", "status"])
        grouped = prog.group_by(["stage", "status"]).aggregate([([], "count_all")])
        for st, status, n in zip(*(grouped.column(c).to_pylist() for c in ("stage", "status", "count_all"))):
            stages.setdefault(st, {})[status] = n
    by_stage: dict[str, int] = {}
    if count("errors"):
        for st in opened["errors"].to_table(columns=["stage"]).column("stage").to_pylist():
            by_stage[st] = by_stage.get(st, 0) + 1
    return {"tables": tables, "stages": stages, "errors": by_stage}


def workspace_status(root: str | Path) -> dict:
    """``table_status`` plus the cascade's summary and which lens backends made the vectors."""
    from .lenses.backends import read_records
    from .opinions.cascade import load

    st = table_status(root)
    c = load(Path(root))
    if c:
        st["cascade"] = {k: v for k, v in c.items() if k != "selected"}
    lens_backends = read_records(root)
    if lens_backends:
        st["lens_backends"] = lens_backends  # which backend + options made each lens's vectors
    return st
