"""qinglang (清朗): governance of head accounts on social platforms."""

__version__ = "0.1.0"
