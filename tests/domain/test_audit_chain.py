"""The hash chain: any change, deletion or reordering of entries is detected at the first bad entry."""

import copy

from qinglang.domain.audit import GENESIS, canonical_json, entry_hash, verify_chain


def make_chain(n=6):
    prev, out = GENESIS, []
    for i in range(1, n + 1):
        e = {"seq": i, "at": f"2025-01-01T00:00:0{i}.000000Z", "actor": "alice", "action": "case.claimed",
             "entity_type": "case", "entity_id": str(i), "before": canonical_json({"status": "open"}),
             "after": canonical_json({"status": "claimed"}), "reason": "", "automated": False, "prev_hash": prev}
        e["hash"] = prev = entry_hash(e, prev)
        out.append(e)
    return out


def test_intact_chain_verifies():
    c = verify_chain(make_chain())
    assert c.ok and c.entries == 6 and c.head_seq == 6


def test_every_field_is_covered_by_the_hash():
    for field, value in [("actor", "mallory"), ("action", "case.decided"), ("entity_id", "99"), ("before", "{}"),
                         ("after", '{"status":"resolved"}'), ("reason", "x"), ("automated", True), ("at", "2030-01-01")]:
        chain = make_chain()
        chain[2][field] = value
        c = verify_chain(chain)
        assert not c.ok and c.problem.seq == 3, field
        assert "changed" in c.problem.reason


def test_deleted_entry_is_named():
    chain = make_chain()
    del chain[3]
    c = verify_chain(chain)
    assert not c.ok and c.problem.seq == 4 and "missing" in c.problem.reason


def test_renumbered_after_deletion_breaks_the_link():
    chain = make_chain()
    del chain[3]
    for e in chain[3:]:
        e["seq"] -= 1
    c = verify_chain(chain)
    assert not c.ok and c.problem.seq == 4


def test_reordered_entries_are_detected():
    chain = make_chain()
    chain[2], chain[3] = chain[3], chain[2]
    c = verify_chain(chain)
    assert not c.ok and c.problem.seq in (3, 4)
    swapped = copy.deepcopy(make_chain())
    swapped[2]["seq"], swapped[3]["seq"] = 4, 3
    swapped[2], swapped[3] = swapped[3], swapped[2]
    c = verify_chain(swapped)
    assert not c.ok and c.problem.seq == 3


def test_a_segment_verifies_from_its_own_anchor():
    chain = make_chain()
    c = verify_chain(chain[2:], start_seq=3, start_prev=chain[1]["hash"])
    assert c.ok and c.entries == 4
