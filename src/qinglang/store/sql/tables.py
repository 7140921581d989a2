"""The SQL store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The schema is created and changed only by the Alembic migrations in
store/migrations/; tests check that migrating an empty database yields exactly
these tables.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _id(name: str) -> sa.Column:
    return sa.Column(name, ID, primary_key=True, autoincrement=True)


store_meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

cases = sa.Table(
    "cases", metadata,
    _id("case_id"),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("source_ref", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("opened_by", sa.String(128)),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("suggested", JSON),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("proposal", JSON),
    sa.Column("first_reviewer", sa.String(128)),
    sa.Column("decided_by", sa.String(128)),
    sa.Column("second_reviewer", sa.String(128)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("outcome", sa.String(16)),
    sa.Column("decision", JSON),
    sa.Column("reason", sa.Text),
    sa.Column("automated", sa.Boolean, nullable=False, default=False),
    sa.Column("complaint_weight", sa.Float, nullable=False, default=0.0),
    sa.Column("finding_count", sa.Integer, nullable=False, default=0),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    # One unresolved case per account and category: re-running a scan cannot duplicate it.
    sa.Index("uq_cases_open_account_category", "account_id", "category", unique=True,
             sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'")),
    sa.Index("ix_cases_queue", "status", "priority"),
    sa.Index("ix_cases_account", "account_id"),
)

case_findings = sa.Table(
    "case_findings", metadata,
    _id("id"),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(256), nullable=False),
    sa.Column("related_id", sa.String(256), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", JSON),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    # A finding attaches once per account: a re-run attaches nothing new, a decided finding is not reopened.
    sa.UniqueConstraint("account_id", "kind", "subject_id", "related_id", "category", name="uq_case_findings_key"),
    sa.Index("ix_case_findings_case", "case_id"),
)

case_notes = sa.Table(
    "case_notes", metadata,
    _id("note_id"),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id"), nullable=False),
    sa.Column("author", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_case_notes_case", "case_id"),
)

sanctions = sa.Table(
    "sanctions", metadata,
    _id("sanction_id"),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id")),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("spec", JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime),
    sa.Column("ban_until", UTCDateTime),
    sa.Column("permanent_ban", sa.Boolean, nullable=False, default=False),
    sa.Column("strike_points", sa.Integer, nullable=False, default=0),
    sa.Column("strike_expires_at", UTCDateTime),
    sa.Column("decided_by", sa.String(128), nullable=False),
    sa.Column("second_reviewer", sa.String(128)),
    sa.Column("automated", sa.Boolean, nullable=False, default=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("evidence_summary", sa.Text),
    sa.Column("appeal_deadline", UTCDateTime),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("reversed_at", UTCDateTime),
    sa.Column("reversed_by", sa.String(128)),
    sa.Column("reversal_reason", sa.Text),
    sa.Index("ix_sanctions_account", "account_id"),
    sa.Index("ix_sanctions_decided", "decided_at"),
    sa.Index("ix_sanctions_status_ends", "status", "ends_at"),
)

cleanups = sa.Table(
    "cleanups", metadata,
    _id("cleanup_id"),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id")),
    sa.Column("sanction_id", ID, sa.ForeignKey("sanctions.sanction_id")),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("followers_removed", sa.Integer, nullable=False),
    sa.Column("followers_before", sa.Integer),
    sa.Column("reversed_at", UTCDateTime),
    sa.Column("by", sa.String(128), nullable=False),
    sa.Index("ix_cleanups_account", "account_id"),
)

appeals = sa.Table(
    "appeals", metadata,
    _id("appeal_id"),
    sa.Column("sanction_id", ID, sa.ForeignKey("sanctions.sanction_id"), nullable=False, unique=True),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("filed_at", UTCDateTime, nullable=False),
    sa.Column("filed_by", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("decided_by", sa.String(128)),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("outcome", sa.String(16)),
    sa.Column("reason", sa.Text),
    sa.Index("ix_appeals_status", "status"),
)

complaints = sa.Table(
    "complaints", metadata,
    _id("complaint_id"),
    sa.Column("report_id", sa.String(128), unique=True),
    sa.Column("reporter_id", sa.String(128), nullable=False),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("post_id", sa.String(256)),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id")),
    sa.Column("outcome", sa.Text),
    sa.Column("handled_at", UTCDateTime),
    sa.Column("handled_by", sa.String(128)),
    sa.Index("ix_complaints_account", "account_id", "category"),
    sa.Index("ix_complaints_status", "status"),
    sa.Index("ix_complaints_received", "received_at"),
)

guidance = sa.Table(
    "guidance", metadata,
    _id("guidance_id"),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("corrections", sa.Text),
    sa.Column("due_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("case_id", ID, sa.ForeignKey("cases.case_id")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("completed_at", UTCDateTime),
    sa.Column("completed_by", sa.String(128)),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_guidance_account", "account_id"),
)

notices = sa.Table(
    "notices", metadata,
    _id("notice_id"),
    sa.Column("account_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("sanction_id", ID),
    sa.Column("case_id", ID),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("subject_zh", sa.Text, nullable=False),
    sa.Column("body_zh", sa.Text, nullable=False),
    sa.Column("subject_en", sa.Text, nullable=False),
    sa.Column("body_en", sa.Text, nullable=False),
    sa.Index("ix_notices_account", "account_id"),
)

outbox = sa.Table(
    "outbox", metadata,
    _id("event_id"),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("available_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_pending", "delivered_at", "available_at"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(256), nullable=False),
    sa.Column("before", sa.Text, nullable=False),
    sa.Column("after", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("automated", sa.Boolean, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_entity", "entity_type", "entity_id"),
)

audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

registration_checks = sa.Table(
    "registration_checks", metadata,
    _id("check_id"),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(128)),
    sa.Column("nickname", sa.Text),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("ban_expired", sa.Boolean, nullable=False, default=False),
    sa.Column("banned_account_id", sa.String(128)),
    sa.Column("score", sa.Float),
    sa.Column("matches", JSON),
    sa.Index("ix_registration_checks_at", "at"),
)

# --- users and API tokens (issue 7: HTTP API and console) ---------------------------------
users = sa.Table(
    "users", metadata,
    _id("user_id"),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("display_name", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("disabled_at", UTCDateTime),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    _id("token_id"),
    sa.Column("user_id", ID, sa.ForeignKey("users.user_id"), nullable=False),
    # SHA-256 of the token; the token itself is shown once and never stored
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("label", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("revoked_by", sa.String(128)),
    sa.Column("last_used_at", UTCDateTime),
    sa.Index("ix_api_tokens_user", "user_id"),
)
