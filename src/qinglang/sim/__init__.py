"""The platform simulator: a synthetic Chinese microblog platform with ground truth.

    from qinglang.sim import simulate, SimConfig
    summary = simulate(SimConfig(out=Path("snap"), accounts=100_000, seed=7))

See docs/simulator.md for what is generated and the truth files.
"""

from qinglang.sim.config import SimConfig
from qinglang.sim.core import SimSummary, simulate

__all__ = ["SimConfig", "SimSummary", "simulate"]
