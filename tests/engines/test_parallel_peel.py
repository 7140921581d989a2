"""Parallel peeling over the engine: the exact greedy's blocks when the graph fits, the stated factor when it
does not, planted farms recovered (camouflaged too), and no more rounds than the bound."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from qinglang.detect.fakefans.graph import from_edges
from qinglang.detect.fakefans.parallel_peel import (approximation_factor, block_density, dense_blocks_engine,
                                                    parallel_peel, rounds_bound)
from qinglang.detect.fakefans.peel import dense_blocks, log_weights, objective, peel

EDGES, WEIGHTS = "SELECT r, c FROM e", "SELECT c, w FROM w"


def planted(seed=1, m=3000, n=2000, e=30000, farms=((60, 30),), camo=0):
    """Zipf-popular organic follows plus farms (rows x cols, complete), each fake also following `camo` popular
    accounts (FRAUDAR's camouflage)."""
    rng = np.random.default_rng(seed)
    src = [rng.integers(0, m, e)]
    p = 1 / (np.arange(n) + 4.0)
    p /= p.sum()
    dst = [rng.choice(n, e, p=p)]
    free_rows, free_cols = rng.permutation(m), rng.permutation(np.arange(200, n))
    planted_sets = []
    for k, (fr, fc) in enumerate(farms):
        rows, free_rows = free_rows[:fr], free_rows[fr:]
        cols, free_cols = free_cols[:fc], free_cols[fc:]
        src.append(np.repeat(rows, fc))
        dst.append(np.tile(cols, fr))
        if camo:
            src.append(np.repeat(rows, camo))
            dst.append(rng.choice(n, fr * camo, p=p))
        planted_sets.append((set(rows.tolist()), set(cols.tolist())))
    g = from_edges(np.concatenate(src), np.concatenate(dst), m, n)
    return g, planted_sets


def load(duck, g):
    r, c = g.edges()
    duck.register("e", pa.table({"r": r.astype(np.int64), "c": c.astype(np.int64)}))
    w = log_weights(g.col_degrees())
    duck.register("w", pa.table({"c": np.arange(g.n_cols, dtype=np.int64), "w": w}))
    return w


def test_a_graph_that_fits_gets_exactly_the_greedy_blocks(duck):
    g, _ = planted(farms=((60, 30), (40, 20)))
    w = load(duck, g)
    want = dense_blocks(g, 3, weights=w, min_rows=5, min_cols=2)
    got = dense_blocks_engine(duck, EDGES, WEIGHTS, 3, min_rows=5, min_cols=2, exact_weights=w)
    assert len(got) == len(want) == 3
    for (b, run), a in zip(got, want):
        assert run.method == "exact" and run.factor == 2.0
        assert np.array_equal(b.rows, a.rows) and np.array_equal(b.cols, a.cols)
        assert b.score == pytest.approx(a.score, rel=1e-12)


@pytest.mark.parametrize("eps", [0.05, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("camo", [0, 40])
def test_rounds_alone_stay_within_the_factor_and_recover_the_farm(duck, eps, camo):
    g, [(rows, cols)] = planted(seed=3, camo=camo)
    w = load(duck, g)
    exact = peel(g, w)
    b, run = parallel_peel(duck, EDGES, WEIGHTS, eps=eps, exact_max_edges=0)
    assert run.method == "parallel" and run.exact_edges == 0
    g_par = objective(g, b.rows, b.cols, w)  # recomputed from the edges, not taken from the run
    assert g_par == pytest.approx(b.score, rel=1e-9)
    assert g_par >= exact.score / approximation_factor(eps)  # the stated guarantee (greedy <= optimum)
    assert len(run.rounds) <= rounds_bound(g.n_rows + g.n_cols, eps)
    found = set(b.rows.tolist())
    assert len(found & rows) / len(rows) >= 0.95 and len(found - rows) <= 0.05 * len(rows)
    assert cols <= set(b.cols.tolist())


def test_the_exact_tail_finishes_what_the_rounds_started(duck):
    g, [(rows, _)] = planted(seed=5, m=20000, n=8000, e=200_000, camo=20)
    w = load(duck, g)
    exact = peel(g, w)
    b, run = parallel_peel(duck, EDGES, WEIGHTS, exact_max_edges=20_000, exact_weights=w)
    assert run.method in ("parallel+exact", "parallel") and 0 < run.exact_edges <= 20_000
    assert run.rounds[0]["edges"] > 20_000  # it did start with rounds
    assert objective(g, b.rows, b.cols, w) >= exact.score * (1 - 1e-9)  # as good as the greedy here
    assert set(b.rows.tolist()) == rows


def test_several_farms_come_out_one_block_each(duck):
    g, farms = planted(seed=7, m=6000, n=3000, e=60000, farms=((80, 30), (50, 25), (40, 40)), camo=10)
    w = load(duck, g)
    blocks = dense_blocks_engine(duck, EDGES, WEIGHTS, 3, exact_max_edges=8000, min_rows=5, min_cols=2,
                                 exact_weights=w)
    assert len(blocks) == 3 and all(run.rounds[0]["edges"] > 8000 for _, run in blocks)
    for rows, cols in farms:
        best = max(len(set(b.rows.tolist()) & rows) / len(rows | set(b.rows.tolist())) for b, _ in blocks)
        assert best >= 0.9
    seen = set()  # rows of earlier blocks are not reused
    for b, _ in blocks:
        assert not (seen & set(b.rows.tolist()))
        seen |= set(b.rows.tolist())


def test_rounds_alone_keep_every_farm_inside_their_blocks(duck):
    """Without the exact tail, farms of similar density may stay together in one block (its density is within the
    factor of each), but no farm is lost."""
    g, farms = planted(seed=7, m=6000, n=3000, e=60000, farms=((80, 30), (50, 25), (40, 40)), camo=10)
    w = load(duck, g)
    blocks = dense_blocks_engine(duck, EDGES, WEIGHTS, 3, exact_max_edges=0, min_rows=5, min_cols=2)
    found = set().union(*(set(b.rows.tolist()) for b, _ in blocks))
    for rows, _ in farms:
        assert len(rows & found) / len(rows) >= 0.95
    best = max(objective(g, b.rows, b.cols, w) for b, _ in blocks)
    assert best >= peel(g, w).score / approximation_factor()


def test_block_density_matches_the_objective(duck):
    g, [(rows, cols)] = planted()
    w = load(duck, g)
    r, c = np.array(sorted(rows)), np.array(sorted(cols))
    assert block_density(duck, EDGES, WEIGHTS, r, c) == pytest.approx(objective(g, r, c, w), rel=1e-9)


def test_an_empty_graph_has_no_block(duck):
    duck.register("e", pa.table({"r": pa.array([], pa.int64()), "c": pa.array([], pa.int64())}))
    duck.register("w", pa.table({"c": pa.array([], pa.int64()), "w": pa.array([], pa.float64())}))
    b, run = parallel_peel(duck, EDGES, WEIGHTS, exact_max_edges=0)
    assert b.rows.size == 0 and run.rounds == []
    assert dense_blocks_engine(duck, EDGES, WEIGHTS, 3) == []
