"""Kill -9 while cases are being opened or decided; after a restart the store is consistent, the chain
verifies, and re-running finishes the work without duplicates."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from qinglang.domain.findings import Finding, FindingKind, findings_table
from qinglang.domain.vocab import Category
from qinglang.services.audit import verify
from qinglang.services.cases import claim_case, decide_case
from qinglang.services.governance import Governance, load_case_policy
from qinglang.services.intake import apply_findings
from qinglang.store import open_store

REPO = Path(__file__).resolve().parents[2]

INTAKE = textwrap.dedent("""
    import sys, pyarrow.parquet as pq
    from pathlib import Path
    from qinglang.store import open_store
    from qinglang.services.governance import Governance, load_case_policy
    from qinglang.services.intake import apply_findings
    url, cp, findings = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    gov = Governance(open_store(url, checkpoint_path=cp), load_case_policy(None))
    apply_findings(gov, pq.read_table(findings), chunk=20)
    print("finished")
""")

REVIEWERS = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from qinglang.store import open_store
    from qinglang.services.governance import Governance, load_case_policy
    from qinglang.services.cases import claim_case, decide_case
    url, cp = sys.argv[1], Path(sys.argv[2])
    gov = Governance(open_store(url, checkpoint_path=cp), load_case_policy(None))
    def work(name):
        while True:
            c = claim_case(gov, reviewer=name)
            if c is None:
                return
            action = "warning" if c["case_id"] % 3 else "dismiss"
            decide_case(gov, c["case_id"], reviewer=name, action=action, reason="ok")
    ts = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    print("finished")
""")


def findings(n: int):
    rows = []
    for i in range(n):
        rows.append(Finding(FindingKind.CONTENT_VIOLATION, f"p{i}", 0.9, Category.RUMOR, {"author": f"u{i}"}, account_id=f"u{i}"))
        if i % 5 == 0:  # certain reincarnations: closed automatically, sanction and outbox in the same transaction
            rows.append(Finding(FindingKind.REINCARNATION, f"u{i}", 0.995, Category.REINCARNATION, {}, related_id=f"old{i}"))
    return findings_table(rows)


def count(store, table: str) -> int:
    with store.read() as uow:  # a reader never waits for the writer
        return uow.conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def run_and_kill(script: str, args: list[str], store, table: str, at_least: int, total: int) -> bool:
    """Start the script, wait until `table` has at least `at_least` rows, then SIGKILL it; True if killed mid-way."""
    p = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if count(store, table) >= at_least:
            break
        time.sleep(0.02)
    killed = p.poll() is None
    if killed:
        os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    if not killed:
        out, err = p.communicate()
        assert p.returncode == 0, err.decode()[-3000:]
    return killed and count(store, table) < total


def consistent(store) -> None:
    with store.engine.connect() as conn:
        q = lambda s: conn.exec_driver_sql(s).all()  # noqa: E731
        assert q("SELECT account_id, category, count(*) FROM cases WHERE status != 'resolved' "
                 "GROUP BY account_id, category HAVING count(*) > 1") == []
        assert q("SELECT c.case_id FROM cases c LEFT JOIN case_findings f ON f.case_id = c.case_id "
                 "WHERE c.source = 'findings' AND f.id IS NULL") == []  # no case without its evidence
        assert q("SELECT case_id FROM sanctions GROUP BY case_id HAVING count(*) > 1") == []
        assert q("SELECT c.case_id FROM cases c LEFT JOIN sanctions s ON s.case_id = c.case_id "
                 "WHERE c.outcome = 'sanctioned' AND s.sanction_id IS NULL") == []
        assert q("SELECT s.sanction_id FROM sanctions s JOIN cases c ON c.case_id = s.case_id "
                 "WHERE c.status != 'resolved'") == []
        assert q("SELECT s.sanction_id FROM sanctions s LEFT JOIN outbox o ON o.key = "
                 "'sanction:' || CAST(s.sanction_id AS VARCHAR(20)) || ':applied' WHERE o.event_id IS NULL") == []
        assert q("SELECT case_id FROM audit_log a RIGHT JOIN cases c ON a.entity_id = CAST(c.case_id AS VARCHAR(20)) "
                 "AND a.action = 'case.opened' WHERE a.seq IS NULL") == [] if store.dialect == "postgresql" else True


@pytest.mark.timeout(300)
def test_kill_during_case_intake_then_rerun_completes_without_duplicates(store_url, tmp_path):
    n = 500
    path = tmp_path / "findings.parquet"
    pq.write_table(findings(n), path)
    cp = tmp_path / "audit" / "checkpoint.json"
    store = open_store(store_url, checkpoint_path=cp)
    total = n + n // 5  # a rumor case per account, and a reincarnation case for every fifth
    killed = run_and_kill(INTAKE, [store_url, str(cp), str(path)], store, "cases", 40, total)
    assert killed, "the intake finished before it could be killed; raise n"
    gov = Governance(store, load_case_policy(None))
    assert verify(gov).ok
    consistent(store)
    before = count(store, "cases")
    summary = apply_findings(gov, pq.read_table(path))
    assert summary["cases_opened"] == total - before
    assert count(store, "cases") == total and count(store, "sanctions") == n // 5
    assert apply_findings(gov, pq.read_table(path))["cases_opened"] == 0
    consistent(store)
    assert verify(gov).ok
    store.close()


@pytest.mark.timeout(300)
def test_kill_while_reviewers_decide_then_restart_finishes_every_case_once(store_url, tmp_path):
    n = 150
    cp = tmp_path / "audit" / "checkpoint.json"
    store = open_store(store_url, checkpoint_path=cp)
    gov = Governance(store, load_case_policy(None))
    apply_findings(gov, findings_table([Finding(FindingKind.CONTENT_VIOLATION, f"p{i}", 0.9, Category.RUMOR,
                                                {"author": f"u{i}"}, account_id=f"u{i}") for i in range(n)]))
    killed = run_and_kill(REVIEWERS, [store_url, str(cp)], store, "sanctions", 15, n)
    assert killed
    assert verify(gov).ok
    consistent(store)
    # restart later: the dead reviewers' leases have lapsed, the work is taken over
    later = Governance(store, load_case_policy(None), clock=lambda: gov.now() + timedelta(hours=1))
    while (c := claim_case(later, reviewer="restart")) is not None:
        decide_case(later, c["case_id"], reviewer="restart", action="warning" if c["case_id"] % 3 else "dismiss", reason="ok")
    with store.engine.connect() as conn:
        statuses = Counter(r[0] for r in conn.exec_driver_sql("SELECT status FROM cases"))
        decided = Counter(r[0] for r in conn.exec_driver_sql("SELECT entity_id FROM audit_log WHERE action = 'case.decided'"))
    assert statuses == {"resolved": n}
    assert len(decided) == n and set(decided.values()) == {1}  # every case decided exactly once
    assert count(store, "sanctions") == sum(1 for i in range(1, n + 1) if i % 3)
    consistent(store)
    assert verify(gov).ok
    store.close()
