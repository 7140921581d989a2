"""Fake-account models: the unsupervised default and a LightGBM model trained on a platform's labels.

Unsupervised default: a logistic score with fixed, documented weights. Profile rules in
the spirit of Cresci et al. 2015 (default avatar, empty or template bio, generated
names, no engagement) and graph evidence (following far more accounts than follow
back) can never reach the 0.5 decision point on their own — a dormant genuine follower
looks exactly like that — while membership of a synchronised lockstep farm can: a
member's probability mixes "its group is a farm" (the group score g) with its own
signals, p = g * sigmoid(logit(0.99) + signals) + (1 - g) * sigmoid(BIAS + signals), so it
never exceeds what the group's evidence allows (its windows, bursts and registration
batch are already in g and do not count twice). The raw log-odds are then Platt-calibrated
(CALIBRATION) so that a score means a probability.

Trained model: `qinglang train fakefans --labels FILE` fits LightGBM on the same feature
matrix: the number of boosting rounds is chosen by early stopping in a 3-fold
cross-validation on the training rows only, then five boosters with different seeds
are fitted and their log-odds averaged (steadier on small label sets). They are saved
under <home>/models/fakefans/ (model files + meta.json, the meta file written last and
atomically, so a crash never leaves a half-written model in use); scans use them when
present.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np

from qinglang.detect.fakefans.features import FEATURES
from qinglang.errors import QinglangError

#: weights of the unsupervised score (log-odds contributions); see docs/fakefans.md
WEIGHTS = {
    "sync_targets": 0.35,
    "reg_batch": 1.2,
    "burst_follows": 0.25,
    "avatar_missing_or_default": 0.7,
    "avatar_shared": 0.9,
    "bio_empty": 0.3,
    "bio_shared": 0.9,
    "name_generated": 0.8,
    "following_ratio": 0.5,
    "log_engagement": -0.6,
    "log_followers": -0.35,
    "verified": -2.0,
}
#: values are capped at CAPS and counted only above FLOORS
CAPS = {"sync_targets": 4.0, "burst_follows": 4.0, "following_ratio": 4.0}
FLOORS = {"following_ratio": 1.0}  # following up to e (2.7) times as many accounts as follow back is ordinary
BIAS = -5.0
BAG = 5
#: Platt calibration of the raw log-odds z: p = sigmoid(scale * z + shift), fitted once by logistic regression of
#: the truth on z over the followers of head accounts of the development platform (simulator seed 7, 100k accounts,
#: follow times); on held-out seeds 11 (times) and 23 (ranks) each score band's mean matches its fake share within
#: about 0.02 below 0.5 (docs/fakefans.md). Evidence weights are the scaled contributions.
CALIBRATION = (2.30, 0.77)


def calibrated_bias() -> float:
    return CALIBRATION[0] * BIAS + CALIBRATION[1]


#: log-odds that an account inside a farm's windows is one of its members (the membership test's ~1% chance members)
MEMBER_LOGIT = float(np.log(0.99 / 0.01))
#: behaviour features a group member's score does not add again (its group score holds them)
MEMBER_EXCLUDED = ("sync_targets", "burst_follows", "reg_batch")


class UnsupervisedModel:
    name = "unsupervised"

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Log-odds contributions per feature; they sum, with BIAS, to logit(predict(X)).

        A member of a lockstep group is fake if the group is a farm (probability: the group score g) and the
        account is one of its members (a farm's membership test lets at most about 1% of chance accounts in,
        so P = sigmoid(logit(0.99) + its other signals)), or, if the group is not a farm, as any account
        (sigmoid(BIAS + its other signals)): p = g * P + (1 - g) * that. Its windows, bursts and registration
        batch are already in g and do not count again; the group_score entry carries what g adds.
        """
        C = self._plain(X)
        j = FEATURES.index("group_score")
        member = X[:, j] > 0
        if member.any():
            for name in MEMBER_EXCLUDED:
                C[member, FEATURES.index(name)] = 0.0
            rest = C[member].sum(axis=1) - C[member, j]
            p = self._member_probability(X[member, j], rest)
            C[member, j] = np.log(p / (1 - p)) - BIAS - rest
        return CALIBRATION[0] * C

    def _plain(self, X: np.ndarray) -> np.ndarray:
        C = np.zeros_like(X)
        for name, w in WEIGHTS.items():
            j = FEATURES.index(name)
            x = X[:, j]
            if name in CAPS:
                x = np.minimum(x, CAPS[name])
            if name in FLOORS:
                x = np.maximum(x - FLOORS[name], 0.0)
            C[:, j] = w * x
        return C

    @staticmethod
    def _member_probability(g: np.ndarray, rest: np.ndarray) -> np.ndarray:
        sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        p = g * sig(MEMBER_LOGIT + rest) + (1.0 - g) * sig(BIAS + rest)
        return np.clip(p, 1e-9, 1 - 1e-9)

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = calibrated_bias() + self.contributions(X).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-z))

    def describe(self) -> dict:
        return {"model": self.name, "bias": BIAS, "member_logit": MEMBER_LOGIT,
                "calibration": {"scale": CALIBRATION[0], "shift": CALIBRATION[1]},
                "weights": {"group_score": "g * sigmoid(member_logit + rest) + (1 - g) * sigmoid(bias + rest)", **WEIGHTS},
                "caps": CAPS, "floors": FLOORS}


class TrainedModel:
    """An average (in log-odds) of LightGBM boosters."""

    name = "trained"

    def __init__(self, boosters: list, meta: dict | None = None):
        self.boosters = list(boosters)
        self.meta = meta or {}

    def raw(self, X: np.ndarray) -> np.ndarray:
        return np.mean([b.predict(X, raw_score=True) for b in self.boosters], axis=0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.raw(X)))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        return np.mean([b.predict(X, pred_contrib=True)[:, :-1] for b in self.boosters], axis=0)

    def describe(self) -> dict:
        return {"model": self.name, **{k: v for k, v in self.meta.items() if k not in ("features", "files")}}


def model_dir(workspace) -> Path:
    return workspace.models_dir / "fakefans"


PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10,
          "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
          "deterministic": True, "num_threads": 1, "verbose": -1}


def choose_rounds(X: np.ndarray, y: np.ndarray, seed: int, params: dict, most: int = 1000) -> int:
    """Boosting rounds by early stopping in a 3-fold CV on these (training) rows only."""
    import lightgbm as lgb

    if np.bincount(y.astype(np.int64), minlength=2).min() < 6:
        return 200
    cv = lgb.cv(dict(params, seed=seed), lgb.Dataset(X, y.astype(np.float64)), num_boost_round=most, nfold=3,
                stratified=True, seed=seed, callbacks=[lgb.early_stopping(50, verbose=False)])
    return max(20, len(next(iter(cv.values()))))


def fit(X: np.ndarray, y: np.ndarray, seed: int = 7, params: dict | None = None, bag: int = BAG) -> TrainedModel:
    import lightgbm as lgb

    p = dict(PARAMS, **(params or {}))
    rounds = int(p.pop("num_rounds", 0)) or choose_rounds(X, y, seed, p)
    names = FEATURES if X.shape[1] == len(FEATURES) else "auto"
    boosters = [lgb.train(dict(p, seed=seed + i), lgb.Dataset(X, label=y.astype(np.float64), feature_name=names),
                          num_boost_round=rounds) for i in range(bag)]
    return TrainedModel(boosters, {"rounds": rounds, "bag": bag})


def save(workspace, model: TrainedModel, meta: dict) -> Path:
    d = model_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    files = []
    for i, b in enumerate(model.boosters):
        name = f"model-{tag}-{i}.txt"
        tmp = d / f".{name}.tmp"
        b.save_model(str(tmp))
        os.replace(tmp, d / name)
        files.append(name)
    tmp_meta = d / f".meta-{tag}.tmp"
    tmp_meta.write_text(json.dumps({**model.meta, **meta, "features": FEATURES, "files": files}, ensure_ascii=False,
                                   indent=2))
    os.replace(tmp_meta, d / "meta.json")  # the commit point
    for old in d.glob("model*.txt"):
        if old.name not in files:
            old.unlink(missing_ok=True)
    return d


def load(workspace):
    """The trained model if one was saved, else the unsupervised default."""
    d = model_dir(workspace)
    meta_path = d / "meta.json"
    if not meta_path.exists():
        return UnsupervisedModel()
    import lightgbm as lgb

    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as e:
        raise QinglangError(f"{meta_path}: unreadable ({e}); run `qinglang train fakefans --labels FILE` again") from None
    if meta.get("features") != FEATURES:
        raise QinglangError(f"{d}: the saved fake-fan model was trained on other features; "
                            f"run `qinglang train fakefans --labels FILE` again")
    files = meta.get("files") or ["model.txt"]
    missing = [f for f in files if not (d / f).exists()]
    if missing:
        raise QinglangError(f"{d}: model files {missing} are missing; run `qinglang train fakefans --labels FILE` again")
    return TrainedModel([lgb.Booster(model_file=str(d / f)) for f in files], meta)
