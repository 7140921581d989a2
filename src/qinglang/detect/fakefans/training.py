"""`qinglang train fakefans --labels FILE`: fit LightGBM on a platform's own labels.

The labels file is CSV `account_id,is_fake` (0/1). Features are computed over the
whole lake exactly as a scan does (graph evidence included), the model is checked with
5-fold cross-validation (seed 7) and saved under <home>/models/fakefans/ (see model.fit:
boosting rounds by an inner CV on the training rows, five seeds averaged).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from qinglang.errors import InputError, QinglangError


def read_labels(path: Path) -> dict[str, int]:
    if not path.exists():
        raise QinglangError(f"--labels {path}: no such file")
    out: dict[str, int] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            r = csv.DictReader(fh)
            if not r.fieldnames or "account_id" not in r.fieldnames or "is_fake" not in r.fieldnames:
                raise InputError(str(path), f"needs columns account_id,is_fake (has {r.fieldnames})")
            for i, row in enumerate(r, start=1):
                v = (row.get("is_fake") or "").strip().lower()
                if v not in ("0", "1", "true", "false"):
                    raise InputError(str(path), f"is_fake must be 0 or 1, not {v!r}", row=i, column="is_fake")
                a = (row.get("account_id") or "").strip()
                if not a:
                    raise InputError(str(path), "empty account_id", row=i, column="account_id")
                out[a] = 1 if v in ("1", "true") else 0
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    if not out:
        raise InputError(str(path), "no labelled rows")
    return out


def train(app, labels_path: Path, progress=None, seed: int = 7) -> dict:
    from sklearn.metrics import f1_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from qinglang.detect.fakefans import features as F
    from qinglang.detect.fakefans import model as M
    from qinglang.detect.fakefans.analysis import analyse

    labels = read_labels(Path(labels_path))
    app.workspace.require_lake()
    eng = app.engine()
    try:
        a = analyse(eng, None, model=M.UnsupervisedModel(), progress=progress)
    finally:
        eng.close()
    ids = a.acc.ids.to_pylist()
    pos = {x: i for i, x in enumerate(ids)}
    unknown = [x for x in labels if x not in pos]
    if len(unknown) == len(labels):
        raise QinglangError(f"--labels {labels_path}: none of the {len(labels)} labelled accounts is in the workspace")
    rows = np.array([pos[x] for x in labels if x in pos], np.int64)
    y = np.array([labels[x] for x in labels if x in pos], np.int64)
    if y.min() == y.max():
        raise QinglangError(f"--labels {labels_path}: needs both fake (1) and genuine (0) accounts")
    X = F.matrix(a.feats, rows)
    cv_p = np.zeros(y.size)
    k = int(min(5, np.bincount(y).min()))
    if k >= 2:
        for tr, te in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(X, y):
            cv_p[te] = M.fit(X[tr], y[tr], seed=seed).predict(X[te])
    model = M.fit(X, y, seed=seed)
    meta = {"labels_file": str(labels_path), "labelled": int(y.size), "fakes": int(y.sum()),
            "unknown_accounts": len(unknown), "cv_f1": round(float(f1_score(y, cv_p >= 0.5)), 4) if k >= 2 else None,
            "cv_auc": round(float(roc_auc_score(y, cv_p)), 4) if k >= 2 else None, "seed": seed}
    path = M.save(app.workspace, model, meta)
    return {**meta, "path": str(path)}
