"""Reincarnation linking where the accounts are: on the scan's engine (DuckDB in this process, Spark's executors).

The same linking as `linking.link_accounts` (the same candidates, comparison levels, fit and
predictions: tests compare them), laid out so that nothing on this side grows with the accounts:

1. the banned set (bans are few) and its profiles stay here, as the right records, and travel
   to the workers with the functions that need them;
2. new accounts (registered after the first ban) are numbered on the engine; their profile
   keys (`features.profile_columns`, the costly part: pronunciations, look-alikes) are computed
   by `map_batches` where they live, into one table;
3. blocking is SQL over key tables: each left key row meets the right key rows of its group,
   keys generating more than `max_pairs_per_key` pairs skipped (the counts are global);
   avatar bands then a Hamming filter on the workers; rare shared identity values; co-follow
   counts over the engine's follow table (`engine_graph`); bio openings;
4. comparisons run on the workers over pair rows that carry the left profile, the pair
   features (shared identities, common followers) and the term-frequency counts of the left
   values over all records; back come a pattern code and term frequencies per pair;
5. here: u from random pairs (compared on the engine too), m by EM and the prior from the
   codes, then the predictions above `min_report`, whose evidence is read for those pairs only.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.features import ID_KINDS, avatar_parts, profile_columns
from qinglang.detect.reincarnation.linking import (BIO_KEY_GROUP, DAY, NAME_KEY_GROUPS, LinkResult, _rule,
                                                   avatar_band_keys, banned_set, epoch_seconds, fan_features,
                                                   identity_features, pair_sampler, side_keys)
from qinglang.lake.validate import lit
from qinglang.linkage.blocking import Candidates, RulePairs
from qinglang.linkage.levels import hamming_rows
from qinglang.linkage.linker import Linker
from qinglang.linkage.model import FSModel, encode_patterns
from qinglang.linkage.records import Records
from qinglang.linkage.settings import LinkageSettings

#: Profile columns compared (the right records and every left batch carry them).
PROFILE = ("n_clean", "n_kept", "n_base", "n_core", "n_pinyin", "n_pinyin_hanzi", "n_fuzzy", "n_initials", "n_fan",
           "n_hanzi", "n_initials_only", "n_has_latin", "avatar", "bio_norm")
#: Rows per batch handed to a worker function (profiles, keys, comparisons).
BATCH_ROWS = 20_000
RULES = (("nickname keys", ["n_clean"]), ("avatar bands", ["avatar"]), ("shared identities", ["id_level"]),
         ("common followers", ["fan_share"]), ("bio opening", ["bio_norm"]))
_ids = itertools.count()


def tf_columns(settings: LinkageSettings) -> list[str]:
    """Columns whose values' frequencies adjust exact agreements (`tf` levels); counted over all records."""
    return sorted({lv.tf for comp in settings.comparisons for lv in comp.levels if lv.tf and lv.tf in PROFILE})


def _profile_schema() -> pa.Schema:
    t = pa.table(profile_columns(["王小明"], ["00"], ["x"]))
    return pa.schema([t.schema.field(c) for c in PROFILE])


LEFT_SCHEMA = pa.schema([("i", pa.int64()), ("created", pa.float64()), ("declared_text", pa.bool_()),
                         *[(f"av{p}", pa.bool_()) for p in range(4)], *_profile_schema()])
KEY_SCHEMA = pa.schema([("g", pa.string()), ("key", pa.string()), ("i", pa.int64())])
PAIR_SCHEMA = pa.schema([("i", pa.int64()), ("j", pa.int64())])


# --- functions run where the rows are (module level: picklable) -------------------------------
def _profile_batch(pattern: str, b: pa.RecordBatch) -> pa.Table:
    """New accounts -> their profile keys, creation time (epoch s) and whether name or bio says 'comeback'."""
    t = pa.Table.from_batches([b])
    n = t.num_rows
    none = [None] * n
    bio = t["bio"] if "bio" in t.column_names else pa.nulls(n, pa.string())
    prof = profile_columns(t["nickname"].to_pylist(),
                           t["avatar_hash"].to_pylist() if "avatar_hash" in t.column_names else none, bio.to_pylist())
    declared = np.zeros(n, dtype=bool)
    if pattern:
        for col in (t["nickname"], bio):
            declared |= np.asarray(pc.match_substring_regex(col, pattern, ignore_case=True).fill_null(False)
                                   .to_numpy(zero_copy_only=False), dtype=bool)
    av = avatar_parts(prof["avatar"])
    cols = {"i": t["i"], "created": pa.array(epoch_seconds(t["created_at"])), "declared_text": pa.array(declared)}
    for p in range(4):
        cols[f"av{p}"] = pa.array(av[:, p] != 0)
    cols.update({c: prof[c] for c in PROFILE})
    return pa.table(cols)


def _key_batch(avatar_max: int, parts: list[int], right_keys: pa.Array, b: pa.RecordBatch) -> pa.Table:
    """Left profile rows -> (key group, key, i) rows: the name and bio keys, and the avatar bands of avatars held
    by at most `avatar_max` accounts (column c_avatar: holders over all records); only keys some right record
    has (`right_keys`: group + '\x1e' + key), the others meet no one."""
    t = pa.Table.from_batches([b])
    rec = Records(t)
    i = t["i"].to_numpy(zero_copy_only=False).astype(np.int64)
    g, k, r = [], [], []
    for group, rows, keys in side_keys(rec, "l"):
        g.append(pa.array(np.full(len(rows), group, dtype=object), pa.string()))
        k.append(pc.cast(keys, pa.string()))
        r.append(i[rows])
    if parts:
        av = avatar_parts(t["avatar"])
        held = t["c_avatar"].fill_null(0).to_numpy(zero_copy_only=False)
        for band, rows, keys in avatar_band_keys(av, (av != 0).any(axis=1) & (held <= avatar_max), parts):
            g.append(pa.array(np.full(len(rows), f"avatar{band}", dtype=object), pa.string()))
            k.append(pa.array(keys.astype(str), pa.string()))
            r.append(i[rows])
    out = pa.table({"g": pa.concat_arrays(g), "key": pa.concat_arrays(k), "i": pa.array(np.concatenate(r))})
    return out.filter(pc.is_in(pc.binary_join_element_wise(out["g"], out["key"], "\x1e"), value_set=right_keys))


def _near_avatars(right_avatars: pa.Array, bits: int, b: pa.RecordBatch) -> pa.Table:
    """Avatar band pairs -> those within `bits` Hamming bits."""
    t = pa.Table.from_batches([b])
    j = t["j"].to_numpy(zero_copy_only=False).astype(np.int64)
    close = hamming_rows(avatar_parts(t["avatar"]), avatar_parts(right_avatars.take(pa.array(j)))) <= bits
    return t.select(["i", "j"]).filter(pa.array(close))


def _compare_batch(state: dict, b: pa.RecordBatch) -> pa.Table:
    """Pair rows (left profile, pair features, global counts) -> pattern code, term frequencies and details."""
    t = pa.Table.from_batches([b])
    n = t.num_rows
    settings = LinkageSettings.from_dict(state["settings"])
    right = Records(state["right"])
    left = Records(t.select(list(PROFILE)))
    j = t["j"].to_numpy(zero_copy_only=False).astype(np.int64)
    num = lambda c: t[c].to_numpy(zero_copy_only=False).astype(np.float64)  # noqa: E731  (null -> NaN)
    feats: dict[str, np.ndarray] = {}
    if state["identities"]:
        n_acc = float(max(state["n_accounts"], 1))
        kinds = np.zeros(n, dtype=np.int64)
        minf = np.ones((n, len(ID_KINDS)))
        for bit, kind in enumerate(ID_KINDS):
            held = num(f"id_{kind}")
            shared = ~np.isnan(held)
            kinds[shared] |= 1 << bit
            minf[shared, bit] = held[shared] / n_acc
        both = t["l_has_id"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool) & state["right_has_id"][j]
        feats.update(identity_features(kinds, minf, state["n_accounts"], both))
    else:
        feats["id_level"] = feats["id_tf"] = feats["id_kinds"] = np.full(n, np.nan)
    if state["graph"]:
        feats.update(fan_features(np.nan_to_num(num("fan_common")), state["banned_fans"][j],
                                  np.nan_to_num(num("own_fans"))))
    else:
        feats["fan_share"] = feats["fan_common"] = feats["fan_purity"] = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        feats["days_after_ban"] = (num("created") - state["banned_at"][j]) / DAY
    feats["declared"] = (t["declared_text"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
                         | t["declared_post"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
                         ).astype(np.float64)
    linker = Linker(settings, left, right, pair_features=lambda i, jj: {k: v[i] for k, v in feats.items()})
    for col in state["totals"]:
        linker.codes.global_counts[col] = (np.nan_to_num(num(f"c_{col}")), state["totals"][col])
    g, tf = linker.compare(np.arange(n, dtype=np.int64), j)
    av_l, av_r = avatar_parts(t["avatar"]), avatar_parts(state["right"]["avatar"].take(pa.array(j)))
    bits = np.where((av_l != 0).any(axis=1) & (av_r != 0).any(axis=1), hamming_rows(av_l, av_r), -1)
    out = {"k": t["k"], "code": pa.array(encode_patterns(g))}
    for c in range(g.shape[1]):
        out[f"tf{c}"] = pa.array(tf[:, c])
    out["avatar_bits"] = pa.array(bits.astype(np.int64))
    for name in ("id_kinds", "fan_common", "fan_share", "days_after_ban"):
        out[name] = pa.array(feats[name])
    return pa.table(out)


def _created_sum(thresholds: np.ndarray, b: pa.RecordBatch) -> pa.Table:
    """Eligible pairs a batch of new accounts makes: per account, the bans it was registered after."""
    created = b.column(0).to_numpy(zero_copy_only=False)
    return pa.table({"n": pa.array([float(np.searchsorted(thresholds, created, "right").sum())])})


# --- the run ---------------------------------------------------------------------------------
class EngineLinking:
    """One linking run on an engine; `run()` gives (LinkResult or None, accounts table for the evidence)."""

    def __init__(self, engine, extra_bans: pa.Table | None, overrides: dict[str, Any] | None, *,
                 model: FSModel | None = None, fit: bool = True, progress=None):
        self.engine, self.overrides = engine, overrides
        self.opts = C.options(overrides)
        self.extra_bans, self.model, self.fit, self.progress = extra_bans, model, fit, progress
        self.tag = f"__rl{next(_ids)}"
        self._names: list[str] = []
        self.seconds: dict[str, float] = {}

    def t(self, what: str) -> str:
        name = f"{self.tag}_{what}"
        self._names.append(name)
        return name

    def _tick(self, what: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[what] = round(now - since, 2)
        return now

    def close(self) -> None:
        for name in reversed(self._names):
            self.engine.drop(name)
        if getattr(self, "graph", None) is not None:
            self.graph.close()
            self.graph = None

    # -- 1. sides --
    def _sides(self) -> bool:
        from qinglang.detect.reincarnation.load import _cols, read_bans

        e = self.engine
        bans = read_bans(e, self.extra_bans)
        banned = banned_set(bans)
        self.first_ban = pc.min(bans["decided_at"]).as_py() if bans.num_rows else None
        if banned.num_rows == 0:
            return False
        self.have = _cols(e, "accounts")
        extra = "".join(f", a.{c}" for c in ("bio", "avatar_hash") if c in self.have)
        self.bid = self.t("bid")
        e.register(self.bid, pa.table({"account_id": banned["account_id"],
                                       "bj": pa.array(np.arange(banned.num_rows, dtype=np.int64))}))
        racc = e.sql(f"SELECT b.bj, a.account_id, a.nickname{extra} FROM accounts a JOIN {self.bid} b "
                     f"ON a.account_id = b.account_id ORDER BY b.bj")
        found = racc["bj"].to_numpy(zero_copy_only=False).astype(np.int64)  # account ids are the lake's keys
        self.banned = banned.take(pa.array(found))
        if self.banned.num_rows == 0:
            return False
        nr = self.banned.num_rows
        # the right side renumbered 0..nr-1 in the banned set's order
        e.drop(self.bid)
        e.register(self.bid, pa.table({"account_id": self.banned["account_id"],
                                       "bj": pa.array(np.arange(nr, dtype=np.int64))}))
        self.banned_accounts = racc.drop(["bj"])
        self.banned_at = self.banned["banned_at"].to_numpy(zero_copy_only=False)
        none = [None] * nr
        prof = profile_columns(racc["nickname"].to_pylist(),
                               racc["avatar_hash"].to_pylist() if "avatar_hash" in racc.column_names else none,
                               racc["bio"].to_pylist() if "bio" in racc.column_names else none)
        self.right = pa.table({c: prof[c] for c in PROFILE})
        self.slack = float(self.opts["created_before_ban_days"]) * DAY
        first = float(np.nanmin(self.banned_at)) - self.slack
        since = dt.datetime.fromtimestamp(first, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        self.follows = "follows" in e.tables()
        src = f"SELECT a.account_id, a.nickname, a.created_at{extra} FROM accounts a"
        self.new = self.t("new")
        e.number_rows(self.new, f"SELECT * FROM ({src}) s WHERE created_at >= TIMESTAMP {lit(since)}",
                      ["account_id"], "i")
        self.n_new = int(e.sql(f"SELECT count(*) AS n FROM {self.new}")["n"][0].as_py())
        self.n_accounts = int(e.sql("SELECT count(*) AS n FROM accounts")["n"][0].as_py())
        return self.n_new > 0

    # -- 2. profiles and global counts --
    def _profiles(self) -> None:
        e = self.engine
        cols = "".join(f", {c}" for c in ("bio", "avatar_hash") if c in self.have)
        self.left = self.t("left")
        e.map_batches(f"SELECT i, nickname, created_at{cols} FROM {self.new}",
                      functools.partial(_profile_batch, str(self.opts["declared_pattern"])), LEFT_SCHEMA,
                      into=self.left, batch_rows=BATCH_ROWS, workers=e.parallelism)
        self.created_t = self.t("created")  # narrow: joined wherever a pair's timing is checked
        e.materialize(self.created_t, f"SELECT i, created FROM {self.left}")
        self.right_t = self.t("right")
        e.register(self.right_t, self.right.append_column("j", pa.array(np.arange(self.right.num_rows, dtype=np.int64)))
                   .append_column("banned_at", pa.array(self.banned_at)))
        # holders of each value over left and right records (term frequencies; stock avatars)
        self.counts, self.totals = {}, {}
        self.tf_cols = tf_columns(LinkageSettings.from_dict(C.settings_dict(self.overrides)))
        for col in sorted({*self.tf_cols, "avatar"}):
            name = self.t(f"c_{col}")
            e.materialize(name, f"SELECT v, count(*) AS n FROM (SELECT {col} AS v FROM {self.left} UNION ALL "
                                f"SELECT {col} AS v FROM {self.right_t}) x WHERE v IS NOT NULL AND v <> '' GROUP BY v")
            self.counts[col] = name
            self.totals[col] = float(max(1, int(e.sql(f"SELECT coalesce(sum(n), 0) AS n FROM {name}")["n"][0].as_py())))
        # the left records with their values' counts, once
        joins = "".join(f" LEFT JOIN {self.counts[c]} c{k} ON c{k}.v = l.{c}" for k, c in enumerate(self.counts))
        counted = ", ".join(f"c{k}.n AS c_{c}" for k, c in enumerate(self.counts))
        self.leftc = self.t("leftc")
        e.materialize(self.leftc, f"SELECT l.*, {counted} FROM {self.left} l{joins}")

    # -- 3. blocking --
    def _blocking(self) -> Candidates:
        e, o = self.engine, self.opts
        cap, slack = int(o["max_pairs_per_key"]), self.slack
        rav = avatar_parts(self.right["avatar"])
        used = e.sql("SELECT " + ", ".join(f"max(CASE WHEN av{p} THEN 1 ELSE 0 END) AS p{p}" for p in range(4))
                     + f" FROM {self.left}")
        parts = [p for p in range(4) if (used[f"p{p}"][0].as_py() or 0) > 0]
        # the right keys, here
        rrec = Records(self.right)
        g, k, r = [], [], []
        for group, rows, keys in side_keys(rrec, "r"):
            g += [group] * len(rows)
            k += pc.cast(keys, pa.string()).to_pylist()
            r.append(rows)
        if parts:
            held = self._right_counts("avatar")
            for band, rows, keys in avatar_band_keys(rav, (rav != 0).any(axis=1)
                                                     & (held <= int(o["max_accounts_per_avatar"])), parts):
                g += [f"avatar{band}"] * len(rows)
                k += keys.astype(str).tolist()
                r.append(rows)
        right_keys = pa.array(sorted({f"{a}\x1e{b}" for a, b in zip(g, k)}), pa.string())
        rkeys = self.t("rkeys")
        e.register(rkeys, pa.table({"g": pa.array(g, pa.string()), "key": pa.array(k, pa.string()),
                                    "j": pa.array(np.concatenate(r) if r else np.zeros(0, np.int64))}))
        lkeys = self.t("lkeys")
        e.map_batches(f"SELECT * FROM {self.leftc}",
                      functools.partial(_key_batch, int(o["max_accounts_per_avatar"]), parts, right_keys), KEY_SCHEMA,
                      into=lkeys, batch_rows=BATCH_ROWS, workers=e.parallelism)
        timed = (f"JOIN {self.created_t} tl ON tl.i = p.i JOIN {self.right_t} tr ON tr.j = p.j "
                 f"WHERE tl.created >= tr.banned_at - {slack!r}")
        # key joins with global per-key counts; keys making more than `cap` pairs are skipped (name and bio rules)
        sizes = self.t("sizes")
        e.materialize(sizes, f"SELECT lc.g, lc.key, lc.n * rc.n AS pairs FROM "
                             f"(SELECT g, key, count(*) AS n FROM {lkeys} GROUP BY g, key) lc JOIN "
                             f"(SELECT g, key, count(*) AS n FROM {rkeys} GROUP BY g, key) rc "
                             f"ON lc.g = rc.g AND lc.key = rc.key")
        hot = {r["g"]: r["n"] for r in e.sql(f"SELECT g, count(*) AS n FROM {sizes} WHERE pairs > {cap} "
                                             f"AND g NOT LIKE 'avatar%' GROUP BY g").to_pylist()}
        names = ", ".join(lit(x) for x in NAME_KEY_GROUPS)
        keyed = self.t("keyed")
        e.materialize(keyed, f"SELECT p.i, p.j, p.g FROM (SELECT l.i, r.j, l.g FROM {lkeys} l JOIN {rkeys} r "
                             f"ON l.g = r.g AND l.key = r.key JOIN {sizes} s ON s.g = l.g AND s.key = l.key "
                             f"WHERE s.pairs <= {cap} OR l.g LIKE 'avatar%') p {timed}")
        parts_sql = [f"SELECT i, j, 0 AS rule FROM {keyed} WHERE g IN ({names})"]
        present = [0]
        if parts:
            near = self.t("near")
            e.map_batches(f"SELECT DISTINCT p.i, p.j, l.avatar FROM {keyed} p JOIN {self.left} l ON l.i = p.i "
                          f"WHERE p.g LIKE 'avatar%'",
                          functools.partial(_near_avatars, self.right["avatar"], int(o["avatar_block_bits"])),
                          PAIR_SCHEMA, into=near)
            parts_sql.append(f"SELECT i, j, 1 AS rule FROM {near}")
            present.append(1)
        self.identities = "identities" in e.tables() and e.sql("SELECT count(*) AS n FROM identities")["n"][0].as_py() > 0
        if self.identities:
            # only values a banned account holds can be shared with one: their holders are counted, and the new
            # accounts' identity rows holding them kept (few rows, whatever the platform's size)
            bvals = self.t("bvals")
            e.materialize(bvals, f"SELECT DISTINCT x.kind, x.value FROM {self.bid} b JOIN identities x "
                                 f"ON x.account_id = b.account_id")
            idv = self.t("idv")
            e.materialize(idv, f"SELECT x.kind, x.value, count(DISTINCT x.account_id) AS n FROM identities x "
                               f"JOIN {bvals} v ON v.kind = x.kind AND v.value = x.value GROUP BY x.kind, x.value")
            self.bident = self.t("bident")
            e.materialize(self.bident, f"SELECT b.bj, x.kind, x.value, v.n FROM {self.bid} b JOIN identities x "
                                       f"ON x.account_id = b.account_id JOIN {idv} v "
                                       f"ON v.kind = x.kind AND v.value = x.value")
            self.nident = self.t("nident")
            e.materialize(self.nident, f"SELECT nl.i, x.kind, x.value FROM identities x JOIN {idv} v "
                                       f"ON v.kind = x.kind AND v.value = x.value JOIN {self.new} nl "
                                       f"ON nl.account_id = x.account_id")
            self.holders = self.t("holders")
            e.materialize(self.holders, "SELECT DISTINCT account_id FROM identities")
            parts_sql.append(
                f"SELECT DISTINCT p.i, p.j, 2 AS rule FROM (SELECT x.i, y.bj AS j FROM {self.nident} x "
                f"JOIN {self.bident} y ON y.kind = x.kind AND y.value = x.value "
                f"WHERE y.n <= {int(o['max_accounts_per_identity'])}) p {timed}")
            present.append(2)
        self.graph = None
        if self.follows:
            from qinglang.detect.reincarnation.engine_graph import EngineFollowGraph

            graph = EngineFollowGraph(e, int(o["hub_following"]))
            if graph.n_edges:
                self.graph = graph
                fc = graph.counts
                # a popular account followed by everyone shares fans with every banned account: keep pairs where
                # the common followers are a visible share of the banned account's fans or of the new account's
                parts_sql.append(
                    f"SELECT p.i, p.j, 3 AS rule FROM (SELECT i, bj AS j, c FROM "
                    f"({graph.co_follow_sql(self.bid, self.new, int(o['min_common_fans']))}) q) p "
                    f"JOIN {self.bid} bb ON bb.bj = p.j LEFT JOIN {fc} fb ON fb.e = bb.account_id "
                    f"JOIN {self.new} nn ON nn.i = p.i LEFT JOIN {fc} fn ON fn.e = nn.account_id "
                    f"{timed} AND (p.c / greatest(coalesce(fb.eff, 0), 1) >= {float(o['min_fan_share'])!r} "
                    f"OR p.c / greatest(coalesce(fn.n, 0), 1) >= {float(o['min_fan_purity'])!r})")
                present.append(3)
            else:
                graph.close()
        parts_sql.append(f"SELECT i, j, 4 AS rule FROM {keyed} WHERE g = {lit(BIO_KEY_GROUP)}")
        present.append(4)
        cands = self.t("cands")
        counts = ", ".join(f"sum(CASE WHEN u.rule = {r} THEN 1 ELSE 0 END) AS m{r}" for r in range(5))
        e.materialize(cands, f"SELECT u.i, u.j, min(u.rule) AS rule, {counts} FROM ("
                             + " UNION ALL ".join(parts_sql) + f") u JOIN {self.new} nl ON nl.i = u.i "
                             f"JOIN {self.bid} b ON b.bj = u.j WHERE nl.account_id <> b.account_id GROUP BY u.i, u.j")
        t = e.sql(f"SELECT * FROM {cands} ORDER BY i, j")
        i = t["i"].to_numpy(zero_copy_only=False).astype(np.int64)
        j = t["j"].to_numpy(zero_copy_only=False).astype(np.int64)
        first = t["rule"].to_numpy(zero_copy_only=False).astype(np.int64)
        remap = np.full(5, -1, np.int16)  # rule number -> its place among the rules present
        remap[present] = np.arange(len(present))
        per_rule = []
        for r in present:
            mult = t[f"m{r}"].to_numpy(zero_copy_only=False).astype(np.int64)
            skipped = sum(int(hot.get(g, 0)) for g in NAME_KEY_GROUPS) if r == 0 else (
                int(hot.get(BIO_KEY_GROUP, 0)) if r == 4 else 0)
            per_rule.append(RulePairs(_rule(*RULES[r]), np.repeat(i, mult), np.repeat(j, mult), skipped, 0))
        return Candidates(i, j, remap[first], per_rule, self.banned.num_rows)

    def _right_counts(self, col: str) -> np.ndarray:
        """Holders (over all records) of each right record's value of `col`."""
        t = self.engine.sql(f"SELECT r.j, c.n FROM {self.right_t} r JOIN {self.counts[col]} c ON c.v = r.{col}")
        out = np.zeros(self.right.num_rows, dtype=np.int64)
        out[t["j"].to_numpy(zero_copy_only=False).astype(np.int64)] = t["n"].to_numpy(zero_copy_only=False)
        return out

    # -- 4. comparisons --
    def _comparison_state(self) -> dict:
        right_has_id = np.zeros(self.right.num_rows, dtype=bool)
        if self.identities:
            t = self.engine.sql(f"SELECT DISTINCT bj FROM {self.bident}")
            right_has_id[t["bj"].to_numpy(zero_copy_only=False).astype(np.int64)] = True
        banned_fans = np.zeros(self.right.num_rows)
        if self.graph is not None:
            t = self.engine.sql(f"SELECT b.bj, f.eff FROM {self.bid} b JOIN {self.graph.counts} f "
                                f"ON f.e = b.account_id")
            banned_fans[t["bj"].to_numpy(zero_copy_only=False).astype(np.int64)] = t["eff"].to_numpy(
                zero_copy_only=False)
        return {"settings": C.settings_dict(self.overrides), "right": self.right,
                "totals": {c: self.totals[c] for c in self.tf_cols},
                "identities": self.identities, "graph": self.graph is not None, "n_accounts": self.n_accounts,
                "right_has_id": right_has_id, "banned_fans": banned_fans, "banned_at": self.banned_at}

    def compare(self, i: np.ndarray, j: np.ndarray) -> pa.Table:
        """Pairs (i into the new accounts, j into the banned) compared on the engine: a table in pair order."""
        e = self.engine
        pairs = f"{self.tag}_q{next(_ids)}"
        e.register(pairs, pa.table({"k": pa.array(np.arange(len(i), dtype=np.int64)),
                                    "i": pa.array(np.asarray(i, np.int64)), "j": pa.array(np.asarray(j, np.int64))}))
        views = []
        try:
            sel = ["p.k", "p.j", *[f"l.{c}" for c in LEFT_SCHEMA.names if c != "i"],
                   *[f"l.c_{c}" for c in self.counts], "(dp.account_id IS NOT NULL) AS declared_post"]
            joins = [f"JOIN {self.leftc} l ON l.i = p.i", f"JOIN {self.new} nl ON nl.i = p.i",
                     f"LEFT JOIN {self.declared} dp ON dp.account_id = nl.account_id"]
            if self.identities:
                shared = f"{pairs}_id"
                kinds = ", ".join(f"min(CASE WHEN y.kind = {lit(k)} THEN y.n END) AS id_{k}" for k in ID_KINDS)
                e.materialize(shared, (
                    f"SELECT p.k, {kinds} FROM {pairs} p JOIN {self.nident} x ON x.i = p.i "
                    f"JOIN {self.bident} y ON y.bj = p.j AND y.kind = x.kind AND y.value = x.value GROUP BY p.k"))
                views.append(shared)
                sel += [f"s.id_{k}" for k in ID_KINDS]
                sel.append("(hi.account_id IS NOT NULL) AS l_has_id")
                joins += [f"LEFT JOIN {shared} s ON s.k = p.k",
                          f"LEFT JOIN {self.holders} hi ON hi.account_id = nl.account_id"]
            if self.graph is not None:
                fans, rows = f"{pairs}_f", f"{pairs}_r"
                e.materialize(rows, f"SELECT p.k, nl.account_id AS a, b.account_id AS b FROM {pairs} p "
                                    f"JOIN {self.new} nl ON nl.i = p.i JOIN {self.bid} b ON b.bj = p.j")
                views.append(rows)
                e.materialize(fans, self.graph.common_fans_sql(rows))
                views.append(fans)
                sel += ["fc.c AS fan_common", "own.n AS own_fans"]
                joins += [f"LEFT JOIN {fans} fc ON fc.k = p.k", f"LEFT JOIN {self.graph.counts} own ON own.e = nl.account_id"]
            out = e.map_batches(f"SELECT {', '.join(sel)} FROM {pairs} p {' '.join(joins)}",
                                functools.partial(_compare_batch, self.state), self.compare_schema,
                                batch_rows=BATCH_ROWS, workers=e.parallelism)
        finally:
            for v in views:
                e.drop(v)
            e.drop(pairs)
        k = out["k"].to_numpy(zero_copy_only=False).astype(np.int64)
        return out.take(pa.array(np.argsort(k, kind="stable")))

    def _comparer(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from qinglang.linkage.model import decode_patterns

        c = self.cands
        if len(i) == len(c) and np.array_equal(i, c.i) and np.array_equal(j, c.j):
            if self.cands_compared is None:  # kept: the predictions' evidence is read from it
                self.cands_compared = self.compare(i, j)
            t = self.cands_compared
        else:
            t = self.compare(i, j)
        nc = len(self.state["settings"]["comparisons"])
        g = decode_patterns(t["code"].to_numpy(zero_copy_only=False).astype(np.int64), nc)
        tf = np.column_stack([t[f"tf{c}"].to_numpy(zero_copy_only=False).astype(np.float64) for c in range(nc)]) \
            if len(t) else np.zeros((0, nc))
        return g, tf

    # -- 5. the model --
    def _created_of(self, i: np.ndarray) -> np.ndarray:
        name = f"{self.tag}_s{next(_ids)}"
        self.engine.register(name, pa.table({"k": pa.array(np.arange(len(i), dtype=np.int64)),
                                             "i": pa.array(np.asarray(i, np.int64))}))
        try:
            t = self.engine.sql(f"SELECT s.k, l.created FROM {name} s JOIN {self.left} l ON l.i = s.i")
        finally:
            self.engine.drop(name)
        out = np.full(len(i), np.nan)
        out[t["k"].to_numpy(zero_copy_only=False).astype(np.int64)] = t["created"].to_numpy(zero_copy_only=False)
        return out

    def _same_account(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Pairs whose two sides are one account (a banned account that registered after another ban)."""
        out = np.zeros(len(i), dtype=bool)
        if not len(self._self_pairs):
            return out
        return np.isin(i.astype(np.int64) * self.banned.num_rows + j, self._self_pairs)

    def run(self) -> tuple[LinkResult | None, pa.Table | None]:
        t0 = time.perf_counter()
        if not self._sides():
            return None, None
        if self.progress:
            self.progress("reincarnation: nickname keys", 0, 4)
        self._profiles()
        e = self.engine
        # posts that present their account as a comeback (config.DECLARED_PATTERN)
        self.declared = self.t("declared")
        pattern = str(self.opts["declared_pattern"])
        if "posts" in e.tables() and pattern:
            since = (f" AND nl.created_at >= TIMESTAMP {lit(self.first_ban.strftime('%Y-%m-%d %H:%M:%S'))}"
                     if self.first_ban else "")
            e.materialize(self.declared, f"SELECT DISTINCT p.account_id FROM posts p JOIN {self.new} nl "
                                         f"ON nl.account_id = p.account_id "
                                         f"WHERE regexp_matches(lower(p.text), {lit(pattern)}){since}")
        else:
            e.register(self.declared, pa.table({"account_id": pa.array([], pa.string())}))
        t1 = self._tick("keys", t0)
        if self.progress:
            self.progress("reincarnation: candidates", 1, 4)
        cands = self.cands = self._blocking()
        self.cands_compared = None
        t2 = self._tick("blocking", t1)
        # banned accounts that are also new accounts (the same account on both sides is never a pair)
        st = e.sql(f"SELECT nl.i, b.bj FROM {self.new} nl JOIN {self.bid} b ON b.account_id = nl.account_id")
        self._self_pairs = np.sort(st["i"].to_numpy(zero_copy_only=False).astype(np.int64) * self.banned.num_rows
                                   + st["bj"].to_numpy(zero_copy_only=False).astype(np.int64))
        thresholds = np.sort(self.banned_at - self.slack)
        sums = e.map_batches(f"SELECT created FROM {self.left}", functools.partial(_created_sum, thresholds),
                             pa.schema([("n", pa.float64())]))
        total = float(np.sum(sums["n"].to_numpy(zero_copy_only=False))) if sums.num_rows else 0.0
        self.state = self._comparison_state()
        nc = len(self.state["settings"]["comparisons"])
        self.compare_schema = pa.schema([("k", pa.int64()), ("code", pa.int64()),
                                         *[(f"tf{c}", pa.float64()) for c in range(nc)],
                                         ("avatar_bits", pa.int64()), ("id_kinds", pa.float64()),
                                         ("fan_common", pa.float64()), ("fan_share", pa.float64()),
                                         ("days_after_ban", pa.float64())])
        settings = LinkageSettings.from_dict(self.state["settings"])
        sampler = pair_sampler(self.n_new, self.banned.num_rows, lambda i, j: (
            (self._created_of(i) >= self.banned_at[j] - self.slack) & ~self._same_account(i, j)))
        linker = Linker(settings, None, pair_sampler=sampler, model=self.model,
                        total_pairs=max(total, 1.0), comparer=self._comparer)
        if self.progress:
            self.progress("reincarnation: model", 2, 4)
        if self.fit:
            linker.fit(cands)
        t3 = self._tick("fit", t2)
        if self.progress:
            self.progress("reincarnation: scoring", 3, 4)
        preds = linker.predict(cands, min_prob=float(self.opts["min_report"]))
        if self.opts["one_per_new_account"] and len(preds):
            order_p = np.lexsort((-preds.weight, preds.i))
            first = np.r_[True, preds.i[order_p][1:] != preds.i[order_p][:-1]]
            preds = preds.take(order_p[first])
        # the evidence of the predictions, read for them alone
        details: dict[str, np.ndarray] = {}
        new_ids = np.zeros(0, dtype=object)
        new_created = np.zeros(0)
        accounts = self.banned_accounts.select(["account_id", "nickname"])
        if len(preds):
            if self.cands_compared is not None:  # the predictions are candidates: their rows, in prediction order
                keys = cands.i * self.banned.num_rows + cands.j  # sorted (candidates come ordered by i, j)
                det = self.cands_compared.take(pa.array(np.searchsorted(keys, preds.i * self.banned.num_rows + preds.j)))
            else:
                det = self.compare(preds.i, preds.j)
            details["avatar_bits"] = det["avatar_bits"].to_numpy(zero_copy_only=False)
            for name in ("id_kinds", "fan_common", "fan_share", "days_after_ban"):
                details[name] = det[name].to_numpy(zero_copy_only=False).astype(np.float64)
            uniq, inv = np.unique(preds.i, return_inverse=True)
            name = f"{self.tag}_p{next(_ids)}"
            e.register(name, pa.table({"u": pa.array(np.arange(len(uniq), dtype=np.int64)), "i": pa.array(uniq)}))
            try:
                got = e.sql(f"SELECT q.u, nl.account_id, nl.nickname, l.created FROM {name} q "
                            f"JOIN {self.new} nl ON nl.i = q.i JOIN {self.left} l ON l.i = q.i ORDER BY q.u")
            finally:
                e.drop(name)
            new_ids = got["account_id"].to_numpy(zero_copy_only=False)
            new_created = got["created"].to_numpy(zero_copy_only=False).astype(np.float64)
            accounts = pa.concat_tables([accounts, got.select(["account_id", "nickname"])])
            preds.i = inv.astype(np.int64)
        t4 = self._tick("predict", t3)
        stats = {
            "new_accounts": self.n_new, "banned_accounts": int(self.banned.num_rows), "candidates": int(len(cands)),
            "eligible_pairs": total, "blocking": cands.summary(),
            "seconds": {"keys": self.seconds["keys"], "blocking": round(t2 - t1, 2), "fit": round(t3 - t2, 2),
                        "predict": round(t4 - t3, 2)},
            "fit": {"sessions": linker.report.sessions, "prior": linker.model.prior, "notes": linker.report.notes},
        }
        res = LinkResult(preds, linker, new_ids, self.banned, new_created, details, stats)
        return res, accounts


def link_on_engine(engine, extra_bans: pa.Table | None, overrides: dict[str, Any] | None = None, *,
                   model: FSModel | None = None, fit: bool = True, progress=None
                   ) -> tuple[LinkResult | None, pa.Table | None]:
    """Link new accounts to banned accounts on the engine: (result or None when nothing is banned or new,
    account_id/nickname of the accounts the result names). Prediction i indexes `result.new_ids`."""
    run = EngineLinking(engine, extra_bans, overrides, model=model, fit=fit, progress=progress)
    try:
        return run.run()
    finally:
        run.close()
