"""Fake-account models: the unsupervised default and a LightGBM model trained on a platform's labels.

Unsupervised default: a logistic score with fixed, documented weights. Profile rules in
the spirit of Cresci et al. 2015 (default avatar, empty or template bio, generated
names, no engagement) can never reach the 0.5 decision point on their own — a dormant
genuine follower looks exactly like that — while graph evidence (membership of a
synchronised lockstep farm, registration inside a batch, follows inside bursts) can.

Trained model: `qinglang train fakefans --labels FILE` fits LightGBM on the same
feature matrix and saves it under <home>/models/fakefans/ (model.txt + meta.json,
written atomically); scans use it when present.
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
    "group_score": 6.5,
    "sync_targets": 0.35,
    "reg_batch": 1.2,
    "burst_follows": 0.25,
    "avatar_missing_or_default": 0.7,
    "avatar_shared": 0.9,
    "bio_empty": 0.3,
    "bio_shared": 0.9,
    "name_generated": 0.8,
    "log_engagement": -0.6,
    "log_followers": -0.35,
    "verified": -2.0,
}
CAPS = {"sync_targets": 4.0, "burst_follows": 4.0}
BIAS = -5.0


class UnsupervisedModel:
    name = "unsupervised"

    def contributions(self, X: np.ndarray) -> np.ndarray:
        C = np.zeros_like(X)
        for name, w in WEIGHTS.items():
            j = FEATURES.index(name)
            x = X[:, j]
            if name in CAPS:
                x = np.minimum(x, CAPS[name])
            C[:, j] = w * x
        return C

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = BIAS + self.contributions(X).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-z))

    def describe(self) -> dict:
        return {"model": self.name, "bias": BIAS, "weights": WEIGHTS}


class TrainedModel:
    name = "trained"

    def __init__(self, booster, meta: dict):
        self.booster = booster
        self.meta = meta

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.clip(self.booster.predict(X), 0.0, 1.0)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        return self.booster.predict(X, pred_contrib=True)[:, :-1]

    def describe(self) -> dict:
        return {"model": self.name, **{k: v for k, v in self.meta.items() if k != "features"}}


def model_dir(workspace) -> Path:
    return workspace.models_dir / "fakefans"


def fit(X: np.ndarray, y: np.ndarray, seed: int = 7, params: dict | None = None):
    import lightgbm as lgb

    p = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 20,
         "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "seed": seed,
         "deterministic": True, "num_threads": 2, "verbose": -1}
    if params:
        p.update(params)
    rounds = int(p.pop("num_rounds", 300))
    ds = lgb.Dataset(X, label=y.astype(np.float64), feature_name=FEATURES if X.shape[1] == len(FEATURES) else "auto",
                     free_raw_data=True)
    return lgb.train(p, ds, num_boost_round=rounds)


def save(workspace, booster, meta: dict) -> Path:
    d = model_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp_model = d / f".model-{tag}.tmp"
    tmp_meta = d / f".meta-{tag}.tmp"
    booster.save_model(str(tmp_model))
    tmp_meta.write_text(json.dumps({**meta, "features": FEATURES}, ensure_ascii=False, indent=2))
    os.replace(tmp_model, d / "model.txt")
    os.replace(tmp_meta, d / "meta.json")
    return d


def load(workspace):
    """The trained model if one was saved, else the unsupervised default."""
    d = model_dir(workspace)
    if not (d / "model.txt").exists() or not (d / "meta.json").exists():
        return UnsupervisedModel()
    import lightgbm as lgb

    meta = json.loads((d / "meta.json").read_text())
    if meta.get("features") != FEATURES:
        raise QinglangError(f"{d}: the saved fake-fan model was trained on other features; "
                            f"run `qinglang train fakefans --labels FILE` again")
    return TrainedModel(lgb.Booster(model_file=str(d / "model.txt")), meta)
