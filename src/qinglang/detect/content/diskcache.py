"""A small on-disk cache for what content screening derives from its inputs once per process:
the per-code-point tables (charmap.py), jieba's common words and compiled lexicons (lexicon.py).

Entries are pickles under ``$QINGLANG_CACHE/content`` (default ``~/.cache/qinglang/content``),
named by a SHA-256 key over everything the value depends on (inputs, this code's cache version,
the versions of the libraries the value was derived from). A key never changes meaning, so an
entry is never stale; old entries of a kind are pruned beyond ``KEEP`` files. Writes are atomic
(temporary file + rename), so concurrent processes at worst both build the same entry.
A damaged or unreadable entry counts as a miss. ``QINGLANG_CONTENT_CACHE=0`` switches the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

KEEP = 8  # entries kept per kind (most recently used first)


def enabled() -> bool:
    return os.environ.get("QINGLANG_CONTENT_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    base = os.environ.get("QINGLANG_CACHE") or str(Path.home() / ".cache" / "qinglang")
    return Path(base) / "content"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def library_versions(*dists: str) -> str:
    return ";".join(f"{d}={_version(d)}" for d in dists) + f";py={sys.version_info[:2]}"


def make_key(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p if isinstance(p, bytes) else repr(p).encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()[:32]


def load(kind: str, key: str) -> Any | None:
    if not enabled():
        return None
    path = cache_dir() / f"{kind}-{key}.pkl"
    try:
        with open(path, "rb") as fh:
            value = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception:  # damaged, truncated, or from an incompatible version: rebuild
        return None
    try:
        os.utime(path)  # most recently used survives pruning
    except OSError:
        pass
    return value


def save(kind: str, key: str, value: Any) -> None:
    if not enabled():
        return
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{kind}-{key}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"{kind}-{key}.pkl")
        _prune(d, kind)
    except OSError:  # a read-only or full disk only costs speed
        try:
            tmp.unlink(missing_ok=True)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


def _prune(d: Path, kind: str) -> None:
    files = sorted(d.glob(f"{kind}-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in files[KEEP:]:
        try:
            p.unlink()
        except OSError:
            pass


def cached(kind: str, key: str, build: Callable[[], Any]) -> Any:
    value = load(kind, key)
    if value is None:
        value = build()
        save(kind, key, value)
    return value
