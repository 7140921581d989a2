"""Detectors: pure functions from lake tables (through an Engine) to findings tables."""
