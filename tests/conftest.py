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
