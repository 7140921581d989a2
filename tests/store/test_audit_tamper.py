"""Tampering with the audit log in the database is detected: change, delete, reorder, truncate, rewrite."""

import json

import pytest
import sqlalchemy as sa

from qinglang.domain.audit import entry_hash
from qinglang.services.audit import verify
from qinglang.services.governance import Governance, load_case_policy
from qinglang.store import open_store


@pytest.fixture()
def logged(store_url, tmp_path):
    store = open_store(store_url, checkpoint_path=tmp_path / "audit" / "checkpoint.json")
    for i in range(1, 9):
        store.run(lambda uow, i=i: uow.audit("case.claimed", "case", i, {"status": "open"},
                                             {"status": "claimed", "by": f"r{i}"}, f"step {i}"), actor=f"r{i}")
    gov = Governance(store=store, policy=load_case_policy(None))
    assert verify(gov).ok
    yield gov
    store.close()


def attacker(store):
    """A connection of someone with write access to the database, who first disables the append-only triggers."""
    conn = store.engine.connect()
    conn.begin()
    if store.dialect == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    else:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
    return conn


def finish(conn):
    conn.commit()
    conn.close()


def test_changing_any_entry_names_it(logged):
    conn = attacker(logged.store)
    conn.exec_driver_sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5")
    finish(conn)
    c = verify(logged)
    assert not c.ok and c.problem.seq == 5


def test_changing_the_state_recorded_names_it(logged):
    conn = attacker(logged.store)
    conn.exec_driver_sql("""UPDATE audit_log SET "after" = '{"status":"dismissed"}' WHERE seq = 2""")
    finish(conn)
    assert verify(logged).problem.seq == 2


def test_deleting_an_entry_names_the_gap(logged):
    conn = attacker(logged.store)
    conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 4")
    finish(conn)
    c = verify(logged)
    assert c.problem.seq == 4 and "deleted" in c.problem.reason


def test_reordering_entries_is_detected(logged):
    conn = attacker(logged.store)
    rows = {r.seq: dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audit_log WHERE seq IN (3, 6)"))}
    for seq, other in ((3, 6), (6, 3)):
        src = rows[other]
        conn.execute(sa.text('UPDATE audit_log SET actor=:actor, reason=:reason, "after"=:after, entity_id=:entity_id, '
                             'prev_hash=:prev_hash, hash=:hash WHERE seq=:seq'), dict(src, seq=seq))
    finish(conn)
    c = verify(logged)
    assert not c.ok and c.problem.seq == 3


def test_deleting_the_newest_entries_and_fixing_the_head_row_is_caught_by_the_checkpoint(logged):
    conn = attacker(logged.store)
    conn.exec_driver_sql("DELETE FROM audit_log WHERE seq > 6")
    h = conn.exec_driver_sql("SELECT hash FROM audit_log WHERE seq = 6").scalar()
    conn.execute(sa.text("UPDATE audit_head SET seq = 6, hash = :h"), {"h": h})
    finish(conn)
    c = verify(logged)
    assert not c.ok and c.problem.seq == 7 and "deleted" in c.problem.reason


def test_deleting_the_newest_entries_alone_is_caught_by_the_head_row(logged):
    conn = attacker(logged.store)
    conn.exec_driver_sql("DELETE FROM audit_log WHERE seq = 8")
    finish(conn)
    c = verify(logged)
    assert not c.ok and c.problem.seq == 8


def test_rewriting_the_whole_chain_consistently_is_caught_by_the_checkpoint(logged):
    conn = attacker(logged.store)
    rows = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audit_log ORDER BY seq"))]
    rows[1]["reason"] = "quietly rewritten"
    prev = rows[0]["prev_hash"]
    for r in rows:
        r["prev_hash"] = prev
        r["hash"] = prev = entry_hash(r, prev)
        conn.execute(sa.text("UPDATE audit_log SET reason=:reason, prev_hash=:prev_hash, hash=:hash WHERE seq=:seq"), r)
    conn.execute(sa.text("UPDATE audit_head SET hash = :h"), {"h": prev})
    finish(conn)
    c = verify(logged)
    assert not c.ok and c.problem.seq == 8 and "rewritten" in c.problem.reason


def test_a_replaced_database_does_not_match_the_checkpoint(logged, tmp_path):
    other = open_store(f"sqlite:///{tmp_path / 'other.sqlite'}", checkpoint_path=logged.store.checkpoint.path)
    c = verify(Governance(store=other, policy=logged.policy))
    other.close()
    assert not c.ok and "replaced" in c.problem.reason


def test_a_checkpoint_never_runs_ahead_and_says_so_when_missing(logged):
    cp = json.loads(logged.store.checkpoint.path.read_text())
    assert cp["seq"] == 8
    logged.store.checkpoint.path.unlink()
    c = verify(logged)
    assert c.ok and any("no checkpoint" in n for n in c.notes)


def test_the_chain_head_can_be_published_to_the_outbox_every_n_entries(store_url, tmp_path):
    store = open_store(store_url, checkpoint_path=tmp_path / "cp.json", outbox_checkpoint_every=3)
    try:
        for i in range(7):
            store.run(lambda uow, i=i: uow.audit("x.y", "case", i, None, {"i": i}), actor="a")
        store.run(lambda uow: [uow.audit("x.y", "case", 99, None, None) for _ in range(4)], actor="a")  # 8..11
        with store.read() as uow:
            events = [json.loads(r["payload"]) for r in uow.outbox.pending(uow.now, 100)]
            hashes = {e["seq"]: e["hash"] for e in uow.audit_log.entries()}
        assert [e["seq"] for e in events] == [3, 6, 11]
        assert all(e["type"] == "audit.checkpoint" and e["hash"] == hashes[e["seq"]] for e in events)
    finally:
        store.close()
