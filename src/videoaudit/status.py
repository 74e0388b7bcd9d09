"""What a workspace holds, read without opening LanceDB (``videoaudit status`` starts in well under a second).

LanceDB keeps each table of a local workspace as a Lance dataset ``<root>/<name>.lance``;
pylance reads its row counts and the two small tables the summary needs (progress, errors)
directly. Importing ``lancedb`` itself costs seconds (its REST namespace client), which is
the whole budget of a status call.
"""

from __future__ import annotations

from pathlib import Path

from . import schema as S


def _datasets(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {p.name[: -len(".lance")]: p for p in sorted(root.glob("*.lance")) if p.is_dir()}


def table_status(root: str | Path) -> dict:
    """Counts per table and per stage and errors per stage (what ``Store.status`` returns)."""
    import lance

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
