"""What one API process holds: the App, the loaded registration registry and screener, the check recorder.

The registry and the screener are loaded once (in the background at start-up) and reused
by every call; the registry is refreshed in the background after a decision that may have
added a ban, and the screener is reloaded when the policy pack, rumour base, image banks
or content model change on disk. Registration checks are recorded in the SQL store in
batches (every 0.2 s, one transaction) so a burst of checks does not queue on the
database's write lock; they are also appended at once to <home>/reincarnation/checks.jsonl.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger("qinglang.api")


class BatchedStoreRecorder:
    """Registration checks into the store's registration log, many per transaction."""

    def __init__(self, store, interval: float = 0.2, batch: int = 1000):
        self.store = store
        self.interval = interval
        self.batch = batch
        self._q: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="qinglang-check-recorder", daemon=True)
        self._thread.start()

    def record(self, summary: dict[str, Any], result: dict[str, Any]) -> None:
        matches = list(result.get("matches") or [])
        top = max(matches, key=lambda m: m.get("score", 0), default=None)
        self._q.put({
            "at": datetime.now(timezone.utc), "source": summary.get("source", "api"), "actor": summary.get("actor"),
            "nickname": summary.get("nickname"), "decision": result["decision"],
            "ban_expired": bool(result.get("ban_expired", False)),
            "banned_account_id": top.get("banned_account_id") if top else None,
            "score": float(top["score"]) if top and top.get("score") is not None else None,
            "matches": [{"banned_account_id": m.get("banned_account_id"), "score": m.get("score")} for m in matches[:20]],
        })

    def _drain(self) -> list[dict[str, Any]]:
        rows = []
        while len(rows) < self.batch:
            try:
                rows.append(self._q.get_nowait())
            except queue.Empty:
                break
        return rows

    def flush(self) -> int:
        n = 0
        while True:
            rows = self._drain()
            if not rows:
                return n
            try:
                def work(uow, rows=rows):
                    import sqlalchemy as sa

                    from qinglang.store.sql import tables as T

                    uow.conn.execute(sa.insert(T.registration_checks), rows)  # one executemany per batch

                self.store.run(work, actor="registration-check")
                n += len(rows)
            except Exception:  # noqa: BLE001 - keep the rows and retry on the next tick
                log.exception("recording %d registration checks failed; will retry", len(rows))
                for r in rows:
                    self._q.put(r)
                return n

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
        self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.flush()


class Runtime:
    def __init__(self, app):
        self.app = app
        self.started = time.time()
        self._mu = threading.RLock()
        self._registration = None
        self._recorder: BatchedStoreRecorder | None = None
        self._screener = None
        self._screener_stamp: float | None = None
        self._screener_checked = 0.0
        self._refreshing = threading.Lock()
        self._refresh_wanted = threading.Event()
        self._last_refresh = float("-inf")

    # --- the parts ------------------------------------------------------------------------
    @property
    def store(self):
        return self.app.store

    @property
    def gov(self):
        return self.app.governance

    @property
    def recorder(self) -> BatchedStoreRecorder:
        with self._mu:
            if self._recorder is None:
                self._recorder = BatchedStoreRecorder(self.store)
            return self._recorder

    @property
    def registration(self):
        svc = self._registration
        if svc is None:
            with self._mu:
                if self._registration is None:
                    from qinglang.services.registration import JsonlCheckRecorder, Recorders, RegistrationService

                    jsonl = JsonlCheckRecorder(self.app.workspace.path("reincarnation", "checks.jsonl"))
                    rec = Recorders(jsonl, self.recorder)
                    self._registration = RegistrationService(self.app, recorder=rec, source="api")
                svc = self._registration
        return svc

    def registry_ready(self) -> bool:
        svc = self._registration
        return svc is not None and svc._registry is not None

    def load_registry(self):
        with self._mu:
            return self.registration.registry

    def _content_stamp(self) -> float:
        home = Path(self.app.workspace.home)
        newest = 0.0
        for d in (home / "content", home / "models" / "content"):
            if d.is_dir():
                for root, _dirs, files in os.walk(d):
                    for f in files:
                        try:
                            newest = max(newest, os.stat(os.path.join(root, f)).st_mtime)
                        except OSError:
                            pass
        return newest

    @property
    def screener(self):
        now = time.monotonic()
        if self._screener is not None and now - self._screener_checked < 5.0:
            return self._screener
        with self._mu:
            stamp = self._content_stamp()
            self._screener_checked = now
            if self._screener is None or stamp != self._screener_stamp:
                from qinglang.services.screening import screener

                self._screener = screener(self.app)
                self._screener_stamp = stamp
            return self._screener

    # --- background work ------------------------------------------------------------------
    def warm(self) -> None:
        """Load the registry and the screener in the background so the first calls are fast."""
        def run():
            if not self.app.workspace.lake.exists():
                return
            for what in ("registration", "screener"):
                try:
                    if what == "registration":
                        self.registration.registry  # noqa: B018 - loads (or builds) it
                    else:
                        self.screener  # noqa: B018
                except Exception as e:  # noqa: BLE001 - the first call will report it
                    log.warning("could not preload the %s: %s", what, e)

        threading.Thread(target=run, name="qinglang-warm", daemon=True).start()

    REFRESH_EVERY_S = 30.0

    def refresh_registry_soon(self) -> None:
        """After a closure or a reversed closure: rebuild the registry in the background.

        Requests coalesce, and rebuilds are at least REFRESH_EVERY_S apart (a rebuild reads the whole
        lake); checks keep using the loaded registry meanwhile.
        """
        if self._registration is None:
            return
        self._refresh_wanted.set()
        if not self._refreshing.acquire(blocking=False):
            return

        def run():
            try:
                while self._refresh_wanted.is_set():
                    wait = self.REFRESH_EVERY_S - (time.monotonic() - self._last_refresh)
                    if wait > 0:
                        time.sleep(wait)
                    self._refresh_wanted.clear()
                    self._last_refresh = time.monotonic()
                    try:
                        self._registration.refresh()
                    except Exception as e:  # noqa: BLE001
                        log.warning("refreshing the banned registry failed: %s", e)
            finally:
                self._refreshing.release()

        threading.Thread(target=run, name="qinglang-registry-refresh", daemon=True).start()

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()
