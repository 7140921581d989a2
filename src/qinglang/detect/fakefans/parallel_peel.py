"""Dense blocks of a follow graph too big for one machine: parallel peeling in rounds over the engine.

The objective is FRAUDAR's (peel.py): g(S) = f(S) / (|R| + |C|) with f(S) the weight of
the edges inside the block, an edge into column c weighing w[c] (1 / log(deg(c) + 5),
fixed from the whole graph). A node's value is the weight it would take with it (a
row: the sum of w over its alive columns; a column: w[c] times its alive rows), so the
average value over the alive nodes is 2 g(S).

Each round (Bahmani, Kumar & Vassilvitskii, VLDB 2012, for this weighted bipartite
objective) removes, at once, every node whose value is at most (1 + eps) times that
average, and remembers the best g(S) seen. Two SQL aggregations and one join per
round, so it runs wherever the engine runs (Spark on a cluster, DuckDB here):

- Approximation: g(best) >= g* / (2 (1 + eps)), g* the densest block's objective
  (the first round that removes a node of the optimum S* has every node of S* worth at
  least g*, so 2 (1 + eps) g(S) >= g* there). `eps` = 0.1 by default: a factor of 2.2.
- Rounds: a fraction of at least eps / (1 + eps) of the nodes leaves each round, so
  at most log_{1+eps}(|R| + |C|) + 1 rounds (about 220 for 10^9 nodes at eps = 0.1;
  skewed follow graphs shrink far faster: tens of rounds).
- Exact tail: as soon as the alive edges number at most `exact_max_edges`, they are
  collected and the exact greedy (peel.py) finishes on them, on one machine; its block
  replaces the rounds' best when denser (and when the rounds ran past their best round,
  the greedy runs inside that round's graph if it fits, which splits a union of farms
  of similar density that coarse rounds keep together). This is the only step that
  collects edges.
  The guarantee stands (if the optimum is still whole, greedy's factor 2 applies to
  it), and a graph that fits from the start gets exactly the greedy's blocks.

`dense_blocks_engine` peels up to k blocks like peel.dense_blocks: each after removing the
rows of the blocks before it, columns and weights kept.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from qinglang.detect.fakefans.peel import Block

#: edges collected for the exact greedy when the alive graph is at most this big (about 40 bytes per edge)
DEFAULT_EXACT_MAX_EDGES = 50_000_000
DEFAULT_EPS = 0.1
MAX_ROUNDS = 1000

_ids = itertools.count()


@dataclass
class PeelRun:
    """How a block was found: per round (alive edges, rows, cols, g), and which method gave the block."""

    rounds: list[dict] = field(default_factory=list)
    method: str = "exact"  # exact | parallel | parallel+exact
    eps: float = DEFAULT_EPS
    exact_edges: int = 0  # edges collected for the exact tail (0: none)

    @property
    def factor(self) -> float:
        """Worst-case ratio between the optimum's objective and the block's."""
        return 2.0 if self.method == "exact" else 2.0 * (1.0 + self.eps)


def _num(x: float) -> str:
    return f"CAST({float(x)!r} AS DOUBLE)"


def approximation_factor(eps: float = DEFAULT_EPS) -> float:
    return 2.0 * (1.0 + eps)


def _exact_tail(engine, table: str, exact_weights: np.ndarray | None = None) -> tuple[Block, int]:
    """Collect the alive edges (r, c, w) and run the exact greedy on them; indices mapped back.

    `exact_weights` (per column index), when given, replaces the engine's w: the greedy then sees exactly the
    weights a one-machine run computes (the engines' logarithms may differ in the last bit)."""
    from qinglang.detect.fakefans.graph import from_edges
    from qinglang.detect.fakefans.peel import peel

    t = engine.sql(f"SELECT r, c, w FROM {table}")
    r = np.asarray(t.column("r").to_numpy(), np.int64)
    c = np.asarray(t.column("c").to_numpy(), np.int64)
    w = np.asarray(t.column("w").to_numpy(), np.float64)
    if r.size == 0:
        return Block(np.empty(0, np.int64), np.empty(0, np.int64), 0.0), 0
    rows, ri = np.unique(r, return_inverse=True)  # sorted: compact indices keep the order, so ties break the same
    cols, ci = np.unique(c, return_inverse=True)
    cw = np.zeros(cols.size)
    cw[ci] = w
    if exact_weights is not None:
        cw = np.asarray(exact_weights, np.float64)[cols]
    g = from_edges(ri, ci, rows.size, cols.size)
    b = peel(g, weights=cw)
    return Block(rows[b.rows.astype(np.int64)], cols[b.cols.astype(np.int64)], float(b.score)), int(r.size)


def _round_of(table: str) -> int:
    return int(table.rsplit("_", 1)[1])


def parallel_peel(engine, edges: str, weights: str, eps: float = DEFAULT_EPS,
                  exact_max_edges: int = DEFAULT_EXACT_MAX_EDGES, exclude_rows: str | None = None,
                  progress=None, exact_weights: np.ndarray | None = None) -> tuple[Block, PeelRun]:
    """The densest block of `edges` (a table or query with distinct BIGINT r, c) under the weights
    `weights` (c, w), skipping the rows in `exclude_rows` (a table with column r) if given."""
    if eps <= 0:
        raise ValueError("eps must be > 0")
    tag = f"__pp{next(_ids)}"
    run = PeelRun(eps=eps)
    skip = (f" LEFT JOIN {exclude_rows} x ON x.r = e.r WHERE x.r IS NULL" if exclude_rows else "")
    cur = f"{tag}_0"
    engine.materialize(cur, f"SELECT e.r, e.c, w.w FROM ({edges}) e JOIN ({weights}) w ON w.c = e.c{skip}")
    best_g, best_table = -1.0, None
    block: Block | None = None
    try:
        for k in range(MAX_ROUNDS):
            s = engine.sql(f"SELECT count(*) AS m, sum(w) AS f, count(DISTINCT r) AS nr, count(DISTINCT c) AS nc "
                           f"FROM {cur}").to_pylist()[0]
            m = int(s["m"] or 0)
            if m == 0:
                break
            f, nr, nc = float(s["f"]), int(s["nr"]), int(s["nc"])
            g = f / (nr + nc)
            run.rounds.append({"edges": m, "rows": nr, "cols": nc, "g": g})
            if progress:
                progress("dense blocks: parallel peeling", k, 0)
            if g > best_g:
                if best_table and best_table not in (cur, f"{tag}_0"):
                    engine.drop(best_table)
                best_g, best_table = g, cur
            if m <= exact_max_edges:
                exact, run.exact_edges = _exact_tail(engine, cur, exact_weights)
                if k == 0:  # the whole graph fits: exactly the greedy's block
                    block, run.method = exact, "exact"
                elif exact.score >= best_g:
                    block, run.method = exact, "parallel+exact"
                break
            tau = _num((1.0 + eps) * 2.0 * g)
            nxt = f"{tag}_{k + 1}"
            engine.materialize(
                nxt,
                f"SELECT e.r, e.c, e.w FROM {cur} e "
                f"JOIN (SELECT r FROM {cur} GROUP BY r HAVING sum(w) > {tau}) a ON a.r = e.r "
                f"JOIN (SELECT c FROM {cur} GROUP BY c HAVING sum(w) > {tau}) b ON b.c = e.c")
            if cur not in (best_table, f"{tag}_0"):
                engine.drop(cur)
            cur = nxt
        if block is None and best_table is not None and run.rounds[_round_of(best_table)]["edges"] <= exact_max_edges:
            # the best round fits (the rounds ran on past it): the greedy inside it splits a union of farms
            exact, run.exact_edges = _exact_tail(engine, best_table, exact_weights)
            if exact.score >= best_g:
                block, run.method = exact, "parallel+exact"
        if block is None:
            run.method = "parallel"
            if best_table is None:
                block = Block(np.empty(0, np.int64), np.empty(0, np.int64), 0.0)
            else:
                rows = engine.sql(f"SELECT DISTINCT r FROM {best_table} ORDER BY r").column(0).to_numpy()
                cols = engine.sql(f"SELECT DISTINCT c FROM {best_table} ORDER BY c").column(0).to_numpy()
                block = Block(np.asarray(rows, np.int64), np.asarray(cols, np.int64), best_g)
                block = polish(engine, f"{tag}_0", block)
    finally:
        for name in {cur, best_table, f"{tag}_0"} - {None}:
            engine.drop(name)
    return block, run


def polish(engine, graph: str, block: Block, steps: int = 5) -> Block:
    """Local moves that never lower g, repeated while the block changes (at most `steps` times): the rows worth at
    least g against the block's columns replace its rows (those worth less leave, outside ones worth at least g
    join), then the same for the columns against the new rows.

    Why g cannot drop: with the columns fixed, f changes by the values of the rows that join (each >= g) minus
    those that leave (each < g), so f' >= g (|R'| + |C|). A farm split by a coarse round is made whole again.
    """
    tag = f"__ppp{next(_ids)}"
    rows, cols, g = block.rows.astype(np.int64), block.cols.astype(np.int64), block.score
    try:
        for _ in range(steps):
            engine.register(f"{tag}_c", pa.table({"c": pa.array(cols, pa.int64())}))
            rv = engine.sql(f"SELECT e.r, sum(e.w) AS v FROM {graph} e JOIN {tag}_c b ON b.c = e.c GROUP BY e.r")
            r_ids, r_v = rv.column(0).to_numpy().astype(np.int64), rv.column(1).to_numpy()
            new_rows = np.sort(r_ids[r_v >= g])
            if new_rows.size == 0:
                break
            engine.register(f"{tag}_r", pa.table({"r": pa.array(new_rows, pa.int64())}))
            cv = engine.sql(f"SELECT e.c, sum(e.w) AS v FROM {graph} e JOIN {tag}_r a ON a.r = e.r GROUP BY e.c")
            c_ids, c_v = cv.column(0).to_numpy().astype(np.int64), cv.column(1).to_numpy()
            g_rows = float(c_v[np.isin(c_ids, cols)].sum()) / (new_rows.size + cols.size)  # after the row move
            new_cols = np.sort(c_ids[c_v >= g_rows])
            if new_cols.size == 0:
                break
            g_new = float(c_v[np.isin(c_ids, new_cols)].sum()) / (new_rows.size + new_cols.size)
            if g_new < g * (1 - 1e-12):  # (only rounding can do this) keep what we had
                break
            changed = not (np.array_equal(new_rows, rows) and np.array_equal(new_cols, cols))
            rows, cols, g = new_rows, new_cols, max(g, g_new)
            block = Block(rows, cols, g_new)
            if not changed:
                break
    finally:
        engine.drop(f"{tag}_r")
        engine.drop(f"{tag}_c")
    return block


def dense_blocks_engine(engine, edges: str, weights: str, k: int, eps: float = DEFAULT_EPS,
                        exact_max_edges: int = DEFAULT_EXACT_MAX_EDGES, min_rows: int = 2, min_cols: int = 1,
                        progress=None, exact_weights: np.ndarray | None = None) -> list[tuple[Block, PeelRun]]:
    """Up to k blocks, each peeled after removing the rows of the blocks found before it (as peel.dense_blocks)."""
    found: list[tuple[Block, PeelRun]] = []
    m = int(engine.sql(f"SELECT count(*) AS m FROM ({edges}) e").column(0)[0].as_py() or 0)
    if m <= exact_max_edges:  # the whole graph fits: collect it once and peel every block on this machine
        return _exact_blocks(engine, edges, weights, k, min_rows, min_cols, exact_weights)
    taken = f"__pp_taken{next(_ids)}"
    removed = np.empty(0, np.int64)
    try:
        for _ in range(k):
            engine.register(taken, pa.table({"r": pa.array(removed, pa.int64())}))
            b, run = parallel_peel(engine, edges, weights, eps=eps, exact_max_edges=exact_max_edges,
                                   exclude_rows=taken if removed.size else None, progress=progress,
                                   exact_weights=exact_weights)
            if b.rows.size < min_rows or b.cols.size < min_cols:
                break
            found.append((b, run))
            removed = np.union1d(removed, b.rows.astype(np.int64))
    finally:
        engine.drop(taken)
    return found


def _exact_blocks(engine, edges: str, weights: str, k: int, min_rows: int, min_cols: int,
                  exact_weights: np.ndarray | None) -> list[tuple[Block, PeelRun]]:
    """peel.dense_blocks on the collected graph: the blocks the per-block exact tails would give, in one pass."""
    from qinglang.detect.fakefans.graph import from_edges
    from qinglang.detect.fakefans.peel import dense_blocks

    t = engine.sql(f"SELECT e.r, e.c, w.w FROM ({edges}) e JOIN ({weights}) w ON w.c = e.c")
    r = np.asarray(t.column("r").to_numpy(), np.int64)
    c = np.asarray(t.column("c").to_numpy(), np.int64)
    if r.size == 0:
        return []
    rows, ri = np.unique(r, return_inverse=True)
    cols, ci = np.unique(c, return_inverse=True)
    cw = np.zeros(cols.size)
    cw[ci] = np.asarray(t.column("w").to_numpy(), np.float64)
    if exact_weights is not None:
        cw = np.asarray(exact_weights, np.float64)[cols]
    g = from_edges(ri, ci, rows.size, cols.size)
    out = []
    for b in dense_blocks(g, k, weights=cw, min_rows=min_rows, min_cols=min_cols):
        run = PeelRun(rounds=[{"edges": int(r.size), "rows": int(rows.size), "cols": int(cols.size)}],
                      method="exact", exact_edges=int(r.size))
        out.append((Block(rows[b.rows.astype(np.int64)], cols[b.cols.astype(np.int64)], float(b.score)), run))
    return out


def block_density(engine, edges: str, weights: str, rows: np.ndarray, cols: np.ndarray) -> float:
    """g(S) of a given block, recomputed over the engine (for checks and evidence)."""
    if len(rows) + len(cols) == 0:
        return 0.0
    tag = f"__ppb{next(_ids)}"
    engine.register(f"{tag}_r", pa.table({"r": pa.array(np.asarray(rows, np.int64))}))
    engine.register(f"{tag}_c", pa.table({"c": pa.array(np.asarray(cols, np.int64))}))
    try:
        f = engine.sql(f"SELECT sum(w.w) AS f FROM ({edges}) e JOIN {tag}_r a ON a.r = e.r JOIN {tag}_c b ON b.c = e.c "
                       f"JOIN ({weights}) w ON w.c = e.c").column(0)[0].as_py() or 0.0
    finally:
        engine.drop(f"{tag}_r")
        engine.drop(f"{tag}_c")
    return float(f) / (len(rows) + len(cols))


def rounds_bound(nodes: int, eps: float = DEFAULT_EPS) -> int:
    """Most rounds the parallel peel can take on a graph of `nodes` nodes."""
    return int(math.ceil(math.log(max(nodes, 2)) / math.log1p(eps))) + 1
