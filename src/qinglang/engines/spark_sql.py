"""DuckDB-dialect SQL (what detectors write) to Spark SQL, with sqlglot.

sqlglot does the dialect work; on top of it this module keeps two behaviours that
differ between the engines identical:

- `epoch(ts)` is a DOUBLE of seconds with the fraction in DuckDB; Spark's
  UNIX_TIMESTAMP truncates to whole seconds. It becomes `UNIX_MICROS(ts) / 1e6`.
- `CAST(x AS BIGINT)` of a DOUBLE rounds half to even in DuckDB and truncates in
  Spark; a cast of `epoch(...)` (how detectors turn times into integers) becomes
  `CAST(BROUND(...) AS BIGINT)`, so a time at .5 s lands on the same second.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

_INT_TYPES = {exp.DataType.Type.BIGINT, exp.DataType.Type.INT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT}


def _epoch_seconds(node: exp.Expression, exact: bool = False) -> exp.Expression:
    """Seconds since the epoch: DOUBLE like DuckDB's, or (exact) a DECIMAL to round from."""
    micros = exp.Anonymous(this="UNIX_MICROS", expressions=[node.this])
    if not exact:
        micros = exp.Cast(this=micros, to=exp.DataType.build("DOUBLE"))
    return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1000000.0")))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.TimeToUnix) and node.to.this in _INT_TYPES:
        rounded = exp.Anonymous(this="BROUND", expressions=[_epoch_seconds(node.this, exact=True)])
        return exp.Cast(this=rounded, to=node.to.copy())
    if isinstance(node, exp.TimeToUnix):
        return _epoch_seconds(node)
    return node


@lru_cache(maxsize=2048)
def to_spark(query: str) -> str:
    """The Spark SQL form of a DuckDB-dialect query (unchanged when sqlglot cannot parse it)."""
    try:
        trees = sqlglot.parse(query, read="duckdb")
    except sqlglot.errors.ParseError:
        return query
    out = []
    for tree in trees:
        if tree is None:
            continue
        tree = tree.transform(_rewrite)
        out.append(tree.sql(dialect="spark"))
    return ";\n".join(out)
