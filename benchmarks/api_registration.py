"""Real-time registration checks over HTTP: throughput and latency under load from `wrk` in a second process.

    python benchmarks/api_registration.py [--small] [--home WS] [--workers 1,2] [--connections 4,16] [--seconds 20]
    python benchmarks/api_registration.py --home benchmarks/out/http-ws-1000000   # 1M banned (registration.py)

Target (issue 7): 500 requests/s with p99 under 50 ms over loopback, zero errors, with wrk on the same
machine. The peer is the same server's /api/health (no check, one store read): the ceiling of the HTTP
stack on this machine, measured in the same run, so `vs health` says how much of it the check keeps.
Each request is a different registration (nicknames of banned accounts with suffixes, fresh identities),
so nothing is answered from a cache. Also reported: the check alone in-process (ms per check), peak RSS
of the server (all workers) and of wrk, the load average during the run (the machine is shared).
Needs the Debian package `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, table  # noqa: E402

LUA = r"""
local n = 0
local names = {%(names)s}
request = function()
  n = n + 1
  local nick = names[(n %% #names) + 1] .. tostring(n %% 97)
  local body = string.format('{"nickname":"%%s","avatar_hash":"%%016x","identities":[{"kind":"phone","value":"+86 1%%010d"},{"kind":"device","value":"dev-%%d"}]}',
                             nick, (n * 2654435761) %% 281474976710655, n, n)
  return wrk.format("POST", "/api/realtime/registration-check",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_workspace(root: Path, accounts: int, seed: int) -> Path:
    from qinglang.services.demo import run_demo

    ws = root / f"ws-{accounts}-{seed}"
    run_demo(ws, accounts, seed)
    return ws


def banned_names(ws: Path, n: int = 40) -> list[str]:
    """Nicknames of closed accounts: from the workspace's snapshot, or (a workspace holding only a banned
    registry, such as benchmarks/registration.py's 1M-banned http-ws-1000000) from the registry itself."""
    import duckdb

    snap = ws / "snapshot"
    if (snap / "accounts.parquet").exists():
        rows = duckdb.sql(f"SELECT a.nickname FROM '{snap}/accounts.parquet' a JOIN '{snap}/enforcements.parquet' e "
                          f"USING (account_id) WHERE e.action = 'close' ORDER BY a.account_id LIMIT {n}").fetchall()
    else:
        from qinglang.detect.reincarnation.registry import current_folder
        from qinglang.services.registration import registry_root

        folder = current_folder(registry_root(ws))
        if folder is None:
            sys.exit(f"{ws} has neither a snapshot nor a banned registry")
        rows = duckdb.sql(f"SELECT nickname FROM '{folder}/banned.parquet' WHERE action = 'close' "
                          f"AND nickname IS NOT NULL LIMIT {n}").fetchall()
    names = [r[0] for r in rows] or ["新用户"]
    return names + ["新用户", "小明同学", "一只猫"]


def in_process_ms(ws: Path, names: list[str], n: int = 300) -> float:
    from qinglang.bootstrap import build
    from qinglang.services.registration import RegistrationService

    class Null:
        def record(self, s, r):
            pass

    svc = RegistrationService(build(ws), recorder=Null())
    svc.registry  # noqa: B018
    times = []
    for i in range(n):
        req = {"nickname": f"{names[i % len(names)]}{i % 97}", "avatar_hash": f"{(i * 2654435761) % (1 << 48):016x}",
               "identities": [{"kind": "phone", "value": f"+86 1{i:010d}"}, {"kind": "device", "value": f"dev-{i}"}]}
        t = time.perf_counter()
        svc.check(req, record=False)
        times.append(time.perf_counter() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


def tree_rss_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and its children, summed."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024.0


def start_server(ws: Path, port: int, workers: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "qinglang.entrypoints.cli.app", "serve", "--home", str(ws), "--port", str(port),
            "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
    raise RuntimeError("the server did not start in 300 s")


def warm(port: int, token: str, workers: int) -> None:
    """Load the registry in every worker (the first check of each loads it)."""
    body = json.dumps({"nickname": "预热", "identities": []}).encode()
    for _ in range(8 * workers):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/realtime/registration-check", data=body,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=300) as r:
            assert r.status == 200


def parse_wrk(out: str) -> dict:
    def ms(v: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        x, unit = float(m.group(1)), m.group(2)
        return x / 1000 if unit == "us" else (x * 1000 if unit == "s" else x)

    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for q in ("50", "75", "90", "99"):
        m = re.search(rf"\s{q}%\s+([\d.]+\w+)", out)
        res[f"p{q}"] = ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res


def run_wrk(url: str, conns: int, seconds: int, script: Path | None) -> tuple[dict, float]:
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(url)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"wrk failed: {proc.stderr.read()}")
    _ = time.perf_counter() - t0
    return parse_wrk(out), usage.ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="800-account platform, 10-second runs")
    ap.add_argument("--home", type=Path, help="use this workspace (default: simulate one)")
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--connections", default="4,16")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--json", type=Path, default=OUT / "api_registration.json")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if args.small:
        args.accounts, args.seconds = 800, 10
    tmp = Path(tempfile.mkdtemp(prefix="qinglang-bench-api-"))
    ws = args.home or build_workspace(tmp, args.accounts, args.seed)
    from qinglang.bootstrap import build
    from qinglang.services.users import add_user

    app = build(ws)
    token = add_user(app.store, f"bench-{os.getpid()}", "analyst", by="benchmark", expires_days=1)["token"]
    app.store.close()
    names = banned_names(ws)
    script = tmp / "registration.lua"
    script.write_text(LUA % {"names": ", ".join(json.dumps(n, ensure_ascii=False) for n in names), "token": token},
                      encoding="utf-8")
    per_check = in_process_ms(ws, names)
    rows, results = [], []
    for workers in [int(x) for x in args.workers.split(",")]:
        port = free_port()
        server = start_server(ws, port, workers)
        try:
            warm(port, token, workers)
            for conns in [int(x) for x in args.connections.split(",")]:
                load0 = os.getloadavg()[0]
                health, _ = run_wrk(f"http://127.0.0.1:{port}/api/health", conns, max(5, args.seconds // 2), None)
                reg, wrk_rss = run_wrk(f"http://127.0.0.1:{port}", conns, args.seconds, script)
                load1 = os.getloadavg()[0]
                errors = reg["non_2xx"] + reg["socket_errors"]
                met = reg["rps"] >= 500 and (reg["p99"] or 1e9) < 50 and errors == 0
                rss = tree_rss_mb(server.pid)
                results.append({"workers": workers, "connections": conns, "registration": reg, "health": health,
                                "server_peak_rss_mb": rss, "wrk_peak_rss_mb": wrk_rss, "load_avg": [load0, load1],
                                "target_met": met})
                rows.append([workers, conns, f"{reg['rps']:.0f}", f"{reg['p50']:.1f}", f"{reg['p99']:.1f}", errors,
                             f"{health['rps']:.0f}", f"{reg['rps'] / max(health['rps'], 1e-9):.2f}",
                             f"{rss:.0f}", f"{load0:.1f}/{load1:.1f}", "yes" if met else "no"])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    print(table(["workers", "conns", "req/s", "p50 ms", "p99 ms", "errors", "health req/s", "vs health",
                 "server peak RSS MB", "load avg", "target met"], rows,
                title=f"POST /api/realtime/registration-check, wrk -t1 over loopback, {args.seconds} s per run "
                      f"({'workspace ' + str(args.home) if args.home else f'{args.accounts} simulated accounts'}; "
                      f"check alone in-process: {per_check:.2f} ms median)"))
    print("target: >= 500 req/s with p99 < 50 ms and zero errors (wrk on the same cores)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"accounts": args.accounts, "seconds": args.seconds,
                                     "check_in_process_ms_median": per_check, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
