"""Schemathesis against the served OpenAPI schema: no 5xx, no schema violations.

    python benchmarks/api_schemathesis.py [--small] [--home WS] [--examples 30] [--phases examples,coverage,fuzzing]

Serves a simulated platform (or --home) with `qinglang serve`, makes an admin user and runs
`schemathesis run /openapi.json` with that token and the checks not_a_server_error,
status_code_conformance, content_type_conformance, response_schema_conformance and
response_headers_conformance over every operation but POST /api/users/{name}/revoke (which would
revoke the run's own token; tests/api covers it). Prints the summary table; exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_registration import build_workspace, free_port, start_server  # noqa: E402
from harness import table  # noqa: E402

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance," \
         "response_headers_conformance"


def schemathesis_exe() -> str:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return str(exe)
    found = shutil.which("schemathesis")
    if not found:
        sys.exit("schemathesis is not installed: pip install -e '.[test]'")
    return found


def run(url: str, token: str, examples: int, phases: str, seed: int | None = None,
        max_time: int | None = None) -> tuple[int, str, float]:
    argv = [schemathesis_exe(), "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {token}",
            "--checks", CHECKS, "-n", str(examples), "--phases", phases, "-w", "1",
            "--exclude-path-regex", r"/revoke$", "--no-color"]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if max_time:
        argv += ["--max-time", str(max_time)]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - t0


def summary(out: str) -> dict:
    m = re.search(r"(\d+) generated, (\d+) passed(?:, (\d+) failed)?", out)
    ops = re.search(r"Tested: (\d+)", out)
    return {"generated": int(m.group(1)) if m else 0, "passed": int(m.group(2)) if m else 0,
            "failed": int(m.group(3) or 0) if m else None, "operations": int(ops.group(1)) if ops else 0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="800-account platform, 10 examples per operation")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--examples", type=int, default=30)
    ap.add_argument("--phases", default="examples,coverage,fuzzing")
    args = ap.parse_args()
    if args.small:
        args.accounts, args.examples = 800, 10
    tmp = Path(tempfile.mkdtemp(prefix="qinglang-bench-schema-"))
    ws = args.home or build_workspace(tmp, args.accounts, args.seed)
    from qinglang.bootstrap import build
    from qinglang.services.users import add_user

    app = build(ws)
    token = add_user(app.store, f"schemathesis-{os.getpid()}", "admin", by="benchmark", expires_days=1)["token"]
    app.store.close()
    port = free_port()
    server = start_server(ws, port, 1)
    try:
        code, out, secs = run(f"http://127.0.0.1:{port}", token, args.examples, args.phases)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    s = summary(out)
    print(table(["operations", "test cases", "passed", "failed", "examples/op", "phases", "seconds", "exit"],
                [[s["operations"], s["generated"], s["passed"], s["failed"], args.examples, args.phases,
                  f"{secs:.0f}", code]], title=f"schemathesis {CHECKS.replace(',', ', ')}"))
    if code != 0:
        print(out[-6000:])
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
