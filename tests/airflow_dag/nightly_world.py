"""What the nightly DAG meets in tests/airflow_dag: CommonCrawl's listing of the newest crawl, the
summary a good weft run writes, and a stand-in for EMR running the steps (moto's EMR keeps each
step as it was added)."""
from __future__ import annotations

import json
import threading

CRAWL, OLDER = "CC-MAIN-2026-47", "CC-MAIN-2026-43"
LISTED = [f"crawl-data/{CRAWL}/segments/1764000000.{i}/warc/{CRAWL}-2026112900000{i}-0000{i}.warc.gz"
          for i in range(5)]
GOOD_SUMMARY = {"balanced": True, "stages": {"ingest": {"output_rows": 120, "balanced": True},
                                              "extract": {"output_rows": 80, "balanced": True}}}
DONE = ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED")


class EmrRunner:
    """Runs the steps of moto's clusters as EMR would, one state change every tick: a RUNNING step
    completes (the next one starts), or with ``fail_at`` the step of that index fails and the later
    ones are cancelled (the cluster kept: ending it is the DAG's job), or with ``hang`` nothing
    moves. After the last step it writes the night's ``_stats/summary.json`` (``summary``) to the
    output root, as weft's report stage would."""

    def __init__(self, s3, fail_at: int | None = None, hang: bool = False, summary: dict = GOOD_SUMMARY):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.emr.models import emr_backends

        self.backend = emr_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        self.s3, self.fail_at, self.hang, self.summary = s3, fail_at, hang, summary
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.2):
            for cluster in list(self.backend.clusters.values()):
                if cluster.state not in ("TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"):
                    self.tick(cluster.steps)

    def tick(self, steps):
        running = next((i for i, s in enumerate(steps) if s.state not in DONE), None)
        if running is None or self.hang:
            return
        if running == self.fail_at:
            steps[running].state = "FAILED"
            for later in steps[running + 1:]:
                later.state = "CANCELLED"
            return
        steps[running].state = "COMPLETED"
        if running + 1 < len(steps):
            steps[running + 1].state = "RUNNING"
            return
        args = steps[running].args
        output, run_date = args[args.index("--output") + 1], args[args.index("--date") + 1]
        bucket, _, root = output.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=f"{root}/_stats/summary.json",
                           Body=json.dumps({**self.summary, "run_date": run_date}).encode())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join(timeout=5)
