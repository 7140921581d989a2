"""The ground truth is consistent with the tables and meets the default-difficulty shares."""

from __future__ import annotations

import duckdb
import pytest

from qinglang.sim.baselines import connect


@pytest.fixture(scope="module")
def con(snapshot) -> duckdb.DuckDBPyConnection:
    return connect(snapshot)


def one(con, sql):
    return con.execute(sql).fetchone()[0]


def test_truth_files_exist(snapshot):
    for name in ("fake_accounts", "bursts", "lockstep", "engagement_fraud", "reincarnations", "decoys", "posts"):
        assert (snapshot / "truth" / f"{name}.csv").exists(), name
    assert (snapshot / "truth" / "manifest.json").exists()


def test_every_truth_id_exists(con):
    assert one(con, "SELECT count(*) FROM truth_fake_accounts") == one(con, "SELECT count(*) FROM accounts")
    assert one(con, "SELECT count(DISTINCT account_id) FROM truth_fake_accounts") == one(con, "SELECT count(*) FROM accounts")
    refs = {
        "truth_fake_accounts": ["account_id"],
        "truth_bursts": ["account_id"],
        "truth_lockstep": ["account_id"],
        "truth_engagement_fraud": ["account_id"],
        "truth_reincarnations": ["new_account_id", "banned_account_id"],
        "truth_decoys": ["account_id", "resembles"],
        "truth_posts": ["account_id"],
    }
    for t, cols in refs.items():
        for c in cols:
            assert one(con, f"SELECT count(*) FROM {t} x ANTI JOIN accounts a ON x.{c} = a.account_id") == 0, (t, c)
    for t in ("truth_posts", "truth_engagement_fraud"):
        assert one(con, f"SELECT count(*) FROM {t} x ANTI JOIN posts p USING (post_id)") == 0, t
    assert one(con, "SELECT count(*) FROM truth_posts") == one(con, "SELECT count(*) FROM posts")
    assert one(con, "SELECT count(*) FROM truth_reports x ANTI JOIN reports r USING (report_id)") == 0


def test_farms_are_fakes_and_fakes_are_in_farms(con):
    assert one(con, """SELECT count(*) FROM truth_lockstep l JOIN truth_fake_accounts f USING (account_id)
                       WHERE l.role = 'member' AND f.is_fake <> 1""") == 0
    assert one(con, """SELECT count(*) FROM truth_fake_accounts WHERE is_fake = 1 AND farm_id IS NULL""") == 0
    # Targets are the buyers of the farm's deliveries.
    assert one(con, """SELECT count(*) FROM truth_lockstep l WHERE role = 'target' AND NOT EXISTS
                       (SELECT 1 FROM truth_bursts b WHERE b.account_id = l.account_id AND b.farm_id = l.farm_id)""") == 0
    # Every delivered follow is in the follows table: the farm's members follow the buyer.
    assert one(con, """
        SELECT count(*) FROM truth_bursts b WHERE b.followers > (
            SELECT count(*) FROM follows f JOIN truth_fake_accounts m ON m.account_id = f.follower_id
            WHERE f.followee_id = b.account_id AND m.farm_id = b.farm_id)""") == 0


def test_farm_kind_shares(con):
    n, aged, slow = con.execute("""SELECT count(*), sum((farm_kind = 'aged')::INT), sum((farm_kind = 'slow_drip')::INT)
                                   FROM truth_farms""").fetchone()
    assert n >= 5
    assert aged / n >= 0.30 and slow / n >= 0.20
    # Slow drips are spread over weeks, spikes over at most a day and a half.
    assert one(con, """SELECT min(date_diff('hour', CAST("start" AS TIMESTAMPTZ), CAST("end" AS TIMESTAMPTZ)))
                       FROM truth_bursts WHERE kind = 'slow_drip'""") >= 7 * 24
    assert one(con, """SELECT max(date_diff('hour', CAST("start" AS TIMESTAMPTZ), CAST("end" AS TIMESTAMPTZ)))
                       FROM truth_bursts WHERE kind = 'spike'""") <= 36
    # Each farm serves several buyers.
    assert one(con, "SELECT min(buyers) FROM truth_farms") >= 2


def test_burst_ranks_match_follow_rank(con):
    bad = one(con, """
        SELECT count(*) FROM truth_bursts b WHERE rank_start IS NULL OR rank_end < rank_start OR
            rank_end - rank_start + 1 < followers OR rank_end > (SELECT count(*) FROM follows f WHERE f.followee_id = b.account_id)""")
    assert bad == 0


def test_reincarnations_continue_closed_accounts(con):
    assert one(con, "SELECT count(*) FROM truth_reincarnations") >= 20
    assert one(con, """SELECT count(*) FROM truth_reincarnations r ANTI JOIN
                       (SELECT account_id FROM enforcements WHERE action = 'close') e ON e.account_id = r.banned_account_id""") == 0
    assert one(con, """SELECT count(*) FROM truth_reincarnations r JOIN accounts a ON a.account_id = r.banned_account_id
                       WHERE a.status <> 'closed'""") == 0
    assert one(con, """SELECT count(*) FROM truth_reincarnations r JOIN accounts a ON a.account_id = r.new_account_id
                       JOIN enforcements e ON e.account_id = r.banned_account_id AND e.action = 'close'
                       WHERE CAST(a.created_at AS TIMESTAMPTZ) <= CAST(e.decided_at AS TIMESTAMPTZ)""") == 0


def test_comeback_identity_sharing_matches_the_data(con):
    n, none = con.execute("SELECT count(*), sum((shares_identity = 0)::INT) FROM truth_reincarnations").fetchone()
    assert none / n >= 0.25
    # Comebacks that share nothing really share no identity value with the banned account.
    assert one(con, """
        SELECT count(*) FROM truth_reincarnations r
        JOIN identities a ON a.account_id = r.new_account_id
        JOIN identities b ON b.account_id = r.banned_account_id AND a.kind = b.kind AND a.value = b.value
        WHERE r.shares_identity = 0""") == 0
    # Those that share do, for every kind listed.
    rows = con.execute("""SELECT new_account_id, banned_account_id, identity_kinds FROM truth_reincarnations
                          WHERE shares_identity = 1""").fetchall()
    assert rows
    for new, old, kinds in rows:
        for k in kinds.split(";"):
            assert one(con, f"""SELECT count(*) FROM identities a JOIN identities b ON a.kind = b.kind AND a.value = b.value
                                WHERE a.account_id = '{new}' AND b.account_id = '{old}' AND a.kind = '{k}'""") >= 1
    assert set(r[0] for r in con.execute("SELECT DISTINCT difficulty FROM truth_reincarnations").fetchall()) <= {
        "shared_identity", "no_shared_identity", "heavy_disguise"}


def test_comeback_names_avatars_and_fans(con):
    same, n = con.execute("""SELECT sum((new_nickname = banned_nickname)::INT), count(*) FROM truth_reincarnations""").fetchone()
    assert same / n < 0.2
    assert one(con, "SELECT count(*) FROM truth_reincarnations WHERE tricks IS NULL AND new_nickname <> banned_nickname") == 0
    assert one(con, "SELECT max(avatar_bits) FROM truth_reincarnations WHERE avatar_reused = 1") <= 5
    assert one(con, """SELECT count(*) FROM truth_reincarnations r JOIN accounts a ON a.account_id = r.new_account_id
                       JOIN accounts b ON b.account_id = r.banned_account_id
                       WHERE r.avatar_reused = 1 AND bit_count(xor(('x' || a.avatar_hash)::BIT, ('x' || b.avatar_hash)::BIT)) <> r.avatar_bits""") == 0
    assert one(con, "SELECT sum(fans_migrated_count) FROM truth_reincarnations") > 0
    # Migrated fans really follow both.
    assert one(con, """
        SELECT count(*) FROM truth_reincarnations r WHERE r.fans_migrated_count > (
            SELECT count(*) FROM follows a JOIN follows b ON a.follower_id = b.follower_id
            WHERE a.followee_id = r.new_account_id AND b.followee_id = r.banned_account_id)""") == 0


def test_decoys_resemble_closed_accounts(con):
    assert one(con, "SELECT count(*) FROM truth_decoys") > 0
    assert one(con, """SELECT count(*) FROM truth_decoys d JOIN accounts a ON a.account_id = d.resembles
                       WHERE a.status <> 'closed'""") == 0
    kinds = {r[0] for r in con.execute("SELECT DISTINCT decoy_kind FROM truth_decoys").fetchall()}
    assert kinds == {"fan_club", "common_name", "shared_campus_ip"}
    assert one(con, "SELECT count(*) FROM truth_decoys WHERE decoy_kind = 'common_name' AND nickname <> banned_nickname") == 0
    assert one(con, """SELECT count(*) FROM truth_decoys d WHERE decoy_kind = 'shared_campus_ip' AND NOT EXISTS (
                         SELECT 1 FROM identities a JOIN identities b ON a.kind = b.kind AND a.value = b.value
                         WHERE a.account_id = d.account_id AND b.account_id = d.resembles AND a.kind = 'ip')""") == 0


def test_posts_truth(con):
    n_viol, n_dis = con.execute("""SELECT count(*), sum(disguised) FROM truth_posts WHERE category <> 'none'""").fetchone()
    assert n_viol > 100 and n_dis / n_viol >= 0.30
    cats = {r[0] for r in con.execute("SELECT DISTINCT category FROM truth_posts").fetchall()}
    assert {"heroes_martyrs", "rumor", "soft_porn", "vulgar_marketing", "abuse", "none"} <= cats
    assert one(con, "SELECT count(*) FROM truth_posts WHERE disguised = 1 AND category = 'none'") == 0
    assert one(con, """SELECT count(*) FROM truth_posts t JOIN posts p USING (post_id)
                       WHERE t.disguised = 1 AND (t.undisguised_text IS NULL OR t.undisguised_text = p.text)""") == 0
    assert one(con, "SELECT count(*) FROM truth_posts WHERE disguised = 0 AND undisguised_text IS NOT NULL") == 0
    assert one(con, "SELECT count(*) FROM truth_posts WHERE hard_benign = 1 AND category <> 'none'") == 0
    assert one(con, "SELECT sum(hard_benign) FROM truth_posts") > 100
    # Violating images come from the bank (exactly or a few bits away).
    bank = [int(r[0], 16) for r in con.execute("SELECT image_hash FROM truth_violating_images").fetchall()]
    rows = con.execute("""SELECT t.violating_image, p.image_hashes FROM truth_posts t JOIN posts p USING (post_id)
                          WHERE p.image_hashes IS NOT NULL AND len(p.image_hashes) > 0""").fetchall()
    assert any(v for v, _ in rows)
    for v, hashes in rows:
        near = min((int(h, 16) ^ b).bit_count() for h in hashes for b in bank)
        assert (near <= 6) == bool(v)


def test_engagement_fraud_truth(con):
    assert one(con, "SELECT count(*) FROM truth_engagement_fraud") > 10
    assert one(con, """
        SELECT count(*) FROM truth_engagement_fraud e WHERE e.bought <> (
            SELECT count(*) FROM interactions i JOIN truth_fake_accounts f ON f.account_id = i.actor_id
            WHERE i.post_id = e.post_id AND f.farm_id = e.farm_id
              AND CAST(i."at" AS TIMESTAMPTZ) BETWEEN CAST(e."start" AS TIMESTAMPTZ) AND CAST(e."end" AS TIMESTAMPTZ))""") == 0


def test_dormant_users_look_human(con):
    """Dormant genuine users are old and quiet, but not registered in batches."""
    n, frac_same_hour = con.execute("""
        WITH d AS (SELECT a.account_id, date_trunc('hour', CAST(a.created_at AS TIMESTAMPTZ)) h FROM accounts a
                   JOIN truth_fake_accounts t USING (account_id) WHERE t.role = 'genuine_dormant'),
             c AS (SELECT h, count(*) k FROM d GROUP BY h)
        SELECT (SELECT count(*) FROM d), (SELECT sum(k) FILTER (WHERE k >= 5) FROM c) / (SELECT count(*) FROM d)""").fetchone()
    assert n > 1000 and (frac_same_hour or 0) < 0.01
    old = one(con, """SELECT avg((CAST(a.last_active_at AS TIMESTAMPTZ) < TIMESTAMPTZ '2023-07-01')::INT) FROM accounts a
                      JOIN truth_fake_accounts t USING (account_id) WHERE t.role = 'genuine_dormant'""")
    assert old > 0.99


def test_reports_include_mass_reporting(con):
    rows = con.execute("""SELECT t.campaign_id, count(*), count(DISTINCT r.reporter_id), count(DISTINCT r.account_id)
                          FROM truth_reports t JOIN reports r USING (report_id) WHERE t.kind = 'mass_report'
                          GROUP BY 1""").fetchall()
    assert rows
    for _, k, reporters, targets in rows:
        assert k >= 30 and reporters <= 10 and targets == 1
    assert one(con, "SELECT count(*) FROM truth_reports WHERE kind = 'genuine'") > 0
