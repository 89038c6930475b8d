"""The single source of every table's columns: one module per table."""
