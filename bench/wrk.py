"""Running wrk (pinned to its own CPU) and reading its report."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.paths import LUA, WORK

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
STATUS_LUA = LUA / "status.lua"
_active: set[subprocess.Popen[str]] = set()


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int
    statuses: dict[int, int] = field(default_factory=dict)
    raw: str = ""


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse(out: str) -> WrkResult:
    """Parse ``wrk --latency`` output (plus the STATUS line our Lua prints)."""
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M)}
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", out, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    if not (total and rps and len(pct) == 3):
        raise ValueError(f"cannot parse wrk output:\n{out}")
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    statuses = {}
    if m := re.search(r"^STATUS (.*)$", out, re.M):
        statuses = {int(k): int(v) for k, v in re.findall(r"(\d+)=(\d+)", m.group(1))}
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000.0,
        rps=float(rps.group(1)),
        p50_ms=pct["50"],
        p90_ms=pct["90"],
        p99_ms=pct["99"],
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
        statuses=statuses,
        raw=out,
    )


def script_for(case_lua: str | None) -> Path:
    """The status counter alone, or a case script with the status counter appended."""
    if case_lua is None:
        return STATUS_LUA
    out = WORK / "lua" / f"{case_lua}+status.lua"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text((LUA / f"{case_lua}.lua").read_text() + "\n" + STATUS_LUA.read_text())
    return out


def run(
    url: str,
    *,
    duration: float,
    connections: int = 32,
    threads: int = 1,
    lua: str | None = None,
    lua_args: list[str] | None = None,
    headers: dict[str, str] | None = None,
    cpu: int | None = 1,
    timeout_s: float = 30.0,
) -> WrkResult:
    argv = ["taskset", "-c", str(cpu)] if cpu is not None else []
    argv += [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={round(timeout_s)}s",
        "--latency",
        "-s",
        str(script_for(lua)),
    ]
    for k, v in (headers or {}).items():
        argv += ["-H", f"{k}: {v}"]
    argv.append(url)
    if lua_args:
        argv += ["--", *lua_args]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    _active.add(proc)
    try:
        out, err = proc.communicate(timeout=duration + timeout_s + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"wrk did not finish in time: {err or out}") from None
    finally:
        _active.discard(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err or out}")
    return parse(out)


def available() -> bool:
    return shutil.which("wrk") is not None


def kill_active() -> None:
    """Stop the wrk processes still running (on an early exit)."""
    for proc in list(_active):
        proc.kill()
        proc.wait()
