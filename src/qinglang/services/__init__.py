"""Use cases: ingest, scan, review, enforce, appeal, report. Entry points call these."""
