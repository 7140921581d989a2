"""Reincarnation findings with evidence a reviewer can read (the waterfall of match weights)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pyarrow as pa

from qinglang.detect.reincarnation.features import ID_KINDS
from qinglang.detect.reincarnation.linking import LinkResult
from qinglang.domain.findings import MIN_EXPORT_SCORE, conform, empty_findings

TIERS = ("certain", "review", "no_action", "ban_expired")


def iso(t: float | None) -> str | None:
    if t is None or (isinstance(t, float) and math.isnan(t)):
        return None
    return dt.datetime.fromtimestamp(float(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tier_of(prob: float, ban_expired: bool, threshold: float, certain: float) -> str:
    if ban_expired:
        return "ban_expired"
    if prob >= certain:
        return "certain"
    if prob >= threshold:
        return "review"
    return "no_action"


PROPOSED = {"certain": "close", "review": "review", "no_action": "none", "ban_expired": "none"}


def waterfall(names: list[str], labels: list[list[str]], gamma: np.ndarray, contrib: np.ndarray,
              prior_weight: float) -> list[dict[str, Any]]:
    """Prior, then each comparison's level and weight (log2 Bayes factor); they add up to the match weight."""
    rows = [{"signal": "prior", "level": "share of matches among eligible pairs", "weight": round(prior_weight, 3)}]
    for c, name in enumerate(names):
        rows.append({"signal": name, "level": labels[c][int(gamma[c])], "weight": round(float(contrib[c]), 3)})
    return rows


def shared_kinds(bits: float) -> list[str]:
    if bits is None or (isinstance(bits, float) and math.isnan(bits)):
        return []
    b = int(bits)
    return [k for n, k in enumerate(ID_KINDS) if b >> n & 1]


def findings_from_links(res: LinkResult | None, accounts: pa.Table, opts: dict[str, Any]) -> pa.Table:
    """The `reincarnation` findings: one row per (new account, banned account it continues).

    score is the probability that the new account is a reincarnation *violating* a ban. A link
    found after the ban ended is kept in the export at the floor score 0.05 with
    `ban_expired: true` and `violation: false`: reported as such, never as a violation.
    """
    if res is None or len(res.predictions) == 0:
        return empty_findings()
    p = res.predictions
    model = p.model
    threshold, certain = float(opts["threshold"]), float(opts["certain"])
    banned = res.banned
    b_ids = banned["account_id"].to_pylist()
    b_action = banned["action"].to_pylist()
    b_cat = banned["category"].to_pylist()
    b_at = banned["banned_at"].to_numpy(zero_copy_only=False)
    b_until = banned["ban_until"].to_numpy(zero_copy_only=False)
    nick = dict(zip(accounts["account_id"].to_pylist(), accounts["nickname"].to_pylist()))
    prior_w = model.prior_weight
    subject, related, score, evidence = [], [], [], []
    for k in range(len(p)):
        i, j = int(p.i[k]), int(p.j[k])
        new_id = str(res.new_ids[i])
        created = float(res.new_created[i])
        until = float(b_until[j])
        expired = not math.isnan(until) and created >= until
        prob = float(p.prob[k])
        tier = tier_of(prob, expired, threshold, certain)
        out_score = MIN_EXPORT_SCORE if expired else prob
        if out_score < MIN_EXPORT_SCORE:
            continue
        det = res.details
        ev = {
            "tier": tier,
            "proposed_action": PROPOSED[tier],
            "violation": not expired,
            "ban_expired": expired,
            "match_probability": round(prob, 6),
            "match_weight": round(float(p.weight[k]), 3),
            "banned": {"account_id": b_ids[j], "nickname": nick.get(b_ids[j]), "action": b_action[j],
                       "category": b_cat[j], "banned_at": iso(b_at[j]), "ban_until": iso(until)},
            "new": {"account_id": new_id, "nickname": nick.get(new_id), "created_at": iso(created)},
            "waterfall": waterfall(model.names, model.labels, p.gamma[k], p.contrib[k], prior_w),
            "details": {
                "avatar_bits": int(det["avatar_bits"][k]) if det.get("avatar_bits") is not None
                and det["avatar_bits"][k] >= 0 else None,
                "shared_identities": shared_kinds(det["id_kinds"][k]) if "id_kinds" in det else [],
                "common_followers": _num(det.get("fan_common"), k),
                "follower_share": _num(det.get("fan_share"), k, 4),
                "days_after_ban": _num(det.get("days_after_ban"), k, 1),
            },
        }
        subject.append(new_id)
        related.append(b_ids[j])
        score.append(out_score)
        evidence.append(json.dumps(ev, ensure_ascii=False, sort_keys=True))
    return conform(pa.table({
        "kind": pa.array(["reincarnation"] * len(subject), pa.string()),
        "subject_id": pa.array(subject, pa.string()),
        "related_id": pa.array(related, pa.string()),
        "score": pa.array(score, pa.float64()),
        "category": pa.array(["reincarnation"] * len(subject), pa.string()),
        "evidence": pa.array(evidence, pa.string()),
        "account_id": pa.array(subject, pa.string()),
    }))


def _num(arr, k: int, digits: int = 0):
    if arr is None:
        return None
    v = float(arr[k])
    if math.isnan(v):
        return None
    return round(v, digits) if digits else int(v)
