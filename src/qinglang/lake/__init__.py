"""The lake: validated, typed Parquet tables of platform snapshots."""
