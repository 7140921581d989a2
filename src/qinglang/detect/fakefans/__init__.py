"""Fake-fan detection: fake accounts, follower bursts, lockstep farms, bought engagement."""
