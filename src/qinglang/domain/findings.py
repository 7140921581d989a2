"""Findings: what detectors output and what the findings export contains.

A finding is one row per (kind, subject_id, related_id, category) with a
calibrated probability `score` (0.5 is the decision point) and JSON `evidence`
that names the signals and their weights (data contract, "Findings").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Iterable

import pyarrow as pa

from qinglang.domain.vocab import Category


class FindingKind(StrEnum):
    FAKE_ACCOUNT = "fake_account"
    FOLLOWER_BURST = "follower_burst"
    LOCKSTEP_GROUP = "lockstep_group"
    ENGAGEMENT_FRAUD = "engagement_fraud"
    REINCARNATION = "reincarnation"
    WATCHLIST_MATCH = "watchlist_match"
    CONTENT_VIOLATION = "content_violation"


#: Column order of the findings export; more columns may follow these.
EXPORT_COLUMNS = ["kind", "subject_id", "related_id", "score", "category", "evidence"]

#: Rows scoring below this may be omitted; everything at or above it is kept.
MIN_EXPORT_SCORE = 0.05

#: Arrow schema of a findings table as detectors return it.
FINDINGS_SCHEMA = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),
        pa.field("subject_id", pa.string(), nullable=False),
        pa.field("related_id", pa.string(), nullable=False),  # "" when empty
        pa.field("score", pa.float64(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("evidence", pa.string(), nullable=False),  # JSON object
        pa.field("account_id", pa.string()),  # the account a case is about (author for posts)
    ]
)


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    subject_id: str
    score: float
    category: Category
    evidence: dict[str, Any] = field(default_factory=dict)
    related_id: str = ""
    account_id: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"finding score must be in [0, 1], got {self.score}")


def group_id(members: Iterable[str], prefix: str = "lg") -> str:
    """Stable id of a group derived from its sorted members."""
    h = hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()[:16]
    return f"{prefix}_{h}"


def findings_table(findings: Iterable[Finding]) -> pa.Table:
    """Build a findings Arrow table from Finding objects (small result sets)."""
    rows = list(findings)
    return pa.table(
        {
            "kind": [str(f.kind) for f in rows],
            "subject_id": [f.subject_id for f in rows],
            "related_id": [f.related_id or "" for f in rows],
            "score": [float(f.score) for f in rows],
            "category": [str(f.category) for f in rows],
            "evidence": [json.dumps(f.evidence, ensure_ascii=False, sort_keys=True, default=str) for f in rows],
            "account_id": [f.account_id if f.account_id is not None else (f.subject_id if f.kind != FindingKind.CONTENT_VIOLATION else None) for f in rows],
        },
        schema=FINDINGS_SCHEMA,
    )


def empty_findings() -> pa.Table:
    return FINDINGS_SCHEMA.empty_table()


def conform(table: pa.Table) -> pa.Table:
    """Cast a detector's output to FINDINGS_SCHEMA, checking the contract's invariants."""
    missing = [n for n in FINDINGS_SCHEMA.names if n not in table.column_names and n != "account_id"]
    if missing:
        raise ValueError(f"findings table lacks columns {missing}")
    if "account_id" not in table.column_names:
        table = table.append_column("account_id", pa.nulls(table.num_rows, pa.string()))
    table = table.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA)
    import pyarrow.compute as pc

    if table.num_rows:
        lo, hi = pc.min(table["score"]).as_py(), pc.max(table["score"]).as_py()
        if lo < 0 or hi > 1:
            raise ValueError(f"finding scores must lie in [0, 1], got [{lo}, {hi}]")
        bad = set(pc.unique(table["category"]).to_pylist()) - {c.value for c in Category}
        if bad:
            raise ValueError(f"unknown finding categories {sorted(bad)}")
        bad = set(pc.unique(table["kind"]).to_pylist()) - {k.value for k in FindingKind}
        if bad:
            raise ValueError(f"unknown finding kinds {sorted(bad)}")
    return table
