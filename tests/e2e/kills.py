"""Fault injection for the end-to-end tests: find a process that is running a task and SIGKILL it
once a given stage has started."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path


def processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                found[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, ValueError, IndexError):
                continue
    return found


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return -1


def busy(root: int, chosen) -> int | None:
    """A process under ``root`` that ``chosen(cmd, parent_cmd)`` picks and that is using the CPU
    (running a task, not idle), if any."""
    table = processes()

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = table.get(pid, (0, ""))[0]
        return False

    candidates = [pid for pid, (parent, cmd) in table.items()
                  if chosen(cmd, table.get(parent, (0, ""))[1]) and under(pid)]
    before = {pid: cpu_ticks(pid) for pid in candidates}
    time.sleep(0.2)
    return next((pid for pid in candidates if cpu_ticks(pid) > before[pid] >= 0), None)


def busy_worker(root: int) -> int | None:
    """A Python worker forked by a pyspark daemon (it runs a task; the daemon only forks)."""
    return busy(root, lambda cmd, parent: "pyspark.daemon" in cmd and "pyspark.daemon" in parent)


def busy_executor(root: int) -> int | None:
    """An executor JVM (under a local-cluster driver or a standalone Worker)."""
    return busy(root, lambda cmd, parent: "CoarseGrainedExecutorBackend" in cmd)


def kill_during(proc: subprocess.Popen, stages: tuple[str, ...], target,
                watch: str = "stderr") -> tuple[subprocess.CompletedProcess, list[str]]:
    """Wait for ``proc`` (a weft run, text pipes); once each of ``stages`` has started ("weft:
    <stage> started" on its ``watch`` pipe: stdout under spark-submit, which merges the driver's
    stderr into it), SIGKILL the process ``target()`` names. The finished process and the stages
    where a kill landed."""
    killed: list[str] = []
    lines: list[str] = []
    watched, other = (proc.stderr, proc.stdout) if watch == "stderr" else (proc.stdout, proc.stderr)

    def follow() -> None:
        pending = list(stages)
        for line in watched:
            lines.append(line)
            if pending and f"weft: {pending[0]} started" in line:
                deadline = time.time() + 60
                while time.time() < deadline:
                    pid = target()
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pending.pop(0))
                        break

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    rest = other.read()
    proc.wait(timeout=900)
    reader.join(timeout=60)
    out, err = ("".join(lines), rest) if watch == "stdout" else (rest, "".join(lines))
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), killed
