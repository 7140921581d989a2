"""Fixtures of the API tests: a simulated platform per test, users of every role, an in-process client."""

from __future__ import annotations

import pytest

from tests.api.platform_support import make_tokens, platform_app, platform_template  # noqa: F401


@pytest.fixture()
def tokens(platform_app) -> dict[str, str]:
    return make_tokens(platform_app)


@pytest.fixture()
def client(platform_app):
    from fastapi.testclient import TestClient

    from qinglang.entrypoints.api import create_app

    api = create_app(platform_app, warm=False)
    with TestClient(api, raise_server_exceptions=False, follow_redirects=False) as c:
        c.api = api
        yield c
