"""Dense-block peeling: planted farms are recovered, camouflage does not hide them, the fast path equals the plain peel."""

import numpy as np

from qinglang.detect.fakefans.graph import from_edges
from qinglang.detect.fakefans.peel import dense_blocks, objective, peel


def _graph(seed=1, m=3000, n=2000, e=30000, farm_rows=60, farm_cols=30, camo=0):
    rng = np.random.default_rng(seed)
    src = rng.integers(0, m, e)
    p = 1 / (np.arange(n) + 4.0)
    p /= p.sum()
    dst = rng.choice(n, e, p=p)
    rows = rng.choice(m, farm_rows, replace=False)
    cols = rng.choice(np.arange(200, n), farm_cols, replace=False)
    s = np.repeat(rows, farm_cols)
    d = np.tile(cols, farm_rows)
    if camo:  # each fake also follows popular accounts (biased camouflage)
        s = np.concatenate([s, np.repeat(rows, camo)])
        d = np.concatenate([d, rng.choice(n, farm_rows * camo, p=p)])
    return from_edges(np.concatenate([src, s]), np.concatenate([dst, d]), m, n), set(rows), set(cols)


def test_planted_farm_is_recovered():
    g, rows, cols = _graph()
    b = peel(g)
    assert set(b.rows.tolist()) == rows
    assert cols <= set(b.cols.tolist())


def test_camouflaged_farm_is_still_found():
    g, rows, cols = _graph(seed=3, camo=40)
    b = peel(g)
    assert len(set(b.rows.tolist()) & rows) / len(rows) >= 0.95
    assert cols <= set(b.cols.tolist())


def test_shaving_gives_the_same_block_and_objective_as_the_plain_peel():
    g, _, _ = _graph(seed=5)
    a, b = peel(g), peel(g, shave=False)
    assert a.rows.tolist() == b.rows.tolist() and a.cols.tolist() == b.cols.tolist()
    assert abs(objective(g, a.rows, a.cols) - objective(g, b.rows, b.cols)) < 1e-9
    assert abs(a.score - objective(g, a.rows, a.cols)) < 1e-6


def test_several_blocks_are_found_one_after_another():
    rng = np.random.default_rng(2)
    src = list(rng.integers(0, 2000, 8000))
    dst = list(rng.integers(0, 1000, 8000))
    planted = []
    r0, c0 = 2000, 1000
    for nr, nc in ((60, 30), (40, 16), (30, 9)):  # different densities: equal ones would peel as one union
        rows = np.arange(r0, r0 + nr)
        cols = np.arange(c0, c0 + nc)
        r0, c0 = r0 + nr, c0 + nc
        src += list(np.repeat(rows, nc))
        dst += list(np.tile(cols, nr))
        planted.append(set(rows.tolist()))
    g = from_edges(np.array(src), np.array(dst))
    blocks = dense_blocks(g, 3)
    found = [set(b.rows.tolist()) for b in blocks]
    for p in planted:
        assert max(len(p & f) / len(p | f) for f in found) >= 0.9


def test_duplicate_edges_are_collapsed():
    g = from_edges(np.array([0, 0, 1]), np.array([1, 1, 0]))
    assert g.n_edges == 2


def test_edge_files_build_the_same_graph(tmp_path):
    """Parquet (several row groups, decoded once) and .npy edge files give the graph from_edges builds."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    from qinglang.detect.fakefans.graph import from_edge_file

    rng = np.random.default_rng(4)
    src = rng.integers(0, 500, 20_000).astype(np.int32)
    dst = rng.integers(0, 300, 20_000).astype(np.int32)  # duplicates included
    want = from_edges(src, dst)
    pq.write_table(pa.table({"src": src, "dst": dst}), tmp_path / "e.parquet", row_group_size=3_000)
    np.save(tmp_path / "e.npy", np.stack([src, dst], 1))
    for name in ("e.parquet", "e.npy"):
        g = from_edge_file(tmp_path / name)
        assert (g.n_rows, g.n_cols) == (want.n_rows, want.n_cols)
        for a in ("row_ptr", "row_idx", "col_ptr", "col_idx"):
            np.testing.assert_array_equal(getattr(g, a), getattr(want, a))
    with pytest.raises(ValueError, match="no column 'to'"):
        from_edge_file(tmp_path / "e.parquet", dst="to")
