"""What every stage entry point shares: the command line, validation before Spark, the
SparkSession, and where tables live in the run folder."""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn, Sequence

from jobs.config import Config, ConfigError, load_config
from udfs.common import storage
from udfs.ingest.inputs import InputError, resolve_input

ARROW_BATCH_BYTES = 64 << 20


@dataclass(frozen=True)
class RunContext:
    """A validated run: settings, the run folder, and (for ingest) the input files. Not changed
    once built: a step that narrows it (``jobs.state.plan``, staging) makes a new one."""

    run_dir: str
    config: Config
    input: str | None = None
    files: tuple[str, ...] = ()
    crawl: str | None = None  # the crawl partition of rows without their own; None: jobs.tables.run_crawl finds it

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", tuple(self.files))  # a list given is kept as a tuple

    def path(self, name: str) -> str:
        """Where a table or file of the run lives: ``RUN_DIR/<name>``."""
        return f"{self.run_dir.rstrip('/')}/{name}"

    @property
    def run_date(self) -> str:
        """The night this run processes (``run.date``, default today in UTC), as YYYY-MM-DD."""
        text = self.config.run.date or dt.datetime.now(dt.timezone.utc).date().isoformat()
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ConfigError(f"setting 'run.date' must be a date YYYY-MM-DD; got {text!r}") from None

    def write_text(self, relative: str, text: str) -> None:
        storage.write_bytes(self.path(relative), text.encode("utf-8"), self.config.storage)


def fail(message: str) -> NoReturn:
    """Stop the run with a one-line reason and exit status 2."""
    print(f"weft: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def default_run_dir() -> str:
    return os.path.join("out", f"run-{dt.date.today().isoformat()}")


def arg_parser(prog: str, description: str, stages: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The command line of the entry points; ``--stages`` when ``stages`` (the registry's names) are given."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--input", help="WARC file, glob, directory, or manifest of WARC paths "
                        "(local, s3://, or CommonCrawl crawl-data/... lines)")
    parser.add_argument("--output", default=None, help="run folder (default out/run-<date>)")
    parser.add_argument("--config", action="append", default=[], metavar="FILE",
                        help="YAML settings merged over configs/default.yaml (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override one setting; VALUE is parsed as YAML (repeatable)")
    parser.add_argument("--mode", choices=("incremental", "overwrite", "append"),
                        help="run.mode: incremental (default) skips completed input files and rewrites the "
                        "night's partitions; overwrite processes every file again; append adds new files' rows")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="run.date: the night (run_date partition) to write")
    if stages:
        parser.add_argument("--stages", default=",".join(stages),
                            help=f"comma list of stages to run, in order (default: all of {', '.join(stages)})")
    return parser


def prepare(args: argparse.Namespace, needs_input: bool) -> RunContext:
    """Validate settings and input before any Spark work; exit 2 with one line if they are bad."""
    try:
        flags = [f"run.{k}={getattr(args, k)}" for k in ("mode", "date") if getattr(args, k, None)]
        config = load_config(args.config, [*args.set, *flags])
        run_dir = args.output or default_run_dir()
        if not storage.supported(run_dir):
            raise ConfigError(f"unsupported output {run_dir}: use a local folder, s3://, s3a:// or gs://")
        if not storage.is_remote(run_dir):
            run_dir = os.path.abspath(storage.local_path(run_dir))
        if needs_input and not args.input:
            raise InputError("--input is required for the ingest stage")
        files = resolve_input(args.input, config.storage, config.input.cc_prefix) if needs_input else ()
        ctx = RunContext(run_dir=run_dir, config=config, input=args.input, files=files)
        ctx.run_date  # noqa: B018 -- validated here, before Spark
    except (ConfigError, InputError) as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 -- e.g. S3 unreachable while listing the input: one line, exit 2
        fail(f"cannot resolve input {args.input}: {type(exc).__name__}: {exc}")
    try:
        ctx.write_text("config.yaml", config.to_yaml())
    except Exception as exc:  # noqa: BLE001 -- whatever the storage says, one line and exit 2
        fail(f"cannot write to output {ctx.run_dir}: {type(exc).__name__}: {exc}")
    return ctx


def under_spark_submit() -> bool:
    """spark-submit starts the Python driver with a gateway already running."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def map_in_arrow(frame, fn, schema, profile=None):
    """``frame.mapInArrow`` on a stage-level ResourceProfile where Spark has them for it (4.0+).
    Spark 3.5 has no ``profile`` argument: there the application's own executors run the stage,
    which is why the infra submits the GPU stages as their own application on 3.5."""
    if profile is not None and "profile" in inspect.signature(frame.mapInArrow).parameters:
        return frame.mapInArrow(fn, schema, profile=profile)
    return frame.mapInArrow(fn, schema)


def local_checkpoint(frame):
    """``frame`` computed now and kept on the executors with its lineage cut, so that plans which
    use it several times neither compute it again nor carry (and print) its whole plan each time.
    On disk where Spark lets a checkpoint choose (4.0+), else memory then disk (3.5)."""
    from pyspark import StorageLevel

    if "storageLevel" in inspect.signature(frame.localCheckpoint).parameters:
        return frame.localCheckpoint(eager=True, storageLevel=StorageLevel.DISK_ONLY)
    return frame.localCheckpoint(eager=True)


LOCAL_SHUFFLE_PARTITIONS = 8  # spark.sql.shuffle.partitions of local runs when the setting is null
PLAN_STRING_CHARS = "1m"  # spark.sql.maxPlanStringLength


def session_conf(config: Config, local: bool) -> dict[str, str]:
    """Spark settings of a weft session. Sizes that suit one machine (shuffle partitions, driver
    memory, the UI, the loopback address) are set for local runs only: under spark-submit the
    cluster's own defaults and adaptive query execution apply unless the user sets them."""
    conf = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.python.worker.reuse": "true",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # run_date, crawl stay strings
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",  # batch logs: the summary says what happened
        # Arrow batches into Python: Spark 4 cuts them at this size, 3.5 counts rows only (a tenth of
        # its default; stages with larger rows set fewer with arrow_batch_rows)
        "spark.sql.execution.arrow.maxBytesPerBatch": str(ARROW_BATCH_BYTES),
        "spark.sql.execution.arrow.maxRecordsPerBatch": "1024",
        # a plan's text (logs, events of adaptive execution) is cut at this length: iterative plans
        # that use a frame many times otherwise print it that many times into the driver's heap
        "spark.sql.maxPlanStringLength": PLAN_STRING_CHARS,
    }
    partitions = config.spark.shuffle_partitions
    if local:
        conf.update({
            "spark.sql.shuffle.partitions": str(partitions or LOCAL_SHUFFLE_PARTITIONS),
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
            "spark.ui.enabled": str(config.spark.ui).lower(),
            "spark.driver.memory": config.spark.driver_memory,
            "spark.pyspark.python": sys.executable,
        })
    elif partitions is not None:
        conf["spark.sql.shuffle.partitions"] = str(partitions)
    conf.update(config.spark.conf)
    return conf


def build_session(config: Config, app_name: str = "weft"):
    """SparkSession: local ``spark.master`` unless launched by spark-submit (``session_conf``)."""
    from pyspark.sql import SparkSession

    local = not under_spark_submit()
    builder = SparkSession.builder.appName(app_name)
    if local:
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        builder = builder.master(config.spark.master)
    for key, value in session_conf(config, local).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


@contextmanager
def arrow_batch_rows(spark, rows: int):
    """Batches of ``rows`` rows, for a stage whose rows are large (HTML, image bytes, vectors):
    Arrow batches into Python (``spark.sql.execution.arrow.maxRecordsPerBatch``) and Parquet's
    vectorized reader batches (``spark.sql.parquet.columnarReaderBatchSize``, which holds a
    whole batch of a column in one buffer) both count rows, not bytes. Put back afterwards."""
    keys = ("spark.sql.execution.arrow.maxRecordsPerBatch", "spark.sql.parquet.columnarReaderBatchSize")
    previous = {key: spark.conf.get(key) for key in keys}
    for key in keys:
        spark.conf.set(key, str(rows))
    try:
        yield
    finally:
        for key, value in previous.items():
            spark.conf.set(key, value)
