"""Concurrent reviewers on the governance store, and kill -9 recovery.

    python benchmarks/reviewers.py [--small] [--cases N] [--reviewers R] [--backends sqlite,postgresql] [--no-kill]

1. Throughput: N cases are opened through intake (content findings, policy, audit), then R reviewers
   (on PostgreSQL 10 processes of R/10 threads, like API workers; on SQLite threads of one process)
   claim (`claim --next`, leased, SKIP LOCKED on PostgreSQL / BEGIN IMMEDIATE on SQLite)
   and decide every case (a mix of warnings, limits, suspensions, guidance and dismissals, each
   with its sanction, notice, outbox event and audit entries). Checked: zero double claims (no
   case claimed by two reviewers, from the reviewers' own records and from the audit log), zero
   lost decisions (every decision a reviewer was told succeeded is in the store), audit chain
   verifies. Reported: decisions/s, p50/p99 latency of a decision and of a claim+decide cycle.
   Peer: a bare SQL work queue on the same database in the same run (claim with the same lock
   discipline + one UPDATE per decision, no audit, no sanction, no outbox) — the ceiling a
   queue with no governance would reach; the ratio shows what the audit trail and effects cost.
2. Kill -9 (unless --no-kill): (a) the case intake of N findings runs in a child process that is
   SIGKILLed part-way, then re-run: no duplicates, every finding attached once, chain verifies;
   (c) a real `qinglang scan` of a simulated platform is SIGKILLed while its detectors run and again
   while it opens cases, then run to the end: its cases, findings attached and sanctions equal those
   of a clean scan of the same snapshot, no duplicates, chain verifies;
   (b) reviewers in 5 child processes x R/5 threads; two processes are SIGKILLed part-way and two
   fresh ones started (leases of 6 s let them take over the dead reviewers' cases): every case
   decided exactly once, no half-applied decision, chain verifies.
Peak RSS is reported per step (this process for the threads; each child for the processes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import REPO, table  # noqa: E402

ACTIONS = [("warning", {}), ("warning", {}), ("dismiss", {}), ("limit", {"days": 30, "features": ["derank"]}),
           ("guidance", {}), ("suspend", {"days": 7}), ("warning", {}), ("dismiss", {}), ("limit", {"days": 15}),
           ("warning", {})]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# --- stores ------------------------------------------------------------------------------------
def make_url(backend: str, tmp: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        import uuid

        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}", (lambda: None)
    sys.path.insert(0, str(REPO))
    from tests.conftest import drop_pg_schema, fresh_pg_schema_url, postgres_url

    base = postgres_url()
    if base is None:
        raise SystemExit("PostgreSQL is not reachable at 127.0.0.1:5432 (use --backends sqlite)")
    url, schema = fresh_pg_schema_url(base)
    return url, (lambda: drop_pg_schema(base, schema))


def governance(url: str, cp: Path, lease_minutes: float | None = None, pool: int = 5):
    from qinglang.domain.case_policy import default_policy_dict, merge, parse_policy
    from qinglang.services.governance import Governance
    from qinglang.store import open_store

    raw = default_policy_dict()
    if lease_minutes is not None:
        raw = merge(raw, {"lease_minutes": lease_minutes})
    return Governance(open_store(url, checkpoint_path=cp, pool_size=pool), parse_policy(raw))


def findings(n: int, offset: int = 0):
    from qinglang.domain.findings import Finding, FindingKind, findings_table
    from qinglang.domain.vocab import Category

    cats = [Category.RUMOR, Category.ABUSE, Category.SOFT_PORN, Category.VULGAR_MARKETING, Category.HEROES_MARTYRS]
    return findings_table([Finding(FindingKind.CONTENT_VIOLATION, f"p{i}", 0.85 + (i % 10) / 100, cats[i % 5],
                                   {"author": f"u{i}", "spans": []}, account_id=f"u{i}")
                           for i in range(offset, offset + n)])


def seed(gov, n: int) -> float:
    from qinglang.services.intake import apply_findings

    t0 = time.perf_counter()
    s = apply_findings(gov, findings(n))
    dt = time.perf_counter() - t0
    assert s["cases_opened"] == n, s
    return dt


# --- reviewers ---------------------------------------------------------------------------------
def reviewer_loop(gov, name: str, log, stop_after: int | None = None):
    """Claim and decide until the queue is empty; log every claim and every confirmed decision."""
    from qinglang.errors import Conflict
    from qinglang.services.cases import claim_case, decide_case

    done = 0
    while True:
        t0 = time.perf_counter()
        c = claim_case(gov, reviewer=name, detail=False)
        if c is None:
            return
        t1 = time.perf_counter()
        log(("claim", name, c["case_id"], t1 - t0))
        action, kw = ACTIONS[c["case_id"] % len(ACTIONS)]
        try:
            decide_case(gov, c["case_id"], reviewer=name, action=action, reason=f"benchmark {action}", detail=False, **kw)
        except Conflict as e:  # the lease lapsed and someone else took the case: correct, move on
            log(("lost_lease", name, c["case_id"], str(e)))
            continue
        t2 = time.perf_counter()
        log(("decide", name, c["case_id"], t2 - t1, t2 - t0))
        done += 1
        if stop_after and done >= stop_after:
            return


def check_store(gov, n: int, claims: list | None = None, decisions: list | None = None) -> dict:
    """Double claims, lost decisions, half-applied decisions, chain; from the store and the reviewers' records."""
    from qinglang.services.audit import verify

    with gov.store.read() as uow:
        q = lambda s: uow.conn.exec_driver_sql(s).all()  # noqa: E731
        statuses = Counter(r[0] for r in q("SELECT status FROM cases"))
        audit = q("SELECT action, entity_id, actor, at FROM audit_log WHERE entity_type = 'case' "
                  "AND action IN ('case.claimed', 'case.decided') ORDER BY seq")
        half = q("SELECT c.case_id FROM cases c LEFT JOIN sanctions s ON s.case_id = c.case_id "
                 "WHERE (c.outcome = 'sanctioned') != (s.sanction_id IS NOT NULL)")
        dup_sanctions = q("SELECT case_id FROM sanctions GROUP BY case_id HAVING count(*) > 1")
    decided_in_log = Counter(int(e[1]) for e in audit if e[0] == "case.decided")
    store_decider = {int(e[1]): e[2] for e in audit if e[0] == "case.decided"}
    double_claims = 0
    if claims is not None:
        per_case = Counter(c for _, c in claims)
        double_claims = sum(1 for v in per_case.values() if v > 1)
    lost = 0
    if decisions is not None:
        lost = sum(1 for name, cid in decisions if store_decider.get(cid) != name)
    chain = verify(gov)
    return {"resolved": statuses.get("resolved", 0), "unresolved": n - statuses.get("resolved", 0),
            "decided_twice": sum(1 for v in decided_in_log.values() if v > 1), "double_claims": double_claims,
            "lost_decisions": lost, "half_applied": len(half) + len(dup_sanctions), "chain_ok": chain.ok,
            "chain_entries": chain.entries}


def run_processes(url: str, tmp: Path, n: int, reviewers: int, processes: int) -> dict:
    """The reviewers as `processes` child processes of reviewers/processes threads each (like API workers)."""
    gov = governance(url, tmp / "audit" / "cp.json")
    seed_s = seed(gov, n)
    per = max(1, reviewers // processes)
    code = REVIEWER_CHILD.format(bench=str(Path(__file__).resolve().parent))
    logpath = tmp / f"throughput-{processes}.jsonl"
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, url, str(tmp / "audit" / "cp.json"), f"w{i}", str(per),
                               str(logpath), "30"], cwd=REPO) for i in range(processes)]
    peak = 0.0
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        peak = max(peak, usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit("a reviewer process failed")
    wall = time.perf_counter() - t0
    records = [json.loads(x) for x in logpath.read_text().splitlines() if x.strip()]
    claims = [(r[1], r[2]) for r in records if r[0] == "claim"]
    decisions = [(r[1], r[2]) for r in records if r[0] == "decide"]
    check = check_store(gov, n, claims, decisions)
    with gov.store.read() as uow:
        audit_claims = Counter(r[0] for r in uow.conn.exec_driver_sql(
            "SELECT entity_id FROM audit_log WHERE action = 'case.claimed'"))
    check["double_claims"] += sum(1 for v in audit_claims.values() if v > 1)
    gov.store.close()
    dec = [r[3] for r in records if r[0] == "decide"]
    cyc = [r[4] for r in records if r[0] == "decide"]
    return {"seed_s": seed_s, "wall_s": wall, "decisions": len(decisions), "per_s": len(decisions) / wall,
            "p50_ms": 1000 * statistics.median(dec), "p99_ms": 1000 * pct(dec, 99),
            "cycle_p99_ms": 1000 * pct(cyc, 99), "child_peak_rss_mb": peak, **check}


def run_threads(url: str, tmp: Path, n: int, reviewers: int) -> dict:
    gov = governance(url, tmp / "audit" / "cp.json", pool=reviewers)
    seed_s = seed(gov, n)
    records: list = []
    lock = threading.Lock()

    def log(rec):
        with lock:
            records.append(rec)

    errors: list = []

    def worker(i):
        try:
            reviewer_loop(gov, f"r{i:02d}", log)
        except BaseException as e:  # noqa: BLE001
            errors.append(repr(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"reviewer errors: {errors[:3]}")
    claims = [(r[1], r[2]) for r in records if r[0] == "claim"]
    decisions = [(r[1], r[2]) for r in records if r[0] == "decide"]
    check = check_store(gov, n, claims, decisions)
    # claims in the audit log: each case claimed exactly once (leases did not lapse during the run)
    with gov.store.read() as uow:
        audit_claims = Counter(r[0] for r in uow.conn.exec_driver_sql(
            "SELECT entity_id FROM audit_log WHERE action = 'case.claimed'"))
    check["double_claims"] += sum(1 for v in audit_claims.values() if v > 1)
    gov.store.close()
    dec = [r[3] for r in records if r[0] == "decide"]
    cyc = [r[4] for r in records if r[0] == "decide"]
    return {"seed_s": seed_s, "wall_s": wall, "decisions": len(decisions), "per_s": len(decisions) / wall,
            "p50_ms": 1000 * statistics.median(dec), "p99_ms": 1000 * pct(dec, 99),
            "cycle_p99_ms": 1000 * pct(cyc, 99), **check}


# --- the peer: a bare SQL queue ------------------------------------------------------------------
def run_bare_queue(url: str, n: int, reviewers: int) -> dict:
    """Claim + decide with the same lock discipline, one UPDATE per step, no audit/sanction/outbox."""
    import sqlalchemy as sa

    from qinglang.store.sql.engine import make_engine

    eng = make_engine(url, pool_size=reviewers)
    pg = eng.dialect.name == "postgresql"
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE bare_queue (id INTEGER PRIMARY KEY, status VARCHAR(16), claimed_by VARCHAR(64), "
                          "outcome VARCHAR(16), priority INTEGER)")
        c.execute(sa.text("INSERT INTO bare_queue (id, status, priority) VALUES (:id, 'open', :p)"),
                  [{"id": i, "p": i % 97} for i in range(n)])
        c.exec_driver_sql("CREATE INDEX ix_bare_queue ON bare_queue (status, priority)")
    lat: list[float] = []
    lock = threading.Lock()
    claim_sql = ("SELECT id FROM bare_queue WHERE status = 'open' ORDER BY priority DESC, id LIMIT 1"
                 + (" FOR UPDATE SKIP LOCKED" if pg else ""))

    def worker(name):
        while True:
            with eng.begin() as c:
                row = c.exec_driver_sql(claim_sql).first()
                if row is None:
                    return
                c.execute(sa.text("UPDATE bare_queue SET status = 'claimed', claimed_by = :n WHERE id = :i"),
                          {"n": name, "i": row[0]})
            t = time.perf_counter()
            with eng.begin() as c:
                c.execute(sa.text("UPDATE bare_queue SET status = 'resolved', outcome = 'warning' WHERE id = :i "
                                  "AND claimed_by = :n"), {"n": name, "i": row[0]})
            with lock:
                lat.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(f"b{i}",)) for i in range(reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    with eng.begin() as c:
        resolved = c.exec_driver_sql("SELECT count(*) FROM bare_queue WHERE status = 'resolved'").scalar()
        c.exec_driver_sql("DROP TABLE bare_queue")
    eng.dispose()
    return {"wall_s": wall, "decisions": resolved, "per_s": resolved / wall, "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * pct(lat, 99)}


# --- kill -9 -----------------------------------------------------------------------------------
INTAKE_CHILD = """
import sys, pyarrow.parquet as pq
sys.path.insert(0, {bench!r})
from reviewers import governance
from qinglang.services.intake import apply_findings
gov = governance(sys.argv[1], __import__('pathlib').Path(sys.argv[2]))
apply_findings(gov, pq.read_table(sys.argv[3]), chunk=100)
"""

REVIEWER_CHILD = """
import sys, json, threading, os
sys.path.insert(0, {bench!r})
from reviewers import governance, reviewer_loop
url, cp, tag, threads, logpath = sys.argv[1], __import__('pathlib').Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
gov = governance(url, cp, lease_minutes=float(sys.argv[6]), pool=threads)
fd = os.open(logpath, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
lock = threading.Lock()
def log(rec):
    with lock:
        os.write(fd, (json.dumps(rec) + "\\n").encode())
ts = [threading.Thread(target=reviewer_loop, args=(gov, f"{{tag}}-{{i}}", log)) for i in range(threads)]
[t.start() for t in ts]
[t.join() for t in ts]
"""


def count_rows(gov, sql: str) -> int:
    with gov.store.read() as uow:
        return uow.conn.exec_driver_sql(sql).scalar()


def kill_intake(url: str, tmp: Path, n: int) -> dict:
    import pyarrow.parquet as pq

    from qinglang.services.audit import verify
    from qinglang.services.intake import apply_findings

    path = tmp / "findings.parquet"
    pq.write_table(findings(n), path)
    cp = tmp / "audit" / "kill-intake.json"
    gov = governance(url, cp)
    code = INTAKE_CHILD.format(bench=str(Path(__file__).resolve().parent))
    p = subprocess.Popen([sys.executable, "-c", code, url, str(cp), str(path)], cwd=REPO)
    target = n // 3
    while p.poll() is None and count_rows(gov, "SELECT count(*) FROM cases") < target:
        time.sleep(0.05)
    killed = p.poll() is None
    if killed:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    at_kill = count_rows(gov, "SELECT count(*) FROM cases")
    chain_after_kill = verify(gov).ok
    s = apply_findings(gov, pq.read_table(path))
    rerun = apply_findings(gov, pq.read_table(path))
    dup = count_rows(gov, "SELECT count(*) FROM (SELECT account_id, category FROM cases GROUP BY account_id, category "
                          "HAVING count(*) > 1) d")
    attached = count_rows(gov, "SELECT count(*) FROM case_findings")
    total = count_rows(gov, "SELECT count(*) FROM cases")
    ok = verify(gov).ok
    gov.store.close()
    return {"killed": killed, "cases_at_kill": at_kill, "chain_after_kill": chain_after_kill,
            "opened_on_rerun": s["cases_opened"], "second_rerun_opened": rerun["cases_opened"], "cases": total,
            "duplicates": dup, "findings_attached": attached, "chain_ok": ok,
            "pass": killed and total == n and dup == 0 and attached == n and ok and chain_after_kill
            and rerun["cases_opened"] == 0}


def kill_reviewers(url: str, tmp: Path, n: int, reviewers: int) -> dict:
    from qinglang.services.audit import verify

    cp = tmp / "audit" / "kill-reviewers.json"
    gov = governance(url, cp)
    seed(gov, n)
    per = max(1, reviewers // 5)
    code = REVIEWER_CHILD.format(bench=str(Path(__file__).resolve().parent))
    logpath = tmp / "reviewers.jsonl"

    def start(tag):
        return subprocess.Popen([sys.executable, "-c", code, url, str(cp), tag, str(per), str(logpath), "0.1"], cwd=REPO)

    procs = {f"p{i}": start(f"p{i}") for i in range(5)}
    while count_rows(gov, "SELECT count(*) FROM cases WHERE status = 'resolved'") < n // 4:
        if all(p.poll() is not None for p in procs.values()):
            break
        time.sleep(0.05)
    victims = ["p0", "p1"]
    killed = 0
    for v in victims:
        if procs[v].poll() is None:
            os.kill(procs[v].pid, signal.SIGKILL)
            killed += 1
        procs[v].wait()
    resolved_at_kill = count_rows(gov, "SELECT count(*) FROM cases WHERE status = 'resolved'")
    chain_after_kill = verify(gov).ok
    held = count_rows(gov, "SELECT count(*) FROM cases WHERE status = 'claimed'")
    procs.update({"q0": start("q0"), "q1": start("q1")})
    peak = []
    for name, p in procs.items():
        if name in victims:
            continue
        _, status, usage = os.wait4(p.pid, 0)
        peak.append(usage.ru_maxrss / 1024)
    # the last lapsed leases of dead reviewers are taken over once they expire
    deadline = time.time() + 60
    while count_rows(gov, "SELECT count(*) FROM cases WHERE status != 'resolved'") and time.time() < deadline:
        time.sleep(6.5)
        q = start("z")
        q.wait()
    records = [json.loads(x) for x in logpath.read_text().splitlines() if x.strip()]
    decisions = [(r[1], r[2]) for r in records if r[0] == "decide"]
    check = check_store(gov, n, None, decisions)
    gov.store.close()
    return {"killed_processes": killed, "resolved_at_kill": resolved_at_kill, "claimed_at_kill": held,
            "chain_after_kill": chain_after_kill, "child_peak_rss_mb": max(peak) if peak else 0, **check,
            "pass": killed == 2 and check["resolved"] == n and check["decided_twice"] == 0
            and check["lost_decisions"] == 0 and check["half_applied"] == 0 and check["chain_ok"] and chain_after_kill}


def kill_scan(backend: str, tmp: Path, accounts: int) -> dict:
    """`qinglang scan` of a simulated platform, SIGKILLed twice (during detectors, during case intake), then
    finished; its cases must equal those of a clean scan of the same snapshot."""
    from qinglang.services.audit import verify
    from qinglang.sim import SimConfig, simulate

    cli = [sys.executable, "-m", "qinglang.entrypoints.cli.app"]
    snap = tmp / "scan-snap"
    simulate(SimConfig(out=snap, accounts=accounts, seed=3, fmt="parquet"))
    url_ref, clean_ref = make_url(backend, tmp)
    url, clean = make_url(backend, tmp)
    try:
        homes = {"ref": tmp / "scan-ref", "ws": tmp / "scan-ws"}
        for h in homes.values():
            subprocess.run(cli + ["ingest", str(snap), "--home", str(h)], check=True, capture_output=True)
        t0 = time.perf_counter()
        subprocess.run(cli + ["scan", "--home", str(homes["ref"]), "--db", url_ref], check=True, capture_output=True)
        clean_scan_s = time.perf_counter() - t0
        gov = governance(url, homes["ws"] / "audit" / "bench.json")
        kills = []
        for when in ("detectors", "intake"):
            p = subprocess.Popen(cli + ["scan", "--home", str(homes["ws"]), "--db", url],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if when == "detectors":
                time.sleep(min(3.0, clean_scan_s / 4))
            else:
                while p.poll() is None and count_rows(gov, "SELECT count(*) FROM cases") == 0:
                    time.sleep(0.02)
            cases_at_kill = count_rows(gov, "SELECT count(*) FROM cases")
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                kills.append((when, cases_at_kill))
            p.wait()
        subprocess.run(cli + ["scan", "--home", str(homes["ws"]), "--db", url], check=True, capture_output=True)
        ref = governance(url_ref, homes["ref"] / "audit" / "bench.json")

        def snapshot(g):
            with g.store.read() as uow:
                q = lambda s: uow.conn.exec_driver_sql(s).all()  # noqa: E731
                keys = {tuple(r) for r in q("SELECT account_id, kind, subject_id, related_id, category FROM case_findings")}
                cases = Counter((r[0], r[1], r[2], bool(r[3])) for r in q(
                    "SELECT account_id, category, status, automated FROM cases"))
                sanctions = Counter(tuple(r) for r in q("SELECT account_id, action FROM sanctions"))
            return keys, cases, sanctions

        a, b = snapshot(gov), snapshot(ref)
        dup = count_rows(gov, "SELECT count(*) FROM (SELECT account_id, category FROM cases WHERE status != 'resolved' "
                              "GROUP BY account_id, category HAVING count(*) > 1) d")
        ok = verify(gov).ok
        res = {"accounts": accounts, "clean_scan_s": round(clean_scan_s, 1), "kills": kills,
               "cases": sum(a[1].values()), "same_as_clean_scan": a == b, "duplicates": dup, "chain_ok": ok,
               "pass": len(kills) == 2 and a == b and dup == 0 and ok}
        gov.store.close()
        ref.store.close()
        return res
    finally:
        clean_ref()
        clean()


# --- main --------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="1,000 cases, 10 reviewers")
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--reviewers", type=int, default=50)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--processes", type=int, default=None,
                    help="run the reviewers as this many processes of reviewers/processes threads (1: threads of one "
                         "process); default 10 on PostgreSQL (like API workers), 1 on SQLite (a single-node store: one "
                         "process's threads queue on its writer lock)")
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--scan-accounts", type=int, default=5000, help="size of the platform the kill-a-scan step simulates")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    n, r = (1000, 10) if a.small else (a.cases, a.reviewers)
    results = {}
    rows, kill_rows = [], []
    for backend in [b.strip() for b in a.backends.split(",") if b.strip()]:
        with tempfile.TemporaryDirectory(prefix="qinglang-bench-") as d:
            tmp = Path(d)
            url, cleanup = make_url(backend, tmp)
            try:
                procs = a.processes or (10 if backend == "postgresql" else 1)
                ours = run_processes(url, tmp, n, r, procs) if procs > 1 else run_threads(url, tmp, n, r)
                ours["processes"] = procs
                bare = run_bare_queue(url, n, r)
            finally:
                cleanup()
            results[backend] = {"qinglang": ours, "bare_queue": bare}
            print(f"[{backend}] reviewers: {json.dumps(ours)}\n[{backend}] bare queue: {json.dumps(bare)}", flush=True)
            rows.append([backend, f"{n:,}", f"{r} ({ours['processes']} proc.)", f"{ours['seed_s']:.1f}", f"{ours['per_s']:.0f}", f"{ours['p50_ms']:.1f}",
                         f"{ours['p99_ms']:.1f}", f"{ours['cycle_p99_ms']:.1f}", ours["double_claims"],
                         ours["lost_decisions"], ours["half_applied"], "yes" if ours["chain_ok"] else "NO",
                         f"{bare['per_s']:.0f}", f"{ours['per_s'] / bare['per_s']:.2f}",
                         f"{max(rss_mb(), ours.get('child_peak_rss_mb', 0)):.0f}"])
            if not a.no_kill:
                url, cleanup = make_url(backend, tmp)
                try:
                    ki = kill_intake(url, tmp, n)
                finally:
                    cleanup()
                url, cleanup = make_url(backend, tmp)
                try:
                    kr = kill_reviewers(url, tmp, max(500, n // 5), r)
                finally:
                    cleanup()
                ks = kill_scan(backend, tmp, a.scan_accounts)
                results[backend]["kill_intake"] = ki
                results[backend]["kill_reviewers"] = kr
                results[backend]["kill_scan"] = ks
                print(f"[{backend}] kill: {json.dumps({'intake': ki, 'reviewers': kr, 'scan': ks}, default=str)}", flush=True)
                kill_rows.append([backend, "intake", f"cases at kill {ki['cases_at_kill']:,}/{n:,}",
                                  f"rerun opened {ki['opened_on_rerun']:,}, then {ki['second_rerun_opened']}",
                                  f"duplicates {ki['duplicates']}", "yes" if ki["chain_ok"] else "NO",
                                  "PASS" if ki["pass"] else "FAIL"])
                kill_rows.append([backend, "reviewers", f"2 of 5 processes killed at {kr['resolved_at_kill']:,} decided",
                                  f"all {kr['resolved']:,} decided once (twice: {kr['decided_twice']}, lost: {kr['lost_decisions']})",
                                  f"half-applied {kr['half_applied']}", "yes" if kr["chain_ok"] else "NO",
                                  "PASS" if kr["pass"] else "FAIL"])
                kill_rows.append([backend, "qinglang scan", "; ".join(f"during {w} ({c} cases)" for w, c in ks["kills"]),
                                  f"{ks['cases']:,} cases, same as a clean scan: {'yes' if ks['same_as_clean_scan'] else 'NO'}",
                                  f"duplicates {ks['duplicates']}", "yes" if ks["chain_ok"] else "NO",
                                  "PASS" if ks["pass"] else "FAIL"])
    print(table(["store", "cases", "reviewers", "seed s", "decisions/s", "p50 ms", "p99 ms", "cycle p99 ms",
                 "double claims", "lost", "half-applied", "chain ok", "bare queue/s", "ratio vs bare", "peak RSS MB"],
                rows, title="Concurrent reviewers: claim --next + decide (peer: bare SQL queue, same DB, same run)"))
    if kill_rows:
        print()
        print(table(["store", "killed", "state at kill", "after restart", "consistency", "chain ok", "result"], kill_rows,
                    title="kill -9 and restart"))
    if a.json:
        a.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
