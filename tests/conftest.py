"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_datasets_dir() -> Path | None:
    env = os.environ.get("QINGLANG_SHARED_DATASETS")
    p = Path(env) if env else REPO.parent / "shared" / "datasets"
    return p if p.is_dir() else None


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """../shared/datasets (or $QINGLANG_SHARED_DATASETS); the test skips when it is absent."""
    p = shared_datasets_dir()
    if p is None:
        pytest.skip("the labelled data sets in ../shared/datasets are not present on this machine")
    return p


def postgres_url() -> str | None:
    url = os.environ.get("QINGLANG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return url
    except OSError:
        return None


@pytest.fixture(scope="session")
def pg_url() -> str:
    """PostgreSQL URL for tests; skips when no server listens on 127.0.0.1:5432."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    return url


@pytest.fixture(scope="session")
def java_available() -> bool:
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (needed by Spark)")
    return True


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """A fresh workspace folder (not yet created) with no secret in the environment."""
    monkeypatch.delenv("QINGLANG_SECRET", raising=False)
    monkeypatch.delenv("QINGLANG_HOME", raising=False)
    monkeypatch.delenv("QINGLANG_DB", raising=False)
    return tmp_path / "ws"


def fresh_pg_schema_url(base: str) -> tuple[str, str]:
    """A new, empty PostgreSQL schema and a store URL whose connections use it (search_path)."""
    import uuid

    import psycopg

    schema = f"qt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


def drop_pg_schema(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as con:
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A URL of an empty SQL store: an SQLite file, and a fresh PostgreSQL schema (skipped when unreachable).

    Tests taking this fixture run once per database, so the store's behaviour is checked on both.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    url, schema = fresh_pg_schema_url(base)
    try:
        yield url
    finally:
        drop_pg_schema(base, schema)


@pytest.fixture(scope="session")
def fakefans_platform(tmp_path_factory):
    """A small simulated platform (8,000 accounts, follow times known) ingested and scanned with
    `--only fakefans`: (app, truth folder, root). Shared by the fake-fan scan and audience tests; a test
    that changes the workspace (e.g. trains a model) puts it back as it found it."""
    from qinglang.bootstrap import build
    from qinglang.lake.ingest import ingest
    from qinglang.services.scan import run_scan
    from qinglang.sim import SimConfig, simulate

    root = tmp_path_factory.mktemp("ff-scan")
    snap = root / "snap"
    simulate(SimConfig(out=snap, accounts=8000, seed=5))
    app = build(root / "ws")
    ingest(app.settings, snap)
    run_scan(app, only="fakefans")
    return app, snap / "truth", root
