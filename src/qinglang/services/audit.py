"""The audit log: verify the hash chain (against its head row and the workspace checkpoint), export a period."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from qinglang.domain.audit import GENESIS, ChainCheck, ChainProblem, format_time, verify_chain
from qinglang.errors import InputError, QinglangError
from qinglang.services.governance import Governance


def verify(gov: Governance) -> ChainCheck:
    """Check every entry's hash and link, the head row, and the checkpoint kept outside the database."""
    store = gov.store
    cp = None
    if store.checkpoint is not None:
        store.checkpoint.flush()  # this process's newest commits first
        # read the checkpoint before the database snapshot: it never leads what was committed before it
        cp = store.checkpoint.read()
    with store.read() as uow:
        check = verify_chain(uow.audit_log.entries())
        if not check.ok:
            return check
        head_seq, head_hash = uow.audit_log.head()
        if head_seq != check.head_seq or head_hash != check.head_hash:
            if head_seq > check.head_seq:
                check.problem = ChainProblem(check.head_seq + 1, f"the log ends at entry {check.head_seq} but its head row "
                                                                 f"says {head_seq}: the newest entries were deleted")
            else:
                check.problem = ChainProblem(head_seq, "the head row does not match the log: the log or its head was altered")
            return check
        if cp is None:
            check.notes.append("no checkpoint file for this store yet; deletion of the newest entries cannot be ruled out")
            return check
        if "unreadable" in cp:
            check.notes.append(f"the checkpoint file is unreadable ({cp['unreadable']}); deletion of the newest "
                               f"entries cannot be ruled out")
            return check
        if cp.get("store_id") != store.store_id:
            check.problem = ChainProblem(1, f"the checkpoint belongs to store {cp.get('store_id')}, this database is "
                                            f"store {store.store_id}: the database was replaced")
            return check
        cp_seq = int(cp["seq"])
        if cp_seq > check.head_seq:
            check.problem = ChainProblem(check.head_seq + 1, f"the checkpoint records entry {cp_seq} but the log ends at "
                                                             f"{check.head_seq}: the newest entries were deleted")
            return check
        at = uow.audit_log.get(cp_seq) if cp_seq else None
        if cp_seq and (at is None or at["hash"] != cp["hash"]):
            check.problem = ChainProblem(cp_seq, "its hash differs from the checkpoint: the log was rewritten up to here")
            return check
        check.notes.append(f"checkpoint at entry {cp_seq} matches")
    return check


def verify_file(path: Path) -> ChainCheck:
    """Verify an exported segment (JSON Lines from `audit export`) on its own."""
    def rows() -> Iterator[dict[str, Any]]:
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as e:
                        raise InputError(str(path), f"not JSON ({e})", row=i) from None

    it = rows()
    first = next(it, None)
    if first is None:
        return ChainCheck()

    def chained():
        yield first
        yield from it

    return verify_chain(chained(), start_seq=int(first["seq"]), start_prev=first.get("prev_hash", GENESIS))


def export(gov: Governance, out: Path | None, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    """Entries with `at` in [since, until) as JSON Lines (stdout when out is None); returns a summary."""
    lo = format_time(since) if since else None
    hi = format_time(until) if until else None
    n = 0
    first = last = None
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp") if out else None
    fh = open(tmp, "w", encoding="utf-8") if tmp else None
    import sys

    sink = fh or sys.stdout
    try:
        with gov.store.read() as uow:
            for e in uow.audit_log.entries(since=lo, until=hi):
                sink.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
                first = first or e["seq"]
                last = e["seq"]
        if fh:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, out)
    except BaseException:
        if fh:
            fh.close()
            tmp.unlink(missing_ok=True)
        raise
    return {"entries": n, "first_seq": first, "last_seq": last, "out": str(out) if out else None,
            "from": lo, "to": hi}


def checkpoint(gov: Governance, to_outbox: bool = False, actor: str = "qinglang-audit") -> dict[str, Any]:
    """Write the chain head to the workspace checkpoint now; optionally publish it as an outbox event."""
    store = gov.store
    with store.read() as uow:
        seq, h = uow.audit_log.head()
    if store.checkpoint is None:
        raise QinglangError("this store has no checkpoint file (no workspace)")
    if seq:
        store.checkpoint.advance(seq, h)
        store.checkpoint.flush()
    out = {"seq": seq, "hash": h, "file": str(store.checkpoint.path)}
    if to_outbox:
        def work(uow):
            uow.outbox.add(f"audit.checkpoint:{seq}", "audit.checkpoint", {"seq": seq, "hash": h}, uow.now)

        store.run(work, actor=actor, now=gov.now())
        out["outbox"] = True
    return out
