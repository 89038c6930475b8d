"""spark-submit entry points, one per stage, and ``jobs.pipeline`` which runs them in order."""
