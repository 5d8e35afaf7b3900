"""Starting servers and stopping exactly what we started.

Every server runs in its own session (so its own process group) and is
registered here; ``stop_all`` (also run at exit and on SIGTERM/SIGINT) sends
SIGTERM to each group we created, then SIGKILL to whatever is left.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None


_started: list[Server] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start(
    name: str,
    argv: Sequence[str],
    port: int,
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    cpu: int | None = 0,
) -> Server:
    """Start ``argv`` pinned to ``cpu`` in a new process group."""
    full = ["taskset", "-c", str(cpu), *argv] if cpu is not None else list(argv)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
    server = Server(name, proc, port, log)
    _started.append(server)
    return server


def wait_ready(server: Server, path: str = "/", timeout: float = 60.0) -> None:
    """Poll ``path`` until it answers any HTTP status; raise if the server dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited ({server.proc.returncode}); see {server.log}")
        try:
            with urllib.request.urlopen(server.base + path, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f}s; see {server.log}")


def stop(server: Server, grace: float = 5.0) -> None:
    if server in _started:
        _started.remove(server)
    if not server.alive():
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)  # pgid == pid: start_new_session
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # stragglers in the group, if any
    server.proc.wait(timeout=grace)


def stop_all() -> None:
    for server in list(reversed(_started)):
        stop(server)


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
