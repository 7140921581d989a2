"""Concurrent reviewers: no case is ever held by two reviewers, no decision is lost, the chain verifies."""

import threading
from collections import Counter

from qinglang.services.audit import verify
from qinglang.services.cases import claim_case, decide_case, list_cases
from qinglang.services.intake import apply_findings
from tests.services.governance_support import clock, content, gov, lake, table  # noqa: F401


def test_many_reviewers_claim_and_decide_each_case_exactly_once(gov):
    n_cases, n_reviewers = 60, 12
    apply_findings(gov, table(*[content(f"p{i}", f"u{i}", "rumor", 0.85) for i in range(n_cases)]))
    claimed: list[tuple[str, int]] = []
    decided: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reviewer(name: str):
        try:
            while True:
                c = claim_case(gov, reviewer=name)
                if c is None:
                    return
                with lock:
                    claimed.append((name, c["case_id"]))
                action = "warning" if c["case_id"] % 2 else "dismiss"
                decide_case(gov, c["case_id"], reviewer=name, action=action, reason=f"checked by {name}")
                with lock:
                    decided.append(c["case_id"])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reviewer, args=(f"r{i}",)) for i in range(n_reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    per_case = Counter(cid for _, cid in claimed)
    assert len(per_case) == n_cases and set(per_case.values()) == {1}  # zero double claims
    assert sorted(decided) == sorted(per_case)  # zero lost decisions
    rows = list_cases(gov, limit=None)
    assert all(c["status"] == "resolved" for c in rows)
    assert sum(len(c["decision"].get("sanction", {})) > 0 for c in rows) == n_cases // 2
    with gov.store.read() as uow:
        entries = list(uow.audit_log.entries())
    decided_entries = Counter(int(e["entity_id"]) for e in entries if e["action"] == "case.decided")
    assert set(decided_entries.values()) == {1} and len(decided_entries) == n_cases
    assert verify(gov).ok
