"""Real `byline serve` processes for the end-to-end tests.

Each server runs in its own process group (workers included), writes its output
to a log file that failures quote, and is ready once constructed: `/readyz`
answered 200 (the database is open and migrated).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

# Settings that keep the comment rules out of the way of tests that post a lot.
NO_POSTING_LIMITS = {
    "BYLINE_POST_MIN_INTERVAL_SECONDS": "0",
    "BYLINE_POST_RATE_LIMIT": "0",
    "BYLINE_DUPLICATE_WINDOW_SECONDS": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def byline_env(**settings: str) -> dict[str, str]:
    """This process's environment without BYLINE_* or PROMETHEUS_* variables, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BYLINE_", "PROMETHEUS_"))}
    env.update(settings)
    return env


def byline(*args: str, env: dict[str, str]) -> str:
    """Runs a `byline` command to completion; returns the last line it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1].strip()


def publish(url: str, token: str, slug: str) -> None:
    """An author `ann` and a published article `slug`, through the admin API."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        r = client.put("/v1/admin/authors/ann", json={"name": "Ann", "bio": "Writes."})
        assert r.status_code in (200, 201), r.text
        r = client.put(
            f"/v1/admin/articles/{slug}",
            json={"title": slug.title(), "body_markdown": "Text.", "author": "ann"},
        )
        assert r.status_code in (200, 201), r.text


class Server:
    def __init__(
        self,
        database: Path,
        *,
        args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        ready_within: float = 30.0,
    ) -> None:
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = database.parent / "server.log"
        command = [sys.executable, "-m", "service", "serve"]
        command += ["--database", str(database), "--port", str(self.port), *args]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                env=byline_env() if env is None else env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the workers are signalled too
            )
        try:
            self._wait_ready(ready_within)
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.05)
        pytest.fail(f"the server was not ready within {within} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a service manager sends it; SIGKILL if it outstays `timeout`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.signal_group(signal.SIGKILL)  # no worker may outlive the test
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL to the whole group: a crash, as far as the database can tell."""
        self.signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.signal_group(signal.SIGKILL)  # workers may outlive the parent a moment
