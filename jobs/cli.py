"""The ``weft`` command (a console script of the package):

    weft run    <arguments of python -m jobs.pipeline>
    weft STAGE  <arguments of python -m jobs.STAGE>     (ingest, extract, dedup, ... export, report)
    weft bundle <arguments of infra/build_bundle.py>    (from a source checkout)

The ``python -m jobs.*`` entry points stay the contract; this only dispatches to them.
"""
from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

from jobs.registry import STAGES

MODULES = {"run": "jobs.pipeline", **{stage.name: f"jobs.{stage.name}" for stage in STAGES}}
BUNDLER = Path(__file__).resolve().parents[1] / "infra" / "build_bundle.py"


def usage() -> str:
    stages = "".join(f"  {s.name:<8} {s.summary}\n" for s in STAGES)
    return (f"usage: weft COMMAND [ARGS]\n\n"
            f"  run      the stages below, in order (python -m jobs.pipeline)\n"
            f"{stages}"
            f"  bundle   build the spark-submit bundle (infra/build_bundle.py)\n\n"
            f"weft STAGE runs one stage on a run folder (python -m jobs.STAGE, the same arguments);\n"
            f"weft COMMAND --help lists a command's arguments.")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return
    command, rest = args[0], args[1:]
    if command == "bundle":
        bundle(rest)
    elif command in MODULES:
        importlib.import_module(MODULES[command]).main(rest)
    else:
        print(f"weft: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        raise SystemExit(2)


def bundle(args: list[str]) -> None:
    """infra/build_bundle.py, which zips the source tree it sits in."""
    if not BUNDLER.is_file():
        print(f"weft: bundle needs a source checkout of weft ({BUNDLER} not found)", file=sys.stderr)
        raise SystemExit(2)
    saved = sys.argv
    sys.argv = [str(BUNDLER), *args]
    try:
        runpy.run_path(str(BUNDLER), run_name="__main__")
    finally:
        sys.argv = saved


if __name__ == "__main__":
    main()
