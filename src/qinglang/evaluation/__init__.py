"""Accuracy evaluations behind `qinglang eval ...`."""
