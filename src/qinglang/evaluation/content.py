"""`qinglang eval content`: accuracy of content screening on simulated posts and on
real labelled sets, with fixed seeds.

- sim: the simulator's posts (truth/posts.csv), screened with the policy pack (the
  workspace's when --home has one, else the default), the simulator's rumour base
  (truth/rumors.csv) and image bank (truth/violating_images.csv); a post counts as
  flagged for a category at score >= 0.5. Reported per category, overall, on the
  disguised posts, and on the same posts before disguise (undisguised_text).
- cold: COLD offensive language as `abuse`, trained on its train split, threshold
  tuned on dev, measured on test.
- ced: CED rumours as `rumor`, stratified 5-fold cross-validation.
- swsr: SWSR sexist comments as `abuse`, stratified 5-fold cross-validation.
- hancd: HanCD clickbait titles as `vulgar_marketing`, trained on one source
  (Sina / Tencent) and tested on the other.
Real sets are read from ../shared/datasets (or --datasets); absent ones are skipped.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import numpy as np

from qinglang.detect.content.pack import CONTENT_CATEGORIES


def _prf(y: np.ndarray, p: np.ndarray) -> dict:
    tp = int((y & p).sum())
    fp = int((~y & p).sum())
    fn = int((y & ~p).sum())
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = (2 * prec * rec / (prec + rec)) if prec and rec else (0.0 if prec is not None and rec is not None else None)
    return {"n": int(len(y)), "positives": int(y.sum()), "precision": prec, "recall": rec, "f1": f1}


def datasets_root(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit if explicit.is_dir() else None
    env = os.environ.get("QINGLANG_SHARED_DATASETS")
    if env:
        return Path(env) if Path(env).is_dir() else None
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "datasets"
        if cand.is_dir():
            return cand
    cand = Path.cwd().parent / "shared" / "datasets"
    return cand if cand.is_dir() else None


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# --- simulator ------------------------------------------------------------------
def eval_sim(sim_dir: Path, pack=None) -> dict:
    import pyarrow.parquet as pq

    from qinglang.detect.content.images import ImageBanks, add_to_bank
    from qinglang.detect.content.pack import load_default_pack
    from qinglang.detect.content.rumors import add_rumors
    from qinglang.detect.content.screener import Screener

    pack = pack or load_default_pack()
    posts_file = next((sim_dir / f"posts.{e}" for e in ("parquet", "csv", "jsonl") if (sim_dir / f"posts.{e}").exists()),
                      None)
    if posts_file is None or not (sim_dir / "truth" / "posts.csv").exists():
        raise FileNotFoundError(f"{sim_dir} has no posts table and truth/posts.csv")
    if posts_file.suffix == ".parquet":
        t = pq.read_table(posts_file).to_pydict()
        by_id = {pid: (txt, hs) for pid, txt, hs in zip(t["post_id"], t["text"], t.get("image_hashes",
                                                                                       [None] * len(t["post_id"])))}
    else:
        rows = _read_csv(posts_file)
        by_id = {r["post_id"]: (r["text"], [h for h in (r.get("image_hashes") or "").split(";") if h]) for r in rows}
    truth = _read_csv(sim_dir / "truth" / "posts.csv")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sc = Screener(pack)
        if (sim_dir / "truth" / "rumors.csv").exists():
            add_rumors(folder, sim_dir / "truth" / "rumors.csv", sc.normalizer)
        banks = None
        if (sim_dir / "truth" / "violating_images.csv").exists():
            imgs = _read_csv(sim_dir / "truth" / "violating_images.csv")
            for cat in sorted({r["category"] for r in imgs}):
                f = folder / f"bank_{cat}.txt"
                f.write_text("\n".join(r["image_hash"] for r in imgs if r["category"] == cat) + "\n", encoding="utf-8")
                kind = "pdq" if len(imgs[0]["image_hash"]) == 64 else "phash"
                add_to_bank(folder, f"sim_{cat}", f, kind=kind, category=cat)
            banks = ImageBanks.load(folder)
        sc = Screener(pack, rumors_folder=folder, banks=banks)
        texts = [by_id[r["post_id"]][0] or "" for r in truth]
        hashes = [by_id[r["post_id"]][1] for r in truth]
        res = sc.screen(texts, image_hashes=hashes)
        dis_idx = [i for i, r in enumerate(truth) if r.get("disguised") == "1" and r.get("undisguised_text")]
        undis = sc.screen([truth[i]["undisguised_text"] for i in dis_idx],
                          image_hashes=[hashes[i] for i in dis_idx]) if dis_idx else []
    cats = [c for c in CONTENT_CATEGORIES if any(r["category"] == c for r in truth)]
    rows = []
    labels = np.asarray([r["category"] for r in truth])
    flagged = {c: np.asarray([r.categories.get(c, 0.0) >= 0.5 for r in res]) for c in cats}
    for c in cats:
        y = labels == c
        rows.append({"set": "sim", "category": c, **_prf(y, flagged[c])})
    y_any = labels != "none"
    p_any = np.zeros(len(truth), dtype=bool)
    for c in cats:
        p_any |= flagged[c]
    rows.append({"set": "sim", "category": "any (violating vs not)", **_prf(y_any, p_any)})
    hb = np.asarray([r.get("hard_benign") == "1" for r in truth])
    if hb.any():
        rows.append({"set": "sim", "category": "hard benign flagged", "n": int(hb.sum()),
                     "precision": None, "recall": None, "f1": None,
                     "note": f"false-positive rate {float(p_any[hb].mean()):.3f}"})
    if dis_idx:
        d_lab = labels[dis_idx]
        rec_d = np.mean([res[i].categories.get(truth[i]["category"], 0) >= 0.5 for i in dis_idx])
        rec_u = np.mean([u.categories.get(lab, 0) >= 0.5 for u, lab in zip(undis, d_lab)])
        rows.append({"set": "sim", "category": "disguised posts", "n": len(dis_idx), "precision": None,
                     "recall": float(rec_d), "f1": None, "note": "recall of the disguised violations"})
        rows.append({"set": "sim", "category": "same posts undisguised", "n": len(dis_idx), "precision": None,
                     "recall": float(rec_u), "f1": None,
                     "note": f"gap {100 * (rec_u - rec_d):.1f} points (target <= 5)"})
        per_trick: dict[str, list[bool]] = {}
        for i in dis_idx:
            ok = res[i].categories.get(truth[i]["category"], 0) >= 0.5
            for trick in (truth[i].get("tricks") or "").split(";"):
                if trick:
                    per_trick.setdefault(trick, []).append(ok)
        for trick, oks in sorted(per_trick.items()):
            rows.append({"set": "sim", "category": f"disguise: {trick}", "n": len(oks), "precision": None,
                         "recall": float(np.mean(oks)), "f1": None})
    return {"rows": rows}


# --- real sets --------------------------------------------------------------
def _train_predict(sc, texts_tr, labels_tr, texts_te, category, dev_mask=None, seed=13, embeddings=None,
                   emb_tr=None, emb_te=None, reactions_tr=None, reactions_te=None):
    """Train on one part, predict the other; returns ({"text": probabilities[, "reactions": ...]}, model).
    With reactions the model gets reaction models too, and the test posts are predicted both ways."""
    from qinglang.detect.content import classifier

    rules_tr, norm_tr = sc.rule_matrix(texts_tr, with_norm=True)
    model = classifier.train(texts_tr, labels_tr, rules_tr, sc.categories, dev_mask=dev_mask, seed=seed,
                             embeddings=embeddings, embedding_matrix=emb_tr, norm_texts=norm_tr,
                             reactions=sc.normalized_reactions(reactions_tr) if reactions_tr is not None else None)
    rules_te, norm_te = sc.rule_matrix(texts_te, with_norm=True)
    out = {"text": model.predict(texts_te, rules_te, embeddings=emb_te, norm_texts=norm_te)[category]}
    if reactions_te is not None and model.uses_reactions:
        out["reactions"] = model.predict(texts_te, rules_te, embeddings=emb_te, norm_texts=norm_te,
                                         reactions=sc.normalized_reactions(reactions_te))[category]
    return out, model


def eval_cold(root: Path, sc, seed: int, embeddings: str | None) -> list[dict]:
    from qinglang.detect.content.classifier import embed

    d = root / "content" / "cold"
    tr, dv, te = (_read_csv(d / f"{s}.csv") for s in ("train", "dev", "test"))
    texts = [r["TEXT"] for r in tr] + [r["TEXT"] for r in dv]
    labels = ["abuse" if r["label"] == "1" else "none" for r in tr + dv]
    dev = np.asarray([False] * len(tr) + [True] * len(dv))
    y = np.asarray([r["label"] == "1" for r in te])
    rows = []
    p = _train_predict(sc, texts, labels, [r["TEXT"] for r in te], "abuse", dev_mask=dev, seed=seed)[0]["text"]
    rows.append({"set": "cold test", "category": "abuse (offensive)", **_prf(y, p >= 0.5),
                 "note": "char n-grams + rules; trained on train, threshold on dev"})
    if embeddings:
        e_tr = np.vstack([embed([r["TEXT"] for r in tr]), embed([r["TEXT"] for r in dv])])
        e_te = embed([r["TEXT"] for r in te])
        p = _train_predict(sc, texts, labels, [r["TEXT"] for r in te], "abuse", dev_mask=dev, seed=seed,
                           embeddings=embeddings, emb_tr=e_tr, emb_te=e_te)[0]["text"]
        rows.append({"set": "cold test", "category": "abuse (offensive)", **_prf(y, p >= 0.5),
                     "note": f"+ {embeddings} embeddings"})
    # rules alone (the default pack, no training) for reference
    rm = sc.rule_matrix([r["TEXT"] for r in te])[:, sc.cat_index["abuse"]]
    rows.append({"set": "cold test", "category": "abuse (offensive)", **_prf(y, rm >= 0.5),
                 "note": "default pack rules alone (no training)"})
    return rows


def _kfold(sc, texts, y, category, seed, folds=5, note="", set_name="", reactions=None) -> list[dict]:
    """Stratified k-fold; with reactions, one row for the text model and one for the reaction model
    (the same folds and training runs)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y, dtype=bool)
    pred = {"text": np.zeros(len(texts), dtype=bool), "reactions": np.zeros(len(texts), dtype=bool)}
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr_idx, te_idx in skf.split(np.zeros(len(y)), y):
        labels = [category if y[i] else "none" for i in tr_idx]
        p, _ = _train_predict(sc, [texts[i] for i in tr_idx], labels, [texts[i] for i in te_idx], category, seed=seed,
                              reactions_tr=[reactions[i] for i in tr_idx] if reactions is not None else None,
                              reactions_te=[reactions[i] for i in te_idx] if reactions is not None else None)
        for k, v in p.items():
            pred[k][te_idx] = v >= 0.5
    rows = [{"set": set_name, "category": category, **_prf(y, pred["text"]), "note": note}]
    if reactions is not None:
        rows.append({"set": set_name, "category": category, **_prf(y, pred["reactions"]),
                     "note": f"post + its first reposts' comments (reaction model), {folds}-fold, same folds"})
    return rows


def eval_ced(root: Path, sc, seed: int, limit: int | None = None, folds: int = 5) -> list[dict]:
    import random
    import sys

    csv.field_size_limit(sys.maxsize)
    rows = _read_csv(root / "content" / "ced" / "ced_compact.csv")
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    texts = [r["text"] for r in rows]
    y = [r["label"] == "1" for r in rows]
    # the first reposts' comments (ced_compact's first_reposts, ` ||| ` between them): readers' reactions
    # (假的吧, 求辟谣...) are strong rumour evidence once a post has spread; `scan` gathers the same from
    # the lake (the first 20 reposts of each post)
    reactions = [r.get("first_reposts") or "" for r in rows] if "first_reposts" in rows[0] else None
    return _kfold(sc, texts, y, "rumor", seed, folds=folds, note=f"post text only (text model), {folds}-fold",
                  set_name="ced", reactions=reactions)


def eval_swsr(root: Path, sc, seed: int) -> list[dict]:
    rows = _read_csv(root / "content" / "swsr" / "SWSR" / "SexComment.csv")
    texts = [r["comment_text"] for r in rows]
    y = [r["label"] == "1" for r in rows]
    return _kfold(sc, texts, y, "abuse", seed, note="sexist comments, 5-fold", set_name="swsr")


def eval_hancd(root: Path, sc, seed: int) -> list[dict]:
    d = root / "content" / "hancd"
    data = {}
    for src in ("sina", "tencent"):
        with open(d / src / "test.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        data[src] = ([r[1] for r in rows if len(r) > 2], [r[0] == "0" for r in rows if len(r) > 2])
    out = []
    for tr, te in (("tencent", "sina"), ("sina", "tencent")):
        t_tr, y_tr = data[tr]
        t_te, y_te = data[te]
        labels = ["vulgar_marketing" if v else "none" for v in y_tr]
        p = _train_predict(sc, t_tr, labels, t_te, "vulgar_marketing", seed=seed)[0]["text"]
        out.append({"set": f"hancd {te}", "category": "vulgar_marketing (clickbait)",
                    **_prf(np.asarray(y_te), p >= 0.5), "note": f"titles; trained on {tr}; labels are noisy"})
    return out


def evaluate_content(home=None, sim_dir: Path | None = None, datasets_dir: Path | None = None,
                     only: list[str] | None = None, embeddings: str | None = None, seed: int = 13,
                     progress=None) -> dict:
    from qinglang.detect.content.pack import load_default_pack
    from qinglang.detect.content.screener import Screener

    wanted = set(only or ["sim", "cold", "ced", "swsr", "hancd"])
    unknown = wanted - {"sim", "cold", "ced", "swsr", "hancd"}
    if unknown:
        from qinglang.errors import QinglangError

        raise QinglangError(f"--only takes sim, cold, ced, swsr, hancd; not {', '.join(sorted(unknown))}")
    pack = None
    if home is not None:
        from qinglang.config import resolve_home
        from qinglang.detect.content.store import load_policy

        pack = load_policy(resolve_home(home))
    pack = pack or load_default_pack()
    rows, skipped = [], []
    step = 0

    def tick(name):
        nonlocal step
        if progress:
            progress(name, step, len(wanted))
        step += 1

    if "sim" in wanted:
        tick("sim")
        if sim_dir is None:
            from qinglang.sim import SimConfig, simulate

            with tempfile.TemporaryDirectory() as tmp:
                simulate(SimConfig(out=Path(tmp), accounts=20_000, seed=seed))
                rows.extend(eval_sim(Path(tmp), pack)["rows"])
        else:
            rows.extend(eval_sim(Path(sim_dir), pack)["rows"])
    root = datasets_root(datasets_dir)
    sc = Screener(pack) if wanted - {"sim"} else None
    for name, fn in (("cold", lambda: eval_cold(root, sc, seed, embeddings)), ("ced", lambda: eval_ced(root, sc, seed)),
                     ("swsr", lambda: eval_swsr(root, sc, seed)), ("hancd", lambda: eval_hancd(root, sc, seed))):
        if name not in wanted:
            continue
        tick(name)
        if root is None or not (root / "content" / name).is_dir():
            skipped.append(f"{name}: the labelled set is not present (../shared/datasets/content/{name})")
            continue
        rows.extend(fn())
    for r in rows:
        for k in ("precision", "recall", "f1"):
            if r.get(k) is not None:
                r[k] = round(float(r[k]), 4)
    return {"seed": seed, "pack": pack.summary()["name"] + " " + pack.version, "rows": rows, "skipped": skipped}
