"""Pure per-record and per-batch logic (no Spark imports), plus thin Arrow/pandas adapters."""
