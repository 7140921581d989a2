"""The audit chain's head, checkpointed outside the database.

After every commit that appended audit entries, the newest (seq, hash) is
written to a small JSON file in the workspace (atomically: temp file and
rename; only ever forwards; fsynced at most once a second, so a power loss
can leave it at most about a second behind — a process crash loses nothing). `audit verify` compares it with the database: a
chain shorter than the checkpoint means entries were deleted; a different hash
at the checkpoint's seq means the table was rewritten. A checkpoint may lag the
database by the commits a crash interrupted, never lead it.

Concurrent committers in one process coalesce: whoever holds the file lock
writes the newest head anyone has reported. Processes serialise on an fcntl
lock and never move the file backwards.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class Checkpoint:
    def __init__(self, path: Path, store_id: str):
        self.path = path
        self.store_id = store_id
        self._mu = threading.Lock()
        self._file_lock = threading.Lock()
        self._want: tuple[int, str] = (0, "")
        self._written = 0
        self._last_sync = 0.0

    def read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as e:
            return {"unreadable": str(e)}

    def advance(self, seq: int, hash_: str) -> None:
        with self._mu:
            if seq > self._want[0]:
                self._want = (seq, hash_)
        with self._file_lock:
            with self._mu:
                seq, hash_ = self._want
            if seq <= self._written:
                return
            self._write(seq, hash_)
            self._written = seq

    def _write(self, seq: int, hash_: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cur = self.read()
            if cur and "unreadable" not in cur and cur.get("store_id") == self.store_id and int(cur.get("seq", 0)) >= seq:
                return
            body = json.dumps({"store_id": self.store_id, "seq": seq, "hash": hash_,
                               "written_at": datetime.now(timezone.utc).isoformat()}, sort_keys=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "w") as fh:
                fh.write(body + "\n")
                fh.flush()
                if time.monotonic() - self._last_sync >= 1.0:
                    os.fsync(fh.fileno())
                    self._last_sync = time.monotonic()
            os.replace(tmp, self.path)
