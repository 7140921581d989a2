"""Named random streams: one numpy Generator per simulator module.

Each stream depends only on the seed and its name, so changing how one module
draws numbers never changes what another module generates.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])
