"""`qinglang eval fakefans`: accuracy of the fake-fan detectors.

(a) Simulator ground truth: simulate (or take a snapshot folder with truth/), ingest into
    a temporary workspace, scan, and compare: fake_account precision/recall/F1/AUC at 0.5,
    dormant genuine followers flagged, lockstep best-match Jaccard per farm, purchases
    with a burst window found, engagement-fraud precision/recall/F1.
(b) Real labelled sets under ../shared/datasets/fakefans (skipped when absent):
    instafake and weibo-microblogpcu at feature level (5-fold CV, seed 7) for the
    trainable model vs a plain random forest on the same columns; cresci15 through the
    same CV on its contract columns; YelpChi user->product graph: dense blocks (density
    only, no dates) and the share of their users with a spam review against the base rate.
"""

from __future__ import annotations

import csv
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def _prf(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-12, p + r), 4)}


def evaluate_simulator(snapshot: Path | None = None, accounts: int = 50_000, seed: int = 11,
                       follow_order: str = "time", progress=None) -> dict[str, Any]:
    import pyarrow.csv as pcsv
    from sklearn.metrics import roc_auc_score

    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan

    with tempfile.TemporaryDirectory(prefix="qinglang-eval-ff-") as tmp:
        tmp = Path(tmp)
        if snapshot is None:
            from qinglang.sim import SimConfig, simulate

            snapshot = tmp / "snapshot"
            simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, follow_order=follow_order), progress=progress)
        truth = Path(snapshot) / "truth"
        app = build(tmp / "ws")
        ingest(app.settings, Path(snapshot), progress=progress)
        run_scan(app, only="fakefans", progress=progress)
        f = app.findings.read()
        tr = pcsv.read_csv(truth / "fake_accounts.csv").to_pydict()
        kinds = f["kind"].to_pylist()
        subj = f["subject_id"].to_pylist()
        score = f["score"].to_pylist()
        evid = f["evidence"].to_pylist()
    fake_score = {s: v for k, s, v in zip(kinds, subj, score) if k == "fake_account"}
    # candidates: every account that follows a head (the scan's population); missing rows scored < 0.05
    is_fake = np.array([x == 1 for x in tr["is_fake"]])
    sc = np.array([fake_score.get(a, 0.0) for a in tr["account_id"]])
    role = np.array(tr["role"])
    res: dict[str, Any] = {"accounts": len(tr["account_id"]), "follow_order": follow_order}
    pred = sc >= 0.5
    res["fake_account"] = _prf(pred, is_fake)
    res["fake_account"]["auc"] = round(float(roc_auc_score(is_fake, sc)), 4)
    dorm = role == "genuine_dormant"
    res["dormant_flagged"] = round(float(pred[dorm].mean()), 4)
    # lockstep: best-match Jaccard per true farm
    lt = pcsv.read_csv(truth / "lockstep.csv").to_pydict()
    farms: dict[str, set] = {}
    for fid, a, r in zip(lt["farm_id"], lt["account_id"], lt["role"]):
        if r == "member":
            farms.setdefault(fid, set()).add(a)
    groups = [set(json.loads(e)["members"]) for k, e, v in zip(kinds, evid, score) if k == "lockstep_group" and v >= 0.5]
    jac = []
    for mem in farms.values():
        best = max((len(mem & g) / len(mem | g) for g in groups), default=0.0)
        jac.append(best)
    res["lockstep"] = {"farms": len(farms), "groups": len(groups), "mean_best_jaccard": round(float(np.mean(jac)) if jac else 0.0, 4)}
    # bursts: a purchase is found when its buyer has a burst window (score >= 0.5) overlapping the delivery
    bt = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    windows: dict[str, list] = {}
    for k, s, e, v in zip(kinds, subj, evid, score):
        if k == "follower_burst":
            windows[s] = [w for w in json.loads(e).get("windows", []) if w.get("score", 0) >= 0.5]
    found = 0
    for buyer, st, en, rs, re_ in zip(bt["account_id"], bt["start"], bt["end"], bt.get("rank_start", []) or [None] * len(bt["account_id"]),
                                      bt.get("rank_end", []) or [None] * len(bt["account_id"])):
        for w in windows.get(buyer, []):
            if w["basis"] == "time":
                a = str(st).replace(" ", "T")[:19]
                b = str(en).replace(" ", "T")[:19]
                if w["start"][:19] <= b and w["end"][:19] >= a:
                    found += 1
                    break
            elif rs is not None and re_ is not None and w["start"] <= int(re_) and w["end"] >= int(rs):
                found += 1
                break
    res["bursts"] = {"purchases": len(bt["account_id"]), "found": found,
                     "recall": round(found / max(1, len(bt["account_id"])), 4)}
    et = pcsv.read_csv(truth / "engagement_fraud.csv").to_pydict()
    truth_posts = set(et["post_id"])
    flagged = {s for k, s, v in zip(kinds, subj, score) if k == "engagement_fraud" and v >= 0.5}
    tp = len(flagged & truth_posts)
    p = tp / max(1, len(flagged))
    r = tp / max(1, len(truth_posts))
    res["engagement_fraud"] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-12, p + r), 4)}
    return res


def _cv(X: np.ndarray, y: np.ndarray, seed: int = 7) -> dict[str, float]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from qinglang.detect.fakefans.model import fit

    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    p_lgb = np.zeros(y.size)
    p_rf = np.zeros(y.size)
    for tr, te in skf.split(X, y):
        b = fit(X[tr], y[tr], seed=seed, params={"num_rounds": 200, "min_data_in_leaf": 5})
        p_lgb[te] = b.predict(X[te])
        rf = RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=2).fit(X[tr], y[tr])
        p_rf[te] = rf.predict_proba(X[te])[:, 1]
    return {"qinglang_f1": round(float(f1_score(y, p_lgb >= 0.5)), 4), "qinglang_auc": round(float(roc_auc_score(y, p_lgb)), 4),
            "random_forest_f1": round(float(f1_score(y, p_rf >= 0.5)), 4), "random_forest_auc": round(float(roc_auc_score(y, p_rf)), 4),
            "n": int(y.size), "positives": int(y.sum())}


def evaluate_instafake(root: Path) -> dict[str, Any]:
    rows = []
    for name, label in (("fakeAccountData.json", 1), ("realAccountData.json", 0)):
        for r in json.loads((root / name).read_text()):
            rows.append(([float(r[k]) for k in ("userFollowerCount", "userFollowingCount", "userBiographyLength",
                                                 "userMediaCount", "userHasProfilPic", "userIsPrivate",
                                                 "usernameDigitCount", "usernameLength")], label))
    X = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    X = np.column_stack([X, np.log((X[:, 1] + 1) / (X[:, 0] + 1))])  # following ratio, as in the product's features
    return _cv(X, y)


def evaluate_weibo(root: Path) -> dict[str, Any]:
    X, y = [], []
    with open(root / "weibo_user.csv", encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            lab = (r.get("is_spammer") or "").strip()
            if lab not in ("1", "-1"):
                continue
            def num(k):
                try:
                    return float(r.get(k) or 0)
                except ValueError:
                    return 0.0
            name = r.get("user_name") or ""
            msg = (r.get("message") or "").strip()
            X.append([num("post_num"), num("follower_num"), num("followee_num"), num("class"),
                      float(len(msg)), float(sum(ch.isdigit() for ch in name)), float(len(name)),
                      float(r.get("gender") == "male"), np.log((num("followee_num") + 1) / (num("follower_num") + 1))])
            y.append(1 if lab == "1" else 0)
    return _cv(np.array(X), np.array(y))


def evaluate_cresci(root: Path) -> dict[str, Any]:
    X, y = [], []
    for name, label in (("users.csv", 0), ("fusers.csv", 1)):
        with open(root / name, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                def num(k):
                    try:
                        return float(r.get(k) or 0)
                    except ValueError:
                        return 0.0
                sn = r.get("screen_name") or ""
                X.append([np.log1p(num("statuses_count")), np.log1p(num("followers_count")), np.log1p(num("friends_count")),
                          np.log((num("friends_count") + 1) / (num("followers_count") + 1)),
                          float(len((r.get("description") or "").strip()) == 0),
                          float(sum(ch.isdigit() for ch in sn)), float(len(sn))])
                y.append(label)
    return _cv(np.array(X), np.array(y))


def evaluate_yelpchi(root: Path, k: int = 5) -> dict[str, Any]:
    from qinglang.detect.fakefans.graph import from_edges
    from qinglang.detect.fakefans.peel import dense_blocks

    users, prods, labels = [], [], []
    with gzip.open(root / "metadata.gz", "rt") as fh:
        for line in fh:
            p = line.split()
            if len(p) >= 4:
                users.append(int(p[0]))
                prods.append(int(p[1]))
                labels.append(int(p[3]))
    u = np.array(users)
    pr = np.array(prods)
    lab = np.array(labels)
    uu, ui = np.unique(u, return_inverse=True)
    pu, pi = np.unique(pr, return_inverse=True)
    g = from_edges(ui, pi, uu.size, pu.size)
    spam_user = np.zeros(uu.size, bool)
    spam_user[ui[lab == -1]] = True
    blocks = dense_blocks(g, k, min_rows=5, min_cols=2)
    out = []
    for b in blocks:
        out.append({"users": int(b.rows.size), "products": int(b.cols.size), "density": round(b.score, 3),
                    "spam_user_share": round(float(spam_user[b.rows].mean()), 4)})
    return {"users": int(uu.size), "reviews": int(u.size), "base_spam_user_share": round(float(spam_user.mean()), 4),
            "dense_blocks": out,
            # no dates: synchrony cannot be shown, so the lockstep detector raises no group from density alone
            "lockstep_groups_raised": 0}


def evaluate(datasets: Path | None, simulator: bool = True, snapshot: Path | None = None, accounts: int = 50_000,
             seed: int = 11, follow_order: str = "time", progress=None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if simulator:
        res["simulator"] = evaluate_simulator(snapshot, accounts, seed, follow_order, progress)
    if datasets is not None:
        root = datasets / "fakefans"
        for name, fn in (("instafake", evaluate_instafake), ("weibo-microblogpcu", evaluate_weibo),
                         ("cresci15-e13-int", evaluate_cresci), ("yelpchi", evaluate_yelpchi)):
            if (root / name).is_dir():
                res[name] = fn(root / name)
    return res
