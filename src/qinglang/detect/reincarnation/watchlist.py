"""Linking accounts to an external watch list (persons or entities named by other authorities).

The same matcher as reincarnation detection, configured for a list: each entry's name and known
handles are alias records compared to every account's nickname with the nickname comparison, and
its hashed real-name identities to the accounts' hashed identities. The list is small and has no
labels to learn from, so m is fixed by configuration (`WATCHLIST_M`), u comes from random pairs and
the prior assumes each entry has at most `accounts_per_entry` accounts on the platform.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.evidence import shared_kinds, waterfall
from qinglang.detect.reincarnation.features import (IdentitySets, encode_together, join_keys, masked_keys,
                                                    profile_columns)
from qinglang.detect.reincarnation.linking import identity_level
from qinglang.domain.findings import MIN_EXPORT_SCORE, conform, empty_findings
from qinglang.linkage.blocking import RulePairs, combine
from qinglang.linkage.linker import Linker
from qinglang.linkage.records import Records
from qinglang.linkage.settings import BlockingRule, LinkageSettings

#: m of each level (comparison -> level label -> m); a list gives no labels to estimate them from.
#: An account on the list usually goes by a nickname unrelated to the real name on the notice ("different"
#: is the likeliest level); when the notice lists real-name identities, the account's usually match them.
WATCHLIST_M = {
    "nickname": [0.001, 0.45, 0.05, 0.1, 0.05, 0.01, 0.01, 0.01, 0.03, 0.01, 0.02, 0.02, 0.239],
    "identity": [0.3, 0.55, 0.05, 0.03, 0.02, 0.01, 0.04],
}
#: Chance that an account other than the person holds one of their identity values (shared family phones,
#: identity theft): the u of an identity value held by a single account.
IDENTITY_U_FLOOR = 1e-7

WATCHLIST_OPTIONS = {"accounts_per_entry": 0.5, "threshold": 0.5, "max_pairs_per_key": 20_000}


def watchlist_settings() -> dict[str, Any]:
    comps = []
    for comp in (C.NICKNAME, C.IDENTITY):
        c = copy.deepcopy(comp)
        for lv, m in zip(c["levels"], WATCHLIST_M[c["name"]]):
            lv["m"] = m
            lv["fix_m"] = True
            if c["name"] == "identity" and lv.get("tf_pair"):
                lv["tf_min"] = IDENTITY_U_FLOOR
        comps.append(c)
    return {"link_type": "link", "blocking": [], "comparisons": comps, "u_pairs": 200_000,
            "em": {"sessions": "all"}}


def alias_table(entries: pa.Table) -> pa.Table:
    """One row per (entry, name or handle)."""
    eid, alias = [], []
    for e, name, handles in zip(entries["entry_id"].to_pylist(), entries["name"].to_pylist(),
                                entries["handles"].to_pylist()):
        seen = set()
        for a in [name] + list(handles or []):
            if a and a not in seen:
                seen.add(a)
                eid.append(e)
                alias.append(a)
    return pa.table({"entry_id": pa.array(eid, pa.string()), "alias": pa.array(alias, pa.string())})


def match_watchlist(account_ids: pa.Array, profiles: pa.Table, entries: pa.Table,
                    identities: pa.Table | None) -> pa.Table:
    """`watchlist_match` findings: accounts (with profile columns) against watch-list entries.

    `entries`: entry_id, name, handles (list), category, source, identity_hashes (list of
    {kind, value}); `identities`: the accounts' (account_id, kind, value) with hashed values.
    """
    if entries.num_rows == 0 or len(account_ids) == 0:
        return empty_findings()
    aliases = alias_table(entries)
    aprof = pa.table(profile_columns(aliases["alias"].to_pylist(), [None] * aliases.num_rows,
                                     [None] * aliases.num_rows))
    left = Records(profiles)
    right = Records(aprof)
    n_acc, n_al = left.n, right.n

    # identities of accounts (rows 0..n_acc) and of aliases (rows n_acc..), one value space
    id_sets = None
    rows, kinds, vals = [], [], []
    if identities is not None and identities.num_rows:
        r = pc.index_in(identities["account_id"], value_set=account_ids).fill_null(-1).to_numpy(
            zero_copy_only=False).astype(np.int64)
        rows.append(r)
        kinds.extend(identities["kind"].to_pylist())
        vals.extend(identities["value"].to_pylist())
    entry_pos = {e: k for k, e in enumerate(entries["entry_id"].to_pylist())}
    alias_entry = np.array([entry_pos[e] for e in aliases["entry_id"].to_pylist()], np.int64)
    ent_ids = entries["identity_hashes"].to_pylist()
    arow, akind, aval = [], [], []
    for a, e in enumerate(alias_entry):
        for item in ent_ids[e] or []:
            arow.append(n_acc + a)
            akind.append(item["kind"])
            aval.append(item["value"])
    if rows or arow:
        rows.append(np.array(arow, np.int64))
        id_sets = IdentitySets(np.concatenate(rows) if rows else np.zeros(0, np.int64), kinds + akind,
                               pa.array(vals + aval, pa.string()), n_acc + n_al, population=max(n_acc, 1))
        # frequencies among accounts only (the entries' values are not accounts)
        owner = np.repeat(np.arange(id_sets.n_accounts, dtype=np.int64), id_sets.csr.sizes())
        held = np.unique(owner[owner < n_acc] * max(id_sets.n_values, 1) + id_sets.csr.values[owner < n_acc])
        id_sets.accounts_per_value = np.bincount(held % max(id_sets.n_values, 1), minlength=id_sets.n_values)
        id_sets.freq = id_sets.accounts_per_value / max(n_acc, 1)

    per_rule = []
    li, rj = np.arange(n_acc, dtype=np.int64), np.arange(n_al, dtype=np.int64)
    pi, pj = [], []
    for lcol, rcol in (("n_core", "n_core"), ("n_pinyin", "n_pinyin"), ("n_fuzzy", "n_fuzzy")):
        lk, rk = encode_together(left.arrow(lcol), right.arrow(rcol))
        i, j, _ = join_keys(lk, li, rk, rj, WATCHLIST_OPTIONS["max_pairs_per_key"])
        pi.append(i)
        pj.append(j)
    lm = [(r, k) for r, c in enumerate(left.arrow("n_core").to_pylist()) for k in masked_keys(c)]
    rm = [(r, k) for r, c in enumerate(right.arrow("n_core").to_pylist()) for k in masked_keys(c)]
    if lm and rm:
        lk, rk = encode_together([k for _, k in lm], [k for _, k in rm])
        i, j, _ = join_keys(lk, np.array([r for r, _ in lm], np.int64), rk, np.array([r for r, _ in rm], np.int64),
                            WATCHLIST_OPTIONS["max_pairs_per_key"])
        pi.append(i)
        pj.append(j)
    per_rule.append(RulePairs(BlockingRule(("names",), "names"), np.concatenate(pi), np.concatenate(pj)))
    if id_sets is not None:
        csr = id_sets.csr
        owner = np.repeat(np.arange(id_sets.n_accounts, dtype=np.int64), csr.sizes())
        is_acc = owner < n_acc
        i, j, _ = join_keys(csr.values[is_acc], owner[is_acc], csr.values[~is_acc], owner[~is_acc] - n_acc, 10 ** 9)
        per_rule.append(RulePairs(BlockingRule(("identities",), "identities"), i, j))
    cands = combine(per_rule, n_al)
    if len(cands) == 0:
        return empty_findings()

    def features(i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
        if id_sets is None:
            return {"id_level": np.full(len(i), np.nan), "id_tf": np.full(len(i), np.nan)}
        k, minf = id_sets.shared(i, j + n_acc)
        # the u of a shared value: accounts other than this one holding it (the entry's value is not an account)
        minf = np.maximum(minf - 1.0 / max(n_acc, 1), 0.0)
        level, tf = identity_level(k, minf)
        none = ~(id_sets.has_any[i] & id_sets.has_any[j + n_acc])
        level = level.astype(float)
        level[none] = np.nan
        return {"id_level": level, "id_tf": tf, "id_kinds": k.astype(float)}

    rng = np.random.default_rng(3)

    def sampler(_rng, n):
        return rng.integers(0, n_acc, n), rng.integers(0, n_al, n)

    settings = LinkageSettings.from_dict(watchlist_settings())
    linker = Linker(settings, left, right, pair_features=features, pair_sampler=sampler,
                    total_pairs=float(n_acc) * n_al)
    linker.estimate_u(min(200_000, n_acc * n_al))
    # per (account, entry): each entry has about `accounts_per_entry` accounts here (the best alias is kept)
    linker.model.prior = float(min(0.5, WATCHLIST_OPTIONS["accounts_per_entry"] / n_acc))
    preds = linker.predict(cands, min_prob=MIN_EXPORT_SCORE)
    if len(preds) == 0:
        return empty_findings()
    # best alias per (account, entry)
    ent_of = alias_entry[preds.j]
    order = np.lexsort((-preds.weight, ent_of, preds.i))
    key_i, key_e = preds.i[order], ent_of[order]
    first = np.r_[True, (key_i[1:] != key_i[:-1]) | (key_e[1:] != key_e[:-1])]
    pick = order[first]
    feats = features(preds.i[pick], preds.j[pick])
    acc_ids = account_ids.to_pylist() if hasattr(account_ids, "to_pylist") else list(account_ids)
    e_rows = entries.to_pylist()
    model = linker.model
    subject, related, score, evidence, cats = [], [], [], [], []
    for n, k in enumerate(pick):
        e = e_rows[int(ent_of[k])]
        prob = float(preds.prob[k])
        ev = {
            "entry": {"entry_id": e["entry_id"], "name": e["name"], "source": e.get("source"), "kind": e.get("kind")},
            "matched_alias": aliases["alias"][int(preds.j[k])].as_py(),
            "account_nickname": None,
            "match_probability": round(prob, 6),
            "match_weight": round(float(preds.weight[k]), 3),
            "waterfall": waterfall(model.names, model.labels, preds.gamma[k], preds.contrib[k], model.prior_weight),
            "shared_identities": shared_kinds(feats.get("id_kinds", np.full(len(pick), np.nan))[n]),
            "tier": "review" if prob >= WATCHLIST_OPTIONS["threshold"] else "no_action",
        }
        subject.append(acc_ids[int(preds.i[k])])
        related.append(e["entry_id"])
        score.append(prob)
        evidence.append(ev)
        cats.append(e.get("category") or "illegal_conduct")
    nick = profiles["n_clean"].to_pylist() if "n_clean" in profiles.column_names else None
    if "nickname" in profiles.column_names:
        nick = profiles["nickname"].to_pylist()
    for ev, k in zip(evidence, pick):
        if nick is not None:
            ev["account_nickname"] = nick[int(preds.i[k])]
    return conform(pa.table({
        "kind": pa.array(["watchlist_match"] * len(subject), pa.string()),
        "subject_id": pa.array(subject, pa.string()),
        "related_id": pa.array(related, pa.string()),
        "score": pa.array(score, pa.float64()),
        "category": pa.array(cats, pa.string()),
        "evidence": pa.array([json.dumps(e, ensure_ascii=False, sort_keys=True) for e in evidence], pa.string()),
        "account_id": pa.array(subject, pa.string()),
    }))
