"""What a detector is, and what it gets to work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from qinglang.config import Settings
from qinglang.engines.base import Engine
from qinglang.workspace import Workspace

Progress = Callable[[str, int, int], None]


@dataclass
class DetectContext:
    """Everything a detector may read: the engine over the lake, its settings, its models.

    Detectors never touch the SQL store or write anything; anything they need from it (the banned
    registry's additions, the rumour base, ...) is handed in through `extra`
    by the scan service.
    """

    engine: Engine
    settings: Settings
    workspace: Workspace  # for reading detector inputs kept as workspace files (policy, banks, models)
    extra: dict[str, Any] = field(default_factory=dict)
    progress: Progress | None = None

    def report(self, step: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(step, done, total)


@dataclass(frozen=True)
class Detector:
    """A named detector in a group; `run` returns a findings table (domain.findings schema)."""

    name: str  # findings file name, unique
    group: str  # fakefans | reincarnation | content (the scan --only values)
    run: Callable[[DetectContext], pa.Table]
    needs: tuple[str, ...] = ("accounts",)  # lake tables it requires; skipped with a note otherwise
