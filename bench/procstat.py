"""CPU time and memory of a server's whole process tree, read from /proc.

granian and gunicorn run their work in child processes, so every figure sums
over the root process and all its descendants.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses.
    return raw[raw.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    """pid → parent pid for every process."""
    out: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            out[int(entry.name)] = int(fields[1])
    return out


def tree(root: int) -> list[int]:
    """``root`` and all its live descendants."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, plus what its reaped children used."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the ")": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


@dataclass(frozen=True)
class Sample:
    cpu_s: float
    rss: int
    max_rss: int
    processes: int


def sample(root: int) -> Sample:
    pids = tree(root)
    rss = [rss_bytes(p) for p in pids]
    return Sample(
        cpu_s=sum(cpu_seconds(p) for p in pids),
        rss=sum(rss),
        max_rss=max(rss, default=0),
        processes=len(pids),
    )


def cpu_busy_seconds(cpu: int) -> float:
    """Busy time of one CPU since boot (everything but idle and iowait), from /proc/stat."""
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            v = [int(x) for x in line.split()[1:]]
            # user nice system idle iowait irq softirq steal ...
            return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLOCK_TICKS
    raise ValueError(f"no cpu{cpu} in /proc/stat")
