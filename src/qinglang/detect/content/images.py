"""Banks of known violating images, matched by Hamming distance (HMA-style).

A bank holds perceptual hashes of one kind - 64-bit pHash (16 hex digits) or
256-bit PDQ (64 hex digits) - with a per-bank distance threshold and the
category a match means. Posts' `image_hashes` of the same kind are compared with
every hash of the bank (vectorised XOR + popcount); a hash within the threshold
is a match, scored 0.99 at distance 0 falling to 0.5 at the threshold.

Stored under <home>/content/image_banks/: `banks.json` (name -> kind, threshold,
category) and `<name>.csv` (hash,id,note), each written atomically.
"""

from __future__ import annotations

import csv
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from qinglang.detect.content.inputs import read_rows
from qinglang.detect.content.pack import CONTENT_CATEGORIES
from qinglang.errors import InputError, NotFound, QinglangError

KINDS = {"phash": 16, "pdq": 64}
DEFAULT_THRESHOLD = {"phash": 10, "pdq": 31}  # HMA's PDQ default is 31
BANKS_DIR = "image_banks"
_HEX = re.compile(r"^[0-9a-f]+$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class ImageMatch:
    bank: str
    category: str
    image_hash: str
    bank_id: str
    distance: int
    score: float


def hex_to_words(hashes: Sequence[str], hex_len: int) -> np.ndarray:
    """uint64[n, hex_len // 16] from hex strings (all of one length)."""
    words = hex_len // 16
    out = np.zeros((len(hashes), words), dtype=np.uint64)
    for w in range(words):
        out[:, w] = np.array([int(h[16 * w:16 * (w + 1)], 16) for h in hashes], dtype=np.uint64)
    return out


class Bank:
    def __init__(self, name: str, kind: str, threshold: int, category: str, hashes: list[str], ids: list[str]):
        self.name, self.kind, self.threshold, self.category = name, kind, threshold, category
        self.hashes = hashes
        self.ids = ids
        self.words = hex_to_words(hashes, KINDS[kind]) if hashes else np.zeros((0, KINDS[kind] // 16), np.uint64)

    def match(self, queries: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """For each query row: (best distance, index of the best bank hash); distance > threshold = no match."""
        n = len(queries)
        best_d = np.full(n, 1 << 16, dtype=np.int64)
        best_i = np.full(n, -1, dtype=np.int64)
        if not len(self.words) or not n:
            return best_d, best_i
        for a in range(0, len(self.words), chunk):
            bank = self.words[a:a + chunk]
            d = np.zeros((n, len(bank)), dtype=np.int64)
            for w in range(bank.shape[1]):
                d += np.bitwise_count(queries[:, w][:, None] ^ bank[:, w][None, :]).astype(np.int64)
            i = d.argmin(axis=1)
            dm = d[np.arange(n), i]
            better = dm < best_d
            best_d[better] = dm[better]
            best_i[better] = i[better] + a
        return best_d, best_i


class ImageBanks:
    def __init__(self, banks: list[Bank]):
        self.banks = banks

    def __len__(self) -> int:
        return sum(len(b.hashes) for b in self.banks)

    @classmethod
    def load(cls, folder: Path) -> "ImageBanks":
        d = folder / BANKS_DIR
        manifest = _read_manifest(d)
        banks = []
        for name, meta in manifest.items():
            hashes, ids = [], []
            p = d / f"{name}.csv"
            if p.exists():
                with open(p, encoding="utf-8", newline="") as fh:
                    for r in csv.DictReader(fh):
                        hashes.append(r["hash"])
                        ids.append(r.get("id") or r["hash"])
            banks.append(Bank(name, meta["kind"], int(meta["threshold"]), meta["category"], hashes, ids))
        return cls(banks)

    def match_posts(self, image_hashes: Sequence[Iterable[str] | None]) -> dict[int, list[ImageMatch]]:
        """Matches of each post's image hashes (posts without a match are absent)."""
        flat_post, flat_hash = [], []
        for i, hs in enumerate(image_hashes):
            if hs is None:
                continue
            for h in hs:
                if isinstance(h, str) and h:
                    flat_post.append(i)
                    flat_hash.append(h.strip().lower())
        out: dict[int, list[ImageMatch]] = {}
        if not flat_hash or not self.banks:
            return out
        posts = np.asarray(flat_post)
        for kind, hex_len in KINDS.items():
            sel = [j for j, h in enumerate(flat_hash) if len(h) == hex_len and _HEX.match(h)]
            banks = [b for b in self.banks if b.kind == kind and b.hashes]
            if not sel or not banks:
                continue
            q = hex_to_words([flat_hash[j] for j in sel], hex_len)
            for b in banks:
                d, bi = b.match(q)
                for k in np.flatnonzero(d <= b.threshold).tolist():
                    j = sel[k]
                    dist = int(d[k])
                    score = 0.5 + 0.49 * (1 - dist / (b.threshold + 1))
                    out.setdefault(int(posts[j]), []).append(ImageMatch(b.name, b.category, flat_hash[j],
                                                                        b.ids[int(bi[k])], dist, round(score, 4)))
        return out


# --- management ---------------------------------------------------------------
def _read_manifest(d: Path) -> dict:
    p = d / "banks.json"
    if not p.exists():
        return {}
    return json.loads(p.read_text(encoding="utf-8"))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def add_to_bank(folder: Path, name: str, file: Path, kind: str | None = None, threshold: int | None = None,
                category: str | None = None) -> dict:
    """Create or extend bank `name` with the hashes of a .txt/.csv/.jsonl file (column `hash`,
    optional `id`, `note`). Repeated hashes are kept once."""
    if not _NAME.match(name):
        raise QinglangError(f"bank name {name!r} must be 1-64 letters, digits, '_', '-' or '.'")
    d = folder / BANKS_DIR
    manifest = _read_manifest(d)
    meta = manifest.get(name)
    if meta is None:
        if kind is None:
            raise QinglangError(f"bank {name!r} is new: give --kind phash or --kind pdq")
        meta = {"kind": kind, "threshold": DEFAULT_THRESHOLD.get(kind, 10), "category": category or "soft_porn"}
    if kind is not None and kind != meta["kind"]:
        raise QinglangError(f"bank {name!r} holds {meta['kind']} hashes, not {kind}")
    if meta["kind"] not in KINDS:
        raise QinglangError(f"--kind must be phash or pdq, not {meta['kind']!r}")
    if threshold is not None:
        bits = KINDS[meta["kind"]] * 4
        if not 0 <= threshold < bits // 2:
            raise QinglangError(f"--threshold must be between 0 and {bits // 2 - 1} bits for {meta['kind']}")
        meta["threshold"] = threshold
    if category is not None:
        if category not in CONTENT_CATEGORIES:
            raise QinglangError(f"--category must be one of {', '.join(CONTENT_CATEGORIES)}, not {category!r}")
        meta["category"] = category
    rows = read_rows(file, required=("hash",), txt_column="hash")
    hex_len = KINDS[meta["kind"]]
    existing = []
    p = d / f"{name}.csv"
    if p.exists():
        with open(p, encoding="utf-8", newline="") as fh:
            existing = list(csv.DictReader(fh))
    seen = {r["hash"] for r in existing}
    added = 0
    for i, r in enumerate(rows, 1):
        h = str(r.get("hash") or "").strip().lower()
        if not h:
            continue
        if len(h) != hex_len or not _HEX.match(h):
            raise InputError(str(file), f"{h[:80]!r} is not a {meta['kind']} hash ({hex_len} hex digits)", row=i,
                             column="hash")
        if h in seen:
            continue
        seen.add(h)
        existing.append({"hash": h, "id": str(r.get("id") or h), "note": str(r.get("note") or "")})
        added += 1
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["hash", "id", "note"], lineterminator="\n")
    w.writeheader()
    w.writerows(existing)
    _write_atomic(p, buf.getvalue())
    manifest[name] = meta
    _write_atomic(d / "banks.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    return {"bank": name, **meta, "added": added, "total": len(existing)}


def list_banks(folder: Path) -> list[dict]:
    d = folder / BANKS_DIR
    out = []
    for name, meta in sorted(_read_manifest(d).items()):
        p = d / f"{name}.csv"
        n = 0
        if p.exists():
            with open(p, encoding="utf-8") as fh:
                n = max(0, sum(1 for _ in fh) - 1)
        out.append({"bank": name, **meta, "hashes": n})
    return out


def remove_bank(folder: Path, name: str) -> None:
    d = folder / BANKS_DIR
    manifest = _read_manifest(d)
    if name not in manifest:
        raise NotFound(f"no image bank named {name!r}")
    del manifest[name]
    _write_atomic(d / "banks.json", json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    (d / f"{name}.csv").unlink(missing_ok=True)
