"""Batch engines: where detectors' table work runs (DuckDB embedded; Spark for scale-out)."""
