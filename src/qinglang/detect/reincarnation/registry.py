"""The banned registry: an in-memory index of banned accounts for the real-time registration check.

Built once from the batch tables (or from any Arrow tables), saved as a folder of Parquet/NumPy
files and loaded in about a second; a check then costs a few key lookups plus the linkage model on a
handful of candidates (milliseconds, with a million banned accounts loaded).

Per banned account it keeps its nickname keys, avatar hash, hashed identities (with how many
accounts on the platform hold each value), its ban window and category. Lookups go through one
sorted array of 64-bit key hashes (`features.stable_hash`) -> banned rows: name keys (folded name,
pronunciation, near-homophones, one-substitution neighbourhood, initials), avatar 16-bit bands and
identity values. Keys shared by more than `max_rows_per_key` banned accounts are left out (a
common name cannot find anyone by itself). Term frequencies of names and avatars over the whole
platform come along, so a common name weighs as little here as in batch.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qinglang.detect.reincarnation import config as C
from qinglang.detect.reincarnation.evidence import iso, shared_kinds, waterfall
from qinglang.detect.reincarnation.features import ID_KINDS, avatar_parts, masked_keys, profile_columns, stable_hash
from qinglang.detect.reincarnation.linking import identity_level
from qinglang.linkage.levels import hamming_rows, hex_parsed, parsed
from qinglang.linkage.linker import Linker
from qinglang.linkage.model import FSModel
from qinglang.linkage.records import Records
from qinglang.linkage.settings import LinkageSettings

DAY = 86_400.0
TF_COLUMNS = ("n_clean", "n_kept", "n_core", "n_pinyin", "n_fuzzy", "avatar")
PROFILE_COLUMNS = ("n_clean", "n_kept", "n_base", "n_core", "n_pinyin", "n_pinyin_hanzi", "n_fuzzy", "n_initials",
                   "n_fan", "n_hanzi", "n_initials_only", "n_has_latin", "avatar", "bio_norm")
FORMAT = 4


def _h(family: str, key: str) -> int:
    return stable_hash(f"{family}\x1e{key}")


def name_keys(prof_row: dict[str, Any], query: bool = False) -> list[tuple[str, str]]:
    """(family, key) pairs a name is indexed (or looked up) under."""
    out: list[tuple[str, str]] = []
    kept = prof_row.get("n_kept")
    if kept and kept != prof_row.get("n_core"):
        out.append(("kept", kept))
    core = prof_row.get("n_core")
    if core:
        out.append(("core", core))
        out.extend(("mask", k) for k in masked_keys(core))
    for col in ("n_pinyin", "n_pinyin_hanzi"):
        v = prof_row.get(col)
        if v and len(v) >= 4:
            out.append(("py", v))
    fz = prof_row.get("n_fuzzy")
    if fz and len(fz) >= 4:
        out.append(("fz", fz))
    if query:
        if prof_row.get("n_initials_only") and prof_row.get("n_base"):
            out.append(("ini", prof_row["n_base"]))
        elif prof_row.get("n_has_latin") and prof_row.get("n_initials") and len(prof_row["n_initials"]) >= 3:
            out.append(("ini", prof_row["n_initials"]))
    elif prof_row.get("n_initials") and len(prof_row["n_initials"]) >= 2:
        out.append(("ini", prof_row["n_initials"]))
    return out


def avatar_keys(parts: np.ndarray) -> list[tuple[str, str]]:
    out = []
    for p in range(4):
        if parts[p] == 0:
            continue
        for band in range(4):
            out.append((f"av{p}{band}", str(int((int(parts[p]) >> (16 * band)) & 0xFFFF))))
    return out


@dataclass
class TermFrequencies:
    """Frequency of values (names, avatars) among all accounts, by 64-bit hash."""

    hashes: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_profiles(cls, prof: pa.Table, columns=TF_COLUMNS) -> "TermFrequencies":
        tf = cls()
        for col in columns:
            if col not in prof.column_names:
                continue
            arr = prof[col]
            vc = pc.value_counts(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
            vals, cnt = vc.field("values").to_pylist(), vc.field("counts").to_numpy(zero_copy_only=False)
            keep = [(v, c) for v, c in zip(vals, cnt.tolist()) if v not in (None, "") and c >= 2]
            h = np.array([_h(col, v) for v, _ in keep], dtype=np.int64)
            c = np.array([c for _, c in keep], dtype=np.int64)
            order = np.argsort(h)
            tf.hashes[col], tf.counts[col] = h[order], c[order]
            tf.totals[col] = int(arr.length() - arr.null_count) if hasattr(arr, "length") else len(arr)
        return tf

    def lookup(self, col: str):
        h, c, total = self.hashes.get(col), self.counts.get(col), max(1, self.totals.get(col, 1))

        def fn(values: np.ndarray) -> np.ndarray:
            out = np.full(len(values), 1.0 / total)
            if h is None or len(h) == 0:
                return out
            # a real-time check asks for one value many times (its own name against every candidate):
            # each distinct value is hashed and looked up once
            seen: dict[Any, float] = {}
            for k, v in enumerate(values):
                if not v:
                    out[k] = np.nan
                    continue
                f = seen.get(v)
                if f is None:
                    x = _h(col, v)
                    pos = int(np.searchsorted(h, x))
                    f = seen[v] = float(c[pos] / total) if pos < len(h) and h[pos] == x else 1.0 / total
                out[k] = f
            return out

        return fn


class Registry:
    """Banned accounts indexed for the real-time check."""

    def __init__(self, banned: pa.Table, key_hash: np.ndarray, key_row: np.ndarray, id_indptr: np.ndarray,
                 id_hash: np.ndarray, id_kind: np.ndarray, id_freq: np.ndarray, tf: TermFrequencies,
                 model: FSModel, opts: dict[str, Any], meta: dict[str, Any] | None = None):
        self.banned = banned
        self.key_hash, self.key_row = key_hash, key_row
        self.id_indptr, self.id_hash, self.id_kind, self.id_freq = id_indptr, id_hash, id_kind, id_freq
        self.tf = tf
        self.model = model
        self.opts = C.options(opts)
        self.meta = meta or {}
        self.n = banned.num_rows
        self._ids = banned["account_id"].to_pylist()
        self._banned_at = banned["banned_at"].to_numpy(zero_copy_only=False)
        self._until = banned["ban_until"].to_numpy(zero_copy_only=False)
        self._action = banned["action"].to_pylist()
        self._category = banned["category"].to_pylist()
        self._nick = banned["nickname"].to_pylist() if "nickname" in banned.column_names else [None] * self.n
        self._avatar = avatar_parts(banned["avatar"]) if "avatar" in banned.column_names else np.zeros((self.n, 4), np.uint64)
        rec = banned.select([c for c in PROFILE_COLUMNS if c in banned.column_names])
        for c in PROFILE_COLUMNS:  # a registry without bios (or avatars) compares them as missing
            if c not in rec.column_names:
                rec = rec.append_column(c, pa.nulls(rec.num_rows, pa.string()))
        self._records_table = rec
        # the profile columns as NumPy arrays: a check takes a few rows without Arrow's per-call overhead
        self._records_np = {c: _to_numpy(rec[c]) for c in rec.column_names}
        # what the comparisons derive from the banned side (null masks, parsed avatar hashes), computed once
        # here; each check takes its few candidate rows with them (Records.take)
        self._banned_records = Records.from_numpy(self._records_np)
        for c in self._records_np:
            self._banned_records.null_mask(c)
        parsed(self._banned_records, "avatar", hex_parsed)
        comps = (meta or {}).get("comparisons")
        self._settings = LinkageSettings.from_dict(C.settings_dict({"comparisons": comps} if comps else None))
        self._tf_fns = {col: tf.lookup(col) for col in TF_COLUMNS}
        self._declared = re.compile(str(self.opts["declared_pattern"]), re.IGNORECASE)
        if not model.compatible(self._settings):
            raise ValueError("the registry's model does not match the comparisons")
        # build the lazily made tables (OpenCC, pinyin, the shape table's stroke-inventory index: ~0.4 s) now,
        # not in the first check that meets a rare character
        profile_columns(["预热王小眀"], [None])

    # --- building --------------------------------------------------------------------------
    @classmethod
    def build(cls, banned: pa.Table, banned_profiles: pa.Table, id_rows: np.ndarray, id_kinds: list[str] | np.ndarray,
              id_values: list[str] | pa.Array, id_freq: np.ndarray, tf: TermFrequencies, model: FSModel,
              opts: dict[str, Any] | None = None, meta: dict[str, Any] | None = None) -> "Registry":
        """`banned`: banned_set rows (+ nickname); `banned_profiles`: profile columns aligned with it;
        identities of banned rows (row, kind, hashed value, share of platform accounts holding it)."""
        o = C.options(opts)
        cap = int(o.get("max_pairs_per_key", 20_000))
        cap = min(cap, 500)
        table = banned
        for col in PROFILE_COLUMNS:
            if col in banned_profiles.column_names and col not in table.column_names:
                table = table.append_column(col, banned_profiles[col])
        n = table.num_rows
        hashes: list[int] = []
        rows: list[int] = []
        prof_rows = banned_profiles.select([c for c in PROFILE_COLUMNS if c in banned_profiles.column_names]).to_pylist()
        for r, pr in enumerate(prof_rows):
            for fam, key in name_keys(pr):
                hashes.append(_h(fam, key))
                rows.append(r)
        av = avatar_parts(table["avatar"]) if "avatar" in table.column_names else np.zeros((n, 4), np.uint64)
        for r in np.flatnonzero((av != 0).any(axis=1)):
            for fam, key in avatar_keys(av[r]):
                hashes.append(_h(fam, key))
                rows.append(int(r))
        id_rows = np.asarray(id_rows, np.int64)
        kinds = np.array([ID_KINDS.index(k) for k in id_kinds], dtype=np.int8) if len(id_rows) else np.zeros(0, np.int8)
        vals = id_values.to_pylist() if hasattr(id_values, "to_pylist") else list(id_values)
        vh = np.array([_h("id", f"{ID_KINDS[k]}\x1f{v}") for k, v in zip(kinds.tolist(), vals)], dtype=np.int64)
        hashes.extend(vh.tolist())
        rows.extend(id_rows.tolist())
        kh = np.array(hashes, dtype=np.int64)
        kr = np.array(rows, dtype=np.int32)
        # distinct (key, row), then drop hot keys
        if len(kh):
            pair = np.unique(np.stack([kh, kr.astype(np.int64)], axis=1), axis=0)
            kh, kr = pair[:, 0], pair[:, 1].astype(np.int32)
            uk, cnt = np.unique(kh, return_counts=True)
            hot = set(uk[cnt > cap].tolist())
            if hot:
                keep = ~np.isin(kh, np.fromiter(hot, dtype=np.int64))
                kh, kr = kh[keep], kr[keep]
        order = np.argsort(kh, kind="stable")
        # identities per row (CSR, sorted by hash)
        order_id = np.lexsort((vh, id_rows)) if len(id_rows) else np.zeros(0, np.int64)
        indptr = np.zeros(n + 1, dtype=np.int64)
        if len(id_rows):
            np.add.at(indptr, id_rows + 1, 1)
        np.cumsum(indptr, out=indptr)
        freq = np.asarray(id_freq, dtype=np.float64)
        return cls(table, kh[order], kr[order], indptr, vh[order_id] if len(id_rows) else vh, kinds[order_id]
                   if len(id_rows) else kinds, freq[order_id] if len(id_rows) else freq, tf, model, o,
                   dict(meta or {}, banned=n, keys=int(len(kh)), built_at=time.time(),
                        comparisons=(meta or {}).get("comparisons") or C.settings_dict(opts)["comparisons"]))

    # --- persistence -----------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.banned, folder / "banned.parquet")
        np.savez(folder / "index.npz", key_hash=self.key_hash, key_row=self.key_row, id_indptr=self.id_indptr,
                 id_hash=self.id_hash, id_kind=self.id_kind, id_freq=self.id_freq)
        tfz = {}
        for col in self.tf.hashes:
            tfz[f"h_{col}"] = self.tf.hashes[col]
            tfz[f"c_{col}"] = self.tf.counts[col]
        np.savez(folder / "tf.npz", **tfz)
        (folder / "model.json").write_text(self.model.to_json(), encoding="utf-8")
        meta = dict(self.meta, format=FORMAT, tf_totals=self.tf.totals, options=self.opts)
        (folder / "manifest.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str),
                                              encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Registry":
        folder = Path(folder)
        meta = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"registry format {meta.get('format')} is not {FORMAT}")
        banned = pq.read_table(folder / "banned.parquet")
        z = np.load(folder / "index.npz")
        t = np.load(folder / "tf.npz")
        tf = TermFrequencies(totals={k: int(v) for k, v in meta.get("tf_totals", {}).items()})
        for col in TF_COLUMNS:
            if f"h_{col}" in t:
                tf.hashes[col], tf.counts[col] = t[f"h_{col}"], t[f"c_{col}"]
        model = FSModel.from_dict(json.loads((folder / "model.json").read_text(encoding="utf-8")))
        opts = {k: v for k, v in meta.get("options", {}).items() if k in C.DEFAULTS}
        return cls(banned, z["key_hash"], z["key_row"], z["id_indptr"], z["id_hash"], z["id_kind"], z["id_freq"],
                   tf, model, opts, meta)

    # --- the check -------------------------------------------------------------------------
    def _lookup(self, keys: list[int]) -> np.ndarray:
        if not keys:
            return np.zeros(0, np.int64)
        q = np.array(keys, dtype=np.int64)
        lo = np.searchsorted(self.key_hash, q, "left")
        hi = np.searchsorted(self.key_hash, q, "right")
        rows = [self.key_row[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
        return np.unique(np.concatenate(rows)).astype(np.int64) if rows else np.zeros(0, np.int64)

    def candidates(self, prof: dict[str, Any], avatar: np.ndarray, id_hashes: list[tuple[int, int]]) -> np.ndarray:
        """Banned rows sharing a name key or an identity value, or with an avatar within the blocking distance."""
        by_key = self._lookup([_h(f, k) for f, k in name_keys(prof, query=True)] + [h for _, h in id_hashes])
        by_avatar = self._lookup([_h(f, k) for f, k in avatar_keys(avatar)])
        if len(by_avatar):
            near = hamming_rows(np.repeat(avatar[None, :], len(by_avatar), axis=0), self._avatar[by_avatar])
            by_avatar = by_avatar[near <= int(self.opts["avatar_block_bits"])]
        return np.union1d(by_key, by_avatar)

    def check(self, nickname: str, avatar_hash: str | None = None, identities: list[tuple[str, str]] | None = None,
              at: float | None = None, max_matches: int = 5, exclude: str | None = None) -> dict[str, Any]:
        """Does this registration continue a banned account? `identities`: (kind, hashed value).
        `exclude`: the account being renamed (it never matches itself)."""
        at = time.time() if at is None else float(at)
        prof = {k: v[0] for k, v in profile_columns([nickname], [avatar_hash]).items()}
        prof = {k: (v.as_py() if hasattr(v, "as_py") else v) for k, v in prof.items()}
        av = avatar_parts([avatar_hash])[0]
        id_hashes = [(ID_KINDS.index(k), _h("id", f"{k}\x1f{v}")) for k, v in (identities or [])]
        cand = self.candidates(prof, av, id_hashes)
        if exclude is not None and len(cand):
            cand = cand[np.array([self._ids[int(r)] != exclude for r in cand], dtype=bool)]
        if len(cand):  # only bans already decided at the time of the check count
            slack = float(self.opts["created_before_ban_days"]) * DAY
            cand = cand[self._banned_at[cand] <= at + slack]
        result = {"decision": "pass", "ban_expired": False, "matches": []}
        if len(cand) == 0:
            return result
        left_cols = {}
        for c in self._records_np:
            arr = np.empty(1, dtype=object)
            arr[0] = prof.get(c)
            left_cols[c] = arr
        left = Records.from_numpy(left_cols)
        right = self._banned_records.take(cand)
        q_hash = np.array(sorted(h for _, h in id_hashes), dtype=np.int64)
        declared = self._declared.search(nickname) is not None

        def features(i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
            n = len(j)
            kinds = np.zeros(n, dtype=np.int64)
            minf = np.ones((n, 6))
            rows = cand[j]
            start = self.id_indptr[rows]
            cnt = self.id_indptr[rows + 1] - start
            has = cnt > 0
            total = int(cnt.sum())
            if total and len(q_hash):
                # every identity of every candidate at once (CSR ranges), then the hits folded per candidate
                owner = np.repeat(np.arange(n), cnt)
                pos = np.repeat(start, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
                hit = np.isin(self.id_hash[pos], q_hash)
                if hit.any():
                    o, p = owner[hit], pos[hit]
                    bits = self.id_kind[p].astype(np.int64)
                    np.bitwise_or.at(kinds, o, np.left_shift(1, bits))
                    np.minimum.at(minf, (o, bits), self.id_freq[p].astype(np.float64))
            level, tf = identity_level(kinds, minf)
            level = level.astype(np.float64)
            level[~has | (len(q_hash) == 0)] = np.nan
            days = (at - self._banned_at[cand[j]]) / DAY
            nan = np.full(n, np.nan)
            # a registration has no bio or posts yet: only its nickname can say it is a comeback
            said = np.full(n, 1.0 if declared else np.nan)
            return {"id_level": level, "id_tf": tf, "id_kinds": kinds.astype(np.float64), "fan_share": nan,
                    "fan_common": nan, "fan_purity": nan, "days_after_ban": days, "declared": said}

        linker = Linker(self._settings, left, right, pair_features=features, model=self.model)
        for col, fn in self._tf_fns.items():
            linker.codes.tf_override[col] = fn
        from qinglang.linkage.blocking import Candidates

        z = np.zeros(len(cand), dtype=np.int64)
        cands = Candidates(z, np.arange(len(cand), dtype=np.int64), np.zeros(len(cand), np.int16), [], len(cand))
        preds = linker.predict(cands, min_prob=float(self.opts["min_report"]))
        if len(preds) == 0:
            return result
        feats = features(preds.i, preds.j)
        order = np.argsort(-preds.prob)[:max_matches]
        threshold, certain = float(self.opts["threshold"]), float(self.opts["certain"])
        active_best, expired_best = 0.0, 0.0
        matches = []
        for k in order.tolist():
            r = int(cand[int(preds.j[k])])
            until = float(self._until[r])
            expired = not math.isnan(until) and at >= until
            prob = float(preds.prob[k])
            if expired:
                expired_best = max(expired_best, prob)
            else:
                active_best = max(active_best, prob)
            bits = int(hamming_rows(av[None, :], self._avatar[r][None, :])[0]) if av.any() and self._avatar[r].any() else None
            matches.append({
                "banned_account_id": self._ids[r],
                "score": round(prob, 6),
                "evidence": {
                    "banned_nickname": self._nick[r], "action": self._action[r], "category": self._category[r],
                    "banned_at": iso(self._banned_at[r]), "ban_until": iso(until), "ban_expired": expired,
                    "tier": "ban_expired" if expired else ("certain" if prob >= certain else
                                                           "review" if prob >= threshold else "no_action"),
                    "match_weight": round(float(preds.weight[k]), 3),
                    "waterfall": waterfall(self.model.names, self.model.labels, preds.gamma[k], preds.contrib[k],
                                           self.model.prior_weight),
                    "shared_identities": shared_kinds(feats["id_kinds"][k]),
                    "avatar_bits": bits,
                },
            })
        result["matches"] = matches
        if active_best >= certain:
            result["decision"] = "block"
        elif active_best >= threshold:
            result["decision"] = "review"
        result["ban_expired"] = bool(expired_best >= threshold and active_best < threshold)
        return result


def _to_numpy(col: pa.ChunkedArray) -> np.ndarray:
    out = np.empty(len(col), dtype=object)
    out[:] = col.to_pylist()
    return out


def save_atomic(reg: Registry, root: Path) -> Path:
    """Write the registry as a new version under root and switch root/CURRENT to it atomically."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = f"r{int(time.time() * 1000):015d}-{uuid.uuid4().hex[:6]}"
    tmp = root / f".{name}.tmp"
    reg.save(tmp)
    final = root / name
    os.replace(tmp, final)
    cur_tmp = root / f".CURRENT.{uuid.uuid4().hex[:6]}"
    cur_tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(cur_tmp, root / "CURRENT")
    for old in root.iterdir():  # keep the current version only (and temp folders of running builds)
        if old.is_dir() and old.name != name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return final


def current_folder(root: Path) -> Path | None:
    cur = Path(root) / "CURRENT"
    if not cur.exists():
        return None
    folder = Path(root) / cur.read_text(encoding="utf-8").strip()
    return folder if folder.is_dir() else None
