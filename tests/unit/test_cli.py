"""The ``weft`` console script dispatches to the ``python -m jobs.*`` entry points."""
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import cli
from jobs.registry import NAMES

WEFT = Path(sys.executable).parent / "weft"  # installed by setup.py's console_scripts


def weft(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(WEFT), *args], capture_output=True, text=True, timeout=120)


def test_every_stage_and_the_pipeline_are_commands():
    assert set(cli.MODULES) == {"run", *NAMES} and "export" in NAMES
    for command, module in cli.MODULES.items():
        assert callable(importlib.import_module(module).main), command


def test_the_console_script_runs_the_pipeline_and_the_stages_with_their_arguments(tmp_path):
    assert WEFT.is_file(), "pip install -e . installs the weft console script"
    usage = weft("--help")
    assert usage.returncode == 0 and all(f"  {c} " in usage.stdout for c in ("run", *NAMES, "bundle"))
    missing = str(tmp_path / "x.warc.gz")
    for command in ("run", "ingest"):  # the same one-line error as python -m jobs.pipeline / jobs.ingest
        done = weft(command, "--input", missing, "--output", str(tmp_path / "out"))
        assert done.returncode != 0 and f"input not found: {missing}" in done.stderr, (command, done.stderr)
    stage_help = weft("dedup", "--help")
    assert stage_help.returncode == 0 and "--input" in stage_help.stdout and "--stages" not in stage_help.stdout
    assert "--stages" in weft("run", "--help").stdout


def test_unknown_commands_say_so():
    done = weft("paint")
    assert done.returncode == 2 and "unknown command 'paint'" in done.stderr and "usage: weft" in done.stderr


def test_bundle_is_the_bundle_builder(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["bundle", "--help"])
    assert stop.value.code == 0 and "--venv" in capsys.readouterr().out
