"""`qinglang eval governance`: how well the case policy turns a scan into cases, on simulator truth.

Simulate a platform (or take a snapshot folder with truth/), ingest it into a temporary workspace,
run every detector and the case intake (findings and snapshot reports), and compare the cases with
the truth:
- per category: cases opened, precision (the case's account really violated in that category),
  recall of the violating accounts, overall and for head and large accounts;
- automated decisions: how many, precision, and head-account closures (must be 0);
- complaints: cases opened by complaints, precision, and targets of mass-reporting campaigns that
  got a case from complaints alone (the damping should keep this near 0).
Truth per category: fake_fans = accounts that bought followers (truth/fake_accounts.csv
bought_fans > 0, truth/bursts.csv); vulgar_marketing = authors of such posts and buyers of
engagement (truth/engagement_fraud.csv); reincarnation = new accounts continuing a banned one
during its ban (truth/reincarnations.csv); the other categories = authors of violating posts
(truth/posts.csv). No threshold is fitted here: this measures the shipped default policy.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

from qinglang.errors import QinglangError

Progress = Callable[[str, int, int], None]


def _csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def truth_sets(truth: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in _csv(truth / "fake_accounts.csv"):
        if int(r.get("bought_fans") or 0) > 0:
            out["fake_fans"].add(r["account_id"])
    for r in _csv(truth / "bursts.csv"):
        out["fake_fans"].add(r["account_id"])
    for r in _csv(truth / "engagement_fraud.csv"):
        out["vulgar_marketing"].add(r["account_id"])
    for r in _csv(truth / "reincarnations.csv"):
        if str(r.get("during_ban", "1")) == "1":
            out["reincarnation"].add(r["new_account_id"])
    for r in _csv(truth / "posts.csv"):
        if r.get("category") not in (None, "", "none"):
            out[r["category"]].add(r["account_id"])
    return out


def _prf(opened: set[str], true: set[str]) -> dict[str, Any]:
    tp = len(opened & true)
    return {"cases": len(opened), "violators": len(true), "precision": round(tp / len(opened), 4) if opened else None,
            "recall": round(tp / len(true), 4) if true else None}


def score(cases: list[dict[str, Any]], truth: dict[str, set[str]], tiers: dict[str, str],
          mass_targets: set[str]) -> dict[str, Any]:
    by_cat: dict[str, set[str]] = defaultdict(set)
    for c in cases:
        by_cat[c["category"]].add(c["account_id"])
    cats = sorted(set(by_cat) | set(truth))
    res: dict[str, Any] = {"by_category": {}}
    all_opened, all_true = set(), set()
    for cat in cats:
        opened = by_cat.get(cat, set())
        true = truth.get(cat, set())
        row = _prf(opened, true)
        for tier in ("head", "large"):
            t_true = {a for a in true if tiers.get(a) == tier}
            row[f"recall_{tier}"] = round(len(opened & t_true) / len(t_true), 4) if t_true else None
            row[f"violators_{tier}"] = len(t_true)
        res["by_category"][cat] = row
        all_opened |= {(cat, a) for a in opened}
        all_true |= {(cat, a) for a in true}
    tp = len(all_opened & all_true)
    res["overall"] = {"cases": len(all_opened), "precision": round(tp / max(1, len(all_opened)), 4),
                      "recall": round(tp / max(1, len(all_true)), 4)}
    head_true = {(c, a) for c, a in all_true if tiers.get(a) == "head"}
    res["overall"]["recall_head"] = round(len(all_opened & head_true) / max(1, len(head_true)), 4)
    auto = [c for c in cases if c.get("automated")]
    auto_ok = sum(1 for c in auto if c["account_id"] in truth.get(c["category"], set()))
    res["automated"] = {"decisions": len(auto), "precision": round(auto_ok / len(auto), 4) if auto else None,
                        "head_closures": sum(1 for c in auto if c["tier"] == "head"
                                             and (c.get("decision") or {}).get("kind") == "close")}
    comp = [c for c in cases if c["source"] == "complaints"]
    comp_ok = sum(1 for c in comp if c["account_id"] in truth.get(c["category"], set())
                  or any(c["account_id"] in s for s in truth.values()))
    res["complaints"] = {"cases_opened": len(comp),
                         "precision_any_violation": round(comp_ok / len(comp), 4) if comp else None,
                         "mass_report_targets": len(mass_targets),
                         "mass_report_targets_with_complaint_case": len({c["account_id"] for c in comp} & mass_targets)}
    return res


def evaluate(snapshot: Path | None = None, accounts: int = 5000, seed: int = 1,
             progress: Progress | None = None) -> dict[str, Any]:
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.cases import list_cases
    from qinglang.services.scan import run_scan

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qinglang-eval-gov-") as d:
        tmp = Path(d)
        if snapshot is None:
            from qinglang.sim import SimConfig, simulate

            snapshot = tmp / "snapshot"
            simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, fmt="parquet"), progress=progress)
        truth_dir = snapshot / "truth"
        if not truth_dir.is_dir():
            raise QinglangError(f"{snapshot}: no truth/ folder (evaluate on a simulated snapshot)")
        app = build(tmp / "ws")
        ingest(app.settings, snapshot, progress=progress)
        scan = run_scan(app, progress=progress)
        cases = list_cases(app.governance, limit=None)
        eng = app.engine()
        try:
            tiers = {r["account_id"]: r["tier"] for r in eng.sql("SELECT account_id, tier FROM tiers").to_pylist()}
            reports = eng.sql("SELECT report_id, account_id FROM reports").to_pylist() if "reports" in eng.tables() else []
        finally:
            eng.close()
        mass_ids = {r["report_id"] for r in _csv(truth_dir / "reports.csv") if r.get("kind") == "mass_report"}
        genuine_targets = {r["account_id"] for r in reports
                           if r["report_id"] not in mass_ids}
        mass_targets = {r["account_id"] for r in reports if r["report_id"] in mass_ids} - genuine_targets
        res = score(cases, truth_sets(truth_dir), tiers, mass_targets)
        res["scan"] = scan.as_dict()["cases"]
        app.store.close()
    res["seconds"] = round(time.perf_counter() - t0, 1)
    return res
