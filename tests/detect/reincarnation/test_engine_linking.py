"""Linking on the engine (what the scan runs, on DuckDB or Spark) gives what linking in memory gives: the same
candidates per blocking rule, the same fitted model and the same findings, evidence included, also with the
caps (hot name keys, stock avatars, common identity values, backup accounts registered before the ban) in play."""

from __future__ import annotations

import numpy as np
import pytest

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.engine_linking import link_on_engine
from qinglang.detect.reincarnation.evidence import findings_from_links
from qinglang.detect.reincarnation.linking import link_accounts
from qinglang.detect.reincarnation.load import read_tables

TIGHT = {"max_pairs_per_key": 3, "max_accounts_per_avatar": 2, "max_accounts_per_identity": 2,
         "created_before_ban_days": 30, "min_common_fans": 3, "hub_following": 200}


def _rows(t):
    return sorted(zip(*(t[c].to_pylist() for c in ("subject_id", "related_id", "score", "evidence"))))


def _both(app, section, engine_name="duckdb"):
    engine = app.engine("duckdb")
    try:
        tables = read_tables(engine, None, section)
        mem = link_accounts(tables, section)
        mem_rows = _rows(findings_from_links(mem, tables.accounts, C.options(section)))
    finally:
        engine.close()
    engine = app.engine(engine_name, master="local[2]") if engine_name == "spark" else app.engine(engine_name)
    try:
        eng, accounts = link_on_engine(engine, None, section)
        eng_rows = _rows(findings_from_links(eng, accounts, C.options(section)))
    finally:
        engine.close()
    return mem, mem_rows, eng, eng_rows


def _assert_same(mem, mem_rows, eng, eng_rows):
    assert eng.stats["candidates"] == mem.stats["candidates"] > 50
    assert eng.stats["blocking"] == mem.stats["blocking"]  # per rule: pairs and hot keys skipped
    assert eng.stats["eligible_pairs"] == mem.stats["eligible_pairs"]
    a, b = mem.linker.model, eng.linker.model
    assert b.prior == pytest.approx(a.prior, rel=1e-12)
    for c in range(len(a.m)):
        assert np.allclose(a.m[c], b.m[c], rtol=1e-12, atol=0) and np.allclose(a.u[c], b.u[c], rtol=1e-12, atol=0)
    assert len(eng_rows) == len(mem_rows) > 5
    assert [r[:2] for r in eng_rows] == [r[:2] for r in mem_rows]
    assert np.allclose([r[2] for r in eng_rows], [r[2] for r in mem_rows], rtol=0, atol=1e-9)
    assert [r[3] for r in eng_rows] == [r[3] for r in mem_rows]


@pytest.mark.parametrize("section", [{}, TIGHT], ids=["defaults", "tight caps"])
def test_linking_on_the_engine_equals_linking_in_memory(rein_platform, section, monkeypatch):
    """In batches far smaller than the platform: each batch's counts (key sizes, value frequencies) must be the
    platform's, not the batch's."""
    import qinglang.detect.reincarnation.engine_linking as EL

    monkeypatch.setattr(EL, "BATCH_ROWS", 97)
    _, app = rein_platform
    mem, mem_rows, eng, eng_rows = _both(app, section)
    _assert_same(mem, mem_rows, eng, eng_rows)
    if section:  # the caps did bite
        skipped = {r["rule"]: r["skipped_hot_keys"] for r in eng.stats["blocking"]}
        assert skipped["nickname keys"] > 0


@pytest.mark.slow
def test_linking_on_spark_equals_linking_in_memory(rein_platform, java_available):
    _, app = rein_platform
    _assert_same(*_both(app, TIGHT, "spark"))


def test_the_scan_names_only_the_accounts_it_links(rein_platform):
    """The evidence's account table holds the linked new accounts and the banned ones, not the platform."""
    _, app = rein_platform
    engine = app.engine("duckdb")
    try:
        res, accounts = link_on_engine(engine, None, {})
        n_accounts = engine.sql("SELECT count(*) AS n FROM accounts")["n"][0].as_py()
    finally:
        engine.close()
    assert len(res.new_ids) == len(set(res.predictions.i.tolist())) > 0
    assert accounts.num_rows == res.banned.num_rows + len(res.new_ids) < n_accounts / 4
