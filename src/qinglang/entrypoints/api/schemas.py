"""Request and response bodies of the HTTP API (Pydantic), as published in /openapi.json.

Responses name the fields clients rely on and allow more (`additionalProperties`), so the
services can add information without breaking clients; requests are strict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from qinglang.domain.vocab import Category, IdentityKind

MAX_ID = 2**62


def _no_controls(v: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in v):
        raise ValueError("control characters are not allowed")
    return v


Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_no_controls)]
Short = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(_no_controls)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=4_000), AfterValidator(_no_controls)]
IdInt = Annotated[int, Field(ge=1, le=MAX_ID)]
CategoryName = Literal[tuple(c.value for c in Category)]  # type: ignore[valid-type]
TierName = Literal["head", "large", "regular"]
SeverityName = Literal["low", "medium", "high", "critical"]
RoleName = Literal["analyst", "reviewer", "senior_reviewer", "admin", "auditor"]
Decision = Literal["pass", "review", "block"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    detail: str | list[Any] = Field(description="What went wrong and what to fix.")


# --- real time ------------------------------------------------------------------------------
class IdentityIn(Strict):
    kind: Literal[tuple(k.value for k in IdentityKind)]  # type: ignore[valid-type]
    value: Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"\S")] = Field(
        description="The raw value (phone number, device id, ...); hashed with the workspace key at once, never stored or returned.")


class RegistrationCheckIn(Strict):
    nickname: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
    avatar_hash: Annotated[str, StringConstraints(pattern=r"^([0-9a-fA-F]{16}|[0-9a-fA-F]{64})$")] | None = Field(
        None, description="64-bit pHash (16 hex) or 256-bit PDQ (64 hex) of the avatar.")
    identities: list[IdentityIn] = Field(default_factory=list, max_length=50)
    at: datetime | None = Field(None, description="When the registration happens (default now); bans are judged at this time.")


class RenameCheckIn(RegistrationCheckIn):
    account_id: Name = Field(description="The existing account taking the new nickname/avatar.")


class MatchOut(Open):
    banned_account_id: str
    score: float
    evidence: dict[str, Any] | None = None


class RegistrationCheckOut(Open):
    decision: Decision
    ban_expired: bool
    matches: list[MatchOut]


class ScreenIn(Strict):
    texts: list[Text] | None = Field(None, max_length=1000, description="Posts to screen, in order.")
    text: Text | None = Field(None, description="One post (instead of texts).")
    tier: TierName | None = Field(None, description="Author's tier (thresholds may be stricter for head accounts).")
    image_hashes: list[list[Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{16,64}$")]] | None] | None = Field(
        None, max_length=1000, description="Per post, hashes of attached images (same order as texts).")
    signals: bool = Field(False, description="Include the evidence behind each score.")


class SpanOut(Open):
    start: int
    end: int
    category: str
    matched: str
    term: str


class ScreenResultOut(Open):
    index: int
    decision: Decision
    categories: dict[str, float]
    spans: list[SpanOut]
    tier: str | None = None


class ScreenOut(Open):
    results: list[ScreenResultOut]


# --- complaints -----------------------------------------------------------------------------
class ComplaintIn(Strict):
    reporter_id: Name
    account_id: Name
    category: CategoryName | None = None
    text: Text | None = None
    post_id: Name | None = None
    report_id: Name | None = Field(None, description="The platform's id of the report; makes intake idempotent.")


class ComplaintOut(Open):
    complaint_id: int | None = None
    account_id: str | None = None
    status: str | None = None
    case_id: int | None = None
    duplicate: bool | None = None


class ComplaintHandleIn(Strict):
    outcome: Literal["sanctioned", "guidance", "dismissed"]
    note: Short | None = None


# --- cases ----------------------------------------------------------------------------------
class CaseOut(Open):
    case_id: int
    account_id: str
    category: str
    tier: str
    status: str
    stage: str
    severity: str
    priority: int
    score: float
    claimed_by: str | None = None
    due_at: str | None = None


class CaseListOut(Open):
    cases: list[CaseOut]
    limit: int
    offset: int


class CaseOpenIn(Strict):
    account_id: Name
    category: CategoryName
    reason: Reason
    source: Literal["manual", "referral"] = "manual"
    source_ref: Short | None = Field(None, description="A referral's reference, e.g. the regulator's document number.")
    severity: SeverityName | None = None


class ClaimNextIn(Strict):
    categories: list[CategoryName] | None = None
    severities: list[SeverityName] | None = None
    tier: TierName | None = None


class ClaimOut(Open):
    claimed: bool
    case: CaseOut | None = None


class ReleaseIn(Strict):
    reason: Short = ""


class DecideIn(Strict):
    action: Literal["dismiss", "guidance", "warning", "limit", "suspend", "close", "suggested"] | None = Field(
        None, description="The decision (not used for a second review, which confirms or rejects).")
    reason: Reason
    days: Annotated[int, Field(ge=1, le=3650)] | None = None
    features: list[Literal["no_new_followers", "no_monetisation", "no_live_streaming", "derank"]] | None = None
    ban_days: Annotated[int, Field(ge=0, le=36500)] | None = Field(None, description="Re-registration ban of a closure; 0 = permanent.")
    evidence: Short | None = None
    corrections: Short | None = None
    cleanup: bool | None = Field(None, description="Remove the account's fake followers (default: the category's policy).")
    confirm: bool = False
    reject: bool = False


class NoteIn(Strict):
    text: Reason


class ReassignIn(Strict):
    to: Name
    reason: Reason


# --- appeals, sanctions, guidance -----------------------------------------------------------
class AppealIn(Strict):
    sanction_id: IdInt
    text: Reason = Field(description="The account's statement.")


class AppealDecideIn(Strict):
    outcome: Literal["upheld", "overturned"]
    reason: Reason


class AppealOut(Open):
    appeal_id: int
    sanction_id: int
    account_id: str
    status: str
    outcome: str | None = None


class SanctionOut(Open):
    sanction_id: int
    account_id: str
    category: str
    action: str
    status: str


class GuidanceIn(Strict):
    account_id: Name
    kind: Literal["guidance", "interview", "correction", "recognition"]
    text: Reason
    corrections: Short | None = None
    due_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    case_id: IdInt | None = None


# --- audit, reports, users ------------------------------------------------------------------
class AuditEntryOut(Open):
    seq: int
    at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    reason: str
    automated: bool
    hash: str


class AuditPageOut(Open):
    entries: list[AuditEntryOut]
    next_after_seq: int | None


class ChainOut(Open):
    ok: bool


class FiguresOut(Open):
    rows: list[dict[str, Any]]
    totals: dict[str, int]


class UserIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")]
    role: RoleName
    expires_days: Annotated[float, Field(gt=0, le=3650)] | None = 90
    no_expiry: bool = False
    label: Short | None = None
    display_name: Short | None = None


class TokenIn(Strict):
    expires_days: Annotated[float, Field(gt=0, le=3650)] | None = 90
    no_expiry: bool = False
    label: Short | None = None


class RevokeIn(Strict):
    token_id: IdInt | None = None
    reason: Short = ""


class RoleIn(Strict):
    role: RoleName
    reason: Short = ""


class DisableIn(Strict):
    reason: Short = ""


class NewTokenOut(Open):
    name: str
    role: str
    token_id: int
    expires_at: str | None
    token: str = Field(description="Shown once; the store keeps only its hash.")


class UserOut(Open):
    name: str
    role: str
    disabled: bool
    tokens: list[dict[str, Any]]


class MeOut(Open):
    name: str
    role: str
    permissions: list[str]


class OutboxAckIn(Strict):
    event_ids: list[IdInt] = Field(max_length=10_000)
