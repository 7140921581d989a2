"""Fixtures of the console tests: the simulated platform of the API tests, users, a signed-in client, a live server."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.api.platform_support import make_tokens, platform_app, platform_template  # noqa: F401


@pytest.fixture()
def tokens(platform_app) -> dict[str, str]:
    return make_tokens(platform_app)


def signed_in(api, token: str):
    from fastapi.testclient import TestClient

    c = TestClient(api, raise_server_exceptions=True, follow_redirects=False)
    r = c.post("/console/login", data={"token": token, "next": "/console/"})
    assert r.status_code == 303 and r.headers["location"] == "/console/", r.text
    return c


@pytest.fixture()
def console_api(platform_app):
    from qinglang.entrypoints.api import create_app

    return create_app(platform_app, warm=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def live_server(console_api):
    """The app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(console_api, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    deadline = time.time() + 60
    while not server.started:
        if time.time() > deadline or not th.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    th.join(timeout=30)


@pytest.fixture()
def browser():
    """Debian's chromium driven by Playwright; skips when either is missing (never downloads a browser)."""
    import os

    exe = "/usr/bin/chromium"
    if not os.path.exists(exe):
        pytest.skip("chromium is not installed at /usr/bin/chromium (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (the Python package) is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield b
        finally:
            b.close()
