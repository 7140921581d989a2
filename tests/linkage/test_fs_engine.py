"""The generic Fellegi–Sunter engine on small hand-made person records."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from qinglang.errors import QinglangError
from qinglang.linkage import FSModel, LinkageSettings, Linker, Records, link
from qinglang.linkage.evaluate import best_threshold, metrics_at, pair_keys, true_pair_keys
from qinglang.linkage.model import prob_from_weight

FIRST = ["robert", "mary", "john", "linda", "james", "susan", "david", "karen", "paul", "nancy", "mark", "lisa",
         "peter", "helen", "simon", "emma", "oliver", "grace", "henry", "alice"]
LAST = ["smith", "jones", "taylor", "brown", "wilson", "evans", "thomas", "johnson", "roberts", "walker", "wright",
        "robinson", "thompson", "white", "hughes", "edwards", "green", "hall", "wood", "harris", "clarke", "jackson"]
CITY = ["london", "leeds", "york", "bath", "derby", "hull"]


def _typo(rng, s: str) -> str:
    if len(s) < 3:
        return s
    k = int(rng.integers(1, len(s) - 1))
    return s[:k] + s[k + 1] + s[k] + s[k + 2:]


def people(n_entities: int = 300, seed: int = 1) -> pa.Table:
    """Entities with 1-3 records each; duplicates carry typos and missing values."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(n_entities):
        fn, sn = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
        dob = f"{rng.integers(1940, 2005)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        city = CITY[rng.integers(len(CITY))]
        email = f"{fn[0]}{sn}{rng.integers(100_000, 999_999)}@example.com"
        for r in range(int(rng.integers(1, 4))):
            rec = {"unique_id": f"{e}-{r}", "first_name": fn, "surname": sn, "dob": dob, "city": city,
                   "email": email, "cluster": str(e)}
            if r:
                field = ["first_name", "surname", "email", "city", "dob"][int(rng.integers(5))]
                if field in ("first_name", "surname", "email"):
                    rec[field] = _typo(rng, rec[field])
                elif field == "city":
                    rec["city"] = None
                else:
                    rec["dob"] = dob[:-2] + f"{(int(dob[-2:]) % 28) + 1:02d}"
            rows.append(rec)
    return pa.Table.from_pylist(rows)


def settings_dict() -> dict:
    def name(col):
        return {"name": col, "levels": [
            {"kind": "exact", "column": col, "tf": True},
            {"kind": "jaro_winkler", "column": col, "min": 0.9},
            {"kind": "else"}]}

    return {
        "link_type": "dedupe",
        "blocking": [["first_name", "surname"], ["dob"], ["email"], ["surname", "city"]],
        "comparisons": [
            name("first_name"), name("surname"),
            {"name": "dob", "levels": [{"kind": "exact", "column": "dob"}, {"kind": "damerau", "column": "dob", "max": 1},
                                       {"kind": "else"}]},
            {"name": "city", "levels": [{"kind": "exact", "column": "city", "tf": True}, {"kind": "else"}]},
            {"name": "email", "levels": [{"kind": "exact", "column": "email"},
                                         {"kind": "levenshtein", "column": "email", "max": 2}, {"kind": "else"}]},
        ],
        "u_pairs": 100_000,
    }


@pytest.fixture(scope="module")
def linked():
    table = people()
    preds, linker = link(settings_dict(), table.drop_columns(["cluster"]))
    return table, preds, linker


def test_em_finds_the_duplicates(linked):
    table, preds, linker = linked
    truth = true_pair_keys(table["cluster"].to_numpy(zero_copy_only=False))
    keys = pair_keys(preds.i, preds.j, table.num_rows)
    m = metrics_at(keys, preds.prob, truth, 0.5)
    assert m.precision >= 0.95 and m.recall >= 0.9, m.as_dict()
    assert best_threshold(keys, preds.prob, truth).f1 >= m.f1


def test_learned_weights_are_sensible(linked):
    _, _, linker = linked
    w = {r["comparison"] + "/" + r["level"]: r["weight"] for r in linker.model.describe()}
    assert w["dob/dob exact"] > 5 and w["email/email exact"] > 5
    assert w["dob/else"] < 0 and w["email/else"] < 0
    assert w["first_name/first_name exact"] > w["first_name/first_name jaro_winkler >=0.9"] - 3
    assert 0 < linker.model.prior < 0.01


def test_waterfall_adds_up_to_the_score(linked):
    _, preds, _ = linked
    for k in range(0, len(preds), max(1, len(preds) // 50)):
        total = sum(row["weight"] for row in preds.waterfall(k))
        assert total == pytest.approx(preds.weight[k], abs=1e-3)
        assert prob_from_weight(total) == pytest.approx(preds.prob[k], abs=1e-6)


def test_term_frequency_lowers_the_weight_of_common_values():
    rows = [{"unique_id": str(k), "city": "london" if k < 90 else f"town{k}", "name": f"n{k}"} for k in range(100)]
    rows += [{"unique_id": "a", "city": "london", "name": "x"}, {"unique_id": "b", "city": "town95", "name": "x"}]
    s = LinkageSettings.from_dict({"link_type": "dedupe", "blocking": [["name"]], "comparisons": [
        {"name": "city", "levels": [{"kind": "exact", "column": "city", "tf": True}, {"kind": "else"}]}]})
    rec = Records(pa.Table.from_pylist(rows))
    lk = Linker(s, rec)
    lk.model.m[0][:] = [0.0, 0.9, 0.1]
    lk.model.u[0][:] = [0.0, 0.1, 0.9]
    i = np.array([100, 101])  # a-london, b-town95
    j = np.array([0, 95])
    g = lk.gamma(i, j)
    adj = lk.tf_adjustments(i, j, g)
    assert (g[:, 0] == 1).all()  # both exact
    assert adj[0, 0] < adj[1, 0]  # london (90% of records) weighs less than a rare town


def test_hot_keys_are_skipped_and_reported():
    rows = [{"unique_id": str(k), "k": "same"} for k in range(200)]
    s = LinkageSettings.from_dict({"blocking": [{"keys": ["k"], "max_pairs_per_key": 1000}],
                                   "comparisons": [{"name": "k", "levels": [{"kind": "exact", "column": "k"},
                                                                            {"kind": "else"}]}]})
    lk = Linker(s, Records(pa.Table.from_pylist(rows)))
    c = lk.block()
    assert len(c) == 0
    assert c.summary()[0]["skipped_hot_keys"] == 1 and c.summary()[0]["skipped_pairs"] == 200 * 199 // 2


def test_link_two_tables():
    left = pa.table({"unique_id": ["1", "2", "3"], "name": ["alice smith", "bob jones", "carol white"]})
    right = pa.table({"unique_id": ["a", "b"], "name": ["alice smyth", "carol white"]})
    s = {"link_type": "link", "blocking": ["substr(name, 1, 3)"], "prior": 0.3,
         "comparisons": [{"name": "name", "levels": [{"kind": "exact", "column": "name"},
                                                     {"kind": "jaro_winkler", "column": "name", "min": 0.9},
                                                     {"kind": "else"}]}]}
    lk = Linker(LinkageSettings.from_dict(s), Records(left), Records(right))
    c = lk.block()
    assert sorted(zip(c.i.tolist(), c.j.tolist())) == [(0, 0), (2, 1)]
    p = lk.predict(c)
    assert len(p) == 2 and (p.prob > 0.3).all()


def test_model_round_trips_as_json(linked):
    _, _, linker = linked
    m2 = FSModel.from_dict(json.loads(linker.model.to_json()))
    assert m2.names == linker.model.names and m2.prior == pytest.approx(linker.model.prior)
    for a, b in zip(m2.m, linker.model.m):
        assert np.allclose(a, b)


def test_bad_settings_name_what_to_fix():
    with pytest.raises(QinglangError, match="unknown kind 'fuzzy'"):
        LinkageSettings.from_dict({"comparisons": [{"name": "x", "levels": [{"kind": "fuzzy", "column": "x"}]}]})
    with pytest.raises(QinglangError, match="needs 'min'"):
        LinkageSettings.from_dict({"comparisons": [{"name": "x", "levels": [{"kind": "jaro_winkler", "column": "x"}]}]})
    with pytest.raises(QinglangError, match="link_type"):
        LinkageSettings.from_dict({"link_type": "both", "comparisons": [{"name": "x", "levels": ["else"]}]})
    with pytest.raises(QinglangError, match="no column 'nope'"):
        s = LinkageSettings.from_dict({"blocking": [["a"]], "comparisons": [
            {"name": "x", "levels": [{"kind": "exact", "column": "nope"}, {"kind": "else"}]}]})
        lk = Linker(s, Records(pa.table({"a": ["1", "1"]})))
        lk.gamma(np.array([0]), np.array([1]))
