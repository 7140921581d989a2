"""A workspace: one folder holding the lake, findings, models, the SQL store and the key.

    <home>/qinglang.toml     optional configuration (docs/configuration.md)
    <home>/secret.key        identity-hashing key, created once (unless QINGLANG_SECRET is set)
    <home>/lake/             validated Parquet tables, versioned (lake/layout.py)
    <home>/findings/         one Parquet file per detector, replaced atomically by each scan
    <home>/models/           trained models (train fakefans/content, ...)
    <home>/store.sqlite      the SQL store (cases, sanctions, audit log) unless --db is given
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Iterator

from qinglang.errors import QinglangError
from qinglang.lake.layout import Lake

KEY_FILE = "secret.key"
SECRET_ENV = "QINGLANG_SECRET"


class Workspace:
    def __init__(self, home: Path):
        self.home = home
        self.lake = Lake(home / "lake")

    @property
    def findings_dir(self) -> Path:
        return self.home / "findings"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def sqlite_path(self) -> Path:
        return self.home / "store.sqlite"

    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    def exists(self) -> bool:
        return self.home.exists()

    def require_lake(self) -> Lake:
        if not self.lake.exists():
            raise QinglangError(
                f"the workspace {self.home} has no data yet: run `qinglang ingest SNAPSHOT_DIR` "
                f"(or `qinglang demo`), or point --home / QINGLANG_HOME at a workspace"
            )
        return self.lake

    # --- identity key ----------------------------------------------------
    def identity_key(self) -> tuple[bytes, bool]:
        """The identity-hashing key and whether it still has to be saved (first ingest).

        QINGLANG_SECRET wins over the key file; without either a new random key is
        made, to be written by `save_identity_key` only when an ingest succeeds.
        """
        env = os.environ.get(SECRET_ENV)
        if env:
            key = env.encode("utf-8")
            if len(key) < 16:
                raise QinglangError(f"{SECRET_ENV} must be at least 16 characters")
            return key, False
        path = self.home / KEY_FILE
        if path.exists():
            return bytes.fromhex(path.read_text().strip()), False
        return secrets.token_bytes(32), True

    def existing_identity_key(self) -> bytes:
        key, new = self.identity_key()
        if new:
            raise QinglangError(
                f"the workspace {self.home} has no identity key yet: ingest a snapshot first or set {SECRET_ENV}"
            )
        return key

    def save_identity_key(self, key: bytes) -> None:
        path = self.home / KEY_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @staticmethod
    def key_fingerprint(key: bytes) -> str:
        return hashlib.sha256(b"qinglang-key-fingerprint\x00" + key).hexdigest()[:16]

    # --- locking ---------------------------------------------------------
    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise writers (ingest, scan) of one workspace across processes.

        If the operation fails, whatever this lock created (the workspace folder
        itself, or the lock file) is removed again, so a failed first ingest
        leaves no trace.
        """
        created_home = not self.home.exists()
        self.home.mkdir(parents=True, exist_ok=True)
        lock_path = self.home / ".lock"
        created_lock = not lock_path.exists()
        fh = open(lock_path, "a")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                created_home = created_lock = False
                raise QinglangError(
                    f"another qinglang process is writing to {self.home}; wait for it to finish"
                ) from None
            yield
        except BaseException:
            fh.close()
            if created_home:
                shutil.rmtree(self.home, ignore_errors=True)
            elif created_lock:
                lock_path.unlink(missing_ok=True)
            raise
        else:
            fh.close()
