"""A base of debunked rumours and near-duplicate matching against it.

Posts and rumours are normalised the same way (so reposts with inserted
separators, traditional characters or emoji still match), cut into character
shingles, signed with MinHash and indexed with LSH banding; candidates are then
verified exactly: similarity = |A ∩ B| / min(|A|, |B|) over shingle sets (so a
repost that adds a comment still matches the rumour it carries), and a match
needs similarity >= `threshold` (default 0.6).

Stored as JSON Lines at <home>/content/rumors.jsonl: {id, text, source, added_at}.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from qinglang.detect.content.inputs import read_rows
from qinglang.detect.content.minhash import MinHasher, shingle_set
from qinglang.detect.content.normalize import NormBatch, Normalizer
from qinglang.errors import InputError

RUMOR_FILE = "rumors.jsonl"
MIN_CHARS = 8  # shorter normalised rumours are refused: they would match too much


@dataclass(frozen=True)
class RumorMatch:
    rumor_id: str
    similarity: float
    source: str
    score: float


def rumor_id(norm_text: str) -> str:
    return "rm_" + hashlib.sha256(norm_text.encode("utf-8")).hexdigest()[:12]


class RumorBase:
    def __init__(self, records: list[dict], normalizer: Normalizer, threshold: float = 0.6,
                 hasher: MinHasher | None = None):
        self.records = records
        self.normalizer = normalizer
        self.threshold = threshold
        self.hasher = hasher or MinHasher(num_perm=64, k=2, bands=32)
        norms = [r["norm"] for r in records]
        self.norms = norms
        self.sets = [shingle_set(t, self.hasher.k) for t in norms]
        self.index: list[dict[int, list[int]]] = [dict() for _ in range(self.hasher.bands)]
        if records:
            cps, offsets = _pack(norms)
            keys = self.hasher.band_keys(self.hasher.signatures(cps, offsets))
            for b in range(self.hasher.bands):
                col = keys[:, b].tolist()
                d = self.index[b]
                for i, k in enumerate(col):
                    d.setdefault(k, []).append(i)
            self._band_sorted = [np.unique(keys[:, b]) for b in range(self.hasher.bands)]

    def __len__(self) -> int:
        return len(self.records)

    @classmethod
    def load(cls, folder: Path, normalizer: Normalizer, threshold: float = 0.6) -> "RumorBase":
        path = folder / RUMOR_FILE
        records = []
        if path.exists():
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        records.append(json.loads(line))
        norms = normalizer.batch([r["text"] for r in records]).norm.split("\x00")[: len(records)] if records else []
        for r, n in zip(records, norms):
            r["norm"] = n
        return cls(records, normalizer, threshold)

    def match_batch(self, nb: NormBatch) -> dict[int, RumorMatch]:
        """Best rumour match of each post of a normalised batch (posts without one are absent)."""
        if not self.records or not len(nb):
            return {}
        offsets = nb.norm_offsets.copy()
        # signatures over each post's normalised text, without the separator
        cps = nb.norm_cps
        starts = offsets[:-1]
        ends = offsets[1:] - 1
        lens = ends - starts
        idx = np.repeat(starts, lens) + (np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens))
        packed = cps[idx]
        poffs = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=poffs[1:])
        keys = self.hasher.band_keys(self.hasher.signatures(packed, poffs))
        hit_any = np.zeros(len(lens), dtype=bool)
        for b in range(self.hasher.bands):
            hit_any |= np.isin(keys[:, b], self._band_sorted[b])
        out = {}
        for i in np.flatnonzero(hit_any).tolist():
            cands = set()
            for b in range(self.hasher.bands):
                cands.update(self.index[b].get(int(keys[i, b]), ()))
            text = nb.normalized(i)
            sset = shingle_set(text, self.hasher.k)
            best = None
            for c in cands:
                rset = self.sets[c]
                if not rset or not sset:
                    continue
                sim = len(sset & rset) / min(len(sset), len(rset))
                if sim >= self.threshold and (best is None or sim > best[1]):
                    best = (c, sim)
            if best:
                c, sim = best
                score = 0.5 + 0.49 * (sim - self.threshold) / max(1e-9, 1 - self.threshold)
                r = self.records[c]
                out[i] = RumorMatch(r["id"], round(sim, 4), r.get("source", ""), round(min(0.99, score), 4))
        return out


def _pack(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    joined = "".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    return cps, offsets


def add_rumors(folder: Path, file: Path, normalizer: Normalizer) -> dict:
    """Add the rumours of a .txt/.csv/.jsonl file (column `text`, optional `id`, `source`) to the base.
    Re-adding the same rumour (same normalised text) changes nothing."""
    rows = read_rows(file, required=("text",))
    path = folder / RUMOR_FILE
    existing = []
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            existing = [json.loads(line) for line in fh if line.strip()]
    texts = [str(r.get("text") or "") for r in rows]
    norms = normalizer.batch(texts).norm.split("\x00")[: len(texts)] if texts else []
    known_norm = set()
    known_ids = {r["id"] for r in existing}
    if existing:
        for n in normalizer.batch([r["text"] for r in existing]).norm.split("\x00")[: len(existing)]:
            known_norm.add(n)
    added, skipped = 0, 0
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    new = []
    for i, (r, n) in enumerate(zip(rows, norms), 1):
        if len(n) < MIN_CHARS:
            raise InputError(str(file), f"the rumour text is too short to match safely ({len(n)} characters once "
                                        f"normalised; at least {MIN_CHARS} needed)", row=i, column="text")
        if n in known_norm:
            skipped += 1
            continue
        rid = str(r.get("id") or "") or rumor_id(n)
        if rid in known_ids:
            raise InputError(str(file), f"id {rid!r} is already used by another rumour", row=i, column="id")
        known_norm.add(n)
        known_ids.add(rid)
        new.append({"id": rid, "text": str(r["text"]), "source": str(r.get("source") or ""), "added_at": now})
        added += 1
    if new:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{RUMOR_FILE}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            for r in existing + new:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return {"added": added, "already_known": skipped, "total": len(existing) + len(new)}
