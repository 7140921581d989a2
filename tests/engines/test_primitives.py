"""The engine primitives on DuckDB: whole groups in order, batches, dense row numbers, kept tables."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from qinglang.engines.apply import last_group_start, whole_groups

SEG = pa.schema([("g", pa.string()), ("rows", pa.int64()), ("first", pa.int64()), ("last", pa.int64()),
                 ("sorted", pa.bool_())])


def per_group(seen: list, t: pa.Table) -> pa.Table:
    """One row per group of the chunk: size, first and last `x`, whether `x` arrived sorted."""
    seen.append(t.num_rows)
    out = {n: [] for n in SEG.names}
    g = t.column("g").to_pylist()
    x = t.column("x").to_numpy()
    starts = [0] + [i for i in range(1, len(g)) if g[i] != g[i - 1]] + [len(g)]
    for a, b in zip(starts[:-1], starts[1:]):
        out["g"].append(g[a])
        out["rows"].append(b - a)
        out["first"].append(int(x[a]))
        out["last"].append(int(x[b - 1]))
        out["sorted"].append(bool(np.all(np.diff(x[a:b]) >= 0)))
    return pa.table(out, schema=SEG)


def events(n=20_000, groups=300, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    g[:6000] = 7  # one group far bigger than a chunk
    return pa.table({"g": pa.array([f"k{v:04d}" for v in g]), "x": pa.array(rng.permutation(n).astype(np.int64))})


def test_group_apply_sees_every_group_whole_and_sorted(duck):
    t = events()
    duck.register("ev", t)
    seen: list[int] = []
    out = duck.group_apply("SELECT g, x FROM ev", ["g"], functools.partial(per_group, seen), SEG, order_by=["x"],
                           chunk_rows=1000)
    expect = pc.value_counts(t.column("g")).to_pylist()
    assert sorted(zip(out["g"].to_pylist(), out["rows"].to_pylist())) == sorted((d["values"], d["counts"]) for d in expect)
    assert out.num_rows == len(expect)  # no group split across calls
    assert all(out["sorted"].to_pylist())
    assert max(seen) >= 6000 and len(seen) > 5  # chunked, and the big group whole in one call


def test_whole_groups_keeps_null_keys_together():
    b = pa.record_batch({"g": pa.array(["a", "a", None, None, None]), "x": pa.array([1, 2, 3, 4, 5])})
    parts = list(whole_groups([b.slice(0, 3), b.slice(3)], ["g"], 1))
    assert [p.column("g").to_pylist() for p in parts] == [["a", "a"], [None, None, None]]
    assert last_group_start(pa.Table.from_batches([b]), ["g"]) == 2


def test_map_batches_in_forked_workers_gives_the_single_process_result(duck):
    duck.register("ev", events())
    schema = pa.schema([("g", pa.string()), ("x2", pa.int64())])
    fn = functools.partial(_double, 2)
    one = duck.map_batches("SELECT g, x FROM ev", fn, schema, batch_rows=3000)
    done = []
    two = duck.map_batches("SELECT g, x FROM ev", fn, schema, batch_rows=3000, workers=2, progress=done.append)
    assert one.num_rows == 20_000 and one.equals(two)
    assert done[-1] == 20_000


def _double(k, b: pa.RecordBatch) -> pa.Table:
    return pa.table({"g": b.column("g"), "x2": pc.multiply(b.column("x"), k)})


def test_results_kept_as_tables_and_dropped(duck):
    duck.register("ev", events(2000))
    duck.map_batches("SELECT g, x FROM ev", functools.partial(_double, 3), pa.schema([("g", pa.string()), ("x2", pa.int64())]),
                     into="tripled")
    assert duck.sql("SELECT sum(x2) AS s FROM tripled")["s"][0].as_py() == 3 * sum(range(2000))
    duck.materialize("big", "SELECT * FROM tripled WHERE x2 > 3000")
    assert {"tripled", "big"} <= duck.tables()
    duck.drop("big")
    duck.drop("tripled")
    assert not {"tripled", "big"} & duck.tables()
    with pytest.raises(Exception):
        duck.sql("SELECT * FROM big")


def test_number_rows_is_a_dense_index_in_key_order(duck):
    ids = [f"u{i:05d}" for i in np.random.default_rng(1).permutation(5000)]
    duck.register("acc", pa.table({"account_id": ids}))
    duck.number_rows("idx", "SELECT account_id FROM acc", ["account_id"], "i")
    t = duck.sql("SELECT account_id, i FROM idx ORDER BY i")
    assert t["i"].to_pylist() == list(range(5000))
    assert t["account_id"].to_pylist() == sorted(ids)
