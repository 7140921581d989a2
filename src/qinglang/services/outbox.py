"""The outbox: events for the platform to apply (sanctions, reversals, clean-ups, notices), delivered at least once.

Every event carries an idempotency key (`event_key`, also sent as the
`Idempotency-Key` header), so a receiver that sees an event twice applies it
once. Two ways out:
- pull: `pull()` leases due events for a while and returns them; the consumer
  acknowledges what it applied with `ack()`; what it does not acknowledge comes
  back when the lease ends.
- push: `send_webhooks()` POSTs each due event as JSON to a URL (signed with an
  HMAC-SHA256 of the body when a secret is set); a 2xx marks it delivered,
  anything else retries later with exponential backoff. Events are never
  dropped: a receiver that is down just receives them later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any, Callable

from qinglang.errors import QinglangError
from qinglang.services.governance import Governance, jsonable

MAX_BACKOFF_S = 3600


def _event(row: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(row["payload"])
    body["event_id"] = row["event_id"]
    body["attempts"] = row["attempts"]
    return body


def pull(gov: Governance, limit: int = 100, lease_s: float = 300, actor: str = "outbox-consumer",
         now: datetime | None = None) -> list[dict[str, Any]]:
    """Lease up to `limit` due events for `lease_s` seconds and return them, oldest first."""
    if limit < 1:
        raise QinglangError("--limit must be at least 1")
    rows = gov.store.run(lambda uow: uow.outbox.pending(uow.now, limit, lease=lease_s), actor=actor, now=gov.now(now))
    return [_event(r) for r in rows]


def ack(gov: Governance, event_ids: list[int], actor: str = "outbox-consumer", now: datetime | None = None) -> int:
    """Mark events delivered (applied by the consumer); returns how many were newly marked."""
    return gov.store.run(lambda uow: uow.outbox.mark_delivered(event_ids, uow.now), actor=actor, now=gov.now(now))


def stats(gov: Governance) -> dict[str, Any]:
    with gov.store.read() as uow:
        return jsonable(uow.outbox.stats())


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[bool, str]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            code = resp.status
            return 200 <= code < 300, f"HTTP {code}"
    except urllib.error.HTTPError as e:
        return False, f"HTTP {e.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        return False, f"{type(e).__name__}: {getattr(e, 'reason', e)}"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhooks(gov: Governance, url: str, *, secret: str | None = None, batch: int = 100, timeout: float = 10.0,
                  follow: bool = False, poll_s: float = 5.0, max_rounds: int | None = None,
                  base_backoff_s: float = 5.0, actor: str = "outbox-webhook",
                  post: Callable[[str, bytes, dict[str, str], float], tuple[bool, str]] = _post,
                  progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Deliver due events to `url`; with `follow`, keep polling until interrupted (or `max_rounds`)."""
    if not url.startswith(("http://", "https://")):
        raise QinglangError(f"the webhook URL must start with http:// or https://, not {url!r}")
    sent = failed = rounds = 0
    while True:
        rounds += 1
        rows = gov.store.run(lambda uow: uow.outbox.pending(uow.now, batch, lease=timeout * 3 + 30), actor=actor,
                             now=gov.now())
        delivered: list[int] = []
        for r in rows:
            body = r["payload"].encode("utf-8")
            headers = {"Content-Type": "application/json", "Idempotency-Key": r["key"],
                       "X-Qinglang-Event": r["type"], "X-Qinglang-Event-Id": str(r["event_id"])}
            if secret:
                headers["X-Qinglang-Signature"] = sign(secret, body)
            ok, info = post(url, body, headers, timeout)
            if ok:
                delivered.append(r["event_id"])
                sent += 1
            else:
                failed += 1
                wait = min(MAX_BACKOFF_S, base_backoff_s * 2 ** max(0, r["attempts"]))
                gov.store.run(lambda uow, r=r, info=info, wait=wait: uow.outbox.mark_failed(
                    r["event_id"], info, uow.now + timedelta(seconds=wait)), actor=actor, now=gov.now())
            if progress:
                progress("webhook", sent + failed, len(rows))
        if delivered:
            gov.store.run(lambda uow: uow.outbox.mark_delivered(delivered, uow.now), actor=actor, now=gov.now())
        if max_rounds is not None and rounds >= max_rounds:
            break
        if not rows or len(rows) < batch:
            if not follow:
                break
            time.sleep(poll_s)
    return {"delivered": sent, "failed_attempts": failed}
