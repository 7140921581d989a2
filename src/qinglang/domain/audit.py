"""The audit log's hash chain: how an entry is hashed and how a chain is checked.

Every entry records one state change: sequence number, time, actor, action,
the entity changed, its state before and after (canonical JSON text), the
reason and whether automation made it. Its hash covers all of these and the
previous entry's hash:

    digest = SHA-256(canonical JSON [at, actor, action, entity_type, entity_id, before, after, reason, automated])
    hash   = SHA-256(prev_hash ":" seq ":" digest)          (hex, UTF-8)

so changing, deleting or reordering any entry breaks the chain from that point
on. The two steps let the store link entries inside the database (PostgreSQL
computes the second step in the statement that takes the chain's head, so the
head is locked only on the server, never while a client works). The newest (seq, hash) is also kept
outside the database (a checkpoint file), so removing the newest entries or
rewriting the whole table is detected as well.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

GENESIS = "0" * 64

#: The fields an entry's hash covers, in this order (plus prev_hash).
HASHED_FIELDS = ("seq", "at", "actor", "action", "entity_type", "entity_id", "before", "after", "reason", "automated")


def canonical_json(value: Any) -> str:
    """The one text form of a JSON value that is hashed and stored."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default)


def _default(v: Any) -> Any:
    if isinstance(v, datetime):
        return format_time(v)
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    if hasattr(v, "value"):  # enums
        return v.value
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def format_time(t: datetime) -> str:
    """UTC, microseconds, 'Z': sorts as text in time order."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def body_digest(entry: dict[str, Any]) -> str:
    """SHA-256 of an entry's fields other than seq and the chain links."""
    body = [entry.get(k) for k in HASHED_FIELDS[1:]]
    body[-1] = bool(body[-1])
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{int(seq)}:{digest}".encode("utf-8")).hexdigest()


def entry_hash(entry: dict[str, Any], prev_hash: str) -> str:
    return link_hash(prev_hash, int(entry["seq"]), body_digest(entry))


@dataclass
class ChainProblem:
    seq: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason}


@dataclass
class ChainCheck:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problem: ChainProblem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad": self.problem.as_dict() if self.problem else None,
            "notes": self.notes,
        }


def verify_chain(entries: Iterable[dict[str, Any]], start_seq: int = 1, start_prev: str = GENESIS) -> ChainCheck:
    """Check a run of entries ordered by seq; stops at the first bad entry."""
    check = ChainCheck(head_seq=start_seq - 1, head_hash=start_prev)
    expected_seq = start_seq
    prev = start_prev
    for e in entries:
        seq = int(e["seq"])
        if seq != expected_seq:
            if seq > expected_seq:
                check.problem = ChainProblem(expected_seq, f"entry {expected_seq} is missing (the next entry is {seq}): entries were deleted")
            else:
                check.problem = ChainProblem(seq, f"entry {seq} appears out of order after {expected_seq - 1}: entries were reordered or duplicated")
            return check
        if e.get("prev_hash") != prev:
            check.problem = ChainProblem(seq, "its prev_hash does not match the previous entry's hash: an earlier entry was changed, removed or reordered")
            return check
        h = entry_hash(e, prev)
        if e.get("hash") != h:
            check.problem = ChainProblem(seq, "its content does not match its hash: the entry was changed")
            return check
        prev = h
        check.entries += 1
        check.head_seq = seq
        check.head_hash = h
        expected_seq += 1
    return check
