"""The outbox delivers every event at least once, with idempotency keys, through pull or a webhook."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from qinglang.errors import QinglangError
from qinglang.services.outbox import ack, pull, send_webhooks, sign, stats
from tests.services.governance_support import clock, gov, lake  # noqa: F401


def queue(gov, n):
    def work(uow):
        for i in range(n):
            uow.outbox.add(f"test:{i}", "test.event", {"i": i}, uow.now)
        uow.outbox.add("test:0", "test.event", {"i": 0}, uow.now)  # same key: queued once
    gov.store.run(work, actor="t", now=gov.now())


def test_pull_leases_and_unacknowledged_events_come_back(gov, clock):
    queue(gov, 5)
    first = pull(gov, limit=3, lease_s=60)
    assert [e["i"] for e in first] == [0, 1, 2] and all(e["event_key"].startswith("test:") for e in first)
    assert [e["i"] for e in pull(gov, limit=10, lease_s=60)] == [3, 4]
    assert pull(gov, limit=10) == []
    assert ack(gov, [first[0]["event_id"], first[1]["event_id"]]) == 2
    assert ack(gov, [first[0]["event_id"]]) == 0
    clock.advance(seconds=61)
    back = pull(gov, limit=10)
    assert [e["i"] for e in back] == [2, 3, 4]  # not acknowledged: delivered again
    assert back[0]["event_key"] == first[2]["event_key"] and back[0]["attempts"] == 1
    assert stats(gov)["events"] == 5 and stats(gov)["delivered"] == 2


class Receiver(BaseHTTPRequestHandler):
    fail_first = 0
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        cls = type(self)
        cls.seen.append((self.headers["Idempotency-Key"], self.headers.get("X-Qinglang-Signature"), body))
        if cls.fail_first > 0:
            cls.fail_first -= 1
            self.send_response(503)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture()
def receiver():
    Receiver.seen = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()


def test_webhook_retries_until_delivered_with_the_same_idempotency_key(gov, receiver, clock):
    queue(gov, 4)
    Receiver.fail_first = 3
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    r = send_webhooks(gov, url, secret="s3cret", base_backoff_s=10)
    assert r == {"delivered": 1, "failed_attempts": 3}
    assert send_webhooks(gov, url, secret="s3cret")["delivered"] == 0  # the failed ones wait for their backoff
    clock.advance(seconds=11)
    assert send_webhooks(gov, url, secret="s3cret")["delivered"] == 3
    assert stats(gov)["pending"] == 0
    keys = [k for k, _, _ in Receiver.seen]
    assert sorted(set(keys)) == ["test:0", "test:1", "test:2", "test:3"]  # every event arrived
    assert len(keys) == 7  # three of them twice: at least once, same key each time
    for _, sig, body in Receiver.seen:
        assert sig == sign("s3cret", body)
        assert json.loads(body)["event_key"] in keys


def test_a_receiver_that_is_down_loses_nothing(gov, clock):
    queue(gov, 3)
    r = send_webhooks(gov, "http://127.0.0.1:9/nowhere", timeout=0.5)
    assert r["delivered"] == 0 and r["failed_attempts"] == 3
    s = stats(gov)
    assert s["pending"] == 3 and s["failing"] == 3


def test_webhook_url_must_be_http(gov):
    with pytest.raises(QinglangError, match="http://"):
        send_webhooks(gov, "ftp://x")
