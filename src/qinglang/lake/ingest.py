"""`qinglang ingest DIR`: load a snapshot into the lake, all or nothing.

1. stage: stream every table file into text Parquet parts (identity values are
   hashed while streaming, so raw values never reach disk);
2. validate and type each table in DuckDB (required columns and values, types,
   enums, duplicate keys), then check references to accounts against the
   snapshot and the workspace;
3. upsert into a new lake version (rows add or update by key; columns a file
   does not have keep their old values; nothing is deleted), derive tiers;
4. switch the lake's CURRENT pointer atomically.

Any error discards the staging folder: the workspace is exactly as before.
If nothing changed, no new version is made.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from qinglang.config import Settings
from qinglang.errors import InputError, QinglangError
from qinglang.lake import schema as S
from qinglang.lake.derived import TIERS, write_tiers
from qinglang.lake.identity_hash import IdentityHasher
from qinglang.lake.readers import ROW, SourceFile, discover, iter_batches
from qinglang.lake.validate import (
    SQL_TYPES,
    check_columns,
    dangling_reference,
    duplicate_key,
    first_problem,
    lit,
    parse_expr,
    q,
    row_checks,
)
from qinglang.workspace import Workspace

Progress = Callable[[str, int, int], None]
BAD = "_bad"  # typed tables: the row breaks a rule (never leaves staging)


@dataclass
class TableReport:
    table: str
    file: str
    rows_read: int = 0
    added: int = 0
    updated: int = 0
    total: int = 0


@dataclass
class IngestReport:
    version: str | None  # None when nothing changed
    tables: list[TableReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.version is not None

    def as_dict(self) -> dict:
        return {"version": self.version, "changed": self.changed, "tables": [asdict(t) for t in self.tables],
                "warnings": self.warnings}


def connect_duckdb(settings: Settings, temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = {lit(settings.duckdb_memory_limit)}")
    con.execute("SET preserve_insertion_order = false")
    if temp_dir is not None:
        con.execute(f"SET temp_directory = {lit(str(temp_dir))}")
    return con


def ingest(settings: Settings, snapshot_dir: Path, progress: Progress | None = None) -> IngestReport:
    ws = Workspace(settings.home)
    sources, warnings = discover(snapshot_dir)
    order = [t for t in S.TABLES if t in sources]
    step = _Steps(progress, total=5 * len(order) + 3)
    with ws.write_lock():
        lake = ws.lake
        lake.clean_leftovers()
        key, new_key = ws.identity_key()
        fingerprint = ws.key_fingerprint(key)
        old_manifest = lake.manifest()
        if old_manifest and old_manifest.get("key_fingerprint") not in (None, fingerprint):
            raise QinglangError(
                "this workspace's data was hashed with a different identity key; set QINGLANG_SECRET "
                "(or restore secret.key) to the key used before"
            )
        if "accounts" not in sources and lake.table_dir("accounts") is None:
            raise QinglangError(
                f"{snapshot_dir} has no accounts table (accounts.csv, .jsonl or .parquet is required "
                f"for the first snapshot of a workspace)"
            )
        hasher = IdentityHasher(key)
        staging = lake.new_staging()
        try:
            con = connect_duckdb(settings, staging / ".tmp")
            try:
                report = _run(con, lake, sources, order, hasher, staging, settings, step)
            finally:
                con.close()
            report.warnings = warnings
            if not report.changed:
                lake.discard(staging)
                return report
            if new_key:
                ws.save_identity_key(key)
            history = list(old_manifest.get("ingests", []))
            history.append({
                "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "source": str(snapshot_dir.absolute()),
                "tables": {t.table: {"file": t.file, "rows": t.rows_read, "added": t.added, "updated": t.updated}
                           for t in report.tables},
            })
            manifest = {
                "format": 1,
                "key_fingerprint": fingerprint,
                "tiers": settings.tiers.as_dict(),
                "tables": _table_counts(staging),
                "ingests": history,
            }
            report.version = lake.commit(staging, manifest)
            step("done")
            return report
        except BaseException:
            lake.discard(staging)
            raise


class _Steps:
    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0
        self._timing = os.environ.get("QINGLANG_TIMING") == "1"
        self._t = time.perf_counter()
        self._last = "start"

    def __call__(self, name: str) -> None:
        if self._timing:
            now = time.perf_counter()
            print(f"[timing] {self._last}: {now - self._t:.2f}s", file=sys.stderr)
            self._t, self._last = now, name
        self.done += 1
        if self.progress:
            self.progress(name, min(self.done, self.total), self.total)


def _run(con, lake, sources: dict[str, SourceFile], order: list[str], hasher: IdentityHasher,
         staging: Path, settings: Settings, step: _Steps) -> IngestReport:
    raw_dir = staging / ".raw"
    typed_dir = staging / ".typed"
    raw_dir.mkdir()
    typed_dir.mkdir()
    reports: dict[str, TableReport] = {}
    columns: dict[str, list[str]] = {}

    # 1. stage + 2. validate and type, table by table
    for name in order:
        spec, src = S.TABLES[name], sources[name]
        rep = reports[name] = TableReport(name, src.path.name)
        step(f"reading {src.path.name}")
        columns[name] = _stage(src, spec, hasher, raw_dir / name, rep)
        step(f"typing and validating {src.path.name}")
        raw = f"read_parquet('{raw_dir / name}/*.parquet', union_by_name = true)"
        typed_file = typed_dir / f"{name}.parquet"
        # one pass types every column and flags rows that break a rule; only when a row is flagged
        # does the exact check run on the text to name the earliest row and column
        if _write_typed(con, spec, raw, columns[name], typed_file):
            problem = first_problem(con, spec, raw, columns[name])
            if problem is None:  # cannot happen: the flag and the check test the same conditions
                raise QinglangError(f"{src.path.name}: a row breaks a rule that could not be located")
            raise InputError(src.path.name, problem.message, row=problem.row, column=problem.column)
        step(f"checking keys of {src.path.name}")
        if not spec.merge_repeats:
            problem = duplicate_key(con, spec, f"read_parquet('{typed_file}')")
            if problem:
                raise InputError(src.path.name, problem.message, row=problem.row, column=problem.column)

    # references to accounts: the snapshot's accounts plus the workspace's
    step("checking references")
    known = []
    if "accounts" in sources:
        known.append(f"SELECT account_id FROM read_parquet('{typed_dir / 'accounts.parquet'}')")
    old_accounts = lake.table_glob("accounts")
    if old_accounts:
        known.append(f"SELECT account_id FROM read_parquet('{old_accounts}')")
    con.execute(f"CREATE TEMP TABLE known_accounts AS {' UNION '.join(known)}")
    for name in order:
        spec = S.TABLES[name]
        if not spec.account_refs:
            continue
        problem = dangling_reference(con, spec, f"read_parquet('{typed_dir / name}.parquet')", "known_accounts")
        if problem:
            raise InputError(sources[name].path.name, problem.message, row=problem.row, column=problem.column)

    # 3. upsert into the new version
    changed = False
    for name in S.TABLES:
        if name not in sources:
            lake.link_table(name, staging)
            continue
        step(f"merging {name}")
        rep = reports[name]
        old_glob = lake.table_glob(name)
        old_cols = pq.read_schema(next(Path(lake.table_dir(name)).glob("*.parquet"))).names if old_glob else []
        changed |= _merge(con, S.TABLES[name], typed_dir / f"{name}.parquet", columns[name], old_glob, old_cols,
                          staging / name, rep)
    if lake.exists() and not changed:
        return IngestReport(version=None, tables=[reports[n] for n in order])

    step("computing tiers")
    present = set()
    for name in S.TABLES:
        d = staging / name
        if d.is_dir() and any(d.glob("*.parquet")):
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM read_parquet('{d}/*.parquet')")
            present.add(name)
    (staging / TIERS).mkdir(parents=True)
    write_tiers(con, present, settings.tiers, str(staging / TIERS / "part-0.parquet"))
    import shutil

    shutil.rmtree(raw_dir)
    shutil.rmtree(typed_dir)
    shutil.rmtree(staging / ".tmp", ignore_errors=True)
    return IngestReport(version="pending", tables=[reports[n] for n in order])


def _stage(src: SourceFile, spec: S.TableSpec, hasher: IdentityHasher, out: Path, rep: TableReport) -> list[str]:
    """Stream one file to text Parquet parts; returns its column names (without `_row`)."""
    out.mkdir()
    cols: list[str] = []
    part = 0
    for batch in iter_batches(src):
        names = [n for n in batch.schema.names if n != ROW]
        if part == 0:
            if any(n.startswith("_") for n in names):
                bad = next(n for n in names if n.startswith("_"))
                raise InputError(src.path.name, "column names starting with '_' are reserved", column=bad)
            check_columns(spec, src.path.name, names)
        for n in names:
            if n not in cols:
                cols.append(n)
        if spec.name == "identities" and batch.num_rows:
            batch = _hash_identities(batch, hasher)
        pq.write_table(pa.Table.from_batches([batch]), out / f"part-{part:05d}.parquet", compression="snappy")
        rep.rows_read += batch.num_rows
        part += 1
    return cols


def _hash_identities(batch: pa.RecordBatch, hasher: IdentityHasher) -> pa.RecordBatch:
    kinds = batch.column("kind").to_pylist()
    values = batch.column("value").to_pylist()
    hashed = pa.array(hasher.hash_many(kinds, values), pa.string())
    idx = batch.schema.get_field_index("value")
    return batch.set_column(idx, "value", hashed)


def _write_typed(con, spec: S.TableSpec, raw: str, cols: list[str], out: Path) -> bool:
    """Write the typed table with a `_bad` flag per row; returns whether any row breaks a rule of
    `validate.row_checks` (the caller then reports the earliest one and nothing is kept)."""
    exprs = []
    for c in cols:
        if c in spec.column_names:
            exprs.append(f"({parse_expr(spec.column(c))})::{SQL_TYPES[spec.column(c).type]} AS {q(c)}")
        else:
            exprs.append(f"{q(c)}::VARCHAR AS {q(c)}")
    # the checks read the text (raw) and the parsed value (typed) of each column: raw columns are
    # carried through under a private name so each value is parsed once
    checks = row_checks(spec, cols, raw_col=lambda c: q(f"_raw_{c}"), typed_col=q)
    carried = "".join(f"{q(c)} AS {q('_raw_' + c)}, " for c in cols if c in spec.column_names)
    inner = f"SELECT {', '.join(exprs)}, {carried}{ROW} FROM {raw}"
    bad = " OR ".join(f"({cond})" for cond in checks) or "false"
    select = f"SELECT {', '.join(q(c) for c in cols)}, {ROW}, ({bad}) AS {BAD} FROM ({inner})"
    if spec.merge_repeats:
        keys = ", ".join(q(k) for k in spec.key)
        aggs = []
        for c in cols:
            if c in spec.key:
                continue
            if c == "first_seen":
                aggs.append(f"min({q(c)}) AS {q(c)}")
            elif c == "last_seen":
                aggs.append(f"max({q(c)}) AS {q(c)}")
            else:
                aggs.append(f"arg_max({q(c)}, {ROW}) AS {q(c)}")
        select = (f"SELECT {keys}, {''.join(a + ', ' for a in aggs)}min({ROW}) AS {ROW}, bool_or({BAD}) AS {BAD} "
                  f"FROM ({select}) GROUP BY {keys}")
    con.execute(f"COPY ({select}) TO '{out}' (FORMAT parquet, COMPRESSION snappy)")
    return con.execute(f"SELECT count(*) FROM read_parquet('{out}') WHERE {BAD}").fetchone()[0] > 0


def _merge(con, spec: S.TableSpec, typed: Path, new_cols: list[str], old_glob: str | None, old_cols: list[str],
           out_dir: Path, rep: TableReport) -> bool:
    """Upsert the typed snapshot rows into the table; returns whether anything changed."""
    extras = [c for c in old_cols if c not in spec.column_names] + [
        c for c in new_cols if c not in spec.column_names and c not in old_cols
    ]
    out_cols = spec.column_names + extras
    defaults = {c.name: c.default for c in spec.columns if c.default is not None}

    def typed_null(c: str) -> str:
        t = SQL_TYPES[spec.column(c).type] if c in spec.column_names else "VARCHAR"
        return f"NULL::{t}"

    n_sql = f"read_parquet('{typed}')"
    if old_glob is None:
        sel = []
        for c in out_cols:
            e = f"n.{q(c)}" if c in new_cols else typed_null(c)
            if c in defaults:
                e = f"coalesce({e}, {defaults[c]})"
            sel.append(f"{e} AS {q(c)}")
        # first load of this table: a straight typed copy
        out_dir.mkdir()
        con.execute(
            f"COPY (SELECT {', '.join(sel)} FROM {n_sql} n) "
            f"TO '{out_dir / 'part-0.parquet'}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
        )
        rep.added = rep.total = con.execute(f"SELECT count(*) FROM {n_sql}").fetchone()[0]
        return True
    else:
        on = " AND ".join(f"n.{q(k)} = o.{q(k)}" for k in spec.key)
        sel = []
        diffs = []
        for c in out_cols:
            if c in spec.key:
                e = f"coalesce(n.{q(c)}, o.{q(c)})"
            elif spec.merge_repeats and c == "first_seen" and c in new_cols and c in old_cols:
                e = f"CASE WHEN n.{ROW} IS NULL THEN o.{q(c)} ELSE least(n.{q(c)}, o.{q(c)}) END"
            elif spec.merge_repeats and c == "last_seen" and c in new_cols and c in old_cols:
                e = f"CASE WHEN n.{ROW} IS NULL THEN o.{q(c)} ELSE greatest(n.{q(c)}, o.{q(c)}) END"
            elif c in new_cols and c in old_cols:
                e = f"CASE WHEN n.{ROW} IS NULL THEN o.{q(c)} ELSE n.{q(c)} END"
            elif c in new_cols:
                e = f"n.{q(c)}"
            elif c in old_cols:
                e = f"o.{q(c)}"
            else:
                e = typed_null(c)
            if c in defaults:
                e = f"coalesce({e}, {defaults[c]})"
            sel.append(f"{e} AS {q(c)}")
            if c not in spec.key:
                old_e = f"o.{q(c)}" if c in old_cols else typed_null(c)
                if c in defaults:
                    old_e = f"coalesce({old_e}, {defaults[c]})"
                diffs.append(f"({e}) IS DISTINCT FROM ({old_e})")
        present_old = f"o.{q(spec.key[0])} IS NOT NULL"
        change = (
            f"CASE WHEN n.{ROW} IS NULL THEN 'kept' WHEN NOT ({present_old}) THEN 'added' "
            f"WHEN {' OR '.join(diffs) or 'false'} THEN 'updated' ELSE 'same' END"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE merged AS SELECT {', '.join(sel)}, {change} AS _change "
            f"FROM {n_sql} n FULL OUTER JOIN read_parquet('{old_glob}') o ON {on}"
        )
    counts = dict(con.execute("SELECT _change, count(*) FROM merged GROUP BY 1").fetchall())
    rep.added = counts.get("added", 0)
    rep.updated = counts.get("updated", 0)
    rep.total = sum(counts.values())
    new_schema_cols = set(out_cols) != set(old_cols)
    changed = bool(rep.added or rep.updated or (old_glob is not None and new_schema_cols) or old_glob is None)
    out_dir.mkdir()
    con.execute(
        f"COPY (SELECT {', '.join(q(c) for c in out_cols)} FROM merged) "
        f"TO '{out_dir / 'part-0.parquet'}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
    )
    con.execute("DROP TABLE merged")
    return changed


def _table_counts(version: Path) -> dict[str, int]:
    counts = {}
    for name in S.TABLES:
        d = version / name
        if d.is_dir():
            counts[name] = sum(pq.ParquetFile(f).metadata.num_rows for f in d.glob("*.parquet"))
    return counts
