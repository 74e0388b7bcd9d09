"""The workspace: one LanceDB directory holding every table of an audit.

Why LanceDB: Arrow in, Arrow out, files on local disk or object storage, readable from
Ray, and a vector index for the lenses later. Writes are idempotent per video
(delete that video's rows, then add), and a stage marks a video finished only after
its rows are written, so a run killed at any instant resumes without losing or
redoing finished videos: at worst the last unmarked batch is written again.
"""

from __future__ import annotations

import datetime as _dt
import functools
from pathlib import Path
from typing import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from . import schema as S
from .root import open_root


#: LanceDB cache bounds per workspace (the lenses search by exact scan: no ANN index to keep warm)
CACHE_BYTES = {"index": 64 << 20, "metadata": 32 << 20}


def chunks(values: Sequence[str], size: int = 512):
    """Consecutive slices of ``size`` (long SQL IN lists cost the planner memory and time)."""
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _guarded(fn=None, *, table: str | None = None):
    """Turn a Lance / OS failure of a table operation into a one-line WorkspaceError naming the table
    (a full disk or a read-only workspace names the cause); other exceptions pass unchanged.
    ``table`` names the table when the first argument is not it (the ledger's stage)."""
    if fn is None:
        return functools.partial(_guarded, table=table)

    @functools.wraps(fn)
    def wrapper(self, first, *args, **kwargs):
        from .errors import WorkspaceError, clean_message, storage_error

        name = table or first
        try:
            return fn(self, first, *args, **kwargs)
        except WorkspaceError:
            raise
        except Exception as exc:
            err = storage_error(self.root, exc)
            if err is not None:
                raise err from exc
            text = str(exc)
            if isinstance(exc, OSError) or "lance" in text.lower() or ".rs:" in text:
                raise WorkspaceError(f"workspace table {name} ({self.root / (str(name) + '.lance')}) failed: "
                                     f"{clean_message(text)}") from exc
            raise

    return wrapper


class Store:
    """Typed access to the workspace's tables; every table has the schema in schema.py."""

    def __init__(self, root: str | Path, create: bool = True):
        """``create=False`` (commands that only read): a missing workspace is an error, never made."""
        self.root = Path(root)
        open_root(self.root, create)
        # every read sees the newest version, also when another Workspace on the same
        # directory (a CLI call, the FiftyOne plugin) wrote since this one opened a table
        # Bounded caches: Lance's defaults (6 GiB index, 1 GiB metadata) keep the metadata of
        # every version a long run writes, so resident memory grew with the number of batches
        # (measured: 9 MB per 100 videos through the signals stage, 2 MB with these bounds).
        import lancedb  # here, not at import: it costs seconds, and `videoaudit --help` needs none of it

        session = lancedb.Session(index_cache_size_bytes=CACHE_BYTES["index"],
                                  metadata_cache_size_bytes=CACHE_BYTES["metadata"])
        self.db = lancedb.connect(str(self.root), read_consistency_interval=_dt.timedelta(0), session=session)
        self._tables: dict[str, object] = {}

    # -- tables ---------------------------------------------------------------------
    def names(self) -> set[str]:
        """The tables that exist in the workspace (a table whose creation was killed before its
        first commit holds nothing: it does not count, and the next writer creates it anew)."""
        res = self.db.list_tables()
        return {n for n in getattr(res, "tables", res) if committed(self.root / f"{n}.lance")}

    def table(self, name: str, schema: pa.Schema | None = None):
        """Open (or create) a table. A dynamic ``embeddings_<lens>`` table is created only
        with an explicit ``schema`` (its vector dimension comes from the lens backend)."""
        if name not in self._tables:
            if name in self.names():
                self._tables[name] = open_checked(self, name)
            else:
                if schema is None:
                    if S.is_embeddings_table(name):
                        raise KeyError(f"table {name} does not exist yet (no vectors of that lens were stored)")
                    schema = S.TABLES[name]
                drop_uncommitted(self.root / f"{name}.lance")
                self._tables[name] = self.db.create_table(name, schema=schema, exist_ok=True)
        return self._tables[name]

    def schema(self, name: str) -> pa.Schema:
        """The canonical schema of ``name``; for ``embeddings_<lens>`` the stored table's
        (dimension of the backend that wrote it), or a 0-dimensional placeholder if absent."""
        if name in S.TABLES:
            return S.TABLES[name]
        if S.is_embeddings_table(name):
            if name in self.names():
                return self.table(name).schema
            return S.embeddings_schema(0)
        raise KeyError(f"unknown table {name!r}")

    def has(self, name: str) -> bool:
        return name in self.names() and self.table(name).count_rows() > 0

    @_guarded
    def count(self, name: str) -> int:
        return self.table(name).count_rows() if name in self.names() else 0

    @_guarded
    def read(self, name: str, video_ids: Sequence[str] | None = None, where: str | None = None,
             columns: Sequence[str] | None = None) -> pa.Table:
        """Rows of a table, optionally only those of some videos; always in the canonical schema."""
        if name not in self.names():
            tbl = self.schema(name).empty_table()
            return tbl.select(list(columns)) if columns else tbl
        clauses = []
        if video_ids is not None:
            if len(video_ids) == 0:
                tbl = self.schema(name).empty_table()
                return tbl.select(list(columns)) if columns else tbl
            clauses.append(f"video_id IN ({_sql_list(video_ids)})")
        if where:
            clauses.append(f"({where})")
        t = self.table(name)
        if not clauses and not columns:
            return t.to_arrow()
        # a LanceDB query: the columns not asked for are never decoded, and pylance's own scan
        # runtime (~60 MB the first time) is not loaded
        q = t.search().limit(None)
        if clauses:
            q = q.where(" AND ".join(clauses))
        if columns:
            q = q.select(list(columns))
        out = q.to_arrow()
        return out.select(list(columns)) if columns else out.select(self.schema(name).names)

    def iter_batches(self, name: str, columns: Sequence[str] | None = None, batch_size: int = 65536):
        """Stream a whole table without holding it in memory."""
        if name not in self.names():
            return
        t = self.table(name)
        ds = t.to_lance() if hasattr(t, "to_lance") else None
        if ds is not None:
            try:
                yield from ds.to_batches(columns=list(columns) if columns else None, batch_size=batch_size)
                return
            except Exception:  # pylance missing or old: fall back to one read
                pass
        yield from t.to_arrow().select(list(columns) if columns else self.schema(name).names).to_batches(batch_size)

    @_guarded
    def replace(self, name: str, video_ids: Sequence[str], rows: pa.Table, fresh: bool = False,
                where: str | None = None) -> None:
        """Write ``rows`` as the complete content of ``name`` for ``video_ids``.

        ``fresh=True`` promises that the table holds no rows of these videos yet, which
        skips the delete (a scan of the whole table: quadratic over a long ingest).
        ``where`` narrows what is replaced to the rows it matches (the others stay).
        """
        if S.is_embeddings_table(name) and name not in self.names():
            if not rows.num_rows:
                return  # nothing to store and no dimension to create the table with
            self.table(name, schema=rows.schema)
            fresh = True
        t = self.table(name)
        if video_ids and not fresh and name in self.names():
            for part in chunks(video_ids):
                t.delete(f"video_id IN ({_sql_list(part)})" + (f" AND ({where})" if where else ""))
        if rows.num_rows:
            schema = self.schema(name)
            t.add(rows.select(schema.names).cast(schema))

    @_guarded
    def append(self, name: str, rows: pa.Table) -> None:
        if rows.num_rows:
            schema = self.schema(name)
            self.table(name).add(rows.select(schema.names).cast(schema))

    @_guarded
    def overwrite(self, name: str, rows: pa.Table) -> None:
        """Replace a whole (run-level) table as a new version: readers holding the old one keep working."""
        schema = self.schema(name) if name in self.names() or not S.is_embeddings_table(name) else rows.schema
        self.table(name, schema=schema).add(rows.select(schema.names).cast(schema), mode="overwrite")

    @_guarded
    def drop(self, name: str) -> None:
        if name in self.names():
            self.db.drop_table(name)
        self._tables.pop(name, None)

    def optimize(self, name: str) -> None:
        """Fold the many small fragments of per-batch writes into few files."""
        if name in self.names():
            try:
                self.table(name).optimize()
            except Exception:  # optimisation is an optimisation: never fail a run for it
                pass

    # -- progress ledger ------------------------------------------------------------
    def finished(self, stage: str) -> set[str]:
        """Videos this stage finished successfully; failed ones are retried by the next run."""
        t = self.read("progress", where=f"stage = '{stage}' AND status = 'ok'", columns=["video_id"])
        return set(t.column("video_id").to_pylist())

    def touched(self, stage: str) -> set[str]:
        """Videos this stage has ever started (finished, failed or interrupted): their rows may exist."""
        t = self.read("progress", where=f"stage = '{stage}'", columns=["video_id"])
        return set(t.column("video_id").to_pylist())

    @_guarded(table="progress")
    def mark(self, stage: str, ok: Sequence[str], failed: dict[str, str] | None = None,
             status: str = "ok") -> None:
        """Record ``ok`` videos with ``status`` ("ok", or "running" before writing) and failed ones."""
        failed = failed or {}
        ids = list(ok) + list(failed)
        if not ids:
            return
        now = _now()
        rows = [{"stage": stage, "video_id": v, "status": status, "error": None, "finished_at": now} for v in ok]
        rows += [{"stage": stage, "video_id": v, "status": "error", "error": e, "finished_at": now}
                 for v, e in failed.items()]
        # ONE commit (an upsert on stage + video): a delete then an add could be killed in between,
        # leaving a video's rows written but its ledger row gone, so a resume appended them again
        self.table("progress").merge_insert(["stage", "video_id"]).when_matched_update_all() \
            .when_not_matched_insert_all().execute(pa.Table.from_pylist(rows, schema=S.PROGRESS))

    @_guarded(table="progress")
    def forget(self, stages: Sequence[str], video_ids: Sequence[str] | None = None) -> None:
        """Mark stages as to be redone (for some videos) because their inputs changed.

        The ledger rows become "stale", not deleted: the stage's old rows for those videos
        still exist and must be replaced, never appended to.
        """
        if "progress" not in self.names() or not stages:
            return
        clause = f"stage IN ({_sql_list(stages)})"
        if video_ids is None:
            self.table("progress").update(where=clause, values={"status": "stale"})
            return
        for part in chunks(video_ids):
            self.table("progress").update(where=f"{clause} AND video_id IN ({_sql_list(part)})",
                                          values={"status": "stale"})

    @_guarded(table="errors")
    def record_errors(self, stage: str, errors: Iterable[tuple[str | None, str | None, str]]) -> int:
        now = _now()
        rows = [{"stage": stage, "video_id": v, "segment_id": s, "error": e, "at": now} for v, s, e in errors]
        if rows:
            self.table("errors").add(pa.Table.from_pylist(rows, schema=S.ERRORS))
        return len(rows)

    def status(self) -> dict:
        """Counts per table and per stage, for `videoaudit status` (status.py reads them without LanceDB)."""
        from .status import table_status

        return table_status(self.root)


def committed(path: Path) -> bool:
    """Has the Lance table at ``path`` (if it exists) at least one committed version?"""
    versions = path / "_versions"
    return not path.exists() or (versions.is_dir() and any(versions.glob("*.manifest")))


def drop_uncommitted(path: Path) -> None:
    """Remove a table directory left by a creation that was killed before its first commit (it holds
    no version, so no rows: Lance cannot open it, and creating the table over it fails)."""
    import shutil

    if path.exists() and not committed(path):
        shutil.rmtree(path, ignore_errors=True)


def open_checked(store: "Store", name: str):
    """Open an existing table; an unreadable or foreign one is a WorkspaceError naming it."""
    from .errors import WorkspaceError, unreadable_table

    path = store.root / f"{name}.lance"
    try:
        t = store.db.open_table(name)
        got = t.schema
    except Exception as exc:  # Lance reports corruption as RuntimeError / OSError / ValueError
        raise unreadable_table(name, path, exc) from None
    want = S.TABLES.get(name)
    if want is not None:
        missing = [f for f in want.names if f not in got.names]
        if missing:
            raise WorkspaceError(f"workspace table {name} ({path}) is not a videoaudit table: it lacks "
                                 f"{', '.join(missing[:5])}; move it away or use another workspace")
    return t


def filter_ids(table: pa.Table, video_ids: Sequence[str]) -> pa.Table:
    return table.filter(pc.is_in(table.column("video_id"), pa.array(list(video_ids), pa.string())))
