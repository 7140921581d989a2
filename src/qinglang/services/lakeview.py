"""The governance services' read-only view of a workspace's lake and findings (services/governance.LakeView)."""

from __future__ import annotations

from typing import Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc


class _Shared:
    """One DuckDB engine over the current lake version, reused until the version changes; serialised."""

    def __init__(self, view: "WorkspaceLake"):
        self.view = view

    def __enter__(self):
        v = self.view
        v._lock.acquire()
        try:
            name = v.app.workspace.lake.current_name
            if v._eng is None or v._eng_version != name:
                if v._eng is not None:
                    v._eng.close()
                v._eng, v._eng_version = v.app.engine("duckdb"), name
            return v._eng
        except BaseException:
            v._lock.release()
            raise

    def __exit__(self, *exc):
        self.view._lock.release()


class WorkspaceLake:
    def __init__(self, app):
        import threading

        self.app = app
        self._lock = threading.Lock()
        self._eng = None
        self._eng_version = None

    def _has_lake(self) -> bool:
        return self.app.workspace.lake.exists()

    def _engine(self):
        return _Shared(self)

    def tiers(self, account_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        ids = sorted(set(account_ids))
        if not ids or not self._has_lake():
            return {}
        with self._engine() as eng:
            if "tiers" not in eng.tables():
                return {}
            eng.register("wanted_ids", pa.table({"account_id": pa.array(ids, pa.string())}))
            t = eng.sql("SELECT t.account_id, t.tier, t.followers FROM tiers t JOIN wanted_ids w USING (account_id)")
        return {a: (tier, int(f)) for a, tier, f in zip(t["account_id"].to_pylist(), t["tier"].to_pylist(), t["followers"].to_pylist())}

    def _fake_ids(self, min_score: float) -> pa.Table:
        f = self.app.findings.read()
        if f.num_rows == 0:
            return pa.table({"follower_id": pa.array([], pa.string())})
        mask = pc.and_(pc.equal(f["kind"], "fake_account"), pc.greater_equal(f["score"], min_score))
        ids = pc.unique(f.filter(mask)["subject_id"])
        return pa.table({"follower_id": ids})

    def fake_followers(self, account_id: str, min_score: float) -> list[str]:
        """The clean-up list: the fake-fan slice's own listing when installed, else fake_account findings x follows."""
        provided = _audience_provider()
        if provided is not None:
            return [r["account_id"] for r in provided(self.app, account_id, min_score)]
        if not self._has_lake():
            return []
        fakes = self._fake_ids(min_score)
        if fakes.num_rows == 0:
            return []
        with self._engine() as eng:
            if "follows" not in eng.tables():
                return []
            eng.register("fake_ids", fakes)
            from qinglang.lake.validate import lit

            t = eng.sql(f"SELECT f.follower_id FROM follows f JOIN fake_ids x USING (follower_id) "
                        f"WHERE f.followee_id = {lit(account_id)} ORDER BY 1")
        return t["follower_id"].to_pylist()

    def fake_follower_counts(self, min_score: float, min_count: int) -> list[dict[str, Any]]:
        if not self._has_lake():
            return []
        fakes = self._fake_ids(min_score)
        if fakes.num_rows == 0:
            return []
        with self._engine() as eng:
            names = eng.tables()
            if "follows" not in names:
                return []
            eng.register("fake_ids", fakes)
            followers = "t.followers" if "tiers" in names else "NULL"
            join = "LEFT JOIN tiers t ON t.account_id = c.account_id" if "tiers" in names else ""
            t = eng.sql(
                "WITH c AS (SELECT f.followee_id AS account_id, count(*) AS fake FROM follows f "
                f"JOIN fake_ids x USING (follower_id) GROUP BY 1 HAVING count(*) >= {int(min_count)}) "
                f"SELECT c.account_id, c.fake, {followers} AS followers FROM c {join} ORDER BY c.account_id"
            )
        return t.to_pylist()

    def reports(self) -> list[dict[str, Any]]:
        if not self._has_lake():
            return []
        with self._engine() as eng:
            if "reports" not in eng.tables():
                return []
            cols = set(eng.sql("SELECT * FROM reports LIMIT 0").column_names)
            pick = ["report_id", "reporter_id", "account_id"] + [c for c in ("post_id", "category", "created_at", "text") if c in cols]
            t = eng.sql(f"SELECT {', '.join(pick)} FROM reports ORDER BY report_id")
        return t.to_pylist()

    def nickname(self, account_id: str) -> str | None:
        if not self._has_lake():
            return None
        from qinglang.lake.validate import lit

        with self._engine() as eng:
            t = eng.sql(f"SELECT nickname FROM accounts WHERE account_id = {lit(account_id)}")
        return t["nickname"][0].as_py() if t.num_rows else None


def _audience_provider():
    """`fake_followers(app, account_id, threshold) -> [{account_id, score}]` of the fake-fan slice, if installed."""
    try:
        from qinglang.detect.fakefans.detectors import fake_followers
    except ImportError:
        return None
    return fake_followers
