"""The audit chain's head, checkpointed outside the database.

After every commit that appended audit entries, the newest (seq, hash) is
handed to a writer thread that keeps a small JSON file in the workspace up to
date (atomically: temp file and rename; only ever forwards; fsynced at most
once a second). `audit verify` compares it with the database: a chain shorter
than the checkpoint means entries were deleted; a different hash at the
checkpoint's seq means the table was rewritten. A checkpoint may lag the
database (by the commits of the last fraction of a second before a crash),
never lead it. `flush()` writes the newest head now; the store calls it on
close and at interpreter exit.

Processes serialise on an fcntl lock and never move the file backwards.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import threading
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_LIVE: "weakref.WeakSet[Checkpoint]" = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    for cp in list(_LIVE):
        try:
            cp.flush()
        except Exception:
            pass


class Checkpoint:
    COALESCE_S = 0.2

    def __init__(self, path: Path, store_id: str):
        self.path = path
        self.store_id = store_id
        self._mu = threading.Lock()
        self._file_lock = threading.Lock()
        self._wake = threading.Event()
        self._want: tuple[int, str] = (0, "")
        self._written = 0
        self._last_sync = 0.0
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    def read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (ValueError, OSError) as e:
            return {"unreadable": str(e)}

    def advance(self, seq: int, hash_: str) -> None:
        """Record a committed head; the writer thread puts it in the file shortly."""
        with self._mu:
            if seq > self._want[0]:
                self._want = (seq, hash_)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qinglang-checkpoint", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.flush()
            except OSError:
                pass  # retried on the next commit or at flush()
            time.sleep(self.COALESCE_S)

    def flush(self) -> None:
        """Write the newest committed head now (if newer than the file)."""
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
