"""Validation and typing of staged snapshot tables, as DuckDB SQL.

Staged tables hold every value as text plus `_row`. For each column of the
contract this module gives the SQL that parses it to its type (NULL when it
does not parse) and finds the first data row that breaks a rule, so the error
names the file, row and column. All checks of a table run in one scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from qinglang.errors import InputError
from qinglang.lake import schema as S
from qinglang.lake.readers import ROW

def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _present(col: str) -> str:
    return f"({col} IS NOT NULL AND trim({col}) <> '')"


def parse_expr(column: S.Column, src: str | None = None) -> str:
    """SQL expression parsing the staged text column to its contract type (NULL if absent/bad)."""
    c = src or q(column.name)
    t = column.type
    if t == S.STRING:
        if column.empty_ok:
            return f"coalesce({c}, '')"
        if column.required:
            return f"trim({c})" if column.name.endswith("_id") else c
        return f"CASE WHEN {c} = '' THEN NULL ELSE {c} END"
    if t == S.TIMESTAMP:
        v = f"trim({c})"
        return (
            f"CASE WHEN regexp_full_match({v}, '-?[0-9]{{1,12}}(\\.[0-9]+)?') "
            f"THEN try(to_timestamp(CAST({v} AS DOUBLE))) "
            f"ELSE TRY_CAST(replace({v}, ' UTC', '') AS TIMESTAMPTZ) END"
        )
    if t == S.BOOL:
        v = f"lower(trim({c}))"
        return f"CASE WHEN {v} IN ('true','1','yes') THEN true WHEN {v} IN ('false','0','no') THEN false END"
    if t in (S.COUNT, S.RANK):
        low = 0 if t == S.COUNT else 1
        v = f"coalesce(TRY_CAST(trim({c}) AS BIGINT), CASE WHEN TRY_CAST(trim({c}) AS DOUBLE) = floor(TRY_CAST(trim({c}) AS DOUBLE)) THEN TRY_CAST(TRY_CAST(trim({c}) AS DOUBLE) AS BIGINT) END)"
        return f"CASE WHEN {v} >= {low} THEN {v} END"
    if t == S.HEX:
        v = f"lower(trim({c}))"
        return f"CASE WHEN regexp_full_match({v}, '[0-9a-f]{{16}}|[0-9a-f]{{64}}') THEN {v} END"
    if t == S.HEX_LIST:
        # lower-case, drop blanks and empty items, then the whole list must be hashes
        v = f"trim(regexp_replace(regexp_replace(lower({c}), '\\s+', '', 'g'), ';+', ';', 'g'), ';')"
        h = "([0-9a-f]{16}|[0-9a-f]{64})"
        return (
            f"CASE WHEN {c} IS NULL OR {v} = '' THEN []::VARCHAR[] "
            f"WHEN regexp_full_match({v}, '{h}(;{h})*') THEN string_split({v}, ';') END"
        )
    if t == S.ENUM:
        v = f"lower(trim({c}))"
        values = ", ".join(lit(e) for e in column.enum)
        return f"CASE WHEN {v} IN ({values}) THEN {v} END"
    raise ValueError(f"unknown column type {t}")


SQL_TYPES = {
    S.STRING: "VARCHAR",
    S.TIMESTAMP: "TIMESTAMPTZ",
    S.BOOL: "BOOLEAN",
    S.COUNT: "BIGINT",
    S.RANK: "BIGINT",
    S.HEX: "VARCHAR",
    S.HEX_LIST: "VARCHAR[]",
    S.ENUM: "VARCHAR",
}

_EXPECT = {
    S.TIMESTAMP: "an ISO 8601 timestamp or epoch seconds",
    S.BOOL: "a boolean (true/false, 1/0, yes/no)",
    S.COUNT: "an integer >= 0",
    S.RANK: "an integer >= 1",
    S.HEX: "a 16- or 64-digit hex hash",
    S.HEX_LIST: "a list of 16- or 64-digit hex hashes separated by ';'",
}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str


def check_columns(spec: S.TableSpec, file: str, columns: list[str]) -> None:
    """Refuse a table whose header lacks a required column."""
    for col in spec.columns:
        if col.required and col.name not in columns:
            raise InputError(file, f"required column {col.name!r} is missing from the header", column=col.name)


def _checks(spec: S.TableSpec, columns: list[str], raw_col, typed_col) -> list[tuple[str, str, str]]:
    """(SQL condition true when a row breaks the rule, column, kind) for each rule of the table.
    `raw_col(name)` is the SQL of the text value; `typed_col(name)`, when given, that of the parsed
    value (else it is parsed from the text)."""
    checks: list[tuple[str, str, str]] = []
    for col in spec.columns:
        if col.name not in columns:
            continue
        c = raw_col(col.name)
        if col.required and not col.empty_ok:
            checks.append((f"NOT {_present(c)}", col.name, "required"))
        if col.type != S.STRING:
            parsed = typed_col(col.name) if typed_col else f"({parse_expr(col, c)})"
            checks.append((f"{_present(c)} AND {parsed} IS NULL", col.name, "type"))
    return checks


def row_checks(spec: S.TableSpec, columns: list[str], raw_col, typed_col) -> list[str]:
    """The conditions of `first_problem` over a row holding both the text and the parsed values."""
    return [cond for cond, _, _ in _checks(spec, columns, raw_col, typed_col)]


def first_problem(con: duckdb.DuckDBPyConnection, spec: S.TableSpec, staged: str, columns: list[str]) -> Problem | None:
    """Scan a staged table once and return the earliest row that breaks a rule."""
    checks = _checks(spec, columns, q, None)
    if not checks:
        return None
    selects = ", ".join(f"min({ROW}) FILTER (WHERE {cond})" for cond, _, _ in checks)
    found = con.execute(f"SELECT {selects} FROM {staged}").fetchone()
    best: tuple[int, int] | None = None
    for i, row in enumerate(found):
        if row is not None and (best is None or row < best[0]):
            best = (row, i)
    if best is None:
        return None
    row, i = best
    _, colname, kind = checks[i]
    col = spec.column(colname)
    if kind == "required":
        return Problem(row, colname, "a value is required")
    value = con.execute(f"SELECT {q(colname)} FROM {staged} WHERE {ROW} = ? LIMIT 1", [row]).fetchone()[0]
    shown = value if len(value) <= 80 else value[:77] + "..."
    if col.type == S.ENUM:
        return Problem(row, colname, f"{shown!r} is not one of {', '.join(col.enum)}")
    return Problem(row, colname, f"{shown!r} is not {_EXPECT[col.type]}")


def duplicate_key(con: duckdb.DuckDBPyConnection, spec: S.TableSpec, typed: str) -> Problem | None:
    """The earliest second occurrence of a repeated key, if any."""
    keys = ", ".join(q(k) for k in spec.key)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT {keys} FROM {typed} GROUP BY {keys} HAVING count(*) > 1")
    try:
        if con.execute("SELECT count(*) FROM _dups").fetchone()[0] == 0:
            return None
        on = " AND ".join(f"t.{q(k)} = d.{q(k)}" for k in spec.key)
        r = con.execute(
            f"SELECT {', '.join('t.' + q(k) for k in spec.key)}, list(t.{ROW} ORDER BY t.{ROW}) AS rs "
            f"FROM {typed} t JOIN _dups d ON {on} GROUP BY {', '.join('t.' + q(k) for k in spec.key)} "
            f"ORDER BY rs[2] LIMIT 1"
        ).fetchone()
    finally:
        con.execute("DROP TABLE _dups")
    key_values = ", ".join(f"{k}={v!s}" for k, v in zip(spec.key, r[: len(spec.key)]))
    rows = r[-1]
    column = spec.key[0] if len(spec.key) == 1 else "+".join(spec.key)
    return Problem(rows[1], column, f"duplicate key ({key_values}), first seen at row {rows[0]}")


def dangling_reference(con: duckdb.DuckDBPyConnection, spec: S.TableSpec, typed: str, known: str) -> Problem | None:
    """The earliest row naming an account that exists neither in the snapshot nor in the workspace."""
    best: Problem | None = None
    for ref in spec.account_refs:
        r = con.execute(
            f"SELECT t.{ROW}, t.{q(ref)} FROM {typed} t ANTI JOIN {known} k ON t.{q(ref)} = k.account_id "
            f"WHERE t.{q(ref)} IS NOT NULL ORDER BY t.{ROW} LIMIT 1"
        ).fetchone()
        if r is not None and (best is None or r[0] < best.row):
            best = Problem(r[0], ref, f"account {r[1]!r} is not in accounts (neither in this snapshot nor in the workspace)")
    return best
