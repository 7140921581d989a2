"""Blocking: candidate pairs that agree on every key of at least one rule (DuckDB equi-joins).

A key is an SQL expression over one record's columns; it may unnest a list into several keys per record
(`unnest(string_split(full_name, ' '))`: records sharing any name token).

Work grows with the candidates, not with left x right: each rule is a hash join on its
key expressions. Key values that would generate more than `max_pairs_per_key` pairs (a
stock avatar, a campus IP, the name 'Li') are skipped for blocking and reported; such
values carry little evidence anyway (their term-frequency weight is near zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from qinglang.errors import QinglangError
from qinglang.linkage.records import Records
from qinglang.linkage.settings import BlockingRule


@dataclass
class RulePairs:
    rule: BlockingRule
    i: np.ndarray
    j: np.ndarray
    skipped_keys: int = 0
    skipped_pairs: int = 0


@dataclass
class Candidates:
    """Distinct candidate pairs, the first rule that produced each, and each rule's own pairs."""

    i: np.ndarray
    j: np.ndarray
    rule: np.ndarray  # int16 index of the first rule giving the pair
    per_rule: list[RulePairs] = field(default_factory=list)
    n_right: int = 0

    def __len__(self) -> int:
        return len(self.i)

    def rule_index(self, r: int) -> np.ndarray:
        """Positions (into i/j) of every pair that rule r produced (not only first)."""
        rp = self.per_rule[r]
        keys = self.i.astype(np.int64) * self.n_right + self.j
        want = rp.i.astype(np.int64) * self.n_right + rp.j
        order = np.argsort(keys, kind="stable")
        pos = np.searchsorted(keys[order], want)
        pos = np.clip(pos, 0, len(keys) - 1)
        return order[pos]

    def summary(self) -> list[dict]:
        return [{"rule": rp.rule.name, "pairs": int(len(rp.i)), "skipped_hot_keys": rp.skipped_keys,
                 "skipped_pairs": rp.skipped_pairs} for rp in self.per_rule]


def _con(threads: int | None = None, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con


def block(left: Records, right: Records | None, rules: list[BlockingRule], *, threads: int | None = None,
          memory_limit: str | None = None, con: duckdb.DuckDBPyConnection | None = None) -> Candidates:
    """Candidate pairs of `left` against `right` (or of `left` with itself when right is None)."""
    same = right is None
    rt = left if same else right
    own = con is None
    con = con or _con(threads, memory_limit)
    try:
        con.register("__left", left.table.append_column("__i", pa.array(np.arange(left.n, dtype=np.int64))))
        if not same:
            con.register("__right", rt.table.append_column("__i", pa.array(np.arange(rt.n, dtype=np.int64))))
        per_rule = [_rule_pairs(con, rule, same) for rule in rules]
    finally:
        if own:
            con.close()
        else:
            con.unregister("__left")
            if not same:
                con.unregister("__right")
    return combine(per_rule, rt.n)


def combine(per_rule: list[RulePairs], n_right: int) -> Candidates:
    if not per_rule:
        z = np.zeros(0, dtype=np.int64)
        return Candidates(z, z, z.astype(np.int16), [], n_right)
    keys = np.concatenate([rp.i.astype(np.int64) * n_right + rp.j for rp in per_rule])
    rule = np.concatenate([np.full(len(rp.i), r, dtype=np.int16) for r, rp in enumerate(per_rule)])
    uniq, first = np.unique(keys, return_index=True)
    return Candidates(uniq // n_right, uniq % n_right, rule[first], per_rule, n_right)


def _rule_pairs(con: duckdb.DuckDBPyConnection, rule: BlockingRule, same: bool) -> RulePairs:
    keys = [f"NULLIF(CAST(({k}) AS VARCHAR), '')" for k in rule.keys]
    sel = ", ".join(f"{k} AS k{n}" for n, k in enumerate(keys))
    not_null = " AND ".join(f"k{n} IS NOT NULL" for n in range(len(keys)))
    kcols = ", ".join(f"k{n}" for n in range(len(keys)))
    on = " AND ".join(f"l.k{n} = r.k{n}" for n in range(len(keys)))
    lsrc = "__left"
    rsrc = "__left" if same else "__right"
    if same:
        size = "count(*) * (count(*) - 1) / 2"
        sizes = f"SELECT {kcols}, {size} AS pairs FROM l GROUP BY {kcols}"
    else:
        sizes = (f"SELECT {', '.join(f'lc.k{n}' for n in range(len(keys)))}, lc.n * rc.n AS pairs FROM "
                 f"(SELECT {kcols}, count(*) AS n FROM l GROUP BY {kcols}) lc JOIN "
                 f"(SELECT {kcols}, count(*) AS n FROM r GROUP BY {kcols}) rc ON "
                 + " AND ".join(f"lc.k{n} = rc.k{n}" for n in range(len(keys))))
    cap = int(rule.max_pairs_per_key)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE l AS SELECT * FROM (SELECT __i, {sel} FROM {lsrc}) WHERE {not_null}")
        if not same:
            con.execute(f"CREATE OR REPLACE TEMP TABLE r AS SELECT * FROM (SELECT __i, {sel} FROM {rsrc}) WHERE {not_null}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE hot AS SELECT * FROM ({sizes}) WHERE pairs > {cap}")
        skipped_keys, skipped_pairs = con.execute("SELECT count(*), coalesce(sum(pairs), 0) FROM hot").fetchall()[0]
        rname = "l" if same else "r"
        cond = " AND l.__i < r.__i" if same else ""
        anti = ""
        if skipped_keys:
            anti = (" AND NOT EXISTS (SELECT 1 FROM hot h WHERE "
                    + " AND ".join(f"h.k{n} = l.k{n}" for n in range(len(keys))) + ")")
        # a key may be a list unnested into several rows per record (e.g. name tokens): pairs once
        q = f"SELECT DISTINCT l.__i AS i, r.__i AS j FROM l JOIN {rname} r ON {on}{cond} WHERE TRUE{anti}"
        tbl = con.sql(q).to_arrow_table()
    except duckdb.Error as e:
        raise QinglangError(f"linkage: blocking rule {rule.name!r} failed: {e}") from None
    finally:
        for t in ("l", "r", "hot"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    i = tbl.column("i").to_numpy().astype(np.int64)
    j = tbl.column("j").to_numpy().astype(np.int64)
    return RulePairs(rule, i, j, int(skipped_keys), int(skipped_pairs))
