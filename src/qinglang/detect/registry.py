"""The detectors a scan runs, in order. Each group adds its detectors here."""

from __future__ import annotations

from qinglang.detect.base import Detector

GROUPS = ("fakefans", "reincarnation", "content")


def detectors() -> list[Detector]:
    found: list[Detector] = []
    # Each group module exposes DETECTORS; imported lazily to keep CLI start-up fast.
    for module in _group_modules():
        found.extend(module.DETECTORS)
    return found


def _group_modules():
    import importlib

    mods = []
    for group in GROUPS:
        try:
            mods.append(importlib.import_module(f"qinglang.detect.{group}.detectors"))
        except ModuleNotFoundError as e:
            if e.name != f"qinglang.detect.{group}.detectors" and e.name != f"qinglang.detect.{group}":
                raise
    return mods
