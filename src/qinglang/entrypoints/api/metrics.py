"""Prometheus metrics: request counts and latencies per route, real-time decisions, governance gauges.

Gauges about the store (open cases by category and severity, overdue cases, outbox
backlog, audit-log length) are read when /metrics is scraped, so they are never stale.
Each app has its own registry (several apps may live in one process, e.g. in tests).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self, runtime):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("qinglang_http_requests_total", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("qinglang_http_request_duration_seconds", "HTTP request latency by route.",
                                 ["method", "route"], buckets=BUCKETS, registry=self.registry)
        self.decisions = Counter("qinglang_realtime_decisions_total",
                                 "Real-time decisions (registration/rename checks, screening) by kind and decision.",
                                 ["kind", "decision"], registry=self.registry)
        self.auth_failures = Counter("qinglang_auth_failures_total", "Refused calls: 401 (token) and 403 (role).",
                                     ["status"], registry=self.registry)
        self.registry.register(_StoreCollector(runtime))


class _StoreCollector:
    def __init__(self, runtime):
        self.runtime = runtime

    def describe(self):
        return []

    def collect(self):
        from datetime import datetime, timezone

        import sqlalchemy as sa

        from qinglang.store.sql import tables as T

        gov = self.runtime.gov
        open_cases = GaugeMetricFamily("qinglang_open_cases", "Unresolved cases by category, severity and stage.",
                                       labels=["category", "severity", "stage"])
        overdue = GaugeMetricFamily("qinglang_overdue_cases", "Unresolved cases past their deadline (SLA breaches).")
        pending = GaugeMetricFamily("qinglang_outbox_pending_events", "Outbox events not yet delivered to the platform.")
        audit = GaugeMetricFamily("qinglang_audit_log_entries", "Entries in the hash-chained audit log.")
        appeals = GaugeMetricFamily("qinglang_pending_appeals", "Appeals not yet decided.")
        now = datetime.now(timezone.utc)
        c = T.cases.c
        with gov.store.read() as uow:
            conn = uow.conn
            rows = conn.execute(sa.select(c.category, c.severity, c.stage, sa.func.count())
                                .where(c.status != "resolved").group_by(c.category, c.severity, c.stage))
            for cat, sev, stage, n in rows:
                open_cases.add_metric([cat, sev, stage], n)
            overdue.add_metric([], conn.execute(sa.select(sa.func.count()).where(c.status != "resolved", c.due_at < now)).scalar() or 0)
            o = T.outbox.c
            pending.add_metric([], conn.execute(sa.select(sa.func.count()).where(o.delivered_at.is_(None))).scalar() or 0)
            audit.add_metric([], uow.audit_log.head()[0])
            a = T.appeals.c
            appeals.add_metric([], conn.execute(sa.select(sa.func.count()).where(a.status != "decided")).scalar() or 0)
        yield from (open_cases, overdue, pending, audit, appeals)


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request by its route template."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, path, str(status["code"])).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
            if status["code"] in (401, 403):
                self.metrics.auth_failures.labels(str(status["code"])).inc()
