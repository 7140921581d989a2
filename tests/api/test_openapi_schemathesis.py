"""Schemathesis against /openapi.json of a live server: no 5xx, responses match the published schema.

The coverage phase (boundary and invalid values of every parameter of every operation, about a minute here);
`python benchmarks/api_schemathesis.py` runs the long one (coverage plus 30 random examples per operation).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.web.conftest import console_api, live_server  # noqa: F401


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, tokens):
    if not (Path(sys.executable).with_name("schemathesis").exists() or shutil.which("schemathesis")):
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from api_schemathesis import run, summary

    code, out, _ = run(live_server, tokens["admin"], examples=3, phases="coverage", seed=7)
    s = summary(out)
    assert code == 0, out[-5000:]
    assert s["operations"] >= 45 and s["generated"] > 300 and s["failed"] in (0, None)
