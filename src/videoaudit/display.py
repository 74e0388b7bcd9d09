"""Tables read for display (the report, exports meant for people): streamed, with every text cut.

A caption can be a megabyte (a model that looped, a scraped page pasted into a field); the
report shows at most a few hundred characters of any text, so holding whole texts of every
segment cost memory for nothing (a report of 1 MB captions was killed at about 20 GB).
:func:`read_for_display` streams a table in small batches and cuts each string, also the
``text`` of the transcript's entries, to ``max_chars`` with a visible marker, so the memory
a reader needs is bounded by the rows, not by the texts.
"""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

#: characters of any one text kept for display (the report shows fewer; tooltips up to this)
DISPLAY_CHARS = 2000
#: rows per streamed batch: a batch of megabyte texts stays a few hundred MB at most
BATCH_ROWS = 64


def marker(n: int) -> str:
    return f" … [cut: {n:,} characters in all]"


def cut_strings(arr: pa.Array, max_chars: int = DISPLAY_CHARS) -> pa.Array:
    """Strings longer than ``max_chars`` cut to it plus a marker naming the full length; others unchanged."""
    if isinstance(arr, pa.ChunkedArray):
        return pa.chunked_array([cut_strings(c, max_chars) for c in arr.chunks], type=arr.type)
    if pa.types.is_large_string(arr.type) or pa.types.is_string(arr.type):
        lengths = pc.utf8_length(arr)
        long = pc.fill_null(pc.greater(lengths, max_chars), False)
        if not pc.any(long).as_py():
            return arr
        values = arr.to_pylist()
        ns = lengths.to_pylist()
        out = [v[:max_chars] + marker(n) if v is not None and n > max_chars else v for v, n in zip(values, ns)]
        return pa.array(out, type=arr.type)
    if pa.types.is_struct(arr.type):
        fields = [cut_strings(arr.field(i), max_chars) for i in range(arr.type.num_fields)]
        return pa.StructArray.from_arrays(fields, fields=list(arr.type), mask=arr.is_null())
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        flat = cut_strings(arr.values, max_chars)
        cls = pa.LargeListArray if pa.types.is_large_list(arr.type) else pa.ListArray
        return cls.from_arrays(arr.offsets, flat, type=arr.type, mask=arr.is_null())
    return arr


def cut_table(t: pa.Table, max_chars: int = DISPLAY_CHARS) -> pa.Table:
    cols = [cut_strings(t.column(i), max_chars) for i in range(t.num_columns)]
    return pa.Table.from_arrays(cols, schema=t.schema)


def read_for_display(store, name: str, columns: Sequence[str] | None = None,
                     max_chars: int = DISPLAY_CHARS) -> pa.Table:
    """``name`` (canonical schema, or ``columns`` of it), streamed in small batches, texts cut."""
    schema = store.schema(name)
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    parts = [cut_table(pa.Table.from_batches([rb]).select(schema.names).cast(schema), max_chars)
             for rb in store.iter_batches(name, columns=list(schema.names), batch_size=BATCH_ROWS)]
    return pa.concat_tables(parts) if parts else schema.empty_table()
