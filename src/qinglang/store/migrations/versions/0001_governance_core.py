"""governance core: cases, sanctions, appeals, complaints, guidance, notices, outbox, audit log, registration checks

Revision ID: 0001
Revises: 
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

# Column types as the database sees them (no application types in migrations).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=256), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_log_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('cases',
    sa.Column('case_id', ID, autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('opened_by', sa.String(length=128), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suggested', JSON, nullable=True),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposal', JSON, nullable=True),
    sa.Column('first_reviewer', sa.String(length=128), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('second_reviewer', sa.String(length=128), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('decision', JSON, nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('complaint_weight', sa.Float(), nullable=False),
    sa.Column('finding_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_account', ['account_id'], unique=False)
        batch_op.create_index('ix_cases_queue', ['status', 'priority'], unique=False)
        batch_op.create_index('uq_cases_open_account_category', ['account_id', 'category'], unique=True, sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))

    op.create_table('notices',
    sa.Column('notice_id', ID, autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sanction_id', ID, nullable=True),
    sa.Column('case_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('subject_zh', sa.Text(), nullable=False),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('subject_en', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('notice_id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_account', ['account_id'], unique=False)

    op.create_table('outbox',
    sa.Column('event_id', ID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('available_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['delivered_at', 'available_at'], unique=False)

    op.create_table('registration_checks',
    sa.Column('check_id', ID, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.Column('nickname', sa.Text(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('ban_expired', sa.Boolean(), nullable=False),
    sa.Column('banned_account_id', sa.String(length=128), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('matches', JSON, nullable=True),
    sa.PrimaryKeyConstraint('check_id', name=op.f('pk_registration_checks'))
    )
    with op.batch_alter_table('registration_checks', schema=None) as batch_op:
        batch_op.create_index('ix_registration_checks_at', ['at'], unique=False)

    op.create_table('store_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_store_meta'))
    )
    op.create_table('case_findings',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('case_id', ID, nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.String(length=256), nullable=False),
    sa.Column('related_id', sa.String(length=256), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', JSON, nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_findings_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_findings')),
    sa.UniqueConstraint('account_id', 'kind', 'subject_id', 'related_id', 'category', name='uq_case_findings_key')
    )
    with op.batch_alter_table('case_findings', schema=None) as batch_op:
        batch_op.create_index('ix_case_findings_case', ['case_id'], unique=False)

    op.create_table('case_notes',
    sa.Column('note_id', ID, autoincrement=True, nullable=False),
    sa.Column('case_id', ID, nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_notes_case_id_cases')),
    sa.PrimaryKeyConstraint('note_id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case', ['case_id'], unique=False)

    op.create_table('complaints',
    sa.Column('complaint_id', ID, autoincrement=True, nullable=False),
    sa.Column('report_id', sa.String(length=128), nullable=True),
    sa.Column('reporter_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('post_id', sa.String(length=256), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('case_id', ID, nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_complaints_case_id_cases')),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('report_id', name=op.f('uq_complaints_report_id'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_account', ['account_id', 'category'], unique=False)
        batch_op.create_index('ix_complaints_received', ['received_at'], unique=False)
        batch_op.create_index('ix_complaints_status', ['status'], unique=False)

    op.create_table('guidance',
    sa.Column('guidance_id', ID, autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('corrections', sa.Text(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('case_id', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=128), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_guidance_case_id_cases')),
    sa.PrimaryKeyConstraint('guidance_id', name=op.f('pk_guidance'))
    )
    with op.batch_alter_table('guidance', schema=None) as batch_op:
        batch_op.create_index('ix_guidance_account', ['account_id'], unique=False)

    op.create_table('sanctions',
    sa.Column('sanction_id', ID, autoincrement=True, nullable=False),
    sa.Column('case_id', ID, nullable=True),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('spec', JSON, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ban_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('permanent_ban', sa.Boolean(), nullable=False),
    sa.Column('strike_points', sa.Integer(), nullable=False),
    sa.Column('strike_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=False),
    sa.Column('second_reviewer', sa.String(length=128), nullable=True),
    sa.Column('automated', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence_summary', sa.Text(), nullable=True),
    sa.Column('appeal_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reversed_by', sa.String(length=128), nullable=True),
    sa.Column('reversal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_sanctions_case_id_cases')),
    sa.PrimaryKeyConstraint('sanction_id', name=op.f('pk_sanctions'))
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index('ix_sanctions_account', ['account_id'], unique=False)
        batch_op.create_index('ix_sanctions_decided', ['decided_at'], unique=False)
        batch_op.create_index('ix_sanctions_status_ends', ['status', 'ends_at'], unique=False)

    op.create_table('appeals',
    sa.Column('appeal_id', ID, autoincrement=True, nullable=False),
    sa.Column('sanction_id', ID, nullable=False),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_by', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.sanction_id'], name=op.f('fk_appeals_sanction_id_sanctions')),
    sa.PrimaryKeyConstraint('appeal_id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('sanction_id', name=op.f('uq_appeals_sanction_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index('ix_appeals_status', ['status'], unique=False)

    op.create_table('cleanups',
    sa.Column('cleanup_id', ID, autoincrement=True, nullable=False),
    sa.Column('case_id', ID, nullable=True),
    sa.Column('sanction_id', ID, nullable=True),
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followers_removed', sa.Integer(), nullable=False),
    sa.Column('followers_before', sa.Integer(), nullable=True),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_cleanups_case_id_cases')),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.sanction_id'], name=op.f('fk_cleanups_sanction_id_sanctions')),
    sa.PrimaryKeyConstraint('cleanup_id', name=op.f('pk_cleanups'))
    )
    with op.batch_alter_table('cleanups', schema=None) as batch_op:
        batch_op.create_index('ix_cleanups_account', ['account_id'], unique=False)



    # The audit chain starts at the genesis hash; the log refuses UPDATE and DELETE.
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION qinglang_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION qinglang_audit_append_only()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION qinglang_audit_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")

def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS qinglang_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('cleanups', schema=None) as batch_op:
        batch_op.drop_index('ix_cleanups_account')

    op.drop_table('cleanups')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ix_appeals_status')

    op.drop_table('appeals')
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index('ix_sanctions_status_ends')
        batch_op.drop_index('ix_sanctions_decided')
        batch_op.drop_index('ix_sanctions_account')

    op.drop_table('sanctions')
    with op.batch_alter_table('guidance', schema=None) as batch_op:
        batch_op.drop_index('ix_guidance_account')

    op.drop_table('guidance')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_status')
        batch_op.drop_index('ix_complaints_received')
        batch_op.drop_index('ix_complaints_account')

    op.drop_table('complaints')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case')

    op.drop_table('case_notes')
    with op.batch_alter_table('case_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_case_findings_case')

    op.drop_table('case_findings')
    op.drop_table('store_meta')
    with op.batch_alter_table('registration_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_checks_at')

    op.drop_table('registration_checks')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_account')

    op.drop_table('notices')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_open_account_category', sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))
        batch_op.drop_index('ix_cases_queue')
        batch_op.drop_index('ix_cases_account')

    op.drop_table('cases')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_entity')
        batch_op.drop_index('ix_audit_log_at')

    op.drop_table('audit_log')
    op.drop_table('audit_head')
