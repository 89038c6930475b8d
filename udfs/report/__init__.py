"""The run report (HTML)."""
