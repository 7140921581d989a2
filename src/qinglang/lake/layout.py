"""On-disk layout of the lake and its atomic versions.

    <home>/lake/CURRENT                 name of the current version, e.g. "v000002"
    <home>/lake/v000002/manifest.json   what the version holds and how it was made
    <home>/lake/v000002/<table>/*.parquet
    <home>/lake/v000002/derived/<name>/*.parquet   (tiers, ...)

A version is never modified once CURRENT names it. A change builds a new
version in a staging folder and switches CURRENT with one atomic rename, so a
reader (or a crash) sees either the old version or the new one, never a mix.
Unchanged tables are hard-linked into the new version, not copied. Any
process may write a table folder in this layout itself (e.g. a Spark job):
a table is every `*.parquet` file in its folder, read by column name.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


class Lake:
    def __init__(self, root: Path):
        self.root = root

    # --- reading ---------------------------------------------------------
    @property
    def current_name(self) -> str | None:
        p = self.root / "CURRENT"
        if not p.exists():
            return None
        return p.read_text().strip() or None

    @property
    def current(self) -> Path | None:
        name = self.current_name
        return self.root / name if name else None

    def exists(self) -> bool:
        return self.current is not None

    def manifest(self) -> dict[str, Any]:
        cur = self.current
        if cur is None:
            return {}
        return json.loads((cur / "manifest.json").read_text())

    def table_dir(self, name: str, version: Path | None = None) -> Path | None:
        """Folder of a table (or `derived/<name>`) in a version, if it holds data files."""
        base = version or self.current
        if base is None:
            return None
        d = base / name
        if d.is_dir() and any(d.glob("*.parquet")):
            return d
        return None

    def table_glob(self, name: str, version: Path | None = None) -> str | None:
        d = self.table_dir(name, version)
        return str(d / "*.parquet") if d else None

    def tables(self) -> list[str]:
        cur = self.current
        if cur is None:
            return []
        return sorted(p.name for p in cur.iterdir() if p.is_dir() and p.name != "derived" and any(p.glob("*.parquet")))

    # --- writing ---------------------------------------------------------
    def new_staging(self) -> Path:
        """A fresh folder for building the next version; removed by `discard`."""
        self.root.mkdir(parents=True, exist_ok=True)
        d = self.root / f".staging-{uuid.uuid4().hex[:12]}"
        d.mkdir()
        return d

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)

    def link_table(self, name: str, staging: Path) -> None:
        """Carry a table of the current version into a staging version unchanged."""
        src = self.table_dir(name)
        if src is None:
            return
        dst = staging / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.mkdir()
        for f in sorted(src.glob("*.parquet")):
            try:
                os.link(f, dst / f.name)
            except OSError:
                shutil.copy2(f, dst / f.name)

    def next_name(self) -> str:
        n = 0
        for p in self.root.glob("v[0-9]*"):
            try:
                n = max(n, int(p.name[1:]))
            except ValueError:
                pass
        return f"v{n + 1:06d}"

    def commit(self, staging: Path, manifest: dict[str, Any]) -> str:
        """Turn a staging folder into the current version atomically."""
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        name = self.next_name()
        target = self.root / name
        _fsync_tree(staging)
        os.rename(staging, target)
        previous = self.current
        tmp = self.root / f".CURRENT-{uuid.uuid4().hex[:8]}"
        tmp.write_text(name + "\n")
        _fsync(tmp)
        os.replace(tmp, self.root / "CURRENT")
        _fsync_dir(self.root)
        if previous is not None and previous.exists():
            shutil.rmtree(previous, ignore_errors=True)
        return name

    def clean_leftovers(self) -> None:
        """Remove staging folders and versions a crash left behind (never CURRENT)."""
        if not self.root.exists():
            return
        cur = self.current_name
        for p in self.root.iterdir():
            if p.name.startswith(".staging-") or p.name.startswith(".CURRENT-"):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            elif p.is_dir() and p.name.startswith("v") and p.name != cur:
                shutil.rmtree(p, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:
        pass


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            _fsync(Path(dirpath) / f)
        _fsync_dir(Path(dirpath))
