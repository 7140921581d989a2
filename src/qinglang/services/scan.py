"""`qinglang scan`: run detectors over the lake, record their findings, hand them to case policy."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from qinglang.detect.base import DetectContext, Detector
from qinglang.detect.registry import GROUPS, detectors
from qinglang.errors import QinglangError

Progress = Callable[[str, int, int], None]


@dataclass
class DetectorRun:
    name: str
    group: str
    findings: int = 0
    seconds: float = 0.0
    skipped: str | None = None


@dataclass
class ScanReport:
    runs: list[DetectorRun] = field(default_factory=list)
    cases: dict | None = None

    def as_dict(self) -> dict:
        return {
            "detectors": [r.__dict__ for r in self.runs],
            "findings": sum(r.findings for r in self.runs),
            "cases": self.cases,
        }


def select(only: str | None) -> list[Detector]:
    if only is not None and only not in GROUPS:
        raise QinglangError(f"--only must be one of {', '.join(GROUPS)}, not {only!r}")
    return [d for d in detectors() if only is None or d.group == only]


def run_scan(app, only: str | None = None, engine_name: str = "duckdb", progress: Progress | None = None,
             engine_options: dict | None = None) -> ScanReport:
    """Run the selected detectors and replace their findings; then open or update cases."""
    chosen = select(only)
    ws = app.workspace
    ws.require_lake()
    report = ScanReport()
    with ws.write_lock():
        engine = app.engine(engine_name, **(engine_options or {}))
        try:
            ctx = DetectContext(engine=engine, settings=app.settings, workspace=ws,
                                extra=app.detector_inputs(), progress=progress)
            available = engine.tables()
            for det in chosen:
                run = DetectorRun(det.name, det.group)
                missing = [t for t in det.needs if t not in available]
                if missing:
                    run.skipped = f"the lake has no {', '.join(missing)} table"
                    report.runs.append(run)
                    continue
                t0 = time.perf_counter()
                table = det.run(ctx)
                run.findings = app.findings.replace(det.name, table)
                run.seconds = round(time.perf_counter() - t0, 3)
                report.runs.append(run)
        finally:
            engine.close()
        report.cases = app.on_findings([r.name for r in report.runs if r.skipped is None])
    return report
