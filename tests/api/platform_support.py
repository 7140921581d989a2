"""A small simulated platform, ingested, scanned and turned into cases once per test session.

`platform_template` builds it (about 10 s of CPU: 800 accounts, every detector, the case policy);
`platform_app` gives each test its own copy of the workspace (a few MB), so tests that decide
cases or add users do not see each other. `tokens` makes one user per role.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROLES = ("analyst", "reviewer", "senior_reviewer", "admin", "auditor")
SIM_ACCOUNTS = 800
SIM_SEED = 11


def build_template(root: Path) -> Path:
    from qinglang.bootstrap import build
    from qinglang.services.demo import run_demo

    ws = root / "ws"
    old = os.environ.pop("QINGLANG_SECRET", None)
    try:
        run_demo(ws, SIM_ACCOUNTS, SIM_SEED)
        app = build(ws)
        app.store.close()
    finally:
        if old is not None:
            os.environ["QINGLANG_SECRET"] = old
    return ws


@pytest.fixture(scope="session")
def platform_template(tmp_path_factory) -> Path:
    return build_template(tmp_path_factory.mktemp("api-platform"))


@pytest.fixture()
def platform_app(platform_template, tmp_path, monkeypatch):
    """A fresh copy of the simulated workspace, as an App."""
    from qinglang.bootstrap import build

    monkeypatch.delenv("QINGLANG_SECRET", raising=False)
    monkeypatch.delenv("QINGLANG_DB", raising=False)
    ws = tmp_path / "ws"
    shutil.copytree(platform_template, ws)
    app = build(ws)
    yield app
    app.store.close()


def make_tokens(app, names: dict[str, str] | None = None) -> dict[str, str]:
    """One user per role (named after it unless `names` says otherwise); returns role -> token."""
    from qinglang.services.users import add_user

    out = {}
    for role in ROLES:
        name = (names or {}).get(role, role.replace("_", "-"))
        out[role] = add_user(app.store, name, role, by="test-setup")["token"]
    return out


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
