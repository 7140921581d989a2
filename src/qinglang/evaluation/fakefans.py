"""`qinglang eval fakefans`: accuracy of the fake-fan detectors.

(a) Simulator ground truth: simulate (or take a snapshot folder with truth/), ingest into
    a temporary workspace, `scan --only fakefans`, and compare the findings with the truth:
    fake_account precision/recall/F1/AUC at 0.5, dormant genuine followers flagged, lockstep
    best-match Jaccard per farm, purchases with a burst window found, engagement-fraud
    precision/recall/F1.
(b) Real labelled sets under ../shared/datasets/fakefans (each skipped when absent):
    - cresci15-e13-int maps onto the data contract (ids, names, creation dates, profile
      counts, bio, default image, verified) and goes through ingest; the default
      unsupervised model scores every account (no follow graph: only profile and count
      signals). The set is a smoke test (near-perfect for any good model, as its README
      says); for reference the trainable model is also cross-validated there on the
      same lake features against a plain random forest;
    - instafake and weibo-microblogpcu have no ids or dates: the trainable model
      (models.fit, as `train fakefans` uses it) is cross-validated at feature level on the
      columns they have, against a plain random forest (scikit-learn defaults) on the
      same columns and the same folds: 5-fold CV repeated over ten fold seeds (CV_SEEDS),
      judged on the mean F1;
    - YelpChi's user -> product graph (no dates) goes through the lockstep search as the
      scan runs it: the groups it raises and their users' spam share against the base
      rate, and, for context, the densest FRAUDAR blocks with theirs.
Nothing is tuned here: the detectors' settings were chosen on simulator seed 7.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

DEV_SEED = 7


def _prf(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(1e-12, p + r), 4),
            "tp": tp, "fp": fp, "fn": fn}


def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, s)), 4) if 0 < y.sum() < y.size else None


def _epoch(v) -> int:
    if hasattr(v, "timestamp"):
        return int(v.timestamp())
    return int(dt.datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp())


# --- (a) simulator ---------------------------------------------------------------

def evaluate_simulator(snapshot: Path | None = None, accounts: int = 100_000, seed: int = 11,
                       follow_order: str = "time", progress=None) -> dict[str, Any]:
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan

    with tempfile.TemporaryDirectory(prefix="qinglang-eval-ff-") as tmp:
        tmp = Path(tmp)
        if snapshot is None:
            from qinglang.sim import SimConfig, simulate

            snapshot = tmp / "snapshot"
            simulate(SimConfig(out=snapshot, accounts=accounts, seed=seed, follow_order=follow_order), progress=progress)
        snapshot = Path(snapshot)
        truth = snapshot / "truth"
        if not (truth / "fake_accounts.csv").exists():
            from qinglang.errors import QinglangError

            raise QinglangError(f"--snapshot {snapshot}: no truth/fake_accounts.csv (a simulator snapshot is needed)")
        manifest = json.loads((truth / "manifest.json").read_text()) if (truth / "manifest.json").exists() else {}
        app = build(tmp / "ws")
        ingest(app.settings, snapshot, progress=progress)
        scan = run_scan(app, only="fakefans", progress=progress)
        res = simulator_metrics(app.findings.read(), truth)
    res = {"accounts": manifest.get("accounts", accounts), "seed": manifest.get("seed", seed),
           "follow_order": manifest.get("follow_order", follow_order),
           "development_seed": manifest.get("seed", seed) == DEV_SEED, **res,
           "scan_seconds": {d["name"]: d["seconds"] for d in scan.as_dict()["detectors"]}}
    return res


def simulator_metrics(findings, truth: Path) -> dict[str, Any]:
    """Compare a findings table with the simulator's truth files."""
    import pyarrow.csv as pcsv

    kinds = findings["kind"].to_pylist()
    subj = findings["subject_id"].to_pylist()
    score = findings["score"].to_pylist()
    evid = findings["evidence"].to_pylist()
    tr = pcsv.read_csv(truth / "fake_accounts.csv").to_pydict()
    fake_score = {s: v for k, s, v in zip(kinds, subj, score) if k == "fake_account"}
    # every account counts; one without a finding scored below 0.05
    is_fake = np.array([x == 1 for x in tr["is_fake"]])
    sc = np.array([fake_score.get(a, 0.0) for a in tr["account_id"]])
    role = np.array(tr["role"])
    farm_kind = np.array([k or "" for k in tr["farm_kind"]])
    res: dict[str, Any] = {}
    pred = sc >= 0.5
    res["fake_account"] = {**_prf(pred, is_fake), "auc": _auc(is_fake, sc),
                           "recall_by_farm_kind": {k: round(float(pred[farm_kind == k].mean()), 4)
                                                   for k in sorted(set(farm_kind) - {""})}}
    dorm = role == "genuine_dormant"
    res["dormant_flagged"] = round(float(pred[dorm].mean()), 4)
    res["genuine_flagged"] = round(float(pred[~is_fake].mean()), 5)

    # lockstep: best-match Jaccard per true farm against the groups raised (score >= 0.5)
    lt = pcsv.read_csv(truth / "lockstep.csv").to_pydict()
    farms: dict[str, set] = {}
    for fid, a, r in zip(lt["farm_id"], lt["account_id"], lt["role"]):
        if r == "member":
            farms.setdefault(fid, set()).add(a)
    groups = [set(json.loads(e)["members"]) for k, e, v in zip(kinds, evid, score) if k == "lockstep_group" and v >= 0.5]
    jac = []
    for mem in farms.values():
        jac.append(max((len(mem & g) / len(mem | g) for g in groups), default=0.0))
    jac = np.array(jac)
    farm_of = {a: f for f, mem in farms.items() for a in mem}
    pure = [max(np.unique([farm_of.get(a, "") for a in g], return_counts=True)[1]) / len(g) for g in groups]
    res["lockstep"] = {"farms": len(farms), "groups": len(groups),
                       "mean_best_jaccard": round(float(jac.mean()), 4) if jac.size else 0.0,
                       "median_best_jaccard": round(float(np.median(jac)), 4) if jac.size else 0.0,
                       "farms_jaccard_ge_0.9": round(float((jac >= 0.9).mean()), 4) if jac.size else 0.0,
                       "groups_mostly_one_farm": round(float(np.mean(np.array(pure) >= 0.9)), 4) if pure else None}

    # bursts: a purchase is found when its buyer has a burst window (score >= 0.5) overlapping the delivery
    bt = pcsv.read_csv(truth / "bursts.csv").to_pydict()
    windows: dict[str, list] = {}
    for k, s, e, v in zip(kinds, subj, evid, score):
        if k == "follower_burst":
            windows[s] = [w for w in json.loads(e).get("windows", []) if w.get("score", 0) >= 0.5]
    n = len(bt["account_id"])
    rs_col = bt.get("rank_start") or [None] * n
    re_col = bt.get("rank_end") or [None] * n
    found_by_kind: dict[str, list] = {}
    for buyer, kind, st, en, rs, re_ in zip(bt["account_id"], bt["kind"], bt["start"], bt["end"], rs_col, re_col):
        hit = False
        for w in windows.get(buyer, []):
            if w["basis"] == "time":
                if _epoch(w["start"]) <= _epoch(en) and _epoch(w["end"]) >= _epoch(st):
                    hit = True
            elif rs is not None and re_ is not None and w["start"] <= int(re_) and w["end"] >= int(rs):
                hit = True
            if hit:
                break
        found_by_kind.setdefault(kind, []).append(hit)
    found = sum(sum(v) for v in found_by_kind.values())
    burst_windows = sum(len(v) for v in windows.values())
    res["bursts"] = {"purchases": n, "found": found, "recall": round(found / max(1, n), 4),
                     "recall_by_kind": {k: round(float(np.mean(v)), 4) for k, v in found_by_kind.items()},
                     "windows_raised": burst_windows}

    et = pcsv.read_csv(truth / "engagement_fraud.csv").to_pydict()
    truth_posts = set(et["post_id"])
    flagged = {s for k, s, v in zip(kinds, subj, score) if k == "engagement_fraud" and v >= 0.5}
    tp = len(flagged & truth_posts)
    p = tp / max(1, len(flagged))
    r = tp / max(1, len(truth_posts))
    res["engagement_fraud"] = {"precision": round(p, 4), "recall": round(r, 4),
                               "f1": round(2 * p * r / max(1e-12, p + r), 4), "posts": len(truth_posts),
                               "flagged": len(flagged)}
    return res


# --- (b) real labelled sets ------------------------------------------------------

#: fold seeds of the repeated cross-validation; 7 first (the single split reported since the first round)
CV_SEEDS = (7, 1, 2, 3, 4, 5, 6, 8, 9, 10)


def _cv_once(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of the trainable model and of a plain random forest, 5 folds (the same for both)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold

    from qinglang.detect.fakefans.model import fit

    p_q = np.zeros(y.size)
    p_rf = np.zeros(y.size)
    for tr, te in StratifiedKFold(n_splits=5, shuffle=True, random_state=seed).split(X, y):
        p_q[te] = fit(X[tr], y[tr], seed=seed).predict(X[te])
        rf = RandomForestClassifier(random_state=seed, n_jobs=2).fit(X[tr], y[tr])
        p_rf[te] = rf.predict_proba(X[te])[:, 1]
    return p_q, p_rf


def _cv(X: np.ndarray, y: np.ndarray, seeds: tuple[int, ...] = CV_SEEDS) -> dict[str, Any]:
    """Repeated 5-fold CV: the trainable model vs a plain random forest (scikit-learn defaults) on the same columns.

    Each repeat reshuffles the folds and reseeds both models. The first seed's split is reported as before
    (qinglang_f1, random_forest_f1 and their AUCs); the verdict is on the mean F1 over all repeats, since on a few
    hundred rows one split can move F1 by a few hundredths either way.
    """
    from sklearn.metrics import f1_score

    runs = [_cv_once(X, y, seed) for seed in seeds]
    f_q = [float(f1_score(y, p_q >= 0.5)) for p_q, _ in runs]
    f_rf = [float(f1_score(y, p_rf >= 0.5)) for _, p_rf in runs]
    yb = y.astype(bool)
    p_q, p_rf = runs[0]
    first = {"qinglang_f1": round(f_q[0], 4), "qinglang_auc": _auc(yb, p_q),
             "random_forest_f1": round(f_rf[0], 4), "random_forest_auc": _auc(yb, p_rf)}
    q, rf = np.array(f_q), np.array(f_rf)
    return {"n": int(y.size), "positives": int(y.sum()), "columns": int(X.shape[1]), "fold_seed": seeds[0], **first,
            "repeated": {"fold_seeds": list(seeds), "qinglang_f1": [round(v, 4) for v in f_q],
                         "random_forest_f1": [round(v, 4) for v in f_rf],
                         "qinglang_f1_mean": round(float(q.mean()), 4), "qinglang_f1_sd": round(float(q.std()), 4),
                         "random_forest_f1_mean": round(float(rf.mean()), 4),
                         "random_forest_f1_sd": round(float(rf.std()), 4),
                         "qinglang_ahead": int((q > rf).sum()), "ties": int((q == rf).sum())},
            "at_least_random_forest": bool(q.mean() >= rf.mean())}


INSTAFAKE_COLUMNS = ("userFollowerCount", "userFollowingCount", "userBiographyLength", "userMediaCount",
                     "userHasProfilPic", "userIsPrivate", "usernameDigitCount", "usernameLength")


def evaluate_instafake(root: Path) -> dict[str, Any]:
    rows = []
    for name, label in (("fakeAccountData.json", 1), ("realAccountData.json", 0)):
        for r in json.loads((root / name).read_text()):
            rows.append(([float(r[k]) for k in INSTAFAKE_COLUMNS], label))
    X = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    return {"columns_used": list(INSTAFAKE_COLUMNS), **_cv(X, y)}


WEIBO_COLUMNS = ("post_num", "follower_num", "followee_num", "class", "message length", "digits in user_name",
                 "user_name length", "gender")


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
            X.append([num("post_num"), num("follower_num"), num("followee_num"), num("class"), float(len(msg)),
                      float(sum(ch.isdigit() for ch in name)), float(len(name)), float(r.get("gender") == "male")])
            y.append(1 if lab == "1" else 0)
    return {"columns_used": list(WEIBO_COLUMNS), **_cv(np.array(X), np.array(y))}


def cresci_snapshot(root: Path, out: Path) -> dict[str, int]:
    """Write cresci15's profiles as a contract snapshot (accounts.csv only); returns {account_id: is_fake}."""
    labels: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    cols = ["account_id", "nickname", "created_at", "bio", "avatar_hash", "verified", "followers_count",
            "following_count", "posts_count"]
    with open(out / "accounts.csv", "w", encoding="utf-8", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(cols)
        for name, label in (("users.csv", 0), ("fusers.csv", 1)):
            with open(root / name, encoding="utf-8", newline="") as fh:
                for r in csv.DictReader(fh):
                    created = dt.datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")
                    default_image = (r.get("default_profile_image") or "").strip() in ("1", "True", "true")
                    url = (r.get("profile_image_url") or "").strip()
                    # the image itself is not in the data: its URL stands for it (the same URL, the same image)
                    avatar = "" if default_image or not url else hashlib.sha256(url.encode()).hexdigest()[:16]
                    w.writerow([r["id"], r.get("name") or r.get("screen_name") or "", created.isoformat(),
                                r.get("description") or "", avatar,
                                "1" if (r.get("verified") or "").strip() in ("1", "True", "true") else "0",
                                int(r.get("followers_count") or 0), int(r.get("friends_count") or 0),
                                int(r.get("statuses_count") or 0)])
                    labels[r["id"]] = label
    return labels


def evaluate_cresci(root: Path, progress=None) -> dict[str, Any]:
    from qinglang.bootstrap import build
    from qinglang.detect.fakefans import features as F
    from qinglang.detect.fakefans.load import load_accounts, load_follows
    from qinglang.detect.fakefans.model import UnsupervisedModel
    from qinglang.lake.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="qinglang-eval-cresci-") as tmp:
        tmp = Path(tmp)
        labels = cresci_snapshot(root, tmp / "snapshot")
        app = build(tmp / "ws")
        ingest(app.settings, tmp / "snapshot", progress=progress)
        eng = app.engine()
        try:
            acc = load_accounts(eng)
            fol = load_follows(eng, acc.n)
        finally:
            eng.close()
    feats = F.account_features(acc, fol)
    X = F.matrix(feats)
    ids = acc.ids.to_pylist()
    y = np.array([labels[a] for a in ids])
    s = UnsupervisedModel().predict(X)
    pred = s >= 0.5
    return {"accounts": len(ids), "fakes": int(y.sum()),
            "unsupervised": {**_prf(pred, y.astype(bool)), "auc": _auc(y.astype(bool), s),
                             "note": "no follow graph in this set: without lockstep evidence the unsupervised "
                                     "model never passes 0.5 by design (profile signals alone flag dormant "
                                     "genuine users); the AUC shows how well its profile signals rank"},
            "trainable_cv_on_lake_features": _cv(X, y)}


def evaluate_yelpchi(root: Path, k: int = 5) -> dict[str, Any]:
    """The lockstep search on YelpChi's user -> product graph, as the scan runs it (no dates, no profiles)."""
    import pyarrow as pa

    from qinglang.detect.fakefans.analysis import analyse_arrays
    from qinglang.detect.fakefans.load import Accounts, Follows
    from qinglang.detect.fakefans.model import UnsupervisedModel

    users, prods, labels = [], [], []
    with gzip.open(root / "metadata.gz", "rt") as fh:
        for line in fh:
            p = line.split()
            if len(p) >= 4:
                users.append(int(p[0]))
                prods.append(int(p[1]))
                labels.append(int(p[3]))
    u, pr, lab = np.array(users), np.array(prods), np.array(labels)
    uu, ui = np.unique(u, return_inverse=True)
    pu, pi = np.unique(pr, return_inverse=True)
    nu, n = uu.size, uu.size + pu.size
    spam_user = np.zeros(nu, bool)
    spam_user[ui[lab == -1]] = True
    ids = pa.array([f"u{x}" for x in uu] + [f"p{x}" for x in pu], pa.string())
    nulls = pa.nulls(n, pa.string())
    zeros = np.zeros(n, np.int64)
    acc = Accounts(ids=ids, created=np.full(n, -1, np.int64), last_active=np.full(n, -1, np.int64),
                   verified=np.zeros(n, bool), followers=np.bincount(pi + nu, minlength=n).astype(np.int64),
                   following=np.bincount(ui, minlength=n).astype(np.int64), posts=zeros, engagement=zeros,
                   is_head=np.zeros(n, bool), nickname=nulls, bio=nulls, avatar=nulls, snapshot=0)
    src = ui.astype(np.int32)
    dst = (pi + nu).astype(np.int32)
    fol = Follows(src, dst, np.full(src.size, -1, np.int64), np.full(src.size, -1, np.int64), False, False)
    a = analyse_arrays(acc, fol, model=UnsupervisedModel(), fraudar_k=k)
    raised = [g for g in a.groups if g.score >= 0.5]
    members = np.unique(np.concatenate([g.members for g in raised])) if raised else np.empty(0, np.int64)
    members = members[members < nu]
    blocks = [{"users": int(b["rows"]), "products": int(b["cols"]), "density": b["density"],
               "synchrony": None, "spam_user_share": round(float(spam_user[b["members"][b["members"] < nu]].mean()), 4)}
              for b in a.unsynchronised_blocks]
    flagged = np.flatnonzero(np.nan_to_num(a.scores[:nu], nan=0.0) >= 0.5)
    return {"users": int(nu), "products": int(pu.size), "reviews": int(u.size),
            "base_spam_user_share": round(float(spam_user.mean()), 4),
            "lockstep_groups_raised": len(raised),
            "raised_users": int(members.size),
            "raised_spam_user_share": round(float(spam_user[members].mean()), 4) if members.size else None,
            "users_scored_fake": int(flagged.size),
            "densest_blocks_not_raised": blocks,
            "note": "no dates: synchrony cannot be shown, so density alone raises nothing"}


SETS = (("cresci15-e13-int", evaluate_cresci), ("instafake", evaluate_instafake),
        ("weibo-microblogpcu", evaluate_weibo), ("yelpchi", evaluate_yelpchi))


def evaluate(datasets: Path | None, simulator: bool = True, snapshot: Path | None = None, accounts: int = 100_000,
             seed: int = 11, follow_order: str = "time", progress=None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if simulator:
        res["simulator"] = evaluate_simulator(snapshot, accounts, seed, follow_order, progress)
    if datasets is not None:
        root = datasets / "fakefans"
        skipped = []
        for name, fn in SETS:
            if (root / name).is_dir():
                res[name] = fn(root / name, progress) if fn is evaluate_cresci else fn(root / name)
            else:
                skipped.append(name)
        if skipped:
            res["skipped"] = {n: f"{root / n} is absent" for n in skipped}
    return res
