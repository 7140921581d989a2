"""Shared helpers for benchmarks: run a step in a child process, measure wall time and peak RSS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"


@dataclass
class Measure:
    name: str
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str = ""


def measure(name: str, argv: list[str], env: dict | None = None, cwd: Path | None = None) -> Measure:
    """Run argv as a child process: wall-clock seconds and that child's own peak RSS (os.wait4)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.stderr.write(f"[{name}] exit {proc.returncode}\n{stderr[-4000:]}\n")
    return Measure(name, seconds, usage.ru_maxrss / 1024.0, proc.returncode, stdout)


def python_code(code: str) -> list[str]:
    """argv running a snippet of Python in a child (measure it with `measure`)."""
    return [sys.executable, "-c", code]


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)
