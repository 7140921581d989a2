"""Streaming readers: one snapshot file in, batches of string columns out.

Every reader yields Arrow record batches whose columns are all strings (lists
joined with ';'), plus `_row`, the 1-based data row of each record (for JSONL
the line number), so that validation can name the file, row and column of any
problem. Readers never hold a whole file in memory. Identity values are hashed
here, before anything is written, so raw values never reach disk.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from qinglang.errors import InputError, QinglangError
from qinglang.lake.schema import FORMATS, TABLES

ROW = "_row"
BATCH_ROWS = 262_144


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path
    fmt: str  # csv, jsonl, parquet


def discover(snapshot_dir: Path) -> tuple[dict[str, SourceFile], list[str]]:
    """Find the table files at the top of a snapshot directory.

    Returns the sources by table and warnings for ignored entries. Two files
    for the same table are refused as ambiguous.
    """
    if not snapshot_dir.exists():
        raise QinglangError(f"snapshot directory {snapshot_dir} does not exist")
    if not snapshot_dir.is_dir():
        raise QinglangError(f"{snapshot_dir} is not a directory")
    sources: dict[str, SourceFile] = {}
    warnings: list[str] = []
    for entry in sorted(snapshot_dir.iterdir()):
        if entry.is_dir():
            warnings.append(f"ignored folder {entry.name}/ (only table files at the top are read)")
            continue
        fmt = FORMATS.get(entry.suffix.lower())
        if entry.stem not in TABLES or fmt is None:
            warnings.append(f"ignored file {entry.name} (not a table of the data contract)")
            continue
        if entry.stem in sources:
            raise QinglangError(
                f"table {entry.stem!r} is given twice ({sources[entry.stem].path.name} and {entry.name}); keep one"
            )
        sources[entry.stem] = SourceFile(entry.stem, entry, fmt)
    return sources, warnings


Transform = Callable[[pa.RecordBatch], pa.RecordBatch]


def iter_batches(src: SourceFile, transform: Transform | None = None) -> Iterator[pa.RecordBatch]:
    """Yield string batches with `_row` from one file, applying `transform` to each."""
    reader = {"csv": _csv_batches, "jsonl": _jsonl_batches, "parquet": _parquet_batches}[src.fmt]
    for batch in reader(src.path):
        yield transform(batch) if transform else batch


# --- CSV -----------------------------------------------------------------

def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        line = fh.readline()
    if not line.strip():
        raise InputError(path.name, "the file is empty (a header row is required)")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path.name, "the header row is not valid UTF-8", row=0) from None
    first = next(csv.reader(io.StringIO(text)), None)
    if not first:
        raise InputError(path.name, "the file is empty (a header row is required)")
    header = [h.strip() for h in first]
    seen = set()
    for h in header:
        if not h:
            raise InputError(path.name, "the header has an empty column name", row=0)
        if h in seen:
            raise InputError(path.name, f"column {h!r} appears twice in the header", row=0)
        seen.add(h)
    return header


def _csv_batches(path: Path) -> Iterator[pa.RecordBatch]:
    header = _csv_header(path)
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=8 << 20, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
        offset = 0
        for batch in reader:
            n = batch.num_rows
            rows = pa.array(range(offset + 1, offset + n + 1), pa.int64())
            offset += n
            yield batch.append_column(ROW, rows)
        if offset == 0:
            yield _empty(header)
    except pa.ArrowInvalid as exc:
        _locate_csv_problem(path, header)
        raise InputError(path.name, f"cannot read CSV: {exc}") from None


def _locate_csv_problem(path: Path, header: list[str]) -> None:
    """Slow path, run only after a read error: find the first bad data row."""
    width = len(header)

    def lines() -> Iterator[str]:
        with open(path, "rb") as fh:
            first = True
            for raw in fh:
                if first and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                first = False
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise _BadEncoding() from None

    record = 0  # data rows completed
    it = csv.reader(lines(), strict=True)
    try:
        next(it)  # header
        for fields in it:
            record += 1
            if len(fields) != width:
                raise InputError(
                    path.name, f"expected {width} fields as in the header, found {len(fields)}", row=record
                )
    except _BadEncoding:
        raise InputError(path.name, "the text is not valid UTF-8", row=record + 1) from None
    except csv.Error as e:
        raise InputError(path.name, f"malformed CSV ({e})", row=record + 1) from None


class _BadEncoding(Exception):
    pass


# --- JSONL ---------------------------------------------------------------

def _jsonl_value(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    if isinstance(v, list):
        return ";".join("" if x is None else str(x) for x in v)
    return json.dumps(v, ensure_ascii=False)


def _jsonl_batches(path: Path) -> Iterator[pa.RecordBatch]:
    cols: dict[str, list] = {}
    rows: list[int] = []
    n = 0
    saw_any = False
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(path.name, "the text is not valid UTF-8", row=lineno) from None
            except json.JSONDecodeError as e:
                raise InputError(path.name, f"invalid JSON ({e.msg} at character {e.pos})", row=lineno) from None
            if not isinstance(obj, dict):
                raise InputError(path.name, "each line must be a JSON object", row=lineno)
            saw_any = True
            for k in obj:
                if k not in cols:
                    cols[k] = [None] * n
            for k, col in cols.items():
                col.append(_jsonl_value(obj.get(k)))
            rows.append(lineno)
            n += 1
            if n >= BATCH_ROWS:
                yield _batch(cols, rows)
                cols = {k: [] for k in cols}
                rows = []
                n = 0
    if n:
        yield _batch(cols, rows)
    elif not saw_any:
        raise InputError(path.name, "the file is empty (no JSON objects)")


def _empty(names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([], pa.string()) for _ in names] + [pa.array([], pa.int64())], names=[*names, ROW]
    )


def _batch(cols: dict[str, list], rows: list[int]) -> pa.RecordBatch:
    arrays = [pa.array(v, pa.string()) for v in cols.values()]
    names = list(cols)
    arrays.append(pa.array(rows, pa.int64()))
    names.append(ROW)
    return pa.RecordBatch.from_arrays(arrays, names=names)


# --- Parquet -------------------------------------------------------------

def _to_string(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    t = arr.type
    if pa.types.is_string(t):
        return arr
    if pa.types.is_large_string(t):
        return arr.cast(pa.string())
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pc.binary_join(arr.cast(pa.list_(pa.string())), ";")
    if pa.types.is_dictionary(t):
        return arr.cast(t.value_type).cast(pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return arr.cast(pa.string())
    return arr.cast(pa.string())


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # truncated or not Parquet at all
        raise InputError(path.name, f"not a readable Parquet file ({exc})") from None
    offset = 0
    try:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            arrays = []
            for name in batch.schema.names:
                try:
                    arrays.append(_to_string(batch.column(name)))
                except pa.ArrowInvalid as exc:
                    raise InputError(path.name, f"cannot read values as text ({exc})", column=name) from None
            n = batch.num_rows
            arrays.append(pa.array(range(offset + 1, offset + n + 1), pa.int64()))
            offset += n
            yield pa.RecordBatch.from_arrays(arrays, names=[*batch.schema.names, ROW])
        if offset == 0:
            yield _empty(pf.schema_arrow.names)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path.name, f"not a readable Parquet file ({exc})", row=offset + 1) from None
